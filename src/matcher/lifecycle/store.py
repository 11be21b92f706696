"""Where runs and models live: the MLflow store (URIs, bound clients, the experiment), the
names we log under (metric keys, tags, aliases) and batched logging helpers.

``TrackingConfig`` resolves at call time to ``$MLFLOW_TRACKING_URI`` or the embedded
``sqlite:///<cwd>/mlflow.db`` (no server), artifacts under ``<cwd>/mlruns/<experiment>``.
MLflow's global tracking URI is set only inside ``using_tracking`` (needed by the fluent
``start_run``/``log_model``) and restored afterwards; everything else uses bound clients.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from matcher.config import TrackingConfig

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
MODEL_ARTIFACT = "model"  # name= of the logged pyfunc
KIND_TAG = "matcher.kind"  # train | promotion | tune | tune-trial
MODEL_INFO = "MODEL_INFO.json"
_BATCH = 500  # below MLflow's log_batch limits (1000 metrics, 100 params)


class ModelResolutionError(RuntimeError):
    """A model reference could not be resolved, and there is no exported fallback."""


# --------------------------------------------------------------------------- the store
@contextmanager
def using_tracking(tracking: TrackingConfig | None = None) -> Iterator[MlflowClient]:
    """MLflow's fluent API (``start_run``, ``log_model``) reads a process-global URI; set it to the
    configured store for the block and restore the previous URI (and env vars) afterwards."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    cfg = tracking or TrackingConfig()
    uri = cfg.resolved_uri()
    prev_tracking = tracking_utils._tracking_uri
    prev_registry = registry_utils._registry_uri
    with _restored_env("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"), quiet_downloads():
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        try:
            yield MlflowClient(tracking_uri=uri, registry_uri=uri)
        finally:
            mlflow.set_tracking_uri(prev_tracking)  # type: ignore[arg-type]  # None = unset
            registry_utils._registry_uri = prev_registry


@contextmanager
def _restored_env(*names: str) -> Iterator[None]:
    prev = {k: os.environ.get(k) for k in names}
    try:
        yield
    finally:
        for k, v in prev.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def quiet_downloads() -> Iterator[None]:
    """No tqdm bar per artifact download (MLflow reads this variable at download time)."""
    with _restored_env("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        yield


def client_for(tracking: TrackingConfig | None = None) -> MlflowClient:
    """A client bound to the configured store (no global state touched)."""
    uri = (tracking or TrackingConfig()).resolved_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(client: MlflowClient, tracking: TrackingConfig) -> str:
    """The experiment's id; created with artifacts under ``mlruns/`` next to a sqlite store."""
    exp = client.get_experiment_by_name(tracking.experiment)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            logger.warning("experiment %r was deleted; restoring it", tracking.experiment)
            client.restore_experiment(exp.experiment_id)
        return str(exp.experiment_id)
    try:
        return str(
            client.create_experiment(
                tracking.experiment, artifact_location=tracking.resolved_artifact_location()
            )
        )
    except MlflowException:  # created concurrently by another process
        exp = client.get_experiment_by_name(tracking.experiment)
        if exp is None:
            raise
        return str(exp.experiment_id)


def check_reachable(tracking: TrackingConfig, timeout: float = 3.0) -> None:
    """Fail fast instead of creating an empty sqlite file or retrying an absent server for minutes."""
    uri = tracking.resolved_uri()
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        if not db.exists():
            raise ModelResolutionError(
                f"no MLflow store at {db} (train a model first, or set MLFLOW_TRACKING_URI)"
            )
    elif uri.startswith(("http://", "https://")):
        import httpx

        try:
            httpx.get(uri.rstrip("/") + "/health", timeout=timeout).raise_for_status()
        except httpx.HTTPError as e:
            raise ModelResolutionError(f"MLflow server {uri} is unreachable: {e}") from e


# --------------------------------------------------------------------------- names and batches
def _leaves(
    d: Mapping[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(key path, value) of every non-mapping value of a nested mapping, depth first."""
    for k, v in d.items():
        if isinstance(v, Mapping):
            yield from _leaves(v, (*path, str(k)))
        else:
            yield (*path, str(k)), v


def flatten(d: Mapping[str, Any]) -> dict[str, str]:
    """Nested config -> ``{"ranker.num_leaves": "31"}``; lists as JSON, None as "null"."""
    return {
        ".".join(path): json.dumps(v) if isinstance(v, list | tuple) or v is None else str(v)
        for path, v in _leaves(d)
    }


def metric_key(*parts: str) -> str:
    """An MLflow metric name from its parts (names cannot contain '@' or spaces):
    ``metric_key("logged", "model", "ndcg@10") == "logged.model.ndcg_at_10"``."""
    return ".".join(p.replace("@", "_at_").replace(" ", "_") for p in parts)


def flat_metrics(nested: Mapping[str, Any]) -> dict[str, float]:
    """Nested metrics (``{view: {system: {metric: value}}}``, any depth; an already flat dict
    passes through) -> metric names (``logged.model.ndcg_at_10``). MLflow runs, exported models
    and ``GET /model`` all use these names. Missing and non-finite values are dropped (MLflow
    cannot store them); non-numeric leaves are ignored."""
    out = {}
    for path, v in _leaves(nested):
        if (
            isinstance(v, int | float | np.number)
            and not isinstance(v, bool | np.bool_)
            and np.isfinite(v)
        ):
            out[metric_key(*path)] = float(v)
    return out


def log_batch(
    client: MlflowClient,
    run_id: str,
    metrics: list[Metric] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    ps = [Param(k, v[:6000]) for k, v in (params or {}).items()]
    ts = [RunTag(k, str(v)[:5000]) for k, v in (tags or {}).items()]
    ms = metrics or []
    for i in range(0, len(ps), 100):
        client.log_batch(run_id, params=ps[i : i + 100])
    if ts:
        client.log_batch(run_id, tags=ts)
    for i in range(0, len(ms), _BATCH):
        client.log_batch(run_id, metrics=ms[i : i + _BATCH])


def as_metrics(values: Mapping[str, float], step: int = 0) -> list[Metric]:
    ts = int(pd.Timestamp.now("UTC").timestamp() * 1000)
    return [
        Metric(k, float(v), ts, step) for k, v in values.items() if v is not None and np.isfinite(v)
    ]


def curve_metrics(
    curve: Mapping[str, Mapping[str, list[float]]], prefix: str = "ranker"
) -> list[Metric]:
    """LightGBM ``evals_result_`` -> one metric per iteration (step = iteration)."""
    ts = int(pd.Timestamp.now("UTC").timestamp() * 1000)
    out: list[Metric] = []
    for dataset, series in curve.items():
        for name, values in series.items():
            key = metric_key(prefix, dataset, name)
            out.extend(Metric(key, float(v), ts, i) for i, v in enumerate(values) if np.isfinite(v))
    return out
