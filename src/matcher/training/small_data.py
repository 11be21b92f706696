"""The ranker for a market with few briefs: capacity from the number of training briefs,
monotone semantic similarity, shrinkage toward the zero-shot prior, warm start.

What each part does and whether the learning curve kept it: docs/learning_curve.md. The
trainer asks ``make_ranker`` for its ``FitRanker`` once it knows how many briefs it trains on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import lightgbm as lgb

from matcher.config import LGBMParams, SmallDataConfig, TrainConfig
from matcher.ranking.features import FEATURES
from matcher.ranking.ranker import FitRanker

logger = logging.getLogger(__name__)

# the semantic similarities of brief and creator: more similar never makes a worse fit
SEMANTIC_FEATURES: tuple[str, ...] = tuple(f for f in FEATURES if f.startswith("sim_"))
# from this many training briefs on, the config's own ranker settings are used unchanged
FULL_CAPACITY_BRIEFS = 1_200
# fewest leaves and rounds the adaptive rule goes down to
MIN_LEAVES = 4
MIN_ROUNDS = 100
# from this many briefs fitted on (train + validation), the learning curve (docs/learning_curve.md:
# 3 report seeds, mean) has the default model ahead of the best baseline by >= 10% in every view at
# this size and every larger one (at 300: +9% profile-only); below it `matcher train` warns
WARN_BELOW_BRIEFS = 600


def adapt_ranker_params(params: LGBMParams, n_briefs: int) -> LGBMParams:
    """``params`` with capacity scaled to ``n_briefs`` training briefs: leaves shrink with the
    square root of the share of ``FULL_CAPACITY_BRIEFS`` (never below ``MIN_LEAVES``), the
    minimum rows per leaf shrinks with the leaves (so a leaf still holds ~3 briefs' rows), rounds
    likewise (never below ``MIN_ROUNDS``); early stopping keeps its patience of all rounds when
    the config has it. From ``FULL_CAPACITY_BRIEFS`` on, ``params`` unchanged."""
    if n_briefs < 1:
        raise ValueError(f"n_briefs must be positive, got {n_briefs}")
    share = min(1.0, n_briefs / FULL_CAPACITY_BRIEFS)
    if share >= 1.0:
        return params
    scale = share**0.5
    leaves = max(MIN_LEAVES, min(params.num_leaves, round(params.num_leaves * scale)))
    min_rows = max(5, min(params.min_child_samples, round(params.min_child_samples * scale)))
    rounds = max(MIN_ROUNDS, min(params.n_estimators, round(params.n_estimators * scale)))
    patience = (
        rounds
        if params.early_stopping_rounds >= params.n_estimators
        else min(params.early_stopping_rounds, rounds)
    )
    return params.model_copy(
        update={
            "num_leaves": leaves,
            "min_child_samples": min_rows,
            "n_estimators": rounds,
            "early_stopping_rounds": patience,
        }
    )


def prior_weight(prior_briefs: float, n_briefs: int) -> float:
    """Weight of the zero-shot prior in the ranker's score: ``k / (k + n)``, the share of a
    pseudo-count of ``k`` prior briefs among all; 0 when ``k`` is 0."""
    if prior_briefs < 0 or n_briefs < 0:
        raise ValueError("prior_briefs and n_briefs must be >= 0")
    if prior_briefs == 0:
        return 0.0
    return float(prior_briefs / (prior_briefs + n_briefs))


def load_warm_start(path: str | Path) -> lgb.Booster:
    """The ranker booster of a saved pipeline folder (its ``ranker.json``)."""
    f = Path(path) / "ranker.json"
    if not f.exists():
        raise FileNotFoundError(
            f"small_data.warm_start: {path} is not a saved pipeline (no ranker.json)"
        )
    return lgb.Booster(model_str=json.loads(f.read_text())["model"])


def ranker_settings(
    config: TrainConfig, n_briefs: int
) -> tuple[LGBMParams, tuple[str, ...], float]:
    """(LightGBM parameters, monotone features, prior weight) for ``n_briefs`` training briefs."""
    sd: SmallDataConfig = config.small_data
    params = adapt_ranker_params(config.ranker, n_briefs) if sd.adaptive else config.ranker
    monotone = SEMANTIC_FEATURES if sd.monotone_semantic else ()
    return params, monotone, prior_weight(sd.prior_briefs, n_briefs)


def make_ranker(config: TrainConfig, n_briefs: int, params: LGBMParams | None = None) -> FitRanker:
    """The ``FitRanker`` the trainer fits for ``n_briefs`` training briefs (``params`` overrides
    the adapted parameters, e.g. the refit's number of rounds)."""
    adapted, monotone, weight = ranker_settings(config, n_briefs)
    return FitRanker(
        params or adapted,
        config.seed,
        monotone=monotone,
        prior_weight=weight,
        smooth_rounds=config.small_data.smooth_rounds,
    )


def training_size_note(metadata: dict[str, Any]) -> tuple[str, bool]:
    """What ``matcher train`` says about the amount of history: the briefs the ranker was fitted
    on, and whether that is below ``WARN_BELOW_BRIEFS`` (then the second item is True)."""
    n_train = int(metadata.get("n_train_briefs", 0))
    n_valid = int(metadata.get("n_valid_briefs", 0))
    n = n_train + n_valid
    text = f"fitted on {n:,} briefs ({n_train:,} train + {n_valid:,} validation)"
    if n < WARN_BELOW_BRIEFS:
        return (
            f"{text}: below {WARN_BELOW_BRIEFS:,}, where the learning curve has the model ahead of the "
            "best baseline by 10% in every view (docs/learning_curve.md); treat its ranking with care "
            "and retrain as outcomes come in",
            True,
        )
    return text, False
