"""Ranking metrics as pure functions over one query's arrays, plus per-query aggregation.

The metrics follow the brand -> micro-influencer benchmark protocol (Gan et al., ACM MM 2019):
AUC, MedR, Recall@10/@50, MRR, mAP, NDCG@10.

Conventions shared by every function:
- ``y_true`` holds graded relevance (0..3, ``schemas.RELEVANCE``); ``y_score`` any real score,
  higher ranks first. Ties are broken by original position (stable sort on ``-score``), so
  results are deterministic. NaN scores are rejected.
- Binary metrics (recall, AP, RR, first relevant rank, AUC) call an item relevant when
  ``y_true >= min_relevance`` (default 2).
- A query with no relevant item has no defined value: the metric returns NaN, and
  ``summarize`` skips it. A query whose relevant items all sit below the cut-off scores 0.0
  for the @k metrics. Items the caller did not pass (e.g. lost by retrieval) are not counted:
  include them with a low score to charge the ranker for them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

logger = logging.getLogger(__name__)

METRICS: tuple[str, ...] = (
    "ndcg@5",
    "ndcg@10",
    "recall@10",
    "recall@50",
    "map",
    "mrr",
    "auc",
    "medr",
)
_AT_K = re.compile(r"^(ndcg|recall)@(\d+)$")


def _prepare(
    y_true: ArrayLike, y_score: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(f"y_true and y_score differ in length: {t.size} vs {s.size}")
    if np.isnan(s).any():
        raise ValueError("y_score contains NaN; score every candidate (use -inf to rank last)")
    if np.isnan(t).any():
        raise ValueError("y_true contains NaN")
    return t, s


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def ranked_relevance(y_true: ArrayLike, y_score: ArrayLike) -> NDArray[np.float64]:
    """``y_true`` in ranked order (highest score first, ties by original position)."""
    t, s = _prepare(y_true, y_score)
    return t[np.argsort(-s, kind="stable")]


def _dcg(rel: NDArray[np.float64]) -> float:
    discounts = 1.0 / np.log2(np.arange(2, rel.size + 2))
    return float(((2.0**rel - 1.0) * discounts).sum())


def ndcg_at_k(y_true: ArrayLike, y_score: ArrayLike, k: int = 10) -> float:
    """Graded NDCG@k: gain 2^rel - 1, discount log2(rank + 1); NaN when all relevance is 0."""
    _check_k(k)
    ranked = ranked_relevance(y_true, y_score)
    ideal = _dcg(np.sort(ranked)[::-1][:k])
    return float("nan") if ideal == 0.0 else _dcg(ranked[:k]) / ideal


def recall_at_k(
    y_true: ArrayLike, y_score: ArrayLike, k: int = 10, min_relevance: int = 2
) -> float:
    """Share of the relevant items found in the top k; NaN when there are none."""
    _check_k(k)
    rel = ranked_relevance(y_true, y_score) >= min_relevance
    n_rel = int(rel.sum())
    return float("nan") if n_rel == 0 else float(rel[:k].sum()) / n_rel


def average_precision(y_true: ArrayLike, y_score: ArrayLike, min_relevance: int = 2) -> float:
    """Mean of precision@rank over the ranks of relevant items (mAP over queries)."""
    rel = ranked_relevance(y_true, y_score) >= min_relevance
    if not rel.any():
        return float("nan")
    ranks = np.flatnonzero(rel) + 1
    return float((np.arange(1, ranks.size + 1) / ranks).mean())


def first_relevant_rank(y_true: ArrayLike, y_score: ArrayLike, min_relevance: int = 2) -> float:
    """1-based rank of the first relevant item (MedR is its median over queries); NaN if none."""
    rel = ranked_relevance(y_true, y_score) >= min_relevance
    return float(np.argmax(rel) + 1) if rel.any() else float("nan")


def reciprocal_rank(y_true: ArrayLike, y_score: ArrayLike, min_relevance: int = 2) -> float:
    """1 / first relevant rank (MRR over queries); NaN if no relevant item."""
    return 1.0 / first_relevant_rank(y_true, y_score, min_relevance)


def auc(y_true: ArrayLike, y_score: ArrayLike, min_relevance: int = 2) -> float:
    """ROC AUC of relevant vs the rest (Mann-Whitney; tied scores count 0.5); NaN if one class."""
    t, s = _prepare(y_true, y_score)
    pos = t >= min_relevance
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)  # average ranks for ties
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def metric_function(name: str, min_relevance: int = 2) -> Callable[[ArrayLike, ArrayLike], float]:
    """Resolve a metric name (``ndcg@k``, ``recall@k``, ``map``, ``mrr``, ``auc``, ``medr``)."""
    m = _AT_K.match(name)
    if m:
        k = int(m.group(2))
        if m.group(1) == "ndcg":
            return lambda t, s: ndcg_at_k(t, s, k)
        return lambda t, s: recall_at_k(t, s, k, min_relevance)
    simple: dict[str, Callable[[ArrayLike, ArrayLike, int], float]] = {
        "map": average_precision,
        "mrr": reciprocal_rank,
        "auc": auc,
        "medr": first_relevant_rank,
    }
    if name not in simple:
        raise ValueError(f"unknown metric {name!r}; use ndcg@k, recall@k, map, mrr, auc or medr")
    fn = simple[name]
    return lambda t, s: fn(t, s, min_relevance)


def evaluate_queries(
    groups: Iterable[tuple[ArrayLike, ArrayLike]] | Mapping[object, tuple[ArrayLike, ArrayLike]],
    metrics: Sequence[str] = METRICS,
    min_relevance: int = 2,
) -> pd.DataFrame:
    """One row per query, one column per metric. ``groups`` yields (y_true, y_score); a mapping
    keys the rows by query id, otherwise rows are numbered. The ``medr`` column holds the first
    relevant rank of each query (``summarize`` takes its median)."""
    fns = [metric_function(m, min_relevance) for m in metrics]
    items = groups.items() if isinstance(groups, Mapping) else enumerate(groups)
    index: list[object] = []
    rows: list[list[float]] = []
    for qid, (y_true, y_score) in items:
        index.append(qid)
        rows.append([fn(y_true, y_score) for fn in fns])
    return pd.DataFrame(
        rows, columns=list(metrics), index=pd.Index(index, name="query"), dtype=float
    )


def summarize(per_query: pd.DataFrame) -> dict[str, float]:
    """Mean of each metric over queries, skipping NaN; ``medr`` is a median (MedR)."""
    out: dict[str, float] = {}
    for col in per_query.columns:
        values = per_query[col].astype(float)
        out[str(col)] = float(values.median() if col == "medr" else values.mean())
    return out
