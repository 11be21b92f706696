"""Offline evaluation of a pipeline on held-out briefs, against baselines and the oracle.

Views (``logged``, ``catalogue``, ``profile-only``) are the ranked lists of
``matcher.evaluation.views``. Systems: ``model`` (the pipeline's final score), ``cosine``
(profile similarity), ``engagement`` (engagement rate), ``followers``, ``random`` and ``oracle``
(true expected utility). In the profile-only view every system ranks the stripped catalogue (its
cosine is bio only; its engagement is unknown, so that baseline keeps list order).

Segments (``matcher.evaluation.segments``): the same metrics per brief language (briefs
grouped), and per creator language and data completeness (each list cut to those creators and
re-scored), so a regression confined to one language or to bio-only creators shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher.data.io import MarketTables
from matcher.evaluation.metrics import METRICS, evaluate_queries, summarize
from matcher.evaluation.segments import (
    PROFILE_SEGMENTS,
    CreatorSegmenter,
    brief_language,
    profile_segmenter,
)
from matcher.evaluation.views import (
    PROFILE_ONLY,
    VIEWS,
    RankedView,
    TruthLike,
    brief_queries,
    held_out_briefs,
    model_scores,
    profile_only,
    ranked_views,
)
from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

SYSTEMS = ("model", "cosine", "engagement", "followers", "random", "oracle")
SEGMENT_COLUMNS: tuple[str, ...] = (
    "view",
    "segment_type",
    "segment",
    "system",
    "metric",
    "value",
    "n_briefs",
)
_Lists = dict[
    tuple[str, ...], tuple[list[str], list[tuple[NDArray[np.int64], NDArray[np.float64]]]]
]


def _none_if_nan(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


@dataclass
class EvaluationResult:
    per_query: pd.DataFrame  # view, system, brief_id, one column per metric
    summary: pd.DataFrame  # view, system, metric, value
    # view, segment_type, segment, system, metric, value, n_briefs (briefs with a defined value)
    segments: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(SEGMENT_COLUMNS))
    )

    def metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """Nested ``{view: {system: {metric: value}}}`` (the ``evaluate --json`` layout)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for r in self.summary.itertuples(index=False):
            out.setdefault(r.view, {}).setdefault(r.system, {})[r.metric] = _none_if_nan(
                float(r.value)
            )
        return out

    def segment_metrics(self) -> dict[str, Any]:
        """Nested ``{view: {segment_type: {segment: {system: {metric: value}}}}}`` (``evaluate --json``)."""
        out: dict[str, Any] = {}
        for r in self.segments.itertuples(index=False):
            seg = (
                out.setdefault(r.view, {}).setdefault(r.segment_type, {}).setdefault(r.segment, {})
            )
            seg.setdefault(r.system, {})[r.metric] = _none_if_nan(float(r.value))
        return out

    def table(
        self,
        view: str,
        metrics: tuple[str, ...] = (
            "ndcg@5",
            "ndcg@10",
            "recall@10",
            "recall@50",
            "map",
            "mrr",
            "auc",
            "medr",
        ),
    ) -> pd.DataFrame:
        s = self.summary[self.summary["view"] == view]
        t = s.pivot(index="system", columns="metric", values="value")
        t = t.reindex([x for x in SYSTEMS if x in t.index])
        return t[[m for m in metrics if m in t.columns]]

    def segment_table(
        self, metric: str = "ndcg@10", systems: tuple[str, ...] = ("model", "cosine")
    ) -> pd.DataFrame:
        """One row per (segment_type, segment), columns (view, system) and (view, ``n_briefs``:
        briefs where the first system's metric is defined), views and segments in report order."""
        s = self.segments[
            (self.segments["metric"] == metric) & self.segments["system"].isin(systems)
        ]
        if s.empty:
            return pd.DataFrame()
        key = ["segment_type", "segment"]
        values = s.pivot(index=key, columns=["view", "system"], values="value")
        n = s[s["system"] == systems[0]].pivot(index=key, columns="view", values="n_briefs")
        n.columns = pd.MultiIndex.from_tuples([(v, "n_briefs") for v in n.columns])
        rows = pd.MultiIndex.from_tuples(
            list(dict.fromkeys(zip(s["segment_type"], s["segment"], strict=True))), names=key
        )
        cols = pd.MultiIndex.from_tuples(
            [(v, c) for v in dict.fromkeys(s["view"]) for c in (*systems, "n_briefs")]
        )
        return values.join(n).reindex(index=rows, columns=cols)


def _baselines(
    pipe: MatchPipeline, rows: NDArray[np.int64], q: NDArray[np.float32], rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    cat = pipe.catalogue
    return {
        "cosine": (cat.profile[rows] @ q).astype(float),
        "engagement": np.nan_to_num(cat.stats["engagement_rate"][rows], nan=-1.0),
        "followers": cat.followers[rows].astype(float),
        "random": rng.random(len(rows)),
    }


def _lists(
    pipe: MatchPipeline,
    tables: MarketTables,
    briefs: list[Any],
    truth: TruthLike | None,
    views: tuple[str, ...],
    progress: bool,
) -> Iterator[tuple[MatchPipeline, CreatorSegmenter, RankedView]]:
    """Each view's lists with the pipeline that ranks them; the profile-only pipeline is built
    once, after the other views (so their numbers, random baseline included, do not move)."""
    split = profile_segmenter([pipe.catalogue])
    shown = tqdm(briefs, desc="evaluating", disable=not progress, mininterval=1.0)
    for v in ranked_views(pipe, tables, shown, truth, views):
        yield pipe, split, v
    if PROFILE_ONLY not in views or truth is None:
        return
    bare = profile_only(pipe, tables)
    split = profile_segmenter([pipe.catalogue, bare.catalogue])
    shown = tqdm(briefs, desc=PROFILE_ONLY, disable=not progress, mininterval=1.0)
    for v in ranked_views(bare, tables, shown, truth, ("catalogue",)):
        yield bare, split, replace(v, view=PROFILE_ONLY)


def _per_query(lists: _Lists, names: tuple[str, ...], min_relevance: int) -> pd.DataFrame:
    """One row per list: its key columns (``names``), brief_id and one column per metric."""
    frames = []
    for key, (bids, gs) in lists.items():
        pq = evaluate_queries(gs, METRICS, min_relevance=min_relevance).reset_index(drop=True)
        pq.insert(0, "brief_id", bids)
        for name, value in reversed(list(zip(names, key, strict=True))):
            pq.insert(0, name, value)
        frames.append(pq)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _summary(pq: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Long table: ``by``, metric, value (``metrics.summarize`` per group), n_briefs (defined values)."""
    rows = []
    for key, g in pq.groupby(by, sort=False):
        n = g[list(METRICS)].notna().sum()
        for metric, value in summarize(g[list(METRICS)]).items():
            rows.append((*key, metric, value, int(n[metric])))
    return pd.DataFrame(rows, columns=[*by, "metric", "value", "n_briefs"])


def _segment_rows(
    per_query: pd.DataFrame, language: dict[str, str], creators: pd.DataFrame
) -> pd.DataFrame:
    """The segments table: briefs grouped by language, creator segments as re-scored sub-lists."""
    by_brief = per_query.assign(
        segment_type=PROFILE_SEGMENTS[0], segment=per_query["brief_id"].map(language)
    )
    parts = [
        _summary(p, ["view", "segment_type", "segment", "system"])
        for p in (by_brief, creators)
        if len(p)
    ]
    if not parts:
        return pd.DataFrame(columns=list(SEGMENT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    order = {
        "view": {v: i for i, v in enumerate(dict.fromkeys(per_query["view"]))},
        "segment_type": {t: i for i, t in enumerate(PROFILE_SEGMENTS)},
        "system": {s: i for i, s in enumerate(SYSTEMS)},
    }
    out = out.sort_values(
        ["view", "segment_type", "segment", "system"],
        kind="stable",
        key=lambda c: c.map(order[c.name]) if c.name in order else c,
    )
    return out[list(SEGMENT_COLUMNS)].reset_index(drop=True)


def evaluate(
    pipe: MatchPipeline,
    tables: MarketTables,
    brief_ids: list[str],
    truth: TruthLike | None = None,
    views: tuple[str, ...] = VIEWS,
    seed: int = 0,
    progress: bool = True,
    min_relevance: int = 2,
    segments: bool = True,
) -> EvaluationResult:
    """Every system's metrics per brief and view (the catalogue and profile-only views need
    ``truth``), and with ``segments`` the same per brief language, creator language and data
    completeness."""
    rng = np.random.default_rng(seed)
    briefs = held_out_briefs(tables, brief_ids)
    queries = brief_queries(pipe, briefs)
    whole: _Lists = {}
    cut: _Lists = {}

    def add(
        lists: _Lists, key: tuple[str, ...], bid: str, y: NDArray[np.int64], s: NDArray[np.float64]
    ) -> None:
        bids, gs = lists.setdefault(key, ([], []))
        bids.append(bid)
        gs.append((y, s))

    for p, split, v in _lists(pipe, tables, briefs, truth, views, progress):
        q = queries[v.brief_id]
        scores = {
            "model": model_scores(p, v, q),
            **_baselines(p, p.catalogue.rows_for(v.ids), q, rng),
        }
        if truth is not None:
            scores["oracle"] = np.asarray(truth.expected_utility(v.brief_id, v.ids), dtype=float)
        parts = split(v.ids) if segments else []
        for system, s in scores.items():
            add(whole, (v.view, system), v.brief_id, v.y, s)
            for seg_type, seg, mask in parts:
                add(cut, (v.view, seg_type, seg, system), v.brief_id, v.y[mask], s[mask])

    per_query = _per_query(whole, ("view", "system"), min_relevance)
    summary = (
        _summary(per_query, ["view", "system"]).drop(columns="n_briefs")
        if len(per_query)
        else pd.DataFrame(columns=["view", "system", "metric", "value"])
    )
    result = EvaluationResult(per_query=per_query, summary=summary)
    if segments and len(per_query):
        language = {b: brief_language(brief) for b, brief in briefs}
        creators = _per_query(cut, ("view", "segment_type", "segment", "system"), min_relevance)
        result.segments = _segment_rows(per_query, language, creators)
    return result
