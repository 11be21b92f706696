"""The contract of ``matcher.ranking.estimator`` that every learned component honours: used
before ``fit`` it raises ``NotFittedError``; ``fit`` returns the component itself;
``from_state(state())`` (through JSON, as ``MatchPipeline.save`` writes it) predicts
identically; two fits with the same ``random_state`` predict identically.

The data are the tiny market's own training rows (``training.trainer`` over the session's tiny
pipeline), so each component sees the inputs it sees in the pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from matcher.config import LGBMParams
from matcher.data.labels import time_split
from matcher.ranking.estimator import NotFittedError
from matcher.ranking.features import PairFeaturizer
from matcher.ranking.history import brief_day
from matcher.ranking.models import CostModel, EngagementModel
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.ranker import FitRanker
from matcher.schemas import Brief
from matcher.training.trainer import training_sets
from tests.helpers import make_tiny_market, tiny_tables_from

# bagging on, so that the seed matters to the boosters that bag rows
SMALL = LGBMParams(
    n_estimators=30, num_leaves=7, min_child_samples=5, subsample=0.7, early_stopping_rounds=10
)


@dataclass
class Data:
    pipe: Any  # MatchPipeline: catalogue, costs, history, query embeddings
    train: Any  # trainer.TrainingSet
    valid: Any
    cost_X: np.ndarray
    price: np.ndarray


@pytest.fixture(scope="module")
def data(tiny_pipeline_dir) -> Data:
    pipe = MatchPipeline.load(tiny_pipeline_dir)  # trained on make_tiny_market() with tiny_config()
    tables = tiny_tables_from(make_tiny_market())
    train, valid = training_sets(
        pipe, tables, time_split(tables.briefs, pipe.config.split), pipe.config
    )
    # the tiny market knows 24 prices, too few for the cost booster: 120 creators priced at a
    # known rate per follower and platform, with noise
    rng = np.random.default_rng(0)
    n = 120
    followers = rng.integers(2_000, 90_000, n).astype(float)
    platforms = np.array(["instagram", "tiktok", "youtube"], dtype=object)[rng.integers(0, 3, n)]
    cost_X = CostModel.design(
        followers,
        rng.uniform(0.01, 0.06, n),
        platforms,
        np.array(["US", "GB"], dtype=object)[rng.integers(0, 2, n)],
    )
    rate = np.select([platforms == "instagram", platforms == "tiktok"], [10.0, 2.5], 20.0)
    price = followers / 1000.0 * rate * rng.lognormal(0.0, 0.2, n)
    return Data(pipe, train, valid, cost_X, price)


@dataclass
class Case:
    """How to build, fit and use one component; ``predict`` returns every output it serves."""

    make: Callable[[int], Any]  # random_state -> unfitted component
    fit: Callable[[Any, Data], Any]  # returns what fit returned
    predict: Callable[[Any, Data], list[np.ndarray]]
    seeded: bool  # randomness flows through random_state (bagging)


def _featurize(f: PairFeaturizer, d: Data) -> list[np.ndarray]:
    pipe = d.pipe
    brief = Brief(
        text="sourdough starter and bread baking",
        target_countries=["US"],
        budget_usd=300,
        created_at=pd.Timestamp("2025-03-01"),
    )
    rows = np.arange(len(pipe.catalogue))
    X, best = f.transform(
        brief,
        pipe.embed_briefs([brief])[0],
        rows,
        pipe.catalogue,
        pipe.costs,
        pipe.price_known,
        pipe.aligned_history,
        brief_day(brief, pd.Timestamp.now()),
    )
    return [X, best, f.typical_er(pipe.catalogue, rows)]


def _rank(m: FitRanker, d: Data) -> list[np.ndarray]:
    raw = m.decision_function(d.valid.X)
    return [raw, m.fit_probability(raw), m.contributions(d.valid.X[:5])]


CASES: dict[str, Case] = {
    "FitRanker": Case(
        make=lambda rs: FitRanker(SMALL, random_state=rs),
        fit=lambda m, d: m.fit(
            d.train.X,
            d.train.y,
            d.train.group,
            d.pipe.feature_names,
            d.valid.X,
            d.valid.y,
            d.valid.group,
        ),
        predict=_rank,
        seeded=True,
    ),
    "EngagementModel": Case(
        make=lambda rs: EngagementModel(SMALL, random_state=rs),
        fit=lambda m, d: m.fit(d.train.er_X, d.train.er_y, d.pipe.feature_names),
        predict=lambda m, d: list(m.predict(d.valid.X)),
        seeded=True,
    ),
    "CostModel": Case(
        make=lambda rs: CostModel(random_state=rs),
        fit=lambda m, d: m.fit(d.cost_X, d.price),
        predict=lambda m, d: [m.predict(d.cost_X)],
        seeded=False,
    ),
    "CostModel-cpm-rule": Case(  # too few known prices: the market CPM rule, no booster
        make=lambda rs: CostModel(random_state=rs),
        fit=lambda m, d: m.fit(d.cost_X, np.where(np.arange(len(d.price)) < 10, d.price, np.nan)),
        predict=lambda m, d: [m.predict(d.cost_X)],
        seeded=False,
    ),
    "PairFeaturizer": Case(
        make=lambda rs: PairFeaturizer(top_posts=3),
        fit=lambda m, d: m.fit(d.pipe.catalogue),
        predict=_featurize,
        seeded=False,
    ),
}


@pytest.fixture(params=list(CASES))
def case(request) -> Case:
    return CASES[request.param]


def _assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_using_a_component_before_fit_raises_not_fitted(case, data):
    fresh = case.make(0)
    with pytest.raises(NotFittedError, match="is not fitted: call fit"):
        case.predict(fresh, data)
    with pytest.raises(NotFittedError, match="is not fitted"):
        fresh.state()
    assert issubclass(NotFittedError, RuntimeError)  # callers catching RuntimeError still do


def test_fit_returns_the_component_itself(case, data):
    m = case.make(0)
    assert case.fit(m, data) is m


def test_from_state_of_state_predicts_identically(case, data):
    m = case.fit(case.make(0), data)
    state = json.loads(json.dumps(m.state()))  # as saved: through JSON
    again = type(m).from_state(state)
    _assert_same(case.predict(m, data), case.predict(again, data))
    assert again.state() == state


def test_two_fits_with_the_same_random_state_predict_identically(case, data):
    a = case.predict(case.fit(case.make(7), data), data)
    b = case.predict(case.fit(case.make(7), data), data)
    _assert_same(a, b)
    if case.seeded:  # and the seed does reach the booster: another one bags other rows
        c = case.predict(case.fit(case.make(8), data), data)
        assert not np.array_equal(a[0], c[0])


def test_the_cost_cases_cover_both_the_booster_and_the_cpm_rule(data):
    booster = CASES["CostModel"].fit(CostModel(), data)
    rule = CASES["CostModel-cpm-rule"].fit(CostModel(), data)
    assert booster.model_ is not None and booster.n_train_ == 120
    assert rule.model_ is None and rule.n_train_ == 10
    # the rule: 25% of followers reached at $10 CPM (Instagram, TikTok) or $22.5 (YouTube), >= $5
    followers = 10 ** data.cost_X[:, 0]
    cpm = np.where(data.cost_X[:, 2] == 2, 22.5, 10.0)
    np.testing.assert_allclose(
        rule.predict(data.cost_X), np.maximum(followers * 0.25 / 1000 * cpm, 5.0)
    )
