"""The model registry, read side: find a version (alias, number, URI), download its pipeline,
load it as a ``LoadedModel``, resolve a reference for serving (with the exported fallback),
export a self-contained copy.

Nothing here changes MLflow's global state: clients are bound to the configured store, and
downloads go to temporary folders (the pipeline is read fully into memory by ``load``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from matcher.config import TrackingConfig
from matcher.lifecycle.loaded import LoadedModel, describe
from matcher.lifecycle.store import (
    CHAMPION,
    MODEL_INFO,
    ModelResolutionError,
    check_reachable,
    client_for,
    flat_metrics,
    quiet_downloads,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- lookups
def get_alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def version_for(
    client: MlflowClient, name: str, alias: str | None = None, version: str | int | None = None
) -> ModelVersion:
    if version is not None:
        try:
            return client.get_model_version(name, str(version))
        except MlflowException as e:
            raise ModelResolutionError(f"model {name!r} has no version {version}") from e
    mv = get_alias_version(client, name, alias or CHAMPION)
    if mv is None:
        raise ModelResolutionError(
            f"model {name!r} has no alias {alias or CHAMPION!r} (train, then `matcher promote`)"
        )
    return mv


def download_pipeline(
    mv: ModelVersion, dst: str | Path, tracking: TrackingConfig | None = None
) -> Path:
    """Download a registered version's model and return its pipeline artifact folder, complete
    (a catalogue the version references is fetched, ``catalogue_store.materialize``)."""
    from mlflow.models import Model

    uri = (tracking or TrackingConfig()).resolved_uri()
    with quiet_downloads():
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{mv.name}/{mv.version}",
                dst_path=str(dst),
                tracking_uri=uri,
                registry_uri=uri,
            )
        )
    spec = Model.load(str(local)).flavors["python_function"].get("artifacts", {}).get("pipeline")
    if not spec:
        raise ModelResolutionError(f"{mv.name} version {mv.version} has no pipeline artifact")
    from matcher.lifecycle.catalogue_store import materialize

    return materialize(local / spec["path"])  # a referenced catalogue is fetched into the folder


def load_registered(
    mv: ModelVersion,
    tracking: TrackingConfig | None = None,
    alias: str | None = None,
    ref: str | None = None,
) -> LoadedModel:
    """A registered version, read fully into memory (the download folder is removed)."""
    from matcher.ranking.pipeline import MatchPipeline

    with tempfile.TemporaryDirectory(prefix="matcher-model-") as tmp:
        pipe = MatchPipeline.load(download_pipeline(mv, tmp, tracking))
    return LoadedModel(
        pipe,
        describe(
            pipe,
            ref=ref,
            source=f"models:/{mv.name}/{mv.version}",
            name=mv.name,
            version=str(mv.version),
            alias=alias,
            run_id=mv.run_id,
        ),
    )


def load_directory(
    path: str | Path, ref: str | None = None, fallback_reason: str | None = None
) -> LoadedModel:
    """A saved pipeline folder; an exported one carries MODEL_INFO.json (name, version, ...)."""
    from matcher.ranking.pipeline import MatchPipeline

    path = Path(path)
    pipe = MatchPipeline.load(path)
    meta = json.loads((path / MODEL_INFO).read_text()) if (path / MODEL_INFO).exists() else {}
    return LoadedModel(
        pipe,
        describe(
            pipe,
            ref=ref,
            source=str(path),
            name=meta.get("name"),
            version=meta.get("version"),
            alias=meta.get("alias"),
            run_id=meta.get("run_id"),
            metrics=meta.get("metrics"),
            fallback_reason=fallback_reason,
        ),
    )


@dataclass
class ModelRef:
    alias: str | None = None
    version: str | None = None
    directory: Path | None = None
    name: str | None = None


def parse_ref(ref: str | None, default_name: str) -> ModelRef:
    """None/"champion"/"challenger" (alias), "models:/name@alias", "models:/name/3", "3", or a folder."""
    if ref is None or not str(ref).strip():
        return ModelRef(alias=CHAMPION, name=default_name)
    ref = str(ref).strip()
    if ref.startswith("models:/"):
        body = ref[len("models:/") :].strip("/")
        if "@" in body:
            name, alias = body.split("@", 1)
            return ModelRef(alias=alias, name=name)
        if "/" in body:
            name, version = body.rsplit("/", 1)
            if version.isdigit():
                return ModelRef(version=version, name=name)
        raise ModelResolutionError(
            f"cannot parse model URI {ref!r}; use models:/name@alias or models:/name/<version>"
        )
    if ref.isdigit():
        return ModelRef(version=ref, name=default_name)
    p = Path(ref)
    if p.exists() or os.sep in ref or ref.startswith("."):
        return ModelRef(directory=p)
    return ModelRef(alias=ref, name=default_name)


def resolve_pipeline(
    ref: str | None = None,
    tracking: TrackingConfig | None = None,
    fallback_dir: str | Path | None = "models/champion",
) -> LoadedModel:
    """The model a serving process should load, and what it is. Resolved once at start-up; when
    the store is unreachable or the reference does not resolve, falls back to an exported copy in
    ``fallback_dir`` (``info.fallback_reason`` then says why)."""
    cfg = tracking or TrackingConfig()
    try:
        r = parse_ref(ref, cfg.model_name)
        if r.directory is not None:
            return load_directory(r.directory, ref=ref)
        check_reachable(cfg)
        client = client_for(cfg)
        mv = version_for(client, r.name or cfg.model_name, r.alias, r.version)
        return load_registered(mv, cfg, alias=r.alias, ref=ref)
    except Exception as e:  # noqa: BLE001  (MLflow, network, sqlite and file errors alike)
        fb = Path(fallback_dir) if fallback_dir else None
        if fb is not None and (fb / "pipeline.json").exists():
            logger.warning(
                "cannot resolve model %r from %s (%s); loading the exported model in %s",
                ref,
                cfg.resolved_uri(),
                e,
                fb,
            )
            return load_directory(fb, ref=ref, fallback_reason=str(e))
        hint = f"; no exported model in {fb} either (run `matcher export`)" if fb else ""
        raise ModelResolutionError(f"cannot resolve model {ref or CHAMPION!r}: {e}{hint}") from e


# --------------------------------------------------------------------------- export
def export_model(
    out_dir: str | Path = "models",
    alias: str | None = CHAMPION,
    version: str | int | None = None,
    tracking: TrackingConfig | None = None,
) -> Path:
    """Copy a registered version's pipeline to ``<out_dir>/<alias or vN>/`` with MODEL_INFO.json,
    loadable by ``MatchPipeline.load`` / ``resolve_pipeline`` with no MLflow server. The folder
    is replaced atomically (a reader never sees half a model)."""
    cfg = tracking or TrackingConfig()
    check_reachable(cfg)
    client = client_for(cfg)
    mv = version_for(client, cfg.model_name, alias if version is None else None, version)
    out_dir = Path(out_dir)
    dest = out_dir / (alias if version is None and alias else f"v{mv.version}")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=out_dir))
    try:
        with tempfile.TemporaryDirectory(prefix="matcher-export-") as tmp:
            shutil.copytree(download_pipeline(mv, tmp, cfg), staging, dirs_exist_ok=True)
        run = client.get_run(mv.run_id) if mv.run_id else None
        from matcher.ranking.pipeline import MatchPipeline

        meta = json.loads((staging / "pipeline.json").read_text()).get("metadata", {})
        info = {
            "name": mv.name,
            "version": str(mv.version),
            "alias": alias if version is None else None,
            "aliases": list(getattr(mv, "aliases", []) or []),
            "run_id": mv.run_id,
            "model_uri": f"models:/{mv.name}/{mv.version}",
            "tracking_uri": cfg.resolved_uri(),
            "trained_at": meta.get("trained_at"),
            "exported_at": pd.Timestamp.now("UTC").isoformat(),
            "metrics": flat_metrics(meta.get("test_metrics") or {}),
            "data_sha256": (run.data.tags.get("data_sha256") if run else None),
            "git_commit": (run.data.tags.get("git_commit") if run else None),
        }
        (staging / MODEL_INFO).write_text(json.dumps(info, indent=2))
        MatchPipeline.load(staging)  # refuse to publish something that does not load
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}-old-{os.getpid()}")
            dest.rename(old)
        staging.rename(dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("exported %s version %s to %s", mv.name, mv.version, dest)
    return dest
