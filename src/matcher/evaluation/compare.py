"""The paired comparison of two pipelines on the same held-out briefs.

Both pipelines rank each brief's lists (``views``); each metric's per-brief difference b - a
gets a bootstrap CI over briefs and a Wilcoxon signed-rank test (``stats.paired_comparison``),
overall and per segment (``segments``: brief niche, creator follower tier, cold-start vs
known creators); segment p-values are also reported adjusted for multiple testing (Holm).
One comparison serves the offline A/B (``matcher ab offline``) and the
promotion gate (``matcher.lifecycle.promotion``). Held-out data, plots and MLflow metrics of
the offline A/B are ``report``; the online analysis of the request log is ``matcher.online.analysis``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher.data.io import MarketTables
from matcher.evaluation.metrics import metric_function
from matcher.evaluation.segments import Segment, brief_groups, creator_segmenter
from matcher.evaluation.stats import P_ADJUST_METHOD, adjust_p_values, paired_comparison
from matcher.evaluation.verdicts import NO_DIFFERENCE, json_safe
from matcher.evaluation.views import (
    RankedView,
    TruthLike,
    brief_queries,
    held_out_briefs,
    model_scores,
    ranked_views,
)
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

OFFLINE_METRICS: tuple[str, ...] = ("ndcg@10", "recall@50", "map", "mrr")
# the views two pipelines are compared in (the profile-only view is single-pipeline evaluation's)
COMPARED_VIEWS: tuple[str, ...] = ("logged", "catalogue")
PER_BRIEF_COLUMNS: tuple[str, ...] = (
    "view",
    "segment_type",
    "segment",
    "brief_id",
    "metric",
    "a",
    "b",
    "diff",
)
_GROUP = ["view", "segment_type", "segment", "metric"]
_Mask = NDArray[np.bool_] | slice
_ALL = slice(None)


@dataclass(frozen=True)
class Ranking:
    """One pipeline's scores for one ranked list (creator ids, their grades)."""

    ids: list[str]
    y: NDArray[np.int64]
    score: NDArray[np.float64]


@dataclass(frozen=True)
class PairedRanking:
    """One brief in one view, ranked by both pipelines."""

    view: str
    brief_id: str
    a: Ranking
    b: Ranking


@dataclass
class OfflineComparison:
    a: str
    b: str
    comparisons: (
        pd.DataFrame
    )  # view, segment_type, segment, metric, mean_a ... n (paired_comparison)
    per_brief: pd.DataFrame  # view, segment_type, segment, brief_id, metric, a, b, diff
    info: dict[str, Any] = field(default_factory=dict)  # refs, versions, data, briefs

    def overall(self, view: str = "logged") -> pd.DataFrame:
        c = self.comparisons
        return c[(c["view"] == view) & (c["segment_type"] == "all")].set_index("metric")

    def to_dict(self) -> dict[str, Any]:
        rows = self.comparisons.replace({np.nan: None}).to_dict("records")
        out: dict[str, Any] = {
            "a": self.a,
            "b": self.b,
            **json_safe(self.info),
            "verdict": offline_verdict(self),
            "views": {},
        }
        for r in rows:
            view = out["views"].setdefault(r.pop("view"), {})
            seg_type, seg, metric = r.pop("segment_type"), r.pop("segment"), r.pop("metric")
            if seg_type == "all":
                view.setdefault("overall", {})[metric] = r
            else:
                view.setdefault("segments", {}).setdefault(seg_type, {}).setdefault(seg, {})[
                    metric
                ] = r
        return out


def _ranking(
    pipe: MatchPipeline, v: RankedView, queries: dict[str, NDArray[np.float32]]
) -> Ranking:
    return Ranking(v.ids, v.y, model_scores(pipe, v, queries[v.brief_id]))


def paired_rankings(
    pa: MatchPipeline,
    pb: MatchPipeline,
    tables: MarketTables,
    brief_ids: list[str],
    truth: TruthLike | None = None,
    views: Collection[str] = COMPARED_VIEWS,
    shared: bool = True,
    progress: bool = False,
) -> list[PairedRanking]:
    """Both pipelines' rankings of each brief's lists, in brief order.

    ``shared``: both rank the same list, built from A's catalogue and filters and kept to
    creators both catalogues know (the offline A/B). Otherwise each ranks its own list, exactly
    as ``offline.evaluate`` scores it, and briefs pair up where both have one (the promotion
    gate: each version's own evaluation, paired by brief).
    """
    unknown = set(views) - set(COMPARED_VIEWS)
    if unknown:
        raise ValueError(
            f"cannot compare in view(s) {sorted(unknown)}; compared views: {list(COMPARED_VIEWS)}"
        )
    briefs = held_out_briefs(tables, brief_ids)
    qa, qb = brief_queries(pa, briefs), brief_queries(pb, briefs)

    def shown(items: list[tuple[str, Brief]]) -> Iterable[tuple[str, Brief]]:
        return tqdm(items, desc="comparing", disable=not progress, mininterval=1.0)

    if shared:
        both = set(pa.catalogue.index) & set(pb.catalogue.index)
        return [
            PairedRanking(v.view, v.brief_id, _ranking(pa, v, qa), _ranking(pb, v, qb))
            for v in ranked_views(pa, tables, shown(briefs), truth, views, among=both)
        ]
    own_a = {(v.view, v.brief_id): v for v in ranked_views(pa, tables, shown(briefs), truth, views)}
    return [
        PairedRanking(
            v.view, v.brief_id, _ranking(pa, own_a[(v.view, v.brief_id)], qa), _ranking(pb, v, qb)
        )
        for v in ranked_views(pb, tables, shown(briefs), truth, views)
        if (v.view, v.brief_id) in own_a
    ]


def paired_table(
    per_brief: pd.DataFrame,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
    p_adjust: str = P_ADJUST_METHOD,
) -> pd.DataFrame:
    """One ``stats.paired_comparison`` row per view, segment and metric of a per-brief table,
    with ``p_adjusted`` after ``p_value`` (``adjust_segment_p_values``)."""
    rows = []
    for key, g in per_brief.groupby(_GROUP, sort=False):
        res = paired_comparison(
            g["a"].to_numpy(), g["b"].to_numpy(), n_boot=n_boot, alpha=alpha, seed=seed
        )
        rows.append(dict(zip(_GROUP, key, strict=True)) | res)
    return adjust_segment_p_values(pd.DataFrame(rows), p_adjust)


def adjust_segment_p_values(table: pd.DataFrame, method: str = P_ADJUST_METHOD) -> pd.DataFrame:
    """Adds ``p_adjusted``: the segment rows of one view and one metric are one family of tests
    (a reader scans them all for where B helps or hurts: ~30 niches, tiers, cold start), adjusted
    together by ``stats.adjust_p_values`` (Holm by default: why there). An overall row
    (``segment_type == "all"``) is the one planned test of its metric and keeps its p-value."""
    out = table.copy()
    if out.empty:
        return out.assign(p_adjusted=pd.Series(dtype=float))
    adjusted = out["p_value"].astype(float).to_numpy().copy()
    seg = (out["segment_type"] != "all").to_numpy()
    for _, idx in out[seg].groupby(["view", "metric"], sort=False).indices.items():
        rows = np.flatnonzero(seg)[idx]
        adjusted[rows] = adjust_p_values(adjusted[rows], method)
    out.insert(int(out.columns.get_loc("p_value")) + 1, "p_adjusted", adjusted)
    return out


def compare_offline(
    pa: MatchPipeline,
    pb: MatchPipeline,
    tables: MarketTables,
    brief_ids: list[str],
    truth: TruthLike | None = None,
    metrics: Sequence[str] = OFFLINE_METRICS,
    labels: tuple[str, str] = ("a", "b"),
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
    *,
    views: Collection[str] = COMPARED_VIEWS,
    segments: bool = True,
    shared: bool = True,
    progress: bool = False,
) -> OfflineComparison:
    """Paired comparison of two pipelines on the same briefs, overall and (``segments``) per segment.

    Segments: ``niche`` groups briefs (the brief's dominant niche from ``truth``, else its
    brand); ``tier`` and ``cold_start`` restrict each brief's list to creators of that
    follower tier / to creators with (``known``) or without (``new``) outcomes in A's training
    history, and recompute the metrics on that sub-list. ``shared``: see ``paired_rankings``.
    """
    lists = paired_rankings(pa, pb, tables, brief_ids, truth, views, shared, progress)
    fns = [metric_function(m) for m in metrics]
    niche = brief_groups(tables, brief_ids, truth) if segments else {}
    split = (
        creator_segmenter([pa.catalogue, pb.catalogue], set(pa.history.ids.astype(str)))
        if segments
        else None
    )
    recs: list[tuple[Any, ...]] = []
    for p in lists:
        parts: list[tuple[str, str, _Mask, _Mask]] = [("all", "all", _ALL, _ALL)]
        if split is not None:
            parts.append(("niche", niche.get(p.brief_id, "unknown"), _ALL, _ALL))
            parts += _matched(split(p.a.ids), split(p.b.ids))
        for seg_type, seg, ma, mb in parts:
            ya, sa, yb, sb = p.a.y[ma], p.a.score[ma], p.b.y[mb], p.b.score[mb]
            for m, fn in zip(metrics, fns, strict=True):
                va, vb = fn(ya, sa), fn(yb, sb)
                recs.append((p.view, seg_type, seg, p.brief_id, m, va, vb, vb - va))
    per_brief = pd.DataFrame(recs, columns=list(PER_BRIEF_COLUMNS))
    return OfflineComparison(
        labels[0], labels[1], paired_table(per_brief, n_boot, alpha, seed), per_brief
    )


def _matched(sa: list[Segment], sb: list[Segment]) -> list[tuple[str, str, _Mask, _Mask]]:
    """The creator segments both lists have, with each list's own mask."""
    masks_b = {(t, s): m for t, s, m in sb}
    return [(t, s, m, masks_b[(t, s)]) for t, s, m in sa if (t, s) in masks_b]


def offline_verdict(
    comp: OfflineComparison, metric: str = "ndcg@10", view: str = "logged", alpha: float = 0.05
) -> str:
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
