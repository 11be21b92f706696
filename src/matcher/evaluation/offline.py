"""Offline evaluation of a pipeline on held-out briefs, against baselines and the oracle.

Views (``logged``, ``catalogue``) are the ranked lists of ``matcher.evaluation.views``.
Systems: ``model`` (the pipeline's final score), ``cosine`` (profile similarity), ``engagement``
(engagement rate), ``followers``, ``random`` and ``oracle`` (true expected utility).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher.data.io import MarketTables
from matcher.evaluation.metrics import METRICS, evaluate_queries, summarize
from matcher.evaluation.views import (
    VIEWS,
    TruthLike,
    brief_queries,
    held_out_briefs,
    model_scores,
    ranked_views,
)
from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

SYSTEMS = ("model", "cosine", "engagement", "followers", "random", "oracle")


@dataclass
class EvaluationResult:
    per_query: pd.DataFrame  # view, system, brief_id, one column per metric
    summary: pd.DataFrame  # view, system, metric, value

    def metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """Nested ``{view: {system: {metric: value}}}`` (the ``evaluate --json`` layout)."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for r in self.summary.itertuples(index=False):
            v = float(r.value)
            out.setdefault(r.view, {}).setdefault(r.system, {})[r.metric] = None if np.isnan(v) else v  # type: ignore[assignment]
        return out

    def table(self, view: str, metrics: tuple[str, ...] = ("ndcg@5", "ndcg@10", "recall@10", "recall@50",
                                                           "map", "mrr", "auc", "medr")) -> pd.DataFrame:
        s = self.summary[self.summary["view"] == view]
        t = s.pivot(index="system", columns="metric", values="value")
        t = t.reindex([x for x in SYSTEMS if x in t.index])
        return t[[m for m in metrics if m in t.columns]]


def _baselines(pipe: MatchPipeline, rows: NDArray[np.int64], q: NDArray[np.float32],
               rng: np.random.Generator) -> dict[str, NDArray[np.float64]]:
    cat = pipe.catalogue
    return {
        "cosine": (cat.profile[rows] @ q).astype(float),
        "engagement": np.nan_to_num(cat.stats["engagement_rate"][rows], nan=-1.0),
        "followers": cat.followers[rows].astype(float),
        "random": rng.random(len(rows)),
    }


def evaluate(pipe: MatchPipeline, tables: MarketTables, brief_ids: list[str], truth: TruthLike | None = None,
             views: tuple[str, ...] = VIEWS, seed: int = 0, progress: bool = True,
             min_relevance: int = 2) -> EvaluationResult:
    """Every system's metrics per brief and view (the catalogue view needs ``truth``)."""
    rng = np.random.default_rng(seed)
    briefs = held_out_briefs(tables, brief_ids)
    queries = brief_queries(pipe, briefs)
    groups: dict[tuple[str, str], list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = {}
    qids: dict[tuple[str, str], list[str]] = {}

    def add(view: str, system: str, bid: str, y: NDArray[np.int64], s: NDArray[np.float64]) -> None:
        groups.setdefault((view, system), []).append((y, s))
        qids.setdefault((view, system), []).append(bid)

    shown = tqdm(briefs, desc="evaluating", disable=not progress, mininterval=1.0)
    for v in ranked_views(pipe, tables, shown, truth, views):
        q = queries[v.brief_id]
        add(v.view, "model", v.brief_id, v.y, model_scores(pipe, v, q))
        for name, s in _baselines(pipe, pipe.catalogue.rows_for(v.ids), q, rng).items():
            add(v.view, name, v.brief_id, v.y, s)
        if truth is not None:
            add(v.view, "oracle", v.brief_id, v.y, truth.expected_utility(v.brief_id, v.ids))

    frames, rows_out = [], []
    for (view, system), gs in groups.items():
        pq = evaluate_queries(gs, METRICS, min_relevance=min_relevance)
        pq.insert(0, "brief_id", qids[(view, system)])
        pq.insert(0, "system", system)
        pq.insert(0, "view", view)
        frames.append(pq)
        for metric, value in summarize(pq[list(METRICS)]).items():
            rows_out.append({"view": view, "system": system, "metric": metric, "value": value})
    per_query = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return EvaluationResult(per_query=per_query, summary=pd.DataFrame(rows_out))
