"""The offline A/B as a report: compare two loaded pipelines on A's held-out briefs, its plots
and its flat metrics for MLflow. Resolving model references (registry aliases, versions) is
the caller's job (``matcher.cli.ab``): evaluation sits below the lifecycle layer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from matcher import schemas as S
from matcher.data.io import load_market
from matcher.data.labels import time_split
from matcher.evaluation.compare import OfflineComparison, compare_offline
from matcher.ranking.pipeline import MatchPipeline
from matcher.simulator.truth import load_truth

logger = logging.getLogger(__name__)

MLFLOW_FIELDS: tuple[str, ...] = ("mean_a", "mean_b", "mean_diff", "ci_low", "ci_high", "p_value")


def compare_held_out(
    pa: MatchPipeline,
    pb: MatchPipeline,
    data_dir: str | Path | None = None,
    *,
    refs: tuple[str, str] = ("A", "B"),
    versions: tuple[str, str] | None = None,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> OfflineComparison:
    """Load A's market (or ``data_dir``) and compare both pipelines on A's held-out briefs.

    ``refs`` (what the user asked for) and ``versions`` (what they resolved to) are recorded
    in ``info``; A's latest briefs stand in when its held-out briefs are not in the data.
    """
    data = data_dir or pa.metadata.get("data_dir")
    if not data:
        raise ValueError(f"model {refs[0]} does not record its data directory: pass --data")
    tables = load_market(data)
    known = set(tables.briefs[S.BRIEF_ID].astype(str))
    ids = [b for b in pa.metadata.get("test_brief_ids") or [] if b in known]
    if not ids:
        logger.warning("A's held-out briefs are not in %s: using its latest briefs", data)
        ids = time_split(tables.briefs, pa.config.split).test
    comp = compare_offline(
        pa,
        pb,
        tables,
        ids,
        load_truth(data),
        labels=("A", "B"),
        n_boot=n_boot,
        alpha=alpha,
        seed=seed,
    )
    a_version, b_version = versions or refs
    comp.info = {
        "a_ref": refs[0],
        "b_ref": refs[1],
        "a_version": a_version,
        "b_version": b_version,
        "data_dir": str(data),
        "n_briefs": len(ids),
    }
    return comp


def offline_plots(comp: OfflineComparison, out_dir: str | Path, view: str = "logged") -> list[Path]:
    """Per-brief differences per metric, and the first metric's difference per segment."""
    from matcher.evaluation.plots import plot_paired_differences, plot_system_comparison

    out = Path(out_dir)
    pb = comp.per_brief[
        (comp.per_brief["view"] == view) & (comp.per_brief["segment_type"] == "all")
    ]
    if pb.empty:
        return []
    files = [
        plot_paired_differences(
            {m: g["diff"].to_numpy() for m, g in pb.groupby("metric", sort=False)},
            out / f"paired_differences_{view}.png",
        )
    ]
    c = comp.comparisons[comp.comparisons["view"] == view]
    for seg_type in ("niche", "tier", "cold_start"):
        s = c[(c["segment_type"] == seg_type) & (c["metric"] == c["metric"].iloc[0])]
        if len(s):
            d = pd.DataFrame(
                {
                    "view": s["segment"],
                    "system": f"{comp.b} - {comp.a}",
                    "metric": "diff",
                    "value": s["mean_diff"],
                    "ci_low": s["ci_low"],
                    "ci_high": s["ci_high"],
                }
            )
            files.append(
                plot_system_comparison(d, out / f"diff_by_{seg_type}_{view}.png", metric="diff")
            )
    return files


def offline_mlflow_metrics(comp: OfflineComparison, key: Callable[..., str]) -> dict[str, float]:
    """The overall comparison as flat metrics, named by ``key(view, metric, field)`` (the
    caller's MLflow naming, e.g. ``lifecycle.store.metric_key``)."""
    c = comp.comparisons[comp.comparisons["segment_type"] == "all"]
    out: dict[str, float] = {}
    for r in c.itertuples(index=False):
        for k in MLFLOW_FIELDS:
            out[key(r.view, r.metric, k)] = getattr(r, k)
    return out
