"""FitRanker with few briefs: monotone similarity and the blend with the zero-shot prior."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.config import LGBMParams
from matcher.ranking.prior import PRIOR_FEATURE, PriorBlend
from matcher.ranking.ranker import FitRanker

PARAMS = LGBMParams(n_estimators=30, num_leaves=7, min_child_samples=5)


def test_blend_known_answer():
    b = PriorBlend("sim_profile", 0.25, raw_scale=2.0, prior_mean=0.5, prior_scale=0.1)
    raw = np.array([2.0, -4.0, 0.0])
    prior = np.array([0.6, 0.5, np.nan])  # a missing prior counts as its mean
    np.testing.assert_allclose(b(raw, prior), [0.75 * 1.0 + 0.25 * 1.0, 0.75 * -2.0, 0.0])
    assert PriorBlend("sim_profile", 0.0)(raw, prior) is raw
    with pytest.raises(ValueError, match="prior weight"):
        PriorBlend("sim_profile", 1.5)


def test_blend_scales_from_training_rows():
    b = PriorBlend.fitted("sim_profile", 0.5, np.array([1.0, 3.0]), np.array([0.2, np.nan, 0.4]))
    assert (b.raw_scale, b.prior_mean, b.prior_scale) == pytest.approx((1.0, 0.3, 0.1))
    const = PriorBlend.fitted("sim_profile", 0.5, np.array([2.0, 2.0]), np.array([0.3, 0.3]))
    assert const.raw_scale == 1.0 and const.prior_scale == 1.0


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(800, 3)).astype(np.float32)
    # relevance rises with the second column, the prior (first column) is noise
    y = np.digitize(X[:, 1], [-0.5, 0.5, 1.2]).astype(np.int64)
    return X, y, np.full(40, 20)


def test_full_prior_weight_ranks_by_the_prior_and_survives_save_load():
    X, y, g = _data()
    names = [PRIOR_FEATURE, "b", "c"]
    r = FitRanker(PARAMS, prior_weight=1.0).fit(X, y, g, names)
    s = r.decision_function(X[:50])
    assert np.array_equal(np.argsort(s), np.argsort(X[:50, 0]))
    back = FitRanker.from_state(r.state())
    np.testing.assert_allclose(back.decision_function(X[:50]), s)
    plain = FitRanker(PARAMS).fit(X, y, g, names)
    assert "blend" not in plain.state() and FitRanker.from_state(plain.state()).blend_ is None


def test_the_blend_needs_the_prior_feature():
    X, y, g = _data()
    with pytest.raises(ValueError, match=PRIOR_FEATURE):
        FitRanker(PARAMS, prior_weight=0.5).fit(X, y, g, ["a", "b", "c"])


def test_monotone_feature_never_lowers_the_score():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(800, 2)).astype(np.float32)
    # relevance falls with column 0 in the data; the constraint forbids learning that
    y = np.digitize(-X[:, 0] + X[:, 1], [-0.5, 0.5, 1.2]).astype(np.int64)
    g = np.full(40, 20)
    r = FitRanker(PARAMS, monotone=("a",)).fit(X, y, g, ["a", "b"])
    grid = np.column_stack([np.linspace(-3, 3, 61), np.zeros(61)]).astype(np.float32)
    assert np.all(np.diff(r.decision_function(grid)) >= -1e-12)
    free = FitRanker(PARAMS).fit(X, y, g, ["a", "b"])
    assert np.any(np.diff(free.decision_function(grid)) < 0)


def test_smoothed_best_round_known_answers():
    from matcher.ranking.ranker import smoothed_best_round

    # the raw peak (round 2) is a lone spike; averaged over 3 rounds the plateau wins, centred on round 3
    assert smoothed_best_round([0.1, 0.9, 0.1, 0.5, 0.5, 0.5, 0.5], 3) == 3
    assert smoothed_best_round([1.0, 2.0, 3.0], 1) == 3
    assert smoothed_best_round([1.0, 2.0, 3.0], 5) == 2  # window wider than the curve: its middle


def test_smooth_rounds_keeps_the_smoothed_peak():
    rng = np.random.default_rng(3)
    X, Xv = (rng.normal(size=(800, 3)).astype(np.float32) for _ in range(2))
    y, yv = (
        np.digitize(Z[:, 1] + rng.normal(size=800), [-0.5, 0.5, 1.2]).astype(np.int64)
        for Z in (X, Xv)
    )
    g = gv = np.full(40, 20)
    r = FitRanker(
        PARAMS.model_copy(update={"n_estimators": 30, "early_stopping_rounds": 30}), smooth_rounds=5
    ).fit(X, y, g, ["a", "b", "c"], Xv, yv, gv)
    from matcher.ranking.ranker import smoothed_best_round

    assert r.booster_.current_iteration() == smoothed_best_round(
        r.evals_result_["valid_0"]["ndcg@10"], 5
    )
