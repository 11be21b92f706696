"""Offline A/B comparison: two pipelines rank the same held-out briefs, and each metric's
per-brief difference b - a gets a bootstrap CI over briefs and a Wilcoxon signed-rank test
(``stats.paired_comparison``), overall and per segment (brief niche, creator follower tier,
cold-start vs known creators). The comparison's plots and MLflow metrics live here too; the
online analysis from the request log, and ``log_to_mlflow`` that records both, is ``matcher.online.analysis``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.data.io import MarketTables, briefs_to_models
from matcher.data.labels import relevance_from_outcomes
from matcher.evaluation.metrics import evaluate_queries
from matcher.evaluation.offline import TruthLike
from matcher.evaluation.stats import paired_comparison
from matcher.evaluation.verdicts import NO_DIFFERENCE, json_safe
from matcher.online.experiments import model_version
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.retrieval import exclude_keywords, hard_filter
from matcher.simulator.truth import load_truth

logger = logging.getLogger(__name__)

OFFLINE_METRICS: tuple[str, ...] = ("ndcg@10", "recall@50", "map", "mrr")


@dataclass
class _Ranked:
    """One brief in one view: the creators both models rank, their grades and both scores."""

    view: str
    brief_id: str
    ids: list[str]
    y: NDArray[np.int64]
    score_a: NDArray[np.float64]
    score_b: NDArray[np.float64]


@dataclass
class OfflineComparison:
    a: str
    b: str
    comparisons: pd.DataFrame  # view, segment_type, segment, metric, mean_a ... n (paired_comparison)
    per_brief: pd.DataFrame  # view, segment_type, segment, brief_id, metric, a, b, diff
    info: dict[str, Any] = field(default_factory=dict)  # refs, versions, data, briefs

    def overall(self, view: str = "logged") -> pd.DataFrame:
        c = self.comparisons
        return c[(c["view"] == view) & (c["segment_type"] == "all")].set_index("metric")

    def to_dict(self) -> dict[str, Any]:
        rows = self.comparisons.replace({np.nan: None}).to_dict("records")
        out: dict[str, Any] = {"a": self.a, "b": self.b, **json_safe(self.info), "verdict": offline_verdict(self),
                               "views": {}}
        for r in rows:
            view = out["views"].setdefault(r.pop("view"), {})
            seg_type, seg, metric = r.pop("segment_type"), r.pop("segment"), r.pop("metric")
            if seg_type == "all":
                view.setdefault("overall", {})[metric] = r
            else:
                view.setdefault("segments", {}).setdefault(seg_type, {}).setdefault(seg, {})[metric] = r
        return out


def _model_scores(pipe: MatchPipeline, brief: Any, q: NDArray[np.float32], ids: list[str],
                  retrieve: bool) -> NDArray[np.float64]:
    """The pipeline's score for each creator; with ``retrieve``, creators its retrieval does not
    return rank after the retrieved ones in cosine order (``offline_eval``'s catalogue view)."""
    cat = pipe.catalogue
    rows = cat.rows_for(ids)
    if not retrieve:
        return pipe.score_rows(brief, rows, q).score.astype(float)
    out = -1e6 + (cat.profile[rows] @ q).astype(float)
    cand, _ = pipe.candidates(brief, q)
    if len(cand):
        pos = {int(r): i for i, r in enumerate(rows)}
        cand = np.array([r for r in cand if int(r) in pos], dtype=np.int64)
        if len(cand):
            out[[pos[int(r)] for r in cand]] = pipe.score_rows(brief, cand, q).score
    return out


def _ranked_lists(pa: MatchPipeline, pb: MatchPipeline, tables: MarketTables, brief_ids: list[str],
                  truth: TruthLike | None) -> list[_Ranked]:
    df = tables.briefs[tables.briefs[S.BRIEF_ID].astype(str).isin(brief_ids)]
    briefs = dict(zip(df[S.BRIEF_ID].astype(str), briefs_to_models(df), strict=True))
    ids = [b for b in brief_ids if b in briefs]
    qa = dict(zip(ids, pa.embed_briefs([briefs[b] for b in ids]), strict=True))
    qb = dict(zip(ids, pb.embed_briefs([briefs[b] for b in ids]), strict=True))
    outcomes = {k: g for k, g in tables.outcomes.groupby(S.BRIEF_ID, sort=False)}
    both = set(pa.catalogue.index) & set(pb.catalogue.index)
    out: list[_Ranked] = []
    for bid in ids:
        brief = briefs[bid]
        if bid in outcomes:
            g = outcomes[bid]
            g = g[g[S.INFLUENCER_ID].astype(str).isin(both)]
            if len(g):
                inf = g[S.INFLUENCER_ID].astype(str).tolist()
                out.append(_Ranked("logged", bid, inf, relevance_from_outcomes(g),
                                   _model_scores(pa, brief, qa[bid], inf, False),
                                   _model_scores(pb, brief, qb[bid], inf, False)))
        if truth is not None:
            cat = pa.catalogue
            rows = exclude_keywords(brief, cat, np.flatnonzero(hard_filter(brief, cat, pa.costs,
                                                                           pa.config.retrieval)))
            inf = [str(cat.ids[r]) for r in rows if str(cat.ids[r]) in both]
            if inf:
                out.append(_Ranked("catalogue", bid, inf, np.asarray(truth.relevance_grades(bid, inf)),
                                   _model_scores(pa, brief, qa[bid], inf, True),
                                   _model_scores(pb, brief, qb[bid], inf, True)))
    return out


def brief_niches(truth: Any, brief_ids: Sequence[str]) -> dict[str, str] | None:
    """The brief's dominant niche from the simulator's truth, when it exposes one."""
    if truth is None:
        return None
    fn = getattr(truth, "brief_niche", None) or getattr(truth, "dominant_niche", None)
    if callable(fn):
        return {b: str(fn(b)) for b in brief_ids}
    briefs = getattr(truth, "briefs", None)
    names = getattr(truth, "niches", None)
    if isinstance(briefs, pd.DataFrame) and names and all(f"w_{n}" in briefs.columns for n in names):
        w = briefs.set_index(briefs[S.BRIEF_ID].astype(str))[[f"w_{n}" for n in names]]  # simulator
        top = pd.Series(np.asarray(names, dtype=object)[w.to_numpy().argmax(axis=1)], index=w.index)
        return {b: str(top.get(b, "unknown")) for b in brief_ids}
    for attr in ("brief_niches", "briefs"):
        obj = getattr(truth, attr, None)
        if isinstance(obj, pd.DataFrame):
            col = next((c for c in ("niche", "dominant_niche", "brief_niche") if c in obj.columns), None)
            if col is None:
                continue
            s = obj.set_index(S.BRIEF_ID)[col] if S.BRIEF_ID in obj.columns else obj[col]
            return {b: str(s.get(b, "unknown")) for b in brief_ids}
        if isinstance(obj, Mapping | pd.Series):
            return {b: str(obj.get(b, "unknown")) for b in brief_ids}
    return None


def _metrics(y: NDArray[np.int64], s: NDArray[np.float64], metrics: Sequence[str]) -> list[float]:
    return evaluate_queries([(y, s)], metrics).iloc[0].tolist()


def compare_offline(pa: MatchPipeline, pb: MatchPipeline, tables: MarketTables, brief_ids: list[str],
                    truth: TruthLike | None = None, metrics: Sequence[str] = OFFLINE_METRICS,
                    labels: tuple[str, str] = ("a", "b"), n_boot: int = 2000, alpha: float = 0.05,
                    seed: int = 0) -> OfflineComparison:
    """Paired comparison of two pipelines on the same briefs, overall and per segment.

    Segments: ``niche`` groups briefs (the brief's dominant niche from ``truth``, else its
    brand); ``tier`` and ``cold_start`` restrict each brief's list to creators of that
    follower tier / to creators with (``known``) or without (``new``) outcomes in A's training
    history, and recompute the metrics on that sub-list.
    """
    lists = _ranked_lists(pa, pb, tables, brief_ids, truth)
    cat = pa.catalogue
    known = set(pa.history.ids.astype(str))
    niche = brief_niches(truth, brief_ids)
    if niche is None:
        brand = tables.briefs.set_index(tables.briefs[S.BRIEF_ID].astype(str))[S.BRAND_ID].astype(str)
        niche = {b: f"brand {brand.get(b, '?')}" for b in brief_ids}
    recs: list[dict[str, Any]] = []

    def add(r: _Ranked, seg_type: str, seg: str, mask: NDArray[np.bool_] | None) -> None:
        y, sa, sb = (r.y, r.score_a, r.score_b) if mask is None else (r.y[mask], r.score_a[mask], r.score_b[mask])
        if len(y) == 0:
            return
        for m, va, vb in zip(metrics, _metrics(y, sa, metrics), _metrics(y, sb, metrics), strict=True):
            recs.append({"view": r.view, "segment_type": seg_type, "segment": seg, "brief_id": r.brief_id,
                         "metric": m, "a": va, "b": vb, "diff": vb - va})

    for r in lists:
        add(r, "all", "all", None)
        add(r, "niche", niche.get(r.brief_id, "unknown"), None)
        tiers = np.array([S.follower_tier(cat.followers[cat.index[i]]) for i in r.ids])
        for t in S.TIERS:
            if (tiers == t).any():
                add(r, "tier", t, tiers == t)
        cold = np.array([i not in known for i in r.ids])
        for seg, mask in (("new", cold), ("known", ~cold)):
            if mask.any():
                add(r, "cold_start", seg, mask)
    per_brief = pd.DataFrame(recs, columns=["view", "segment_type", "segment", "brief_id", "metric", "a", "b",
                                            "diff"])
    rows = []
    for key, g in per_brief.groupby(["view", "segment_type", "segment", "metric"], sort=False):
        res = paired_comparison(g["a"].to_numpy(), g["b"].to_numpy(), n_boot=n_boot, alpha=alpha, seed=seed)
        rows.append(dict(zip(("view", "segment_type", "segment", "metric"), key, strict=True)) | res)
    return OfflineComparison(labels[0], labels[1], pd.DataFrame(rows), per_brief)


def resolve_ref(ref: str) -> tuple[MatchPipeline, dict[str, Any]]:
    """A registry alias or version, or a model directory (``matcher.lifecycle.registry.resolve_pipeline``)."""
    from matcher.lifecycle.registry import resolve_pipeline

    return resolve_pipeline(ref, fallback_dir=None)  # never silently compare the champion to itself


def run_offline(a_ref: str, b_ref: str, data_dir: str | Path | None = None, n_boot: int = 2000,
                alpha: float = 0.05, seed: int = 0) -> OfflineComparison:
    """Resolve both refs, load A's market (or ``data_dir``) and compare on A's held-out briefs."""
    from matcher.data.io import load_market
    from matcher.data.labels import time_split

    pa, ia = resolve_ref(a_ref)
    pb, ib = resolve_ref(b_ref)
    data = data_dir or pa.metadata.get("data_dir")
    if not data:
        raise ValueError(f"model {a_ref} does not record its data directory: pass --data")
    tables = load_market(data)
    known = set(tables.briefs[S.BRIEF_ID].astype(str))
    ids = [b for b in pa.metadata.get("test_brief_ids") or [] if b in known]
    if not ids:
        logger.warning("A's held-out briefs are not in %s: using its latest briefs", data)
        ids = time_split(tables.briefs, pa.config.split).test
    comp = compare_offline(pa, pb, tables, ids, load_truth(data), labels=("A", "B"), n_boot=n_boot,
                           alpha=alpha, seed=seed)
    comp.info = {"a_ref": a_ref, "b_ref": b_ref, "a_version": model_version(ia, a_ref),
                 "b_version": model_version(ib, b_ref), "data_dir": str(data), "n_briefs": len(ids)}
    return comp


def offline_verdict(comp: OfflineComparison, metric: str = "ndcg@10", view: str = "logged",
                    alpha: float = 0.05) -> str:
    """``b better`` / ``a better`` when the bootstrap CI excludes 0 and Wilcoxon p < alpha."""
    o = comp.overall(view)
    if metric not in o.index:
        return NO_DIFFERENCE
    r = o.loc[metric]
    if r["p_value"] < alpha and r["ci_low"] > 0:
        return f"{comp.b} better"
    if r["p_value"] < alpha and r["ci_high"] < 0:
        return f"{comp.a} better"
    return NO_DIFFERENCE


# =========================================================================== plots + MLflow
def offline_plots(comp: OfflineComparison, out_dir: str | Path, view: str = "logged") -> list[Path]:
    from matcher.evaluation.plots import plot_paired_differences, plot_system_comparison

    out = Path(out_dir)
    pb = comp.per_brief[(comp.per_brief["view"] == view) & (comp.per_brief["segment_type"] == "all")]
    if pb.empty:
        return []
    files = [plot_paired_differences({m: g["diff"].to_numpy() for m, g in pb.groupby("metric", sort=False)},
                                     out / f"paired_differences_{view}.png")]
    c = comp.comparisons[comp.comparisons["view"] == view]
    for seg_type in ("niche", "tier", "cold_start"):
        s = c[(c["segment_type"] == seg_type) & (c["metric"] == c["metric"].iloc[0])]
        if len(s):
            d = pd.DataFrame({"view": s["segment"], "system": f"{comp.b} - {comp.a}", "metric": "diff",
                              "value": s["mean_diff"], "ci_low": s["ci_low"], "ci_high": s["ci_high"]})
            files.append(plot_system_comparison(d, out / f"diff_by_{seg_type}_{view}.png", metric="diff"))
    return files


def offline_mlflow_metrics(comp: OfflineComparison) -> dict[str, float]:
    from matcher.lifecycle.store import metric_key  # MLflow only when logging to it

    c = comp.comparisons[comp.comparisons["segment_type"] == "all"]
    out: dict[str, float] = {}
    for r in c.itertuples(index=False):
        for k in ("mean_a", "mean_b", "mean_diff", "ci_low", "ci_high", "p_value"):
            out[metric_key(r.view, r.metric, k)] = getattr(r, k)
    return out
