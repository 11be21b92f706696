"""Hyper-parameter search (optuna TPE) over the ranker and the engagement weight.

Cheap by construction: one ``fit_pipeline`` builds the catalogue (embeddings), featurizer,
cost and engagement models; the training and validation feature matrices are built once with
``trainer.build_training_set`` (same rows and negatives as training: same seed). Each trial
then refits only the LightGBM ranker and scores the VALIDATION briefs; the test briefs are
never read. Each trial is a nested MLflow run under one ``tune`` run; the best parameters are
written back as a training config (YAML) that ``matcher train --config`` takes.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from matcher.config import TrackingConfig, TrainConfig

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path("training/configs/tuned.yaml")
RANKER_PARAMS: tuple[str, ...] = (
    "num_leaves",
    "learning_rate",
    "min_child_samples",
    "n_estimators",
    "colsample_bytree",
)
SCORING_PARAMS: tuple[str, ...] = ("engagement_weight",)


def suggest(trial: Any) -> dict[str, Any]:
    """The search space (early stopping on the validation briefs trims ``n_estimators``)."""
    return {
        "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
        "n_estimators": trial.suggest_int("n_estimators", 50, 600, step=50),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "engagement_weight": trial.suggest_float("engagement_weight", 0.0, 1.0),
    }


def current_params(cfg: TrainConfig) -> dict[str, Any]:
    return {
        **{k: getattr(cfg.ranker, k) for k in RANKER_PARAMS},
        **{k: getattr(cfg.scoring, k) for k in SCORING_PARAMS},
    }


def apply_params(cfg: TrainConfig, params: dict[str, Any]) -> TrainConfig:
    unknown = set(params) - set(RANKER_PARAMS) - set(SCORING_PARAMS)
    if unknown:
        raise ValueError(f"unknown tuning parameter(s) {sorted(unknown)}")
    data = cfg.model_dump()
    data["ranker"].update({k: v for k, v in params.items() if k in RANKER_PARAMS})
    data["scoring"].update({k: v for k, v in params.items() if k in SCORING_PARAMS})
    return TrainConfig.model_validate(data)


@dataclass
class TuneContext:
    """What every trial shares: the fitted pipeline (all but the ranker), feature matrices, split."""

    pipeline: Any
    train: Any
    valid: Any
    tables: Any
    split: Any


@dataclass
class TuneResult:
    best_params: dict[str, Any]
    best_value: float
    metric: str
    config: TrainConfig
    config_path: Path
    trials: pd.DataFrame = field(default_factory=pd.DataFrame)
    run_id: str | None = None


def prepare(
    cfg: TrainConfig, tables: Any, encoder: Any = None, progress: bool = False
) -> TuneContext:
    from matcher.data.labels import time_split
    from matcher.training.trainer import fit_pipeline, training_sets

    split = time_split(tables.briefs, cfg.split)
    pipe, _ = fit_pipeline(tables, cfg, encoder=encoder, split=split, progress=progress)
    train, valid = training_sets(pipe, tables, split, cfg)  # the same seeded draws as fit_pipeline
    if len(valid.group) == 0:
        raise ValueError("no validation brief has outcomes: nothing to tune on")
    return TuneContext(pipe, train, valid, tables, split)


def score_params(
    ctx: TuneContext, cfg: TrainConfig, metric: str = "ndcg@10"
) -> tuple[float, dict[str, float]]:
    """Refit the ranker with ``cfg``; return the validation ``metric`` (logged view) and all the
    validation metrics plus the ranker's best iteration."""
    from matcher.evaluation.offline import evaluate
    from matcher.training.small_data import make_ranker

    names = ctx.pipeline.feature_names
    t, v = ctx.train, ctx.valid
    # the trainer's ranker for this many briefs (small-data capacity, smoothed number of trees)
    ranker = make_ranker(cfg, len(t.group) + len(v.group)).fit(
        t.X, t.y, t.group, names, v.X, v.y, v.group
    )
    pipe = copy.copy(ctx.pipeline)  # shares catalogue and models; only ranker and scoring differ
    pipe.ranker = ranker
    pipe.config = cfg
    res = evaluate(
        pipe,
        ctx.tables,
        ctx.split.valid,
        truth=None,
        views=("logged",),
        seed=cfg.seed,
        progress=False,
        segments=False,
    )
    s = res.summary
    s = s[(s["view"] == "logged") & (s["system"] == "model")]
    found = dict(zip(s["metric"], s["value"].astype(float), strict=True))
    value = found.get(metric, math.nan)
    extras = {k: v for k, v in found.items() if math.isfinite(v)}
    extras["best_iteration"] = float(ranker.booster_.num_trees())
    return value, extras


def write_config(cfg: TrainConfig, path: str | Path, header: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(cfg.model_dump(), sort_keys=False)
    path.write_text("".join(f"# {line}\n" for line in header.splitlines()) + body)
    return path


def tune(
    cfg: TrainConfig,
    n_trials: int = 20,
    out_path: str | Path = DEFAULT_OUT,
    tracking: TrackingConfig | None = None,
    track: bool = True,
    encoder: Any = None,
    progress: bool = False,
    metric: str = "ndcg@10",
    timeout: float | None = None,
    tables: Any = None,
) -> TuneResult:
    """Search ranker params + engagement weight on the validation briefs; the first trial is
    the given config, so the result is never worse than it on validation."""
    import optuna

    from matcher.data.io import load_market
    from matcher.lifecycle.runs import data_fingerprint
    from matcher.lifecycle.store import (
        KIND_TAG,
        as_metrics,
        client_for,
        ensure_experiment,
        flatten,
        log_batch,
        metric_key,
    )

    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    tables = tables if tables is not None else load_market(cfg.data_dir)
    ctx = prepare(cfg, tables, encoder, progress)
    mkey = f"valid.{metric_key('logged', 'model', metric)}"
    client: MlflowClient | None = None
    parent: str | None = None
    if track:
        tcfg = tracking or TrackingConfig()
        client = client_for(tcfg)
        exp_id = ensure_experiment(client, tcfg)
        parent = client.create_run(
            exp_id,
            run_name=f"tune {n_trials} trials",
            tags={
                KIND_TAG: "tune",
                "data_sha256": data_fingerprint(tables)["sha256"],
                "data_dir": str(cfg.data_dir),
            },
        ).info.run_id
        log_batch(
            client,
            parent,
            params={
                **flatten(cfg.model_dump()),
                "tune.n_trials": str(n_trials),
                "tune.metric": metric,
            },
        )

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial)
        trial_cfg = apply_params(cfg, params)
        run_id = None
        if client is not None:
            run_id = client.create_run(
                exp_id,
                run_name=f"trial {trial.number}",
                tags={KIND_TAG: "tune-trial", "mlflow.parentRunId": parent},
            ).info.run_id
            log_batch(client, run_id, params={k: str(v) for k, v in params.items()})
        try:
            value, extras = score_params(ctx, trial_cfg, metric)
        except BaseException:
            if client is not None and run_id:
                client.set_terminated(run_id, "FAILED")
            raise
        if client is not None and run_id:
            logged = {
                (
                    f"valid.{metric_key('logged', 'model', k)}"
                    if k != "best_iteration"
                    else "ranker.best_iteration"
                ): x
                for k, x in extras.items()
            }
            log_batch(client, run_id, metrics=as_metrics(logged))
            client.set_terminated(run_id, "FINISHED")
        logger.info("trial %d: %s = %.4f %s", trial.number, metric, value, params)
        return value if math.isfinite(value) else -1.0

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg.seed)
    )
    study.enqueue_trial(current_params(cfg))
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout)
    except BaseException:
        if client is not None and parent is not None:
            client.set_terminated(parent, "FAILED")
        raise
    best = dict(study.best_params)
    best_cfg = apply_params(cfg, best)
    header = (
        f"Tuned by `matcher tune` ({len(study.trials)} trials, optuna TPE seed {cfg.seed}) on "
        f"{cfg.data_dir}\nvalidation {metric} = {study.best_value:.4f} (first trial = the base "
        f"config: {study.trials[0].value:.4f})" + (f"\nMLflow run {parent}" if parent else "")
    )
    path = write_config(best_cfg, out_path, header)
    trials = study.trials_dataframe(attrs=("number", "value", "params", "state"))
    if client is not None and parent is not None:
        log_batch(
            client,
            parent,
            metrics=as_metrics(
                {
                    f"best.{mkey}": study.best_value,
                    f"base.{mkey}": study.trials[0].value or math.nan,
                }
            ),
            params={f"best.{k}": str(v) for k, v in best.items()},
        )
        client.log_artifact(parent, str(path))
        client.log_text(parent, trials.to_csv(index=False), "trials.csv")
        client.set_terminated(parent, "FINISHED")
    logger.info("best %s = %.4f with %s; wrote %s", metric, study.best_value, best, path)
    return TuneResult(best, float(study.best_value), metric, best_cfg, path, trials, parent)
