"""Shrinkage toward a zero-shot prior: with few training briefs, the ranker's score is mixed
with the brief's semantic similarity to the profile, which needs no outcomes at all.

``FitRanker`` owns one ``PriorBlend`` (saved in its state); its weight comes from how many
briefs back the ranker (``training.small_data.prior_weight``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

PRIOR_FEATURE = "sim_profile"  # the zero-shot score: the brief's similarity to the profile (the cosine baseline)


class PriorBlend:
    """``score = (1 - w) * raw / raw_scale + w * (prior - prior_mean) / prior_scale``: the
    ranker's raw score and a zero-shot prior feature, each standardised on the training rows,
    mixed with the prior's weight ``w`` (``training.small_data.prior_weight``: large when few
    briefs back the ranker). A missing prior counts as its mean. ``w = 0`` is the raw score."""

    def __init__(
        self,
        feature: str,
        weight: float,
        raw_scale: float = 1.0,
        prior_mean: float = 0.0,
        prior_scale: float = 1.0,
    ) -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"prior weight must be in [0, 1], got {weight}")
        self.feature, self.weight = feature, float(weight)
        self.raw_scale, self.prior_mean, self.prior_scale = (
            float(raw_scale),
            float(prior_mean),
            float(prior_scale),
        )

    @classmethod
    def fitted(
        cls, feature: str, weight: float, raw: NDArray[np.float64], prior: NDArray[np.float64]
    ) -> PriorBlend:
        """Scales from the training rows (a constant column keeps scale 1)."""
        p = prior[np.isfinite(prior)]
        sd_raw = float(np.std(raw)) if len(raw) else 0.0
        sd_p = float(np.std(p)) if len(p) else 0.0
        return cls(
            feature,
            weight,
            sd_raw if sd_raw > 1e-12 else 1.0,
            float(np.mean(p)) if len(p) else 0.0,
            sd_p if sd_p > 1e-12 else 1.0,
        )

    def __call__(self, raw: NDArray[np.float64], prior: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.weight == 0.0:
            return raw
        z = (
            np.where(np.isfinite(prior), prior, self.prior_mean) - self.prior_mean
        ) / self.prior_scale
        return (1.0 - self.weight) * raw / self.raw_scale + self.weight * z

    def state(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "weight": self.weight,
            "raw_scale": self.raw_scale,
            "prior_mean": self.prior_mean,
            "prior_scale": self.prior_scale,
        }
