"""The small-data ranker settings: capacity by the number of briefs, the prior's weight, warm start."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.config import LGBMParams, TrainConfig
from matcher.ranking.ranker import FitRanker
from matcher.training.small_data import (
    FULL_CAPACITY_BRIEFS,
    SEMANTIC_FEATURES,
    adapt_ranker_params,
    load_warm_start,
    make_ranker,
    prior_weight,
)

BASE = LGBMParams(
    n_estimators=300,
    learning_rate=0.03,
    num_leaves=15,
    min_child_samples=50,
    early_stopping_rounds=300,
)


def test_full_capacity_from_the_threshold_on():
    assert adapt_ranker_params(BASE, FULL_CAPACITY_BRIEFS) == BASE
    assert adapt_ranker_params(BASE, 5_000) == BASE


def test_capacity_shrinks_with_the_square_root_of_the_share():
    # 300 of 1,200 briefs: share 0.25, scale 0.5 -> half the leaves, rows per leaf and rounds
    p = adapt_ranker_params(BASE, 300)
    assert (p.num_leaves, p.min_child_samples, p.n_estimators) == (8, 25, 150)
    assert p.early_stopping_rounds == 150  # patience stays "all rounds"
    assert p.learning_rate == BASE.learning_rate


def test_capacity_has_floors():
    p = adapt_ranker_params(BASE, 12)
    assert (p.num_leaves, p.min_child_samples, p.n_estimators) == (4, 5, 100)


def test_a_short_patience_stays_short():
    p = adapt_ranker_params(BASE.model_copy(update={"early_stopping_rounds": 30}), 300)
    assert p.early_stopping_rounds == 30


def test_adapt_rejects_no_briefs():
    with pytest.raises(ValueError, match="n_briefs"):
        adapt_ranker_params(BASE, 0)


def test_prior_weight_is_a_pseudo_count_share():
    assert prior_weight(0, 10) == 0.0
    assert prior_weight(100, 300) == pytest.approx(0.25)
    assert prior_weight(100, 0) == 1.0
    with pytest.raises(ValueError):
        prior_weight(-1, 10)


def test_make_ranker_follows_the_config():
    cfg = TrainConfig().with_overrides(
        ["small_data.prior_briefs=100", "small_data.monotone_semantic=true"]
    )
    r = make_ranker(cfg, 300)
    assert r.params.num_leaves == 8 and r.prior_weight == pytest.approx(0.25)
    assert r.monotone == SEMANTIC_FEATURES and "sim_profile" in SEMANTIC_FEATURES
    off = TrainConfig().with_overrides(
        ["small_data.adaptive=false", "small_data.monotone_semantic=false"]
    )
    r = make_ranker(off, 300)
    assert r.params == off.ranker and r.monotone == () and r.prior_weight == 0.0


def _ranking_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 3)).astype(np.float32)
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=600), [-0.5, 0.5, 1.2]).astype(np.int64)
    return X, y, np.full(30, 20)


def test_warm_start_continues_from_the_saved_ranker(tmp_path):
    import json

    X, y, g = _ranking_data()
    names = ["sim_profile", "b", "c"]
    params = LGBMParams(n_estimators=20, num_leaves=7, min_child_samples=5)
    first = FitRanker(params).fit(X, y, g, names)
    (tmp_path / "ranker.json").write_text(json.dumps(first.state()))
    init = load_warm_start(tmp_path)
    assert init.current_iteration() == 20
    more = FitRanker(params.model_copy(update={"n_estimators": 5})).fit(
        X, y, g, names, init_model=init
    )
    assert more.booster_.current_iteration() == 25
    with pytest.raises(ValueError, match="features differ"):
        FitRanker(params).fit(X, y, g, ["x", "b", "c"], init_model=init)
    with pytest.raises(FileNotFoundError, match="warm_start"):
        load_warm_start(tmp_path / "nowhere")


def test_training_size_note_warns_below_the_curve_threshold():
    from matcher.training.small_data import WARN_BELOW_BRIEFS, training_size_note

    text, low = training_size_note({"n_train_briefs": WARN_BELOW_BRIEFS - 21, "n_valid_briefs": 20})
    assert low and f"fitted on {WARN_BELOW_BRIEFS - 1:,} briefs" in text and "below" in text
    text, low = training_size_note({"n_train_briefs": WARN_BELOW_BRIEFS - 20, "n_valid_briefs": 20})
    assert not low and text == (
        f"fitted on {WARN_BELOW_BRIEFS:,} briefs ({WARN_BELOW_BRIEFS - 20:,} train + 20 validation)"
    )
