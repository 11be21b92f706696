"""Known answers for the library-backed statistics: scipy's BCa bootstrap (with its percentile
fallback) and statsmodels' multiple-testing correction of segment p-values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from matcher.evaluation.compare import PER_BRIEF_COLUMNS, OfflineComparison, paired_table
from matcher.evaluation.stats import (
    MIN_BCA_SIZE,
    adjust_p_values,
    bootstrap_ci,
    cluster_bootstrap_ratio,
)


def test_normal_sample_ci_is_close_to_the_t_interval() -> None:
    x = np.random.default_rng(11).normal(10.0, 3.0, size=400)
    est, low, high = bootstrap_ci(x, n_boot=5000, seed=1)
    t_low, t_high = sps.t.interval(0.95, x.size - 1, loc=x.mean(), scale=sps.sem(x))
    assert est == pytest.approx(x.mean())
    # the t half-width is ~0.29 here: both ends within 0.03 of it
    assert low == pytest.approx(t_low, abs=0.03) and high == pytest.approx(t_high, abs=0.03)


def test_bca_is_scipys_bca_with_the_same_seed() -> None:
    x = np.random.default_rng(2).exponential(1.0, size=60)
    _, low, high = bootstrap_ci(x, n_boot=999, seed=4)
    ref = sps.bootstrap((x,), np.mean, n_resamples=999, method="BCa", rng=np.random.default_rng(4))
    assert (low, high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))


def test_bca_shifts_a_right_skewed_mean_interval_up_from_the_percentile() -> None:
    x = np.random.default_rng(3).lognormal(0.0, 1.2, size=80)
    _, low, high = bootstrap_ci(x, n_boot=4000, seed=0)
    perc = sps.bootstrap(
        (x,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(0)
    )
    assert low > perc.confidence_interval.low and high > perc.confidence_interval.high


def test_small_samples_fall_back_to_the_percentile_interval() -> None:
    x = np.array([0.1, 0.4, 0.2, 0.9, 0.5])
    assert x.size < MIN_BCA_SIZE
    _, low, high = bootstrap_ci(x, n_boot=500, seed=5)
    ref = sps.bootstrap(
        (x,), np.mean, n_resamples=500, method="percentile", rng=np.random.default_rng(5)
    )
    assert (low, high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))


def test_degenerate_bca_falls_back_to_the_percentile_interval() -> None:
    # the median of 30 values where 29 are equal is 1.0 in (almost) every resample: BCa's bias
    # correction is infinite (scipy returns NaN); the percentile interval is the point 1.0
    x = np.r_[np.ones(29), 5.0]
    assert bootstrap_ci(x, stat=np.median, n_boot=500) == (1.0, 1.0, 1.0)


def test_constant_single_and_nan_samples() -> None:
    assert bootstrap_ci(np.full(50, 0.25)) == (0.25, 0.25, 0.25)
    assert bootstrap_ci([3.0, np.nan]) == (3.0, 3.0, 3.0)
    assert all(math.isnan(v) for v in bootstrap_ci([np.nan]))


def test_cluster_ratio_with_one_cluster_is_a_point() -> None:
    assert cluster_bootstrap_ratio([1.0, 3.0], [10.0, 10.0], ["a", "a"]) == pytest.approx(
        (0.2, 0.2, 0.2)
    )


def test_holm_and_bh_textbook_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert adjust_p_values(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: p * 4 / rank = 0.02, 0.04, 0.04, 0.02 -> running min from the top
    assert adjust_p_values(p, "fdr_bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # 0.5 * 2 capped at 1, then the running max
    assert adjust_p_values([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_nan_p_values_stay_nan_and_are_not_counted() -> None:
    got = adjust_p_values([0.01, np.nan, 0.04])
    assert got[0] == pytest.approx(0.02) and math.isnan(got[1]) and got[2] == pytest.approx(0.04)
    assert adjust_p_values([]).size == 0
    with pytest.raises(ValueError, match="p-values must be in"):
        adjust_p_values([0.2, 1.5])


def _rows(
    seg_type: str, seg: str, a: list[float], b: list[float], view: str = "logged"
) -> list[tuple]:
    return [
        (view, seg_type, seg, f"{seg}{i}", "ndcg@10", x, y, y - x)
        for i, (x, y) in enumerate(zip(a, b, strict=True))
    ]


def test_segment_table_carries_holm_adjusted_p_values_per_view_and_metric() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 12).tolist()
    recs = _rows("all", "all", a, [x + 0.1 for x in a])
    for k, shift in enumerate((0.3, 0.0, -0.05)):
        recs += _rows("niche", f"n{k}", a, [x + shift + 0.01 * j for j, x in enumerate(a)])
    recs += _rows("tier", "nano", a, [x + 0.2 for x in a])
    recs += _rows("niche", "n0", a, [x + 0.3 for x in a], view="catalogue")  # its own family of one
    t = paired_table(pd.DataFrame(recs, columns=list(PER_BRIEF_COLUMNS)), n_boot=100)
    cols = list(t.columns)
    assert cols[cols.index("p_value") + 1] == "p_adjusted"
    overall = t[t["segment_type"] == "all"].iloc[0]
    assert overall["p_adjusted"] == overall["p_value"]  # the planned test is not adjusted
    segs = t[(t["view"] == "logged") & (t["segment_type"] != "all")]
    assert len(segs) == 4
    expected = np.minimum(
        1.0, np.maximum.accumulate(np.sort(segs["p_value"].to_numpy()) * np.arange(4, 0, -1))
    )
    assert np.sort(segs["p_adjusted"].to_numpy()) == pytest.approx(expected)
    assert (segs["p_adjusted"] >= segs["p_value"]).all() and (
        segs["p_adjusted"] > segs["p_value"]
    ).any()
    cat = t[t["view"] == "catalogue"].iloc[0]
    assert cat["p_adjusted"] == pytest.approx(cat["p_value"])
    d = OfflineComparison("A", "B", t, pd.DataFrame()).to_dict()
    assert d["views"]["logged"]["segments"]["niche"]["n0"]["ndcg@10"][
        "p_adjusted"
    ] == pytest.approx(segs.set_index("segment").loc["n0", "p_adjusted"])
