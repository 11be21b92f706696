"""The per-creator estimates, sklearn-style: ``__init__`` stores parameters, ``fit`` sets
``*_`` state. (The fit ranker is ``matcher.ranking.ranker.FitRanker``.)

- ``EngagementModel``: LightGBM regressions of a sponsored post's engagement rate: the mean
  (L2) and the 10th/90th percentiles (quantile loss), i.e. an 80% interval.
- ``CostModel``: fee per sponsored post from followers, engagement, platform and country,
  fitted on the creators whose price is known (the Upfluence "suggested price" idea).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from matcher.config import LGBMParams, LGBMThreads
from matcher.ranking.boosting import (
    booster_params,
    booster_predict,
    categorical_index,
)
from matcher.ranking.estimator import check_fitted
from matcher.schemas import COUNTRY_INDEX, PLATFORM_INDEX

logger = logging.getLogger(__name__)

# the cost model's settings (LightGBM's defaults where not given; fitted column-wise)
COST_PARAMS = LGBMParams(
    n_estimators=200,
    learning_rate=0.05,
    num_leaves=15,
    min_child_samples=10,
    subsample=1.0,
    subsample_freq=0,
    colsample_bytree=1.0,
    reg_lambda=0.0,
)


class EngagementModel:
    QUANTILES = (0.1, 0.9)

    def __init__(
        self,
        params: LGBMParams | None = None,
        random_state: int = 0,
        categorical: tuple[str, ...] = ("platform",),
        threads: LGBMThreads | None = None,
    ) -> None:
        self.params = params or LGBMParams(n_estimators=200, num_leaves=15)
        self.random_state = random_state
        self.categorical = categorical
        self.threads = threads or LGBMThreads()

    def _model(self, **objective: Any) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=self.params.n_estimators,
            **objective,
            **booster_params(self.params, self.random_state, self.threads.fit),
        )

    def fit(
        self,
        X: NDArray[np.float32],
        rate: NDArray[np.float64],
        feature_names: list[str],
        X_valid: NDArray[np.float32] | None = None,
        rate_valid: NDArray[np.float64] | None = None,
    ) -> EngagementModel:
        """Targets are engagement rates of sponsored posts; models fit log(rate) so that the
        multiplicative spread of engagement (lognormal) is learned evenly across tiers."""
        self.feature_names_ = list(feature_names)
        y = np.log(np.maximum(rate, 1e-5))
        kw: dict[str, Any] = {
            "feature_name": self.feature_names_,
            "categorical_feature": categorical_index(self.feature_names_, self.categorical),
        }
        callbacks: list[Callable[..., Any]] = []
        if X_valid is not None and len(X_valid) >= 20:
            kw["eval_set"] = [(X_valid, np.log(np.maximum(rate_valid, 1e-5)))]  # type: ignore[arg-type]
            callbacks.append(lgb.early_stopping(self.params.early_stopping_rounds, verbose=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = self._model(objective="regression").fit(X, y, callbacks=callbacks, **kw)
            quantiles = [
                self._model(objective="quantile", alpha=a).fit(
                    X, y, **{k: v for k, v in kw.items() if k != "eval_set"}
                )
                for a in self.QUANTILES
            ]
        self.boosters_ = [
            lgb.Booster(
                model_str=m.booster_.model_to_string(num_iteration=m.best_iteration_ or None)
            )
            for m in [mean, *quantiles]
        ]
        # log-normal bias correction so exp(mean of log) estimates the mean rate, not the median
        resid = y - self.boosters_[0].predict(X)
        self.log_var_ = float(np.var(resid))
        self.n_train_ = len(y)
        return self

    def predict(
        self, X: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(expected rate, 10th percentile, 90th percentile), ordered low <= mean <= high."""
        mean = self.predict_mean(X)
        lo, hi = self.interval(X, mean)
        return mean, lo, hi

    def predict_mean(self, X: NDArray[np.float32]) -> NDArray[np.float64]:
        """The expected rate alone (what ranking needs: one booster of three)."""
        check_fitted(self, "boosters_")
        if len(X) == 0:
            return np.zeros(0)
        return np.exp(booster_predict(self.boosters_[0], X, self.threads) + self.log_var_ / 2.0)

    def interval(
        self, X: NDArray[np.float32], mean: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(10th, 90th percentile) of the rows of ``X`` whose expected rate is ``mean``, ordered
        low <= mean <= high. Row by row, so asking for a few rows (the top k shown) gives what
        the same rows get among many."""
        check_fitted(self, "boosters_")
        if len(X) == 0:
            z = np.zeros(0)
            return z, z
        lo, hi = (np.exp(booster_predict(b, X, self.threads)) for b in self.boosters_[1:])
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        return np.minimum(lo, mean), np.maximum(hi, mean)

    def state(self) -> dict[str, Any]:
        check_fitted(self, "boosters_")
        return {
            "feature_names": self.feature_names_,
            "log_var": self.log_var_,
            "n_train": self.n_train_,
            "models": [b.model_to_string() for b in self.boosters_],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EngagementModel:
        obj = cls()
        obj.feature_names_ = list(state["feature_names"])
        obj.log_var_ = float(state["log_var"])
        obj.n_train_ = int(state["n_train"])
        obj.boosters_ = [lgb.Booster(model_str=m) for m in state["models"]]
        return obj


class CostModel:
    """log(price) ~ followers, engagement, platform, country (gradient boosting)."""

    MIN_PRICES = 30  # fewer known prices than this: the market CPM rule instead of a model

    def __init__(
        self,
        params: LGBMParams | None = None,
        random_state: int = 0,
        threads: LGBMThreads | None = None,
    ) -> None:
        self.params = params or COST_PARAMS
        self.random_state = random_state
        self.threads = threads or LGBMThreads()

    @staticmethod
    def design(
        followers: NDArray[np.float64],
        er: NDArray[np.float64],
        platforms: NDArray[Any],
        countries: NDArray[Any],
    ) -> NDArray[np.float64]:
        return np.column_stack(
            [
                np.log10(np.maximum(followers, 1.0)),
                np.log10(np.maximum(np.nan_to_num(er, nan=0.01), 1e-5)),
                [
                    PLATFORM_INDEX.get(p, np.nan) for p in platforms
                ],  # unknown = missing (NaN), as LightGBM
                [COUNTRY_INDEX.get(c, np.nan) for c in countries],  # would read a negative code
            ]
        ).astype(float)

    def fit(self, X: NDArray[np.float64], price: NDArray[np.float64]) -> CostModel:
        ok = np.isfinite(price) & (price > 0)
        self.n_train_ = int(ok.sum())
        if self.n_train_ < self.MIN_PRICES:
            # too few known prices: fall back to a market CPM rule (REFERENCE.md: CPM $5-15 on
            # Instagram/TikTok, $15-30 on YouTube), applied to expected reach ~ followers x 0.25
            self.model_: lgb.Booster | None = None
            return self
        params = booster_params(self.params, self.random_state, self.threads.fit, row_wise=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_ = (
                lgb.LGBMRegressor(n_estimators=self.params.n_estimators, **params)
                .fit(X[ok], np.log(price[ok]), categorical_feature=[2, 3])
                .booster_
            )
        return self

    def state(self) -> dict[str, Any]:
        check_fitted(self, "model_")
        return {
            "n_train": self.n_train_,
            "model": None if self.model_ is None else self.model_.model_to_string(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CostModel:
        obj = cls()
        obj.n_train_ = int(state["n_train"])
        obj.model_ = None if state["model"] is None else lgb.Booster(model_str=state["model"])
        return obj

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        check_fitted(self, "model_")
        if len(X) == 0:
            return np.zeros(0)
        if self.model_ is None:
            followers = 10 ** X[:, 0]
            cpm = np.where(X[:, 2] == 2, 22.5, 10.0)
            return np.maximum(followers * 0.25 / 1000.0 * cpm, 5.0)
        return np.exp(booster_predict(self.model_, X, self.threads))
