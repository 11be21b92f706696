"""``planning.evaluate``'s paired bootstrap interval of a system's gain over top-k."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from matcher.planning.evaluate import _paired_gain_ci, summarise


def _gain(a, b, axis=-1):
    return a.mean(axis) / b.mean(axis) - 1


def test_identical_systems_have_a_zero_interval():
    base = np.random.default_rng(0).gamma(2.0, 100.0, 40)
    assert _paired_gain_ci(base.copy(), base) == (0.0, 0.0)


def test_a_constant_ratio_is_known_exactly_whatever_the_resample():
    """Pairs kept together: mine = 1.5 x base on every brief, so every resample's gain is +50%
    (an unpaired bootstrap would give a wide interval around it)."""
    base = np.random.default_rng(1).gamma(2.0, 100.0, 30)
    lo, hi = _paired_gain_ci(1.5 * base, base)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)


def test_equals_scipy_paired_bca_for_a_fixed_seed():
    rng = np.random.default_rng(2)
    base = rng.gamma(2.0, 100.0, 50)
    mine = base * rng.lognormal(0.3, 0.4, 50)
    want = sps.bootstrap(
        (mine, base),
        _gain,
        paired=True,
        n_resamples=2000,
        method="BCa",
        confidence_level=0.95,
        rng=np.random.default_rng(7),
    ).confidence_interval
    lo, hi = _paired_gain_ci(mine, base, seed=7)
    assert lo == pytest.approx(want.low, rel=1e-9) and hi == pytest.approx(want.high, rel=1e-9)
    assert lo < _gain(mine, base) < hi and lo > 0  # a ~+40% gain on 50 briefs: clearly > 0


def test_noise_around_no_gain_covers_zero_and_nan_briefs_are_dropped():
    rng = np.random.default_rng(3)
    base = rng.gamma(2.0, 100.0, 60)
    noise = rng.normal(0.0, 30.0, 60)
    mine = base + noise - noise.mean()  # the observed gain is exactly 0
    mine[0], base[1] = np.nan, np.nan  # briefs a system has no value for
    lo, hi = _paired_gain_ci(mine, base)
    assert lo < 0 < hi and math.isfinite(lo) and math.isfinite(hi)
    assert _paired_gain_ci(np.array([np.nan]), np.array([1.0])) == (
        pytest.approx(math.nan, nan_ok=True),
        pytest.approx(math.nan, nan_ok=True),
    )


def test_summarise_reports_the_paired_interval():
    briefs = [f"b{i}" for i in range(12)]
    rows = []
    for i, b in enumerate(briefs):
        for system, value in (("topk", 10.0 + i), ("planner", 2 * (10.0 + i)), ("oracle", 50.0)):
            rows.append(
                {
                    "brief_id": b,
                    "goal": "reach",
                    "system": system,
                    "budget": 100.0,
                    "true_value": value,
                    "n_creators": 3,
                    "cost": 90.0,
                    "true_cost": 95.0,
                }
            )
    s = summarise(pd.DataFrame(rows)).set_index("system")
    assert s.loc["planner", "vs_topk"] == pytest.approx(1.0)
    assert s.loc["planner", "vs_topk_ci95"] == "+1.00..+1.00"
    assert s.loc["topk", "vs_topk_ci95"] == "+0.00..+0.00"
    assert s.loc["planner", "beats_topk"] == 1.0
