"""Offline evaluation of a pipeline on held-out briefs, against baselines and the oracle.

Two views:
- ``logged``: rank the creators that have outcomes for the brief; relevance graded from the
  observed outcome (0 shown, 1 contacted, 2 accepted, 3 accepted and rated >= 4). This is what
  a real deployment can measure.
- ``catalogue``: rank every creator that passes the brief's filters; relevance graded from the
  simulator's true utility (needs the hidden truth). The model ranks its retrieved candidates
  first; creators retrieval did not return follow in cosine order.

Systems: ``model`` (the pipeline's final score), ``cosine`` (profile similarity), ``engagement``
(engagement rate), ``followers``, ``random`` and ``oracle`` (true expected utility).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.data.io import MarketTables, briefs_to_models
from matcher.data.labels import relevance_from_outcomes
from matcher.evaluation.metrics import METRICS, evaluate_queries, summarize
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.retrieval import exclude_keywords, hard_filter
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

SYSTEMS = ("model", "cosine", "engagement", "followers", "random", "oracle")
VIEWS = ("logged", "catalogue")


class TruthLike(Protocol):
    def expected_utility(self, brief_id: str, influencer_ids: Any) -> NDArray[np.float64]: ...

    def relevance_grades(self, brief_id: str, influencer_ids: Any) -> NDArray[np.int64]: ...


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
    rng = np.random.default_rng(seed)
    briefs_df = tables.briefs[tables.briefs[S.BRIEF_ID].astype(str).isin(brief_ids)]
    briefs: dict[str, Brief] = dict(zip(briefs_df[S.BRIEF_ID].astype(str), briefs_to_models(briefs_df),
                                        strict=True))
    ids = [b for b in brief_ids if b in briefs]
    queries = dict(zip(ids, pipe.embed_briefs([briefs[b] for b in ids]), strict=True))
    outcomes = {k: g for k, g in tables.outcomes.groupby(S.BRIEF_ID, sort=False)}
    groups: dict[tuple[str, str], list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = {}
    qids: dict[tuple[str, str], list[str]] = {}

    def add(view: str, system: str, bid: str, y: NDArray[np.int64], s: NDArray[np.float64]) -> None:
        groups.setdefault((view, system), []).append((y, s))
        qids.setdefault((view, system), []).append(bid)

    cat = pipe.catalogue
    for bid in tqdm(ids, desc="evaluating", disable=not progress, mininterval=1.0):
        brief, q = briefs[bid], queries[bid]
        if "logged" in views and bid in outcomes:
            g = outcomes[bid]
            g = g[g[S.INFLUENCER_ID].astype(str).isin(cat.index)]
            if len(g):
                inf_ids = g[S.INFLUENCER_ID].astype(str).tolist()
                rows = cat.rows_for(inf_ids)
                y = relevance_from_outcomes(g)
                add("logged", "model", bid, y, pipe.score_rows(brief, rows, q).score)
                for name, s in _baselines(pipe, rows, q, rng).items():
                    add("logged", name, bid, y, s)
                if truth is not None:
                    add("logged", "oracle", bid, y, truth.expected_utility(bid, inf_ids))
        if "catalogue" in views and truth is not None:
            mask = hard_filter(brief, cat, pipe.costs, pipe.config.retrieval)
            rows = exclude_keywords(brief, cat, np.flatnonzero(mask))
            if len(rows) == 0:
                continue
            inf_ids = [str(cat.ids[r]) for r in rows]
            y = truth.relevance_grades(bid, inf_ids)
            cand, _ = pipe.candidates(brief, q)
            model = -1e6 + (cat.profile[rows] @ q).astype(float)  # not retrieved: cosine order after
            if len(cand):
                pos = {int(r): i for i, r in enumerate(rows)}
                sc = pipe.score_rows(brief, cand, q).score
                model[[pos[int(r)] for r in cand]] = sc
            add("catalogue", "model", bid, y, model)
            for name, s in _baselines(pipe, rows, q, rng).items():
                add("catalogue", name, bid, y, s)
            add("catalogue", "oracle", bid, y, truth.expected_utility(bid, inf_ids))

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
