"""The data a training run used, as MLflow datasets (the run's ``inputs``, the UI's Datasets tab).

Each market table (influencers, posts, briefs, outcomes) is logged with ``mlflow.log_input`` in
context ``training`` (the model is fitted and evaluated on them); the time split is logged as
three brief-id tables, ``split.train`` / ``split.valid`` / ``split.test``, in contexts
``training`` / ``validation`` / ``testing``. MLflow computes each dataset's digest and profile
(rows); the input's tags add our full-table sha256 (``matcher.sha256``, the same value as the
run's ``data.<table>.sha256`` param, which hashes every row where MLflow's digest samples).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import pandas as pd
from mlflow.data.pandas_dataset import from_pandas

if TYPE_CHECKING:
    from matcher.data.io import MarketTables
    from matcher.data.labels import Split

logger = logging.getLogger(__name__)

TABLES: tuple[str, ...] = ("influencers", "posts", "briefs", "outcomes")
SPLIT_CONTEXTS: dict[str, str] = {"train": "training", "valid": "validation", "test": "testing"}
SHA_TAG = "matcher.sha256"


def table_source(data_dir: str | Path | None, name: str) -> str:
    """Where a table was read from: ``<data_dir>/<name>.csv`` or ``.parquet`` when it exists, else
    the folder (a table merged from the request log, or absent, has no file of its own)."""
    if data_dir is None:
        return name
    d = Path(data_dir).resolve()
    for ext in ("csv", "parquet"):
        if (d / f"{name}.{ext}").is_file():
            return str(d / f"{name}.{ext}")
    return str(d)


def split_frame(split: Split, part: str) -> pd.DataFrame:
    """The brief ids of one part of the split (one column, ``brief_id``)."""
    return pd.DataFrame({"brief_id": [str(b) for b in getattr(split, part)]})


def market_datasets(
    tables: MarketTables,
    data_dir: str | Path | None,
    split: Split | None,
    fingerprint: dict[str, Any],
) -> list[tuple[Any, str, dict[str, str]]]:
    """(dataset, context, tags) for each table and each part of the split."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # "integer columns cannot hold missing values" (schema inference)
        for name in TABLES:
            df = getattr(tables, name)
            ds = from_pandas(df, source=table_source(data_dir, name), name=name)
            tags = {SHA_TAG: str(fingerprint.get(name, {}).get("sha256", "")), "rows": str(len(df))}
            out.append((ds, "training", tags))
        if split is not None:
            for part, context in SPLIT_CONTEXTS.items():
                df = split_frame(split, part)
                ds = from_pandas(df, source=table_source(data_dir, "briefs"), name=f"split.{part}")
                out.append((ds, context, {"rows": str(len(df))}))
    return out


def log_market_inputs(
    tables: MarketTables,
    data_dir: str | Path | None,
    split: Split | None,
    fingerprint: dict[str, Any],
) -> int:
    """``mlflow.log_input`` of every table (and the split) into the ACTIVE run; returns how many."""
    items = market_datasets(tables, data_dir, split, fingerprint)
    for ds, context, tags in items:
        mlflow.log_input(ds, context=context, tags=tags)
    return len(items)
