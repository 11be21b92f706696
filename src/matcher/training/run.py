"""Retraining pipeline: load + validate -> split by time -> embed (cached) -> features -> fit
-> evaluate (every view with baselines, oracle and segments; the catalogue and profile-only
views when the market's truth is there) -> save -> log to MLflow -> register (alias ``challenger``).

Called by ``matcher train`` and by the thin root entry point ``python -m training.train``.
Feedback from the service's request log is merged by the caller (``matcher.online.to_training``
sits above training) and handed in as ``tables``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.config import TrainConfig
from matcher.data.io import MarketTables, load_market
from matcher.data.labels import Split, time_split
from matcher.evaluation.offline import EvaluationResult, evaluate
from matcher.evaluation.plots import plot_system_comparison
from matcher.lifecycle.runs import log_training_run
from matcher.ranking.pipeline import MatchPipeline
from matcher.simulator.truth import load_truth
from matcher.training.trainer import TrainReport, fit_pipeline

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    config: TrainConfig
    pipeline: MatchPipeline
    report: TrainReport
    evaluation: EvaluationResult
    model_dir: Path
    tables: MarketTables
    data_stats: dict[str, Any]
    run_id: str | None = None
    version: str | None = None


def build_config(
    path: Path | str | None = None,
    overrides: list[str] | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    seed: int | None = None,
) -> TrainConfig:
    """A YAML config (or the defaults, which ``training/configs/default.yaml`` spells out) with
    ``--set`` overrides and the command line's data, output and seed."""
    cfg = (
        TrainConfig.from_yaml(path, overrides or [])
        if path
        else TrainConfig().with_overrides(overrides or [])
    )
    upd: dict[str, Any] = {}
    if data_dir is not None:
        upd["data_dir"] = str(data_dir)
    if out_dir is not None:
        upd["out_dir"] = str(out_dir)
    if seed is not None:
        upd["seed"] = seed
    return cfg.model_copy(update=upd) if upd else cfg


def evaluate_pipeline(
    pipe: MatchPipeline,
    tables: MarketTables,
    split: Split,
    data_dir: Path | str,
    seed: int,
    progress: bool,
) -> EvaluationResult:
    return evaluate(
        pipe, tables, split.test, truth=load_truth(data_dir), seed=seed, progress=progress
    )


def save_evaluation(result: EvaluationResult, out: Path) -> list[Path]:
    """Evaluation tables (CSV; JSON in the ``evaluate --json`` layout) and the comparison plot;
    returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = [
        out / "evaluation_summary.csv",
        out / "evaluation_per_brief.csv",
        out / "evaluation_segments.csv",
        out / "metrics.json",
    ]
    result.summary.to_csv(files[0], index=False)
    result.per_query.to_csv(files[1], index=False)
    result.segments.to_csv(files[2], index=False)
    files[3].write_text(
        json.dumps({"metrics": result.metrics(), "segments": result.segment_metrics()}, indent=2)
    )
    files.append(plot_system_comparison(result.summary, out / "ndcg10_by_system.png"))
    return files


def run(
    cfg: TrainConfig,
    track: bool = True,
    register: bool = True,
    progress: bool = True,
    encoder: Any = None,
    tables: MarketTables | None = None,
    data_stats: dict[str, Any] | None = None,
) -> TrainResult:
    """Train, evaluate, save and (with ``track``) log and register. ``tables`` default to
    ``cfg.data_dir`` loaded and validated; ``data_stats`` are logged with the run."""
    if tables is None:
        tables = load_market(cfg.data_dir)
    data_stats = data_stats or {"n_outcomes_base": len(tables.outcomes), "n_outcomes_new": 0}
    split = time_split(tables.briefs, cfg.split)
    pipe, report = fit_pipeline(
        tables,
        cfg,
        encoder=encoder,
        split=split,
        progress=progress,
        metadata={"data_dir": str(cfg.data_dir)},
    )
    result = evaluate_pipeline(pipe, tables, split, cfg.data_dir, cfg.seed, progress)
    pipe.metadata["test_metrics"] = result.metrics()
    pipe.metadata["test_brief_ids"] = split.test
    model_dir = pipe.save(cfg.out_dir)
    save_evaluation(result, model_dir / "evaluation")
    out = TrainResult(cfg, pipe, report, result, model_dir, tables, data_stats)
    if track:
        out.run_id, out.version = log_training_run(out, register=register)
    return out


def evaluate_saved(
    data_dir: Path | str, model_dir: Path | str, progress: bool = True, seed: int = 0
) -> EvaluationResult:
    """Evaluate a saved pipeline on its own held-out briefs (or, for another market, its
    latest briefs by the pipeline's split config)."""
    pipe = MatchPipeline.load(model_dir)
    tables = load_market(data_dir)
    test_ids = pipe.metadata.get("test_brief_ids")
    known = set(tables.briefs["brief_id"].astype(str))
    if not test_ids or not set(test_ids) <= known:
        test_ids = time_split(tables.briefs, pipe.config.split).test
    split = Split(train=[], valid=[], test=list(test_ids))
    return evaluate_pipeline(pipe, tables, split, data_dir, seed, progress)
