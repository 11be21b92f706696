"""Briefs between table rows and the ``Brief`` model: list cells split on ``LIST_SEP``, missing
cells to the model's defaults, and back. Used wherever briefs cross a table boundary (loading,
the request log's retraining rows, the MLflow model's input frame)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from matcher import schemas as S
from matcher.data.validation import is_missing

LIST_FIELDS = (
    S.PLATFORMS_COL,
    S.TARGET_COUNTRIES,
    S.TARGET_AGES,
    S.EXCLUDED_HANDLES,
    S.EXCLUDED_KEYWORDS,
    *S.TOPIC_FIELDS,
    S.LIKE,
)


_INT_FIELDS = (S.MIN_FOLLOWERS, S.MAX_FOLLOWERS)


def _as_list(v: Any) -> list[str]:
    if isinstance(v, list | tuple | np.ndarray | pd.Series):
        return [str(x).strip() for x in v if not is_missing(x)]
    if is_missing(v):
        return []
    return [x.strip() for x in str(v).split(S.LIST_SEP) if x.strip()]


def brief_from_row(row: pd.Series | Mapping[str, Any]) -> S.Brief:
    """Build a ``Brief`` from a table row: list cells split on LIST_SEP, missing -> defaults.
    Extra keys (columns the model does not know) are ignored."""
    data = row.to_dict() if isinstance(row, pd.Series) else dict(row)
    kwargs: dict[str, Any] = {}
    for name in S.Brief.model_fields:
        if name not in data:
            continue
        v = data[name]
        if name in LIST_FIELDS:
            kwargs[name] = _as_list(v)
            continue
        if is_missing(v):
            continue
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif isinstance(v, np.generic):
            v = v.item()
        if name in _INT_FIELDS and isinstance(v, float) and v.is_integer():
            v = int(
                v
            )  # a column with gaps is read as floats; the model's counts are strict integers
        if name in (S.BRIEF_ID, S.BRAND_ID, S.BRAND, S.TEXT):
            v = str(v)
        kwargs[name] = v
    return S.Brief(**kwargs)


def briefs_to_models(df: pd.DataFrame) -> list[S.Brief]:
    return [brief_from_row(row) for row in df.to_dict("records")]


def brief_to_row(brief: S.Brief) -> dict[str, Any]:
    """Inverse of ``brief_from_row``: lists joined with LIST_SEP (empty list -> None)."""
    row = brief.model_dump()
    for name in LIST_FIELDS:
        row[name] = S.LIST_SEP.join(row[name]) or None
    return row
