"""Learned models, sklearn-style: ``__init__`` stores parameters, ``fit`` sets ``*_`` state.

- ``FitRanker``: LightGBM LambdaRank on graded relevance (0..3) per brief, plus a Platt
  calibration of its raw score into P(relevance >= 2), shown to brands as the fit score. With
  few training briefs its score may be shrunk toward a zero-shot prior (``PriorBlend``).
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
from sklearn.linear_model import LogisticRegression

from matcher.config import LGBMParams, LGBMThreads
from matcher.ranking.boosting import (
    booster_params,
    booster_predict,
    categorical_index,
    monotone_constraints,
    ranker_params,
)
from matcher.ranking.estimator import check_fitted
from matcher.ranking.prior import PRIOR_FEATURE, PriorBlend
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


def platt_calibration(raw: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """(a, b) with P(relevance >= 2) = sigmoid(a * raw + b); identity-ish when one class only."""
    target = (np.asarray(y) >= 2).astype(int)
    if not 0 < target.sum() < len(target):
        return 1.0, 0.0
    cal = LogisticRegression(C=1.0).fit(raw.reshape(-1, 1), target)
    return float(cal.coef_[0, 0]), float(cal.intercept_[0])


def smoothed_best_round(curve: list[float], window: int) -> int:
    """The number of rounds (1-based) at the peak of ``curve`` (validation NDCG per round)
    averaged over a centred window of ``window`` rounds: one noisy validation split's raw peak
    is often a lucky early round."""
    c = np.asarray(curve, float)
    w = max(1, min(window, len(c)))
    ma = np.convolve(c, np.ones(w) / w, mode="valid")  # ma[i] = mean of c[i : i + w]
    return int(np.argmax(ma)) + (w + 1) // 2


class FitRanker:
    """``monotone``: features the score never decreases with (LightGBM monotone constraints).
    ``prior_weight`` > 0 blends the score with ``PRIOR_FEATURE`` (``PriorBlend``); ``fit``'s
    ``init_model`` continues boosting from a booster trained elsewhere (warm start)."""

    def __init__(
        self,
        params: LGBMParams | None = None,
        random_state: int = 0,
        categorical: tuple[str, ...] = ("platform",),
        threads: LGBMThreads | None = None,
        monotone: tuple[str, ...] = (),
        prior_weight: float = 0.0,
        smooth_rounds: int = 0,
    ) -> None:
        self.params = params or LGBMParams()
        self.random_state = random_state
        self.categorical = categorical
        self.threads = threads or LGBMThreads()
        self.monotone = tuple(monotone)
        self.prior_weight = prior_weight
        self.smooth_rounds = smooth_rounds

    def fit(
        self,
        X: NDArray[np.float32],
        y: NDArray[np.int64],
        group: NDArray[np.int64],
        feature_names: list[str],
        X_valid: NDArray[np.float32] | None = None,
        y_valid: NDArray[np.int64] | None = None,
        group_valid: NDArray[np.int64] | None = None,
        position: NDArray[np.int64] | None = None,
        position_valid: NDArray[np.int64] | None = None,
        init_model: lgb.Booster | None = None,
    ) -> FitRanker:
        """``group`` = sizes of contiguous query blocks (rows of one brief together).

        ``position`` (the 1-based position each logged row was shown at) turns on LightGBM's
        unbiased LambdaMART: a position-bias factor is learned jointly with the ranker, so the
        legacy tool's exposure (top slots get contacted more, whoever sits there) is not
        learned as relevance."""
        if int(np.sum(group)) != len(X):
            raise ValueError("group sizes must add up to the number of rows")
        names = list(feature_names)
        params = {
            **ranker_params(self.params, self.random_state, self.threads.fit),
            "eval_at": [5, 10],
        }
        if any(n in self.monotone for n in names):
            params["monotone_constraints"] = monotone_constraints(names, self.monotone)
        if init_model is not None and init_model.feature_name() != names:
            raise ValueError(
                "warm start: the initial model's features differ from this pipeline's "
                f"({init_model.feature_name()} vs {names})"
            )
        train = lgb.Dataset(
            X,
            y,
            group=group,
            position=position,
            feature_name=names,
            categorical_feature=categorical_index(names, self.categorical),
            free_raw_data=False,
        )
        valid_sets: list[lgb.Dataset] = []
        callbacks: list[Callable[..., Any]] = []
        evals: dict[str, Any] = {}
        if X_valid is not None and len(X_valid):
            valid_sets.append(
                lgb.Dataset(
                    X_valid, y_valid, group=group_valid, position=position_valid, reference=train
                )
            )
            callbacks += [
                lgb.early_stopping(self.params.early_stopping_rounds, verbose=False),
                lgb.record_evaluation(evals),
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            booster = lgb.train(
                params,
                train,
                num_boost_round=self.params.n_estimators,
                valid_sets=valid_sets,
                valid_names=["valid_0"][: len(valid_sets)],
                callbacks=callbacks,
                init_model=init_model,
                keep_training_booster=True,
            )
        # keep only the trees up to the best iteration: that is what is saved and served
        last = booster.best_iteration or None
        if self.smooth_rounds > 1 and evals.get("valid_0", {}).get("ndcg@10"):
            start = init_model.current_iteration() if init_model is not None else 0
            last = start + smoothed_best_round(evals["valid_0"]["ndcg@10"], self.smooth_rounds)
        best = lgb.Booster(model_str=booster.model_to_string(num_iteration=last))
        return self.adopt(best, names, X, y, evals)

    def adopt(
        self,
        booster: lgb.Booster,
        feature_names: list[str],
        X: NDArray[np.float32],
        y: NDArray[np.int64],
        evals: dict[str, Any] | None = None,
    ) -> FitRanker:
        """Take ``booster`` as the fitted model and calibrate it on (X, y): the end of ``fit``,
        and how a booster trained elsewhere (a Dask cluster) becomes a ``FitRanker``."""
        self.feature_names_ = list(feature_names)
        self.evals_result_ = dict(evals or {})
        self.booster_ = booster
        self.blend_ = None
        if self.prior_weight > 0:
            if PRIOR_FEATURE not in self.feature_names_:
                raise ValueError(f"prior blend needs the feature {PRIOR_FEATURE!r}")
            prior = (
                np.asarray(X, float)[:, self.feature_names_.index(PRIOR_FEATURE)]
                if len(X)
                else np.zeros(0)
            )
            raw = booster_predict(booster, X, self.threads) if len(X) else np.zeros(0)
            self.blend_ = PriorBlend.fitted(PRIOR_FEATURE, self.prior_weight, raw, prior)
        self.calibration_ = platt_calibration(self.decision_function(X), y)
        return self

    def decision_function(self, X: NDArray[np.float32]) -> NDArray[np.float64]:
        """The ranking score: the booster's raw score, blended with the prior when ``blend_``."""
        check_fitted(self, "booster_")
        if len(X) == 0:
            return np.zeros(0)
        raw = booster_predict(self.booster_, X, self.threads)
        blend = getattr(self, "blend_", None)
        if blend is None:
            return raw
        return blend(raw, np.asarray(X[:, self.feature_names_.index(blend.feature)], float))

    def fit_probability(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(relevance >= 2), i.e. the creator accepts and the campaign goes ahead (Platt)."""
        check_fitted(self, "calibration_")
        a, b = self.calibration_
        return 1.0 / (1.0 + np.exp(-(a * raw + b)))

    def contributions(self, X: NDArray[np.float32]) -> NDArray[np.float64]:
        """TreeSHAP contributions (n, n_features); call on the returned rows only (it is slow)."""
        check_fitted(self, "booster_")
        if len(X) == 0:
            return np.zeros((0, len(self.feature_names_)))
        return booster_predict(self.booster_, X, self.threads, pred_contrib=True)[:, :-1]

    def feature_importance(self) -> dict[str, float]:
        check_fitted(self, "booster_")
        gain = self.booster_.feature_importance(importance_type="gain")
        return dict(zip(self.feature_names_, map(float, gain), strict=True))

    def state(self) -> dict[str, Any]:
        check_fitted(self, "calibration_")
        out = {
            "feature_names": self.feature_names_,
            "calibration": list(self.calibration_),
            "model": self.booster_.model_to_string(),
        }
        if getattr(self, "blend_", None) is not None:
            out["blend"] = self.blend_.state()  # type: ignore[union-attr]
        return out

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FitRanker:
        obj = cls()
        obj.feature_names_ = list(state["feature_names"])
        obj.calibration_ = tuple(state["calibration"])  # type: ignore[assignment]
        obj.booster_ = lgb.Booster(model_str=state["model"])
        obj.evals_result_ = {}
        obj.blend_ = PriorBlend(**state["blend"]) if state.get("blend") else None
        obj.prior_weight = obj.blend_.weight if obj.blend_ else 0.0
        return obj


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
