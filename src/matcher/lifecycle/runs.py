"""Training runs in MLflow: what a run records about its data and code (fingerprints, git
commit), logging a finished training (params, metrics, curves, plots, and the pipeline as ONE
pyfunc model via ``matcher.lifecycle.model_logging``), registering it as ``challenger``, and
listing runs. Where runs live and the names they use are ``matcher.lifecycle.store``.

Registry discipline: a successful training registers a new version and moves ``challenger``
only; ``champion`` moves in ``matcher.lifecycle.promotion`` after the metric gate. Reading the
registry (resolve a reference for serving, export) is ``matcher.lifecycle.registry``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import numpy as np
import pandas as pd

from matcher import schemas as S
from matcher.config import TrackingConfig
from matcher.lifecycle.datasets import log_market_inputs
from matcher.lifecycle.descriptions import describe_version
from matcher.lifecycle.model_logging import library_versions, log_pipeline_model
from matcher.lifecycle.store import (
    CHALLENGER,
    KIND_TAG,
    as_metrics,
    check_reachable,
    client_for,
    curve_metrics,
    ensure_experiment,
    flat_metrics,
    flatten,
    log_batch,
    metric_key,
    using_tracking,
)

if TYPE_CHECKING:
    from matcher.data.io import MarketTables
    from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- run facts
def table_fingerprint(df: pd.DataFrame) -> dict[str, Any]:
    """sha256 of a table's columns and values (row order matters), and its row count."""
    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    try:
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists): fall back to the CSV text
        h.update(df.to_csv(index=False).encode())
    return {"sha256": h.hexdigest(), "rows": len(df)}


def data_fingerprint(tables: MarketTables) -> dict[str, Any]:
    """Per-table fingerprints plus one combined sha256 for the whole market."""
    out: dict[str, Any] = {}
    combined = hashlib.sha256()
    for name in ("influencers", "posts", "briefs", "outcomes"):
        fp = table_fingerprint(getattr(tables, name))
        out[name] = fp
        combined.update(f"{name}:{fp['sha256']}".encode())
    out["sha256"] = combined.hexdigest()
    return out


def git_commit(path: str | Path | None = None) -> str:
    """The commit of the matcher source tree (``-dirty`` when it has local changes), else "unknown"."""
    where = Path(path) if path else Path(__file__).parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head or "unknown"


# --------------------------------------------------------------------------- logging a training run
def engagement_calibration(
    pipe: MatchPipeline, tables: MarketTables, brief_ids: list[str]
) -> pd.DataFrame:
    """Predicted vs observed engagement rate of the accepted campaigns of ``brief_ids``."""
    from matcher.data.briefs import brief_from_row

    o = tables.outcomes
    eng = pd.to_numeric(o[S.POST_ENGAGEMENTS], errors="coerce")
    ok = (
        o[S.BRIEF_ID].astype(str).isin(brief_ids)
        & o[S.ACCEPTED].astype(bool)
        & eng.notna()
        & o[S.INFLUENCER_ID].astype(str).isin(pipe.catalogue.index)
    )
    o, eng = o[ok], eng[ok]
    briefs = tables.briefs.set_index(tables.briefs[S.BRIEF_ID].astype(str), drop=False)
    frames = []
    for bid, g in o.groupby(o[S.BRIEF_ID].astype(str), sort=False):
        ids = g[S.INFLUENCER_ID].astype(str).tolist()
        s = pipe.score_pairs(brief_from_row(briefs.loc[bid]), ids)
        followers = np.maximum(pipe.catalogue.followers[s.rows], 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "brief_id": bid,
                    "influencer_id": ids,
                    "predicted": s.er,
                    "low": s.er_low,
                    "high": s.er_high,
                    "observed": eng.loc[g.index].to_numpy(float) / followers,
                }
            )
        )
    cols = ["brief_id", "influencer_id", "predicted", "low", "high", "observed"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _plots(result: Any, out: Path) -> dict[str, float]:
    """Feature importance and engagement calibration plots; returns calibration metrics.
    A failing plot is logged, not raised: it must not cost a trained model its registration."""
    from matcher.evaluation.plots import plot_calibration, plot_feature_importance

    pipe = result.pipeline
    metrics: dict[str, float] = {}
    try:
        imp = pipe.ranker.feature_importance()
        (out / "feature_importance.json").write_text(json.dumps(imp, indent=2))
        plot_feature_importance(list(imp), list(imp.values()), out / "feature_importance.png")
    except Exception:  # noqa: BLE001
        logger.exception("feature importance plot failed")
    try:
        cal = engagement_calibration(pipe, result.tables, list(result.report.split.test))
        if len(cal):
            cal.to_csv(out / "engagement_calibration.csv", index=False)
            plot_calibration(cal["predicted"], cal["observed"], out / "engagement_calibration.png")
            lp = np.log(np.maximum(cal["predicted"].to_numpy(float), 1e-6))
            lo = np.log(np.maximum(cal["observed"].to_numpy(float), 1e-6))
            metrics = {
                "engagement.test.n": float(len(cal)),
                "engagement.test.mean_predicted_er": float(cal["predicted"].mean()),
                "engagement.test.mean_observed_er": float(cal["observed"].mean()),
                "engagement.test.log_mae": float(np.mean(np.abs(lp - lo))),
                "engagement.test.interval_coverage": float(
                    np.mean((cal["observed"] >= cal["low"]) & (cal["observed"] <= cal["high"]))
                ),
            }
    except Exception:  # noqa: BLE001
        logger.exception("engagement calibration plot failed")
    return metrics


def log_training_run(
    result: Any, register: bool = True, tracking: TrackingConfig | None = None
) -> tuple[str, str | None]:
    """Log a finished training (``matcher.training.run.TrainResult``) as one run and, when ``register``,
    a new version of the registered model with alias ``challenger``. Registration is the very
    last step, after the run ended successfully; ``champion`` is never touched here.
    Returns (run_id, version or None)."""
    cfg = tracking or TrackingConfig()
    pipe = result.pipeline
    fp = data_fingerprint(result.tables)
    commit = git_commit()
    params = flatten(result.config.model_dump())
    params.update(
        {
            f"data.{t}.{k}": str(v)
            for t in ("influencers", "posts", "briefs", "outcomes")
            for k, v in fp[t].items()
        }
    )
    params["data.sha256"] = fp["sha256"]
    params.update({f"lib.{k}": v for k, v in library_versions().items()})
    params["encoder"] = pipe.encoder.name
    tags = {
        KIND_TAG: "train",
        "git_commit": commit,
        "mlflow.source.git.commit": commit,
        "data_sha256": fp["sha256"],
        "data_dir": str(result.config.data_dir),
    }
    metrics = flat_metrics(result.evaluation.metrics())
    stats = {
        f"data.{k}": float(v) for k, v in result.data_stats.items() if isinstance(v, int | float)
    }
    stats.update(
        {
            "data.n_train_rows": result.report.n_train_rows,
            "data.n_valid_rows": result.report.n_valid_rows,
            "data.n_engagement_rows": result.report.n_engagement_rows,
            "data.n_train_briefs": pipe.metadata.get("n_train_briefs", np.nan),
            "data.n_valid_briefs": pipe.metadata.get("n_valid_briefs", np.nan),
            "data.n_test_briefs": len(result.report.split.test),
        }
    )
    stats.update({f"time.{k}_s": v for k, v in result.report.seconds.items()})
    test_ids = list(result.report.split.test)
    example_brief = None
    if test_ids:
        from matcher.data.briefs import brief_from_row

        b = result.tables.briefs
        example_brief = brief_from_row(b[b[S.BRIEF_ID].astype(str) == test_ids[0]].iloc[0])

    with using_tracking(cfg) as client:
        exp_id = ensure_experiment(client, cfg)
        run_name = (
            f"train seed={result.config.seed} {pd.Timestamp.now().strftime('%Y-%m-%d %H:%M')}"
        )
        with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as run:
            run_id = run.info.run_id
            log_batch(
                client,
                run_id,
                params=params,
                tags=tags,
                metrics=as_metrics({**metrics, **stats})
                + curve_metrics(result.report.ranker_curve),
            )
            log_market_inputs(
                result.tables, result.config.data_dir, result.report.split, fp
            )  # Datasets tab
            client.log_dict(run_id, result.config.model_dump(), "config.yaml")
            client.log_dict(run_id, {"features": pipe.feature_names}, "features.json")
            client.log_dict(
                run_id,
                {**fp, "git_commit": commit, "libraries": library_versions()},
                "fingerprint.json",
            )
            eval_dir = Path(result.model_dir) / "evaluation"
            if eval_dir.is_dir():
                client.log_artifacts(run_id, str(eval_dir), "evaluation")
            with tempfile.TemporaryDirectory() as tmp:
                cal_metrics = _plots(result, Path(tmp))
                client.log_artifacts(run_id, tmp, "plots")
            if cal_metrics:
                log_batch(client, run_id, metrics=as_metrics(cal_metrics))
            cat_ref = shared_catalogue(client, exp_id, Path(result.model_dir))
            if cat_ref is not None:
                log_batch(
                    client,
                    run_id,
                    tags={
                        "catalogue_sha256": cat_ref["sha256"],
                        "catalogue_run_id": cat_ref["run_id"],
                    },
                )
            info = log_pipeline_model(
                pipe, Path(result.model_dir), example_brief, catalogue_ref=cat_ref
            )
        version = None
        if register:
            mv = mlflow.register_model(
                info.model_uri,
                cfg.model_name,
                tags={
                    "data_sha256": fp["sha256"],
                    "git_commit": commit,
                    "primary_metric": metric_key(cfg.gate.view, "model", cfg.gate.metric),
                    "primary_value": str(
                        metrics.get(metric_key(cfg.gate.view, "model", cfg.gate.metric))
                    ),
                },
            )
            version = str(mv.version)
            client.set_registered_model_alias(cfg.model_name, CHALLENGER, version)
            client.set_tag(run_id, "registered_version", version)
            try:  # the version is registered either way; a missing description is only logged
                describe_version(
                    client,
                    cfg.model_name,
                    version,
                    fingerprint=fp,
                    metrics=result.evaluation.metrics(),
                    params=params,
                    git_commit=commit,
                    catalogue_sha256=cat_ref["sha256"] if cat_ref else None,
                )
            except Exception:  # noqa: BLE001
                logger.exception(
                    "could not set the description of %s version %s", cfg.model_name, version
                )
            logger.info(
                "registered %s version %s (alias %s), run %s",
                cfg.model_name,
                version,
                CHALLENGER,
                run_id,
            )
    return run_id, version


def shared_catalogue(client: Any, experiment_id: str, model_dir: Path) -> dict[str, Any] | None:
    """The catalogue reference (stored once per content hash, ``catalogue_store``), or None for a
    folder without a manifest (saved by an older matcher): its catalogue is then copied as before."""
    from matcher.lifecycle.catalogue_store import store_catalogue

    if not (model_dir / "manifest.json").is_file():
        logger.warning("%s has no manifest.json: its catalogue is copied into the model", model_dir)
        return None
    return store_catalogue(client, experiment_id, model_dir)


# --------------------------------------------------------------------------- listing runs
RUN_COLUMNS: tuple[str, ...] = (
    "logged.model.ndcg_at_10",
    "logged.cosine.ndcg_at_10",
    "logged.model.mrr",
    "catalogue.model.ndcg_at_10",
)


def list_runs(
    n: int = 10, kind: str | None = None, tracking: TrackingConfig | None = None
) -> pd.DataFrame:
    """Recent runs of the experiment, newest first, with key metrics (tuning trials and catalogue
    runs hidden unless ``kind="tune-trial"`` / ``"catalogue"``)."""
    cfg = tracking or TrackingConfig()
    check_reachable(cfg)
    client = client_for(cfg)
    exp = client.get_experiment_by_name(cfg.experiment)
    cols = [
        "run_id",
        "started",
        "name",
        "kind",
        "status",
        "version",
        "seed",
        "decision",
        *RUN_COLUMNS,
        "data_sha256",
        "git_commit",
    ]
    if exp is None:
        return pd.DataFrame(columns=cols)
    filt = (
        f"tags.`{KIND_TAG}` = '{kind}'"
        if kind
        else f"tags.`{KIND_TAG}` != 'tune-trial' AND tags.`{KIND_TAG}` != 'catalogue'"
    )
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string=filt,
        max_results=n,
        order_by=["attributes.start_time DESC"],
    )
    rows = []
    for r in runs:
        t, m, p = r.data.tags, r.data.metrics, r.data.params
        rows.append(
            {
                "run_id": r.info.run_id,
                "started": datetime.fromtimestamp(r.info.start_time / 1000),  # local time
                "name": r.info.run_name,
                "kind": t.get(KIND_TAG),
                "status": r.info.status,
                "version": t.get("registered_version") or t.get("challenger_version"),
                "seed": p.get("seed"),
                "decision": t.get("decision"),
                **{c: m.get(c) for c in RUN_COLUMNS},
                "data_sha256": (t.get("data_sha256") or "")[:12] or None,
                "git_commit": (t.get("git_commit") or "")[:12] or None,
            }
        )
    return pd.DataFrame(rows, columns=cols)
