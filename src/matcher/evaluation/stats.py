"""Statistics for comparing models offline and reading A/B tests. Pure and seeded.

Percentile bootstrap throughout: it needs no distributional assumption, and the per-query
metrics (bounded, skewed, many ties) are far from normal. A/B ratio metrics resample whole
brands (clusters), because one brand's requests are correlated; resampling requests would
make intervals too narrow.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

logger = logging.getLogger(__name__)

_TIE = 1e-12
_CELLS_PER_CHUNK = 2_000_000  # bound memory of (n_boot x n) resampling matrices


def _chunks(n_boot: int, width: int) -> Iterator[tuple[int, int]]:
    step = max(1, _CELLS_PER_CHUNK // max(width, 1))
    for start in range(0, n_boot, step):
        yield start, min(start + step, n_boot)


def _check_alpha(alpha: float, n_boot: int) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")


def bootstrap_ci(
    values: ArrayLike,
    stat: Callable[..., Any] = np.mean,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(estimate, low, high): percentile bootstrap CI of ``stat``; NaN values are dropped.
    ``stat`` is called with ``axis=1`` on a resample matrix when it accepts it (fast path)."""
    _check_alpha(alpha, n_boot)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    estimate = float(stat(x))
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for start, stop in _chunks(n_boot, x.size):
        sample = x[rng.integers(0, x.size, size=(stop - start, x.size))]
        try:
            boots[start:stop] = stat(sample, axis=1)
        except TypeError:
            boots[start:stop] = [stat(row) for row in sample]
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return (estimate, float(low), float(high))


def paired_comparison(a: ArrayLike, b: ArrayLike, n_boot: int = 2000, alpha: float = 0.05,
                      seed: int = 0) -> dict[str, float]:
    """System b vs system a on the same queries (per-query metric values, aligned).

    Pairs where either value is NaN are dropped. Returns mean_a, mean_b, mean_diff (b - a),
    ci_low/ci_high (bootstrap over queries), p_value (Wilcoxon signed-rank, zsplit; 1.0 when
    every difference is zero), wins/ties/losses of b (ties within 1e-12) and n.
    """
    xa = np.asarray(a, dtype=np.float64).ravel()
    xb = np.asarray(b, dtype=np.float64).ravel()
    if xa.shape != xb.shape:
        raise ValueError(f"a and b must be aligned per query: {xa.size} vs {xb.size} values")
    keep = ~(np.isnan(xa) | np.isnan(xb))
    xa, xb = xa[keep], xb[keep]
    n = int(xa.size)
    if n == 0:
        return {"mean_a": math.nan, "mean_b": math.nan, "mean_diff": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "p_value": math.nan, "wins": 0, "ties": 0, "losses": 0, "n": 0}
    d = xb - xa
    d[np.abs(d) <= _TIE] = 0.0
    mean_diff, low, high = bootstrap_ci(d, np.mean, n_boot, alpha, seed)
    p = 1.0 if not d.any() else float(sps.wilcoxon(d, zero_method="zsplit").pvalue)
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    return {"mean_a": float(xa.mean()), "mean_b": float(xb.mean()), "mean_diff": mean_diff,
            "ci_low": low, "ci_high": high, "p_value": p, "wins": wins,
            "ties": n - wins - losses, "losses": losses, "n": n}


def _cluster_ratios(numerators: ArrayLike, denominators: ArrayLike, clusters: ArrayLike,
                    n_boot: int, rng: np.random.Generator) -> tuple[float, NDArray[np.float64], int]:
    """(ratio of sums, bootstrap ratios resampling whole clusters, number of clusters)."""
    num = np.asarray(numerators, dtype=np.float64).ravel()
    den = np.asarray(denominators, dtype=np.float64).ravel()
    codes, uniques = pd.factorize(pd.Series(np.asarray(clusters).ravel()))
    if not num.size == den.size == codes.size:
        raise ValueError("numerators, denominators and clusters must have the same length")
    if num.size == 0:
        raise ValueError("no observations")
    c = len(uniques)
    cn = np.bincount(codes, weights=num, minlength=c)
    cd = np.bincount(codes, weights=den, minlength=c)
    estimate = float(cn.sum() / cd.sum()) if cd.sum() != 0 else math.nan
    boots = np.empty(n_boot)
    for start, stop in _chunks(n_boot, c):
        w = rng.multinomial(c, np.full(c, 1.0 / c), size=stop - start)  # cluster resample counts
        bn, bd = w @ cn, w @ cd
        with np.errstate(divide="ignore", invalid="ignore"):
            boots[start:stop] = np.where(bd != 0, bn / bd, np.nan)
    return estimate, boots, c


def _interval(boots: NDArray[np.float64], alpha: float) -> tuple[float, float]:
    finite = boots[np.isfinite(boots)]
    if finite.size == 0:
        return (math.nan, math.nan)
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


def cluster_bootstrap_ratio(numerators: ArrayLike, denominators: ArrayLike, clusters: ArrayLike,
                            n_boot: int = 2000, alpha: float = 0.05,
                            seed: int = 0) -> tuple[float, float, float]:
    """(sum(num) / sum(den), low, high), resampling clusters (brands) with replacement."""
    _check_alpha(alpha, n_boot)
    estimate, boots, _ = _cluster_ratios(numerators, denominators, clusters, n_boot,
                                         np.random.default_rng(seed))
    return (estimate, *_interval(boots, alpha))


def cluster_bootstrap_lift(num_a: ArrayLike, den_a: ArrayLike, clusters_a: ArrayLike,
                           num_b: ArrayLike, den_b: ArrayLike, clusters_b: ArrayLike,
                           n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> dict[str, float]:
    """Relative lift ratio_b / ratio_a - 1 with a cluster-bootstrap CI.

    Arms are resampled independently (assignment is sticky per brand, so arms share no
    cluster). Returns ratio_a, ratio_b, lift, ci_low, ci_high, n_clusters_a, n_clusters_b.
    """
    _check_alpha(alpha, n_boot)
    rng_a, rng_b = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    ra, boots_a, ca = _cluster_ratios(num_a, den_a, clusters_a, n_boot, rng_a)
    rb, boots_b, cb = _cluster_ratios(num_b, den_b, clusters_b, n_boot, rng_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = np.where(boots_a != 0, boots_b / boots_a - 1.0, np.nan)
    lift = rb / ra - 1.0 if ra != 0 and not math.isnan(ra) else math.nan
    low, high = _interval(lifts, alpha)
    return {"ratio_a": ra, "ratio_b": rb, "lift": lift, "ci_low": low, "ci_high": high,
            "n_clusters_a": ca, "n_clusters_b": cb}


def srm_test(observed_counts: Mapping[str, int],
             expected_shares: Mapping[str, float]) -> tuple[float, float]:
    """Sample-ratio mismatch: chi-square goodness of fit of arm counts to the planned split.

    Shares are normalised to sum to 1; an arm missing from ``observed_counts`` counts 0.
    A tiny p-value (commonly < 0.001) means assignment or logging is broken: do not read the
    test. Returns (nan, nan) when there is no traffic yet.
    """
    unknown = set(observed_counts) - set(expected_shares)
    if unknown:
        raise ValueError(f"observed arms {sorted(unknown)} have no expected share")
    if len(expected_shares) < 2:
        raise ValueError("need at least two arms")
    arms = list(expected_shares)
    shares = np.array([expected_shares[k] for k in arms], dtype=np.float64)
    counts = np.array([observed_counts.get(k, 0) for k in arms], dtype=np.float64)
    if (shares <= 0).any() or not np.isfinite(shares).all():
        raise ValueError(f"expected shares must be positive, got {dict(expected_shares)}")
    if (counts < 0).any():
        raise ValueError(f"observed counts must be non-negative, got {dict(observed_counts)}")
    total = counts.sum()
    if total == 0:
        return (math.nan, math.nan)
    res = sps.chisquare(counts, shares / shares.sum() * total)
    return (float(res.statistic), float(res.pvalue))


def _z(alpha: float, power: float) -> tuple[float, float]:
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError(f"alpha and power must be in (0, 1), got {alpha}, {power}")
    return float(sps.norm.ppf(1 - alpha / 2)), float(sps.norm.ppf(power))


def required_sample_size_proportion(p_baseline: float, relative_lift: float, alpha: float = 0.05,
                                    power: float = 0.8) -> int:
    """Units per arm to detect p -> p * (1 + lift) with a two-sided two-proportion z-test
    (pooled variance under H0, unpooled under H1; no continuity correction)."""
    p1 = p_baseline
    p2 = p_baseline * (1 + relative_lift)
    if not 0 < p1 < 1 or not 0 < p2 < 1 or relative_lift == 0:
        raise ValueError(f"need 0 < p < 1 and a non-zero lift keeping p in (0, 1); got p={p1}, "
                         f"lift={relative_lift}")
    za, zb = _z(alpha, power)
    p_bar = (p1 + p2) / 2
    num = za * math.sqrt(2 * p_bar * (1 - p_bar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(num**2 / (p2 - p1) ** 2)


def required_sample_size_mean(std: float, min_detectable_diff: float, alpha: float = 0.05,
                              power: float = 0.8) -> int:
    """Units per arm to detect a difference in means (two-sided z-test, equal variances):
    n = 2 (z_{1-alpha/2} + z_power)^2 std^2 / diff^2."""
    if std <= 0 or min_detectable_diff == 0:
        raise ValueError(f"need std > 0 and a non-zero difference, got {std}, {min_detectable_diff}")
    za, zb = _z(alpha, power)
    return math.ceil(2 * (za + zb) ** 2 * std**2 / min_detectable_diff**2)
