"""Pure helpers of the MLflow lifecycle: URI resolution, references, names, fingerprints
(the pyfunc's input/output conversion is ``test_pyfunc.py``). No tracking store is touched."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.config import TrackingConfig
from matcher.lifecycle.registry import ModelRef, parse_ref
from matcher.lifecycle.runs import table_fingerprint
from matcher.lifecycle.store import (
    ModelResolutionError,
    flat_metrics,
    flatten,
    metric_key,
    using_tracking,
)


def test_tracking_uri_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = TrackingConfig()
    assert cfg.resolved_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert cfg.resolved_artifact_location() == (tmp_path / "mlruns" / "matcher").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert cfg.resolved_uri() == "http://mlflow:5000"
    assert cfg.resolved_artifact_location() is None  # the server decides
    assert TrackingConfig(uri="sqlite:////x/y.db").resolved_uri() == "sqlite:////x/y.db"
    assert (
        TrackingConfig(uri="sqlite:////x/y.db").resolved_artifact_location()
        == "file:///x/mlruns/matcher"
    )


def test_using_tracking_restores_global_state_even_on_error(tmp_path, monkeypatch):
    import mlflow
    from mlflow.tracking._tracking_service import utils

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////somewhere/else.db")
    before = utils._tracking_uri
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(RuntimeError), using_tracking(TrackingConfig(uri=uri)):
        assert mlflow.get_tracking_uri() == uri
        raise RuntimeError
    assert utils._tracking_uri == before
    assert mlflow.get_tracking_uri() == "sqlite:////somewhere/else.db"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (None, ModelRef(alias="champion", name="matcher")),
        ("challenger", ModelRef(alias="challenger", name="matcher")),
        ("models:/matcher@champion", ModelRef(alias="champion", name="matcher")),
        ("models:/other/3", ModelRef(version="3", name="other")),
        ("7", ModelRef(version="7", name="matcher")),
        ("./models/champion", ModelRef(directory=Path("./models/champion"))),
    ],
)
def test_parse_ref(ref, expected):
    assert parse_ref(ref, "matcher") == expected


def test_parse_ref_rejects_bad_model_uri():
    with pytest.raises(ModelResolutionError):
        parse_ref("models:/matcher", "matcher")


def test_names_and_flattening():
    assert metric_key("logged", "model", "ndcg@10") == "logged.model.ndcg_at_10"
    assert flat_metrics({"logged": {"model": {"ndcg@10": 0.5, "auc": None, "mrr": math.nan}}}) == {
        "logged.model.ndcg_at_10": 0.5
    }
    assert flatten({"a": 1, "b": {"c": [1, 2], "d": None}}) == {
        "a": "1",
        "b.c": "[1, 2]",
        "b.d": "null",
    }


def test_flat_metrics_takes_any_depth_and_only_finite_numbers():
    flat = {"logged.model.ndcg_at_10": 0.5, "catalogue.model.mrr": 1}
    assert flat_metrics(flat) == {
        "logged.model.ndcg_at_10": 0.5,
        "catalogue.model.mrr": 1.0,
    }  # idempotent
    assert flat_metrics({"a": {"b": {"c": {"recall@5": 2}}}, "top": 0.25}) == {
        "a.b.c.recall_at_5": 2.0,
        "top": 0.25,
    }
    assert flat_metrics(
        {
            "v": {
                "n": np.int64(3),
                "x": np.float32(0.5),
                "inf": math.inf,
                "name": "ndcg",
                "flag": True,
                "list": [1.0],
            }
        }
    ) == {"v.n": 3.0, "v.x": 0.5}
    assert all(type(v) is float for v in flat_metrics({"v": {"n": np.int64(3)}}).values())


def test_table_fingerprint_sees_values_and_order():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    fp = table_fingerprint(df)
    assert fp["rows"] == 2 and len(fp["sha256"]) == 64
    assert table_fingerprint(df.copy())["sha256"] == fp["sha256"]
    assert table_fingerprint(df.assign(b=["x", "z"]))["sha256"] != fp["sha256"]
    assert table_fingerprint(df.iloc[::-1])["sha256"] != fp["sha256"]


def test_tuning_base_trial_reproduces_the_trained_ranker(tiny_tables):
    """The tuner's shared feature matrices and ranker are the trainer's: same config -> same
    validation score (without the refit on train + validation, which the tuner does not do)."""
    from matcher.data.labels import time_split
    from matcher.evaluation.offline import evaluate
    from matcher.ranking.embeddings import HashingEncoder
    from matcher.training.trainer import fit_pipeline
    from matcher.training.tuning import apply_params, current_params, prepare, score_params
    from tests.helpers import tiny_config

    cfg = tiny_config(seed=4, refit_on_valid=False)
    assert apply_params(cfg, current_params(cfg)) == cfg
    enc = HashingEncoder()
    ctx = prepare(cfg, tiny_tables, enc)
    value, extras = score_params(ctx, cfg)
    split = time_split(tiny_tables.briefs, cfg.split)
    pipe, _ = fit_pipeline(tiny_tables, cfg, encoder=enc, split=split, progress=False)
    expected = evaluate(
        pipe, tiny_tables, split.valid, views=("logged",), seed=cfg.seed, progress=False
    )
    assert value == pytest.approx(expected.metrics()["logged"]["model"]["ndcg@10"])
    assert extras["best_iteration"] >= 1
    with pytest.raises(ValueError, match="unknown tuning"):
        apply_params(cfg, {"max_depth": 3})


# --------------------------------------------------------------------------- loaded models
def test_saved_and_exported_folders_load_as_typed_models(tiny_pipeline_dir, tmp_path):
    import dataclasses
    import json
    import shutil

    from pydantic import ValidationError

    from matcher.lifecycle.loaded import LoadedModel
    from matcher.lifecycle.registry import load_directory, resolve_pipeline

    plain = shutil.copytree(tiny_pipeline_dir, tmp_path / "v-plain")
    m = resolve_pipeline(str(plain), fallback_dir=None)
    assert isinstance(m, LoadedModel) and m.pipeline.catalogue is not None
    i = m.info
    assert (i.name, i.version, i.ref, i.source, i.alias, i.run_id) == (
        "matcher",
        "v-plain",
        str(plain),
        str(plain),
        None,
        None,
    )
    assert (
        i.fallback_reason is None and i.catalogue_size == 48 and i.encoder == "hashing-128 (128-d)"
    )
    assert (
        i.trained_at == m.pipeline.metadata["trained_at"] and i.metrics == {}
    )  # no evaluation saved
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.info = i  # type: ignore[misc]
    with pytest.raises(ValidationError):
        i.version = "2"  # type: ignore[misc]

    exported = shutil.copytree(tiny_pipeline_dir, tmp_path / "exported")
    (exported / "MODEL_INFO.json").write_text(
        json.dumps(
            {
                "name": "matcher",
                "version": "7",
                "alias": "champion",
                "run_id": "r1",
                "metrics": {"logged.model.ndcg_at_10": 0.75, "logged.model.auc": None},
            }
        )
    )
    e = load_directory(exported).info
    assert (e.version, e.alias, e.run_id, e.ref) == ("7", "champion", "r1", None)
    assert e.metrics == {"logged.model.ndcg_at_10": 0.75}

    # the store is missing: the exported copy is served, saying why; a plain copy is named after the ref
    down = TrackingConfig(uri=f"sqlite:///{tmp_path / 'absent' / 'mlflow.db'}")
    f = resolve_pipeline("champion", down, fallback_dir=exported).info
    assert (f.version, f.ref, f.source) == ("7", "champion", str(exported))
    assert f.fallback_reason is not None and "no MLflow store" in f.fallback_reason
    assert resolve_pipeline("champion", down, fallback_dir=plain).info.version == "champion"
    with pytest.raises(ModelResolutionError, match="matcher export"):
        resolve_pipeline("champion", down, fallback_dir=tmp_path / "empty")
