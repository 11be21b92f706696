"""80% intervals of a plan's totals, by simulating from what is uncertain about each creator.

Each of ``n_draws`` seeded draws (``np.random.default_rng(seed)``) perturbs, with bounded draws:

- engagements: each creator's engagement rate, lognormal with its model's 10th/90th percentiles
  as the 10th/90th percentiles (sigma = ln(high / low) / 2.563), clipped to [low / 1.5, high x 1.5];
- reach and engagements: the overlap (one community-density factor per draw, exp(N(0, 0.3))
  clipped to [0.5, 2]) and each creator's audience size (exp(N(0, 0.2)) clipped to [0.6, 1.6],
  the catalogue's audience estimates are noisy);
- accepts: each creator accepts with its fit probability (Bernoulli).

The reported value is the objective's expected value; ``low`` / ``high`` are the 10th / 90th
percentiles of the draws (widened to contain the value).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matcher.api import Interval
from matcher.planning.overlap import CoverageParts

Z90 = 1.2815515655446004


def _interval(value: float, draws: NDArray[np.float64]) -> Interval:
    lo, hi = (float(x) for x in np.percentile(draws, [10, 90])) if len(draws) else (value, value)
    return Interval(
        value=round(value, 3), low=round(min(lo, value), 3), high=round(max(hi, value), 3)
    )


def coverage_interval(
    parts: CoverageParts,
    rng: np.random.Generator,
    n_draws: int,
    rate: NDArray[np.float64] | None = None,
    rate_low: NDArray[np.float64] | None = None,
    rate_high: NDArray[np.float64] | None = None,
) -> Interval:
    """Reach (``rate`` None) or engagements (per-creator rate with its 80% interval)."""
    n = len(parts.weight)
    value = float(parts.sizes @ (1.0 - np.prod(1.0 - parts.probs(), axis=0))) if n else 0.0
    if n == 0:
        return _interval(0.0, np.zeros(0))
    out = np.empty(n_draws)
    ks = np.clip(np.exp(0.3 * rng.standard_normal(n_draws)), 0.5, 2.0)
    ms = np.clip(np.exp(0.2 * rng.standard_normal((n_draws, n))), 0.6, 1.6)
    if rate is not None:
        lo = np.maximum(np.asarray(rate_low, dtype=np.float64), 1e-9)
        hi = np.maximum(np.asarray(rate_high, dtype=np.float64), lo * (1 + 1e-9))
        sigma = np.log(hi / lo) / (2 * Z90)
        mu = np.log(np.maximum(np.asarray(rate, dtype=np.float64), 1e-9))
        rates = np.clip(np.exp(mu + sigma * rng.standard_normal((n_draws, n))), lo / 1.5, hi * 1.5)
    for d in range(n_draws):
        w = None if rate is None else np.clip(rates[d], 0.0, 1.0)
        p = parts.probs(kappa_scale=float(ks[d]), mass_scale=ms[d], weight=w)
        out[d] = (parts.sizes / ks[d]) @ (1.0 - np.prod(1.0 - p, axis=0))
    return _interval(value, out)


def accepts_interval(fit: NDArray[np.float64], rng: np.random.Generator, n_draws: int) -> Interval:
    fit = np.clip(np.asarray(fit, dtype=np.float64), 0.0, 1.0)
    draws = (rng.random((n_draws, len(fit))) < fit).sum(1).astype(np.float64)
    return _interval(float(fit.sum()), draws)
