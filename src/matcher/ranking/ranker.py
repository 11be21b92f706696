"""The fit ranker: LightGBM LambdaRank on graded relevance (0..3) per brief, plus a Platt
calibration of its raw score into P(relevance >= 2), shown to brands as the fit score. With few
training briefs its score may be shrunk toward a zero-shot prior (``PriorBlend``). sklearn-style:
``__init__`` stores parameters, ``fit`` sets ``*_`` state.
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
    booster_predict,
    categorical_index,
    monotone_constraints,
    ranker_params,
)
from matcher.ranking.estimator import check_fitted
from matcher.ranking.prior import PRIOR_FEATURE, PriorBlend

logger = logging.getLogger(__name__)


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
