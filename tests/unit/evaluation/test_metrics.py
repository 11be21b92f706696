"""Known-answer tests for the ranking metrics (hand-computed values in comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from matcher.evaluation.metrics import (
    METRICS,
    auc,
    average_precision,
    evaluate_queries,
    first_relevant_rank,
    metric_function,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    summarize,
)

# A query with graded labels; ranked by score the labels read 0, 2, 0, 1, 3
# (indices 1, 2, 3, 4, 0). Relevant (>= 2): index 2 at rank 2, index 0 at rank 5.
Y = np.array([3, 0, 2, 0, 1])
S = np.array([0.1, 0.9, 0.8, 0.7, 0.6])


def test_perfect_ranking_scores_one_everywhere() -> None:
    y, s = np.array([3, 2, 1, 0]), np.array([4.0, 3.0, 2.0, 1.0])
    assert ndcg_at_k(y, s, 2) == pytest.approx(1.0)
    assert ndcg_at_k(y, s, 10) == pytest.approx(1.0)
    assert recall_at_k(y, s, 2) == 1.0
    assert average_precision(y, s) == 1.0
    assert reciprocal_rank(y, s) == 1.0
    assert first_relevant_rank(y, s) == 1.0
    assert auc(y, s) == 1.0


def test_reversed_ranking_has_auc_zero() -> None:
    assert auc(np.array([3, 2, 1, 0]), np.array([1.0, 2.0, 3.0, 4.0])) == 0.0


def test_hand_computed_ndcg() -> None:
    # ranked labels 0, 1, 2: DCG = 0 + (2^1-1)/log2(3) + (2^2-1)/log2(4) = 0.63093 + 1.5
    # ideal 2, 1, 0:        IDCG = 3/1 + 1/log2(3) = 3.63093  -> 2.13093 / 3.63093
    y, s = np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0])
    assert ndcg_at_k(y, s, 3) == pytest.approx(0.586883, abs=1e-6)
    # @2: DCG = 0.63093, IDCG = 3.63093
    assert ndcg_at_k(y, s, 2) == pytest.approx(0.173765, abs=1e-6)
    # k larger than the list is the full list
    assert ndcg_at_k(y, s, 50) == pytest.approx(0.586883, abs=1e-6)


def test_ndcg_no_relevance_is_nan_and_miss_below_cutoff_is_zero() -> None:
    assert math.isnan(ndcg_at_k(np.zeros(4), np.arange(4.0), 2))
    y, s = np.array([0, 0, 0, 2]), np.array([4.0, 3.0, 2.0, 1.0])
    assert ndcg_at_k(y, s, 2) == 0.0
    assert recall_at_k(y, s, 2) == 0.0


def test_hand_computed_recall_map_mrr_auc() -> None:
    assert recall_at_k(Y, S, 1) == 0.0
    assert recall_at_k(Y, S, 2) == 0.5
    assert recall_at_k(Y, S, 5) == 1.0
    assert recall_at_k(Y, S, 2, min_relevance=1) == pytest.approx(1 / 3)  # {0, 2, 4}, hit 2
    assert average_precision(Y, S) == pytest.approx((1 / 2 + 2 / 5) / 2)  # 0.45
    assert reciprocal_rank(Y, S) == 0.5
    assert first_relevant_rank(Y, S) == 2.0
    assert first_relevant_rank(Y, S, min_relevance=3) == 5.0
    # positives score 0.1 and 0.8; negatives 0.9, 0.7, 0.6 -> 0.8 beats two of three: 2/6
    assert auc(Y, S) == pytest.approx(1 / 3)


def test_no_relevant_items_give_nan() -> None:
    y, s = np.zeros(3), np.array([0.3, 0.2, 0.1])
    for fn in (recall_at_k, average_precision, reciprocal_rank, first_relevant_rank, auc):
        assert math.isnan(fn(y, s)), fn.__name__


def test_all_relevant_auc_is_nan() -> None:
    assert math.isnan(auc(np.array([2, 3]), np.array([0.1, 0.2])))


def test_ties_are_broken_by_original_order() -> None:
    s = np.array([1.0, 1.0])
    assert first_relevant_rank(np.array([0, 3]), s) == 2.0
    assert reciprocal_rank(np.array([0, 3]), s) == 0.5
    assert first_relevant_rank(np.array([3, 0]), s) == 1.0
    # ranked labels 0, 3: DCG = 7/log2(3), IDCG = 7
    assert ndcg_at_k(np.array([0, 3]), s, 2) == pytest.approx(1 / np.log2(3))
    assert ndcg_at_k(np.array([3, 0]), s, 2) == pytest.approx(1.0)


def test_auc_counts_tied_scores_as_half() -> None:
    assert auc(np.array([0, 3]), np.array([1.0, 1.0])) == 0.5
    # positive 0.5 vs negatives 0.5 (tie) and 0.1 (win): (0.5 + 1) / 2
    assert auc(np.array([2, 0, 0]), np.array([0.5, 0.5, 0.1])) == pytest.approx(0.75)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="length"):
        ndcg_at_k([1, 0], [0.1])
    with pytest.raises(ValueError, match="NaN"):
        recall_at_k([1, 0], [0.1, np.nan])
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k([1, 0], [0.2, 0.1], 0)
    with pytest.raises(ValueError, match="unknown metric"):
        metric_function("precision@3")


def test_minus_inf_scores_rank_last() -> None:
    assert first_relevant_rank([3, 0], [-np.inf, 0.0]) == 2.0


def test_evaluate_queries_and_summarize() -> None:
    groups = [
        (np.array([3, 0, 0]), np.array([0.9, 0.5, 0.1])),  # first relevant rank 1
        (np.array([0, 0, 2]), np.array([0.9, 0.5, 0.1])),  # rank 3
        (np.array([0, 0, 0]), np.array([0.9, 0.5, 0.1])),  # no relevant item
        (np.array([0, 2, 0]), np.array([0.9, 0.5, 0.1])),  # rank 2
    ]
    per_query = evaluate_queries(groups)
    assert list(per_query.columns) == list(METRICS)
    assert len(per_query) == 4
    assert per_query["mrr"].tolist()[:2] == [1.0, pytest.approx(1 / 3)]
    assert math.isnan(per_query["mrr"].iloc[2])
    summary = summarize(per_query)
    assert summary["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)  # NaN query skipped
    assert summary["medr"] == 2.0  # median of ranks 1, 3, 2
    assert summary["recall@10"] == 1.0


def test_evaluate_queries_mapping_keys_rows() -> None:
    per_query = evaluate_queries(
        {"b1": ([2, 0], [0.2, 0.1]), "b2": ([0, 2], [0.2, 0.1])}, metrics=["mrr", "ndcg@1"]
    )
    assert list(per_query.index) == ["b1", "b2"]
    assert per_query.loc["b2", "mrr"] == 0.5
    assert per_query.loc["b2", "ndcg@1"] == 0.0


def test_summarize_medr_is_median_not_mean() -> None:
    per_query = pd.DataFrame({"medr": [1.0, 2.0, 100.0], "map": [1.0, 0.5, np.nan]})
    assert summarize(per_query) == {"medr": 2.0, "map": 0.75}
