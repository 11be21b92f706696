"""Retraining pipeline: load + validate -> split by time -> embed (cached) -> features -> fit
-> evaluate (both views, baselines, oracle when the market's truth is there) -> save -> log to
MLflow -> register (alias ``challenger``).

Run as ``matcher train`` or ``python -m training.train --config training/configs/default.yaml``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.config import TrainConfig
from matcher.data.io import MarketTables, load_market
from matcher.data.truth import load_truth
from matcher.offline_eval import EvaluationResult, evaluate
from matcher.pipeline import MatchPipeline
from matcher.trainer import Split, TrainReport, fit_pipeline, time_split

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "default.yaml"


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


def build_config(path: Path | str | None = None, overrides: list[str] | None = None,
                 data_dir: Path | str | None = None, out_dir: Path | str | None = None,
                 seed: int | None = None) -> TrainConfig:
    cfg_path = Path(path) if path else DEFAULT_CONFIG
    cfg = TrainConfig.from_yaml(cfg_path, overrides or []) if cfg_path.exists() else \
        TrainConfig().with_overrides(overrides or [])
    upd: dict[str, Any] = {}
    if data_dir is not None:
        upd["data_dir"] = str(data_dir)
    if out_dir is not None:
        upd["out_dir"] = str(out_dir)
    if seed is not None:
        upd["seed"] = seed
    return cfg.model_copy(update=upd) if upd else cfg


def load_training_tables(cfg: TrainConfig, feedback_db: Path | str | None = None) -> tuple[MarketTables, dict[str, Any]]:
    tables = load_market(cfg.data_dir)
    stats: dict[str, Any] = {"n_outcomes_base": len(tables.outcomes), "n_outcomes_new": 0}
    if feedback_db is not None:
        from matcher.feedback import merge_feedback

        tables, n_new = merge_feedback(tables, feedback_db)
        stats["n_outcomes_new"] = n_new
    return tables, stats


def evaluate_pipeline(pipe: MatchPipeline, tables: MarketTables, split: Split, data_dir: Path | str,
                      seed: int, progress: bool) -> EvaluationResult:
    return evaluate(pipe, tables, split.test, truth=load_truth(data_dir), seed=seed, progress=progress)


def save_evaluation(result: EvaluationResult, out: Path) -> list[Path]:
    """Evaluation table (CSV + JSON) and the comparison plot; returns the files written."""
    from matcher.plots import plot_system_comparison

    out.mkdir(parents=True, exist_ok=True)
    files = [out / "evaluation_summary.csv", out / "evaluation_per_brief.csv", out / "metrics.json"]
    result.summary.to_csv(files[0], index=False)
    result.per_query.to_csv(files[1], index=False)
    files[2].write_text(json.dumps({"metrics": result.metrics()}, indent=2))
    files.append(plot_system_comparison(result.summary, out / "ndcg10_by_system.png"))
    return files


def run(cfg: TrainConfig, track: bool = True, register: bool = True, progress: bool = True,
        feedback_db: Path | str | None = None, encoder: Any = None) -> TrainResult:
    tables, data_stats = load_training_tables(cfg, feedback_db)
    split = time_split(tables.briefs, cfg.split)
    pipe, report = fit_pipeline(tables, cfg, encoder=encoder, split=split, progress=progress,
                                metadata={"data_dir": str(cfg.data_dir)})
    result = evaluate_pipeline(pipe, tables, split, cfg.data_dir, cfg.seed, progress)
    pipe.metadata["test_metrics"] = result.metrics()
    pipe.metadata["test_brief_ids"] = split.test
    model_dir = pipe.save(cfg.out_dir)
    save_evaluation(result, model_dir / "evaluation")
    out = TrainResult(cfg, pipe, report, result, model_dir, tables, data_stats)
    if track:
        from matcher.tracking import log_training_run

        out.run_id, out.version = log_training_run(out, register=register)
    return out


def evaluate_saved(data_dir: Path | str, model_dir: Path | str, progress: bool = True,
                   seed: int = 0) -> EvaluationResult:
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


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--set", action="append", default=[], help="override key.sub=value")
    ap.add_argument("--data")
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--no-track", action="store_true")
    ap.add_argument("--feedback")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = build_config(a.config, a.set, a.data, a.out, a.seed)
    res = run(cfg, track=not a.no_track, feedback_db=a.feedback)
    print(res.evaluation.table("logged").round(3).to_string())
    if not res.evaluation.table("catalogue").empty:
        print(res.evaluation.table("catalogue").round(3).to_string())
    pd.set_option("display.width", 160)


if __name__ == "__main__":
    main()
