"""Known-answer tests for model-comparison and A/B statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from matcher.evaluation.stats import (
    bootstrap_ci,
    cluster_bootstrap_lift,
    cluster_bootstrap_ratio,
    paired_comparison,
    required_sample_size_mean,
    required_sample_size_proportion,
    srm_test,
)


def test_bootstrap_ci_covers_true_mean_with_normal_width() -> None:
    x = np.random.default_rng(1).normal(5.0, 2.0, size=500)
    est, low, high = bootstrap_ci(x, n_boot=4000, seed=3)
    assert est == pytest.approx(x.mean())
    assert low < 5.0 < high
    # normal-theory width 2 * 1.96 * s / sqrt(n) ~= 0.35
    assert high - low == pytest.approx(2 * 1.96 * x.std(ddof=1) / np.sqrt(x.size), rel=0.15)


def test_bootstrap_ci_is_seeded_and_drops_nan() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 8.0])
    assert bootstrap_ci(x, seed=7) == bootstrap_ci(x, seed=7)
    assert bootstrap_ci(x, seed=7)[0] == pytest.approx(15 / 4)


def test_bootstrap_ci_constant_and_empty() -> None:
    assert bootstrap_ci(np.full(10, 0.3)) == pytest.approx((0.3, 0.3, 0.3))
    assert all(math.isnan(v) for v in bootstrap_ci([]))


def test_bootstrap_ci_accepts_stat_without_axis() -> None:
    x = np.arange(1.0, 12.0)
    est, low, high = bootstrap_ci(x, stat=lambda v: float(np.median(v)), n_boot=200)
    assert est == 6.0
    assert 1.0 <= low <= 6.0 <= high <= 11.0


def test_paired_comparison_identical_arrays() -> None:
    a = np.array([0.1, 0.5, 0.9, 0.3])
    res = paired_comparison(a, a.copy())
    assert res["mean_diff"] == 0.0
    assert res["ci_low"] == 0.0 and res["ci_high"] == 0.0
    assert res["p_value"] == 1.0
    assert (res["wins"], res["ties"], res["losses"], res["n"]) == (0, 4, 0, 4)


def test_paired_comparison_hand_example_and_nan_pairs() -> None:
    a = np.array([0.0, 0.0, 0.0, 0.0, np.nan, 0.2])
    b = np.array([1.0, 1.0, 1.0, -1.0, 0.5, np.nan])
    res = paired_comparison(a, b)
    assert res["n"] == 4
    assert res["mean_a"] == 0.0 and res["mean_b"] == 0.5
    assert res["mean_diff"] == 0.5
    assert (res["wins"], res["ties"], res["losses"]) == (3, 0, 1)
    assert res["p_value"] == pytest.approx(
        sps.wilcoxon([1.0, 1.0, 1.0, -1.0], zero_method="zsplit").pvalue
    )
    assert res["p_value"] > 0.05


def test_paired_comparison_detects_consistent_improvement() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 200)
    b = a + 0.05 + rng.normal(0, 0.02, 200)
    res = paired_comparison(a, b)
    assert res["mean_diff"] == pytest.approx(0.05, abs=0.005)
    assert 0 < res["ci_low"] < 0.05 < res["ci_high"]
    assert res["p_value"] < 1e-10
    assert res["wins"] > 190


def test_paired_comparison_tiny_float_noise_is_a_tie() -> None:
    res = paired_comparison([0.3, 0.6], [0.3 + 1e-15, 0.6])
    assert (res["ties"], res["p_value"]) == (2, 1.0)


def test_paired_comparison_length_mismatch() -> None:
    with pytest.raises(ValueError, match="aligned"):
        paired_comparison([1.0], [1.0, 2.0])


def test_cluster_ratio_estimate_and_bounds() -> None:
    # clusters a: 3/20 = 0.15, b: 7/20 = 0.35; overall 10/40
    est, low, high = cluster_bootstrap_ratio([1, 2, 3, 4], [10, 10, 10, 10], ["a", "a", "b", "b"])
    assert est == 0.25
    assert 0.15 <= low <= 0.25 <= high <= 0.35


def test_cluster_ratio_homogeneous_clusters_give_a_point_interval() -> None:
    clusters = np.repeat(np.arange(20), 5)
    est, low, high = cluster_bootstrap_ratio(np.full(100, 2.0), np.full(100, 10.0), clusters)
    assert (est, low, high) == pytest.approx((0.2, 0.2, 0.2))


def test_cluster_resampling_is_wider_than_row_resampling_for_correlated_rows() -> None:
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(10), 50)
    rates = rng.uniform(0.01, 0.3, 10)[clusters]  # each brand has its own rate
    num = rng.binomial(100, rates).astype(float)
    den = np.full(500, 100.0)
    _, lo_c, hi_c = cluster_bootstrap_ratio(num, den, clusters, seed=1)
    _, lo_r, hi_r = cluster_bootstrap_ratio(num, den, np.arange(500), seed=1)
    assert hi_c - lo_c > 2 * (hi_r - lo_r)


def test_cluster_lift_known_answer() -> None:
    clusters_a = np.repeat(np.arange(10), 3)
    clusters_b = np.repeat(np.arange(10, 20), 3)
    res = cluster_bootstrap_lift(
        np.full(30, 1.0),
        np.full(30, 10.0),
        clusters_a,
        np.full(30, 2.0),
        np.full(30, 10.0),
        clusters_b,
    )
    assert res["ratio_a"] == pytest.approx(0.1) and res["ratio_b"] == pytest.approx(0.2)
    assert res["lift"] == pytest.approx(1.0)
    assert res["ci_low"] == pytest.approx(1.0) and res["ci_high"] == pytest.approx(1.0)
    assert (res["n_clusters_a"], res["n_clusters_b"]) == (10, 10)


def test_cluster_lift_null_interval_contains_zero() -> None:
    rng = np.random.default_rng(5)
    ca, cb = np.repeat(np.arange(40), 25), np.repeat(np.arange(40, 80), 25)
    res = cluster_bootstrap_lift(
        rng.binomial(1, 0.1, 1000),
        np.ones(1000),
        ca,
        rng.binomial(1, 0.1, 1000),
        np.ones(1000),
        cb,
        seed=2,
    )
    assert res["ci_low"] < 0 < res["ci_high"]


def test_srm_exact_split_and_heavy_imbalance() -> None:
    assert srm_test({"a": 500, "b": 500}, {"a": 0.5, "b": 0.5}) == (0.0, 1.0)
    chi2, p = srm_test({"a": 600, "b": 400}, {"a": 0.5, "b": 0.5})
    assert chi2 == pytest.approx(40.0)  # 2 * 100^2 / 500
    assert p == pytest.approx(sps.chi2.sf(40.0, 1)) and p < 1e-9
    # shares are normalised; arms missing from the counts are zero
    assert srm_test({"a": 500, "b": 500}, {"a": 1, "b": 1}) == (0.0, 1.0)
    assert srm_test({"a": 10}, {"a": 0.5, "b": 0.5})[1] < 0.01


def test_srm_errors_and_no_traffic() -> None:
    with pytest.raises(ValueError, match="no expected share"):
        srm_test({"a": 1, "c": 1}, {"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError, match="positive"):
        srm_test({"a": 1}, {"a": 0.0, "b": 1.0})
    assert all(math.isnan(v) for v in srm_test({}, {"a": 0.5, "b": 0.5}))


def test_required_sample_size_proportion_hand_value() -> None:
    # p1 = 0.10, p2 = 0.12, p_bar = 0.11:
    # (1.95996 * sqrt(2 * .11 * .89) + 0.84162 * sqrt(.09 + .1056))^2 / 0.02^2 = 3840.85
    assert required_sample_size_proportion(0.10, 0.20) == 3841
    assert required_sample_size_proportion(0.10, 0.20, power=0.9) > 3841
    assert required_sample_size_proportion(0.10, -0.20) > 0
    with pytest.raises(ValueError):
        required_sample_size_proportion(0.9, 0.2)  # p2 = 1.08


def test_required_sample_size_mean_hand_value() -> None:
    # 2 * (1.95996 + 0.84162)^2 * 1^2 / 0.5^2 = 62.79
    assert required_sample_size_mean(1.0, 0.5) == 63
    assert required_sample_size_mean(2.0, 1.0) == 63
    assert required_sample_size_mean(1.0, 0.2) == 393  # 392.4
    with pytest.raises(ValueError):
        required_sample_size_mean(0.0, 1.0)
