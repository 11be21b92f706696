"""One place builds LightGBM's parameters: known values, and what a fitted booster records."""

from __future__ import annotations

import numpy as np

from matcher.config import LGBMParams, LGBMThreads
from matcher.ranking.boosting import (
    LABEL_GAIN,
    booster_params,
    booster_predict,
    ranker_params,
)
from matcher.ranking.ranker import FitRanker

PARAMS = LGBMParams(
    n_estimators=12,
    learning_rate=0.07,
    num_leaves=9,
    min_child_samples=6,
    subsample=0.6,
    subsample_freq=2,
    colsample_bytree=0.9,
    reg_lambda=0.5,
)


def test_ranker_params_in_lightgbm_names():
    assert ranker_params(PARAMS, random_state=5, threads=3) == {
        "objective": "lambdarank",
        "label_gain": [0, 1, 3, 7],
        "lambdarank_truncation_level": 20,
        "seed": 5,
        "verbose": -1,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 3,
        "learning_rate": 0.07,
        "num_leaves": 9,
        "min_data_in_leaf": 6,
        "bagging_fraction": 0.6,
        "bagging_freq": 2,
        "feature_fraction": 0.9,
        "lambda_l2": 0.5,
    }


def test_threads_none_and_column_wise_leave_the_keys_out():
    p = booster_params(PARAMS, random_state=0, threads=None, row_wise=False)
    assert "num_threads" not in p and "force_row_wise" not in p
    assert p["seed"] == 0 and p["min_data_in_leaf"] == 6


def test_a_fitted_ranker_records_every_parameter_it_was_given():
    """The saved model lists the parameters LightGBM trained with: exactly ``ranker_params``
    (``verbose`` is not recorded) with today's two training threads."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    y = np.digitize(X[:, 0], [-0.5, 0.5, 1.2]).astype(np.int64)
    ranker = FitRanker(PARAMS, random_state=5).fit(X, y, np.full(20, 20), ["a", "b", "c"])
    got = FitRanker.from_state(ranker.state()).booster_.params
    want = ranker_params(PARAMS, 5, LGBMThreads().fit)
    assert want["num_threads"] == 2 and want["label_gain"] == LABEL_GAIN
    assert {k: got[k] for k in want if k != "verbose"} == {
        k: v for k, v in want.items() if k != "verbose"
    }
    assert got["eval_at"] == [5, 10]


class _Booster:
    """Records the keyword arguments of ``predict``."""

    def __init__(self) -> None:
        self.kw: dict[str, object] = {}

    def predict(self, X, **kw):
        self.kw = kw
        return np.zeros(len(X))


def test_request_sized_predictions_use_the_configured_threads():
    threads = LGBMThreads(predict=3, parallel_predict_rows=10)
    b = _Booster()
    booster_predict(b, np.zeros((9, 2)), threads, pred_contrib=True)  # type: ignore[arg-type]
    assert b.kw == {"pred_contrib": True, "num_threads": 3}
    booster_predict(b, np.zeros((10, 2)), threads)  # type: ignore[arg-type]
    assert b.kw == {}  # bulk scoring: LightGBM's default threads
    default = LGBMThreads()
    booster_predict(b, np.zeros((4_999, 2)), default)  # type: ignore[arg-type]
    assert b.kw == {"num_threads": 1}
