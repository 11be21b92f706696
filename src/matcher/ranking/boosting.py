"""LightGBM settings in one place, so that a setting changes once for every model.

``booster_params`` turns an ``LGBMParams`` into LightGBM's own parameter names plus what every
fit shares (seeded, deterministic, quiet, row-wise histograms, threads); ``ranker_params`` adds
the LambdaRank objective. The local ranker (``FitRanker``), the Dask ranker
(``training.distributed``) and the regressions all build their parameters here. LightGBM's
main names win over the scikit-learn wrappers' own defaults (``min_child_samples`` and the
like), so the same dict serves ``lightgbm.train`` and the wrappers.
"""

from __future__ import annotations

import logging
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from matcher.config import LGBMParams, LGBMThreads

logger = logging.getLogger(__name__)

LABEL_GAIN = [
    0,
    1,
    3,
    7,
]  # gains of relevance 0..3 (shown, contacted, accepted, accepted + rated >= 4)
LAMBDARANK_TRUNCATION = 20


def booster_params(
    params: LGBMParams, random_state: int, threads: int | None, *, row_wise: bool = True
) -> dict[str, Any]:
    """``params`` in LightGBM's vocabulary with the shared settings. The number of rounds and
    early stopping are passed to the fit call, not here. ``threads=None`` leaves the thread
    count to the runtime (a Dask worker uses its own ``nthreads``)."""
    out: dict[str, Any] = {
        "seed": random_state,
        "verbose": -1,
        "deterministic": True,
        "learning_rate": params.learning_rate,
        "num_leaves": params.num_leaves,
        "min_data_in_leaf": params.min_child_samples,
        "bagging_fraction": params.subsample,
        "bagging_freq": params.subsample_freq,
        "feature_fraction": params.colsample_bytree,
        "lambda_l2": params.reg_lambda,
    }
    if row_wise:
        out["force_row_wise"] = True
    if threads is not None:
        out["num_threads"] = threads
    return out


def ranker_params(params: LGBMParams, random_state: int, threads: int | None) -> dict[str, Any]:
    """The fit ranker's LightGBM parameters: LambdaRank on relevance 0..3 with ``LABEL_GAIN``,
    truncated at ``LAMBDARANK_TRUNCATION``; the same for a local and a distributed fit."""
    return {
        "objective": "lambdarank",
        "label_gain": LABEL_GAIN,
        "lambdarank_truncation_level": LAMBDARANK_TRUNCATION,
        **booster_params(params, random_state, threads),
    }


def monotone_constraints(names: list[str], increasing: tuple[str, ...]) -> list[int]:
    """LightGBM's ``monotone_constraints``: 1 for the features in ``increasing`` (the score
    never falls as they grow), 0 for the others, in the order of ``names``."""
    return [1 if n in increasing else 0 for n in names]


def booster_predict(
    booster: lgb.Booster, X: NDArray[Any], threads: LGBMThreads, **kw: Any
) -> NDArray[np.float64]:
    """``Booster.predict`` on ``threads.predict`` threads for request-sized inputs (fewer than
    ``threads.parallel_predict_rows`` rows), LightGBM's default for bulk scoring."""
    if len(X) < threads.parallel_predict_rows:
        kw["num_threads"] = threads.predict
    return np.asarray(booster.predict(X, **kw), dtype=float)


def categorical_index(names: list[str], categorical: tuple[str, ...]) -> list[int]:
    """Column positions of the categorical features among ``names``."""
    return [i for i, n in enumerate(names) if n in categorical]
