"""Labels and splits shared by training and evaluation: graded relevance from observed
outcomes, and the split of briefs by time (the latest briefs are the test set).

Splits respect the problem: briefs are ordered by ``created_at``; the latest are held out,
the ones before them validate (early stopping), the rest train. Never random rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import SplitConfig


def relevance_from_outcomes(outcomes: pd.DataFrame) -> NDArray[np.int64]:
    """Graded relevance: 0 shown only, 1 contacted, 2 accepted, 3 accepted and rated >= 4."""
    contacted = outcomes[S.CONTACTED].astype(bool).to_numpy()
    accepted = outcomes[S.ACCEPTED].astype(bool).to_numpy()
    rating = pd.to_numeric(outcomes.get(S.BRAND_RATING), errors="coerce")
    good = (
        (rating.fillna(0).to_numpy() >= 4) if rating is not None else np.zeros(len(outcomes), bool)
    )
    rel = (
        contacted.astype(np.int64) + accepted.astype(np.int64) + (accepted & good).astype(np.int64)
    )
    return rel


@dataclass
class Split:
    train: list[str]
    valid: list[str]
    test: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


def time_split(briefs: pd.DataFrame, config: SplitConfig) -> Split:
    b = briefs.sort_values([S.CREATED_AT, S.BRIEF_ID], kind="stable")
    ids = b[S.BRIEF_ID].astype(str).tolist()
    n = len(ids)
    n_test = max(1, int(round(n * config.test_fraction)))
    n_valid = max(1, int(round(n * config.valid_fraction)))
    if n - n_test - n_valid < 1:
        raise ValueError(f"{n} briefs are too few to split into train/valid/test")
    return Split(
        train=ids[: n - n_test - n_valid],
        valid=ids[n - n_test - n_valid : n - n_test],
        test=ids[n - n_test :],
    )
