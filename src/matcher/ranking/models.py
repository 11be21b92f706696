"""Learned models, sklearn-style: ``__init__`` stores parameters, ``fit`` sets ``*_`` state.

- ``FitRanker``: LightGBM LambdaRank on graded relevance (0..3) per brief, plus a Platt
  calibration of its raw score into P(relevance >= 2), shown to brands as the fit score.
- ``EngagementModel``: LightGBM regressions of a sponsored post's engagement rate: the mean
  (L2) and the 10th/90th percentiles (quantile loss), i.e. an 80% interval.
- ``CostModel``: fee per sponsored post from followers, engagement, platform and country,
  fitted on the creators whose price is known (the Upfluence "suggested price" idea).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from matcher.config import LGBMParams

logger = logging.getLogger(__name__)


LABEL_GAIN = [0, 1, 3, 7]  # gains of relevance 0..3 (shown, contacted, accepted, accepted + rated >= 4)
LAMBDARANK_TRUNCATION = 20
# below this many rows a prediction runs on one thread: a request scores a few hundred rows,
# where OpenMP threads cost more than they save and spin-wait badly on busy shared cores
SINGLE_THREAD_ROWS = 5_000


def platt_calibration(raw: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """(a, b) with P(relevance >= 2) = sigmoid(a * raw + b); identity-ish when one class only."""
    target = (np.asarray(y) >= 2).astype(int)
    if not 0 < target.sum() < len(target):
        return 1.0, 0.0
    cal = LogisticRegression(C=1.0).fit(raw.reshape(-1, 1), target)
    return float(cal.coef_[0, 0]), float(cal.intercept_[0])


def booster_predict(booster: lgb.Booster, X: NDArray[Any], **kw: Any) -> NDArray[np.float64]:
    """``Booster.predict``, single-threaded for request-sized inputs (``SINGLE_THREAD_ROWS``)."""
    if len(X) < SINGLE_THREAD_ROWS:
        kw["num_threads"] = 1
    return np.asarray(booster.predict(X, **kw), dtype=float)


def _not_fitted(obj: object, attr: str) -> None:
    if not hasattr(obj, attr):
        raise RuntimeError(f"{type(obj).__name__} is not fitted: call fit() first")


def _cat_index(names: list[str], categorical: tuple[str, ...]) -> list[int]:
    return [i for i, n in enumerate(names) if n in categorical]


class FitRanker:
    def __init__(self, params: LGBMParams | None = None, random_state: int = 0,
                 categorical: tuple[str, ...] = ("platform",)) -> None:
        self.params = params or LGBMParams()
        self.random_state = random_state
        self.categorical = categorical

    def fit(self, X: NDArray[np.float32], y: NDArray[np.int64], group: NDArray[np.int64],
            feature_names: list[str], X_valid: NDArray[np.float32] | None = None,
            y_valid: NDArray[np.int64] | None = None,
            group_valid: NDArray[np.int64] | None = None,
            position: NDArray[np.int64] | None = None,
            position_valid: NDArray[np.int64] | None = None) -> FitRanker:
        """``group`` = sizes of contiguous query blocks (rows of one brief together).

        ``position`` (the 1-based position each logged row was shown at) turns on LightGBM's
        unbiased LambdaMART: a position-bias factor is learned jointly with the ranker, so the
        legacy tool's exposure (top slots get contacted more, whoever sits there) is not
        learned as relevance."""
        if int(np.sum(group)) != len(X):
            raise ValueError("group sizes must add up to the number of rows")
        self.feature_names_ = list(feature_names)
        params: dict[str, Any] = {
            "objective": "lambdarank", "seed": self.random_state, "num_threads": 2, "verbose": -1,
            "deterministic": True, "force_row_wise": True, "label_gain": LABEL_GAIN,
            "lambdarank_truncation_level": LAMBDARANK_TRUNCATION, "eval_at": [5, 10], **self.params.lgb_train_params(),
        }
        cats = _cat_index(self.feature_names_, self.categorical)
        train = lgb.Dataset(X, y, group=group, position=position, feature_name=self.feature_names_,
                            categorical_feature=cats, free_raw_data=False)
        valid_sets, callbacks, evals = [], [], {}  # type: ignore[var-annotated]
        if X_valid is not None and len(X_valid):
            valid_sets.append(lgb.Dataset(X_valid, y_valid, group=group_valid, position=position_valid,
                                          reference=train))
            callbacks += [lgb.early_stopping(self.params.early_stopping_rounds, verbose=False),
                          lgb.record_evaluation(evals)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            booster = lgb.train(params, train, num_boost_round=self.params.n_estimators,
                                valid_sets=valid_sets, valid_names=["valid_0"][:len(valid_sets)],
                                callbacks=callbacks)
        self.evals_result_ = evals
        # keep only the trees up to the best iteration: that is what is saved and served
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(
            num_iteration=booster.best_iteration or None))
        self.calibration_ = platt_calibration(self.decision_function(X), y)
        return self

    def decision_function(self, X: NDArray[np.float32]) -> NDArray[np.float64]:
        _not_fitted(self, "booster_")
        if len(X) == 0:
            return np.zeros(0)
        return booster_predict(self.booster_, X)

    def fit_probability(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(relevance >= 2), i.e. the creator accepts and the campaign goes ahead (Platt)."""
        _not_fitted(self, "booster_")
        a, b = self.calibration_
        return 1.0 / (1.0 + np.exp(-(a * raw + b)))

    def contributions(self, X: NDArray[np.float32]) -> NDArray[np.float64]:
        """TreeSHAP contributions (n, n_features); call on the returned rows only (it is slow)."""
        _not_fitted(self, "booster_")
        if len(X) == 0:
            return np.zeros((0, len(self.feature_names_)))
        return booster_predict(self.booster_, X, pred_contrib=True)[:, :-1]

    def feature_importance(self) -> dict[str, float]:
        _not_fitted(self, "booster_")
        gain = self.booster_.feature_importance(importance_type="gain")
        return dict(zip(self.feature_names_, map(float, gain), strict=True))

    def state(self) -> dict[str, Any]:
        return {"feature_names": self.feature_names_, "calibration": list(self.calibration_),
                "model": self.booster_.model_to_string()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FitRanker:
        obj = cls()
        obj.feature_names_ = list(state["feature_names"])
        obj.calibration_ = tuple(state["calibration"])  # type: ignore[assignment]
        obj.booster_ = lgb.Booster(model_str=state["model"])
        obj.evals_result_ = {}
        return obj


class EngagementModel:
    QUANTILES = (0.1, 0.9)

    def __init__(self, params: LGBMParams | None = None, random_state: int = 0,
                 categorical: tuple[str, ...] = ("platform",)) -> None:
        self.params = params or LGBMParams(n_estimators=200, num_leaves=15)
        self.random_state = random_state
        self.categorical = categorical

    def _model(self, **kw: Any) -> lgb.LGBMRegressor:
        p = self.params.lgbm_kwargs()
        p.update(kw)
        return lgb.LGBMRegressor(random_state=self.random_state, n_jobs=2, verbose=-1,
                                 deterministic=True, force_row_wise=True, **p)

    def fit(self, X: NDArray[np.float32], rate: NDArray[np.float64], feature_names: list[str],
            X_valid: NDArray[np.float32] | None = None,
            rate_valid: NDArray[np.float64] | None = None) -> EngagementModel:
        """Targets are engagement rates of sponsored posts; models fit log(rate) so that the
        multiplicative spread of engagement (lognormal) is learned evenly across tiers."""
        self.feature_names_ = list(feature_names)
        cats = _cat_index(self.feature_names_, self.categorical)
        y = np.log(np.maximum(rate, 1e-5))
        kw: dict[str, Any] = {"feature_name": self.feature_names_, "categorical_feature": cats}
        callbacks = []
        if X_valid is not None and len(X_valid) >= 20:
            kw["eval_set"] = [(X_valid, np.log(np.maximum(rate_valid, 1e-5)))]  # type: ignore[arg-type]
            callbacks.append(lgb.early_stopping(self.params.early_stopping_rounds, verbose=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = self._model(objective="regression").fit(X, y, callbacks=callbacks, **kw)
            quantiles = [self._model(objective="quantile", alpha=a).fit(X, y, **{
                k: v for k, v in kw.items() if k != "eval_set"}) for a in self.QUANTILES]
        self.boosters_ = [lgb.Booster(model_str=m.booster_.model_to_string(
            num_iteration=m.best_iteration_ or None)) for m in [mean, *quantiles]]
        # log-normal bias correction so exp(mean of log) estimates the mean rate, not the median
        resid = y - self.boosters_[0].predict(X)
        self.log_var_ = float(np.var(resid))
        self.n_train_ = len(y)
        return self

    def predict(self, X: NDArray[np.float32]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(expected rate, 10th percentile, 90th percentile), ordered low <= mean <= high."""
        _not_fitted(self, "boosters_")
        if len(X) == 0:
            z = np.zeros(0)
            return z, z, z
        mean = np.exp(booster_predict(self.boosters_[0], X) + self.log_var_ / 2.0)
        lo = np.exp(booster_predict(self.boosters_[1], X))
        hi = np.exp(booster_predict(self.boosters_[2], X))
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        return mean, np.minimum(lo, mean), np.maximum(hi, mean)

    def state(self) -> dict[str, Any]:
        return {"feature_names": self.feature_names_, "log_var": self.log_var_, "n_train": self.n_train_,
                "models": [b.model_to_string() for b in self.boosters_]}

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

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    @staticmethod
    def design(followers: NDArray[np.float64], er: NDArray[np.float64], platforms: NDArray[Any],
               countries: NDArray[Any]) -> NDArray[np.float64]:
        from matcher.schemas import COUNTRY_INDEX, PLATFORM_INDEX

        return np.column_stack([
            np.log10(np.maximum(followers, 1.0)),
            np.log10(np.maximum(np.nan_to_num(er, nan=0.01), 1e-5)),
            [PLATFORM_INDEX.get(p, np.nan) for p in platforms],  # unknown = missing (NaN), as LightGBM
            [COUNTRY_INDEX.get(c, np.nan) for c in countries],  # would read a negative code
        ]).astype(float)

    def fit(self, X: NDArray[np.float64], price: NDArray[np.float64]) -> CostModel:
        ok = np.isfinite(price) & (price > 0)
        self.n_train_ = int(ok.sum())
        if self.n_train_ < 30:
            # too few known prices: fall back to a market CPM rule (REFERENCE.md: CPM $5-15 on
            # Instagram/TikTok, $15-30 on YouTube), applied to expected reach ~ followers x 0.25
            self.model_: lgb.Booster | None = None
            return self
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_ = lgb.LGBMRegressor(n_estimators=200, learning_rate=0.05, num_leaves=15,
                                            min_child_samples=10, random_state=self.random_state,
                                            n_jobs=2, verbose=-1, deterministic=True).fit(
                X[ok], np.log(price[ok]), categorical_feature=[2, 3]).booster_
        return self

    def state(self) -> dict[str, Any]:
        return {"n_train": self.n_train_,
                "model": None if self.model_ is None else self.model_.model_to_string()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CostModel:
        obj = cls()
        obj.n_train_ = int(state["n_train"])
        obj.model_ = None if state["model"] is None else lgb.Booster(model_str=state["model"])
        return obj

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        if not hasattr(self, "model_"):
            raise RuntimeError("CostModel is not fitted: call fit() first")
        if len(X) == 0:
            return np.zeros(0)
        if self.model_ is None:
            followers = 10 ** X[:, 0]
            cpm = np.where(X[:, 2] == 2, 22.5, 10.0)
            return np.maximum(followers * 0.25 / 1000.0 * cpm, 5.0)
        return np.exp(booster_predict(self.model_, X))
