"""Statistics for comparing models offline and reading A/B tests. Pure and seeded.

Bootstrap intervals come from ``scipy.stats.bootstrap``: BCa (bias-corrected and accelerated)
where it is defined, since the per-query metrics (bounded, skewed, many ties) are far from
normal and BCa corrects the percentile interval's bias and skew; the plain percentile interval
where BCa degenerates (see ``bootstrap_ci``). A/B ratio metrics resample whole brands
(clusters), because one brand's requests are correlated; resampling requests would make
intervals too narrow; their intervals are percentile (``CLUSTER_METHOD``: BCa measured worse). P-values of many segments are corrected for multiple testing with
statsmodels (``adjust_p_values``).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

logger = logging.getLogger(__name__)

_TIE = 1e-12
_CELLS_PER_CHUNK = 2_000_000  # bound memory of (batch x n) resampling matrices
# BCa estimates its bias correction and acceleration from the sample itself (a jackknife): with
# fewer values those estimates are too noisy to improve on the percentile interval, and the few
# distinct resamples make the bootstrap distribution lumpy, so small samples use the percentile.
MIN_BCA_SIZE = 10
P_ADJUST_METHOD = "holm"  # why Holm and not Benjamini-Hochberg: see adjust_p_values
# Brand-cluster intervals of A/B ratios stay percentile: BCa was measured worse there. A/A
# synthetic logs (benchmarks/bootstrap_methods.py), lift CI excluding 0 at a nominal 5%:
# 20 brands per arm 24/150 with BCa vs 16/150 percentile; 100 per arm 6/100 vs 6/100 (the
# probable cause, not isolated: an acceleration estimated from a few heavy-tailed brands).
CLUSTER_METHOD = "percentile"


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
    """(estimate, low, high): bootstrap CI of ``stat`` by ``scipy.stats.bootstrap``; NaN values
    are dropped. ``stat`` is vectorised (called with ``axis``) when its signature accepts it.

    Method: BCa, falling back to the percentile interval when BCa is degenerate: fewer than
    ``MIN_BCA_SIZE`` values (its bias and acceleration estimates are too noisy), or a BCa
    bound that is not finite (scipy's ``DegenerateDataWarning``, e.g. every resample gives the
    same statistic, so the bias correction is infinite). A constant sample has the point
    interval (every resample is the sample itself), returned without resampling.
    """
    _check_alpha(alpha, n_boot)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    estimate = float(stat(x))
    if x.min() == x.max():
        return (estimate, estimate, estimate)
    if x.size >= MIN_BCA_SIZE:
        low, high = _scipy_interval((x,), stat, n_boot, alpha, seed, "BCa")
        if math.isfinite(low) and math.isfinite(high):
            return (estimate, low, high)
        logger.debug("BCa interval degenerate for %d values: using the percentile interval", x.size)
    return (estimate, *_scipy_interval((x,), stat, n_boot, alpha, seed, "percentile"))


def _scipy_bootstrap(
    data: tuple[NDArray[Any], ...],
    stat: Callable[..., Any],
    n_boot: int,
    alpha: float,
    seed: int,
    method: str,
) -> Any:
    """``scipy.stats.bootstrap`` (two-sided, seeded), resamples batched to bound memory; the
    samples of ``data`` are resampled independently."""
    width = sum(len(d) for d in data)
    with warnings.catch_warnings():
        # a degenerate BCa interval comes back as NaN and the caller falls back; no warning needed
        warnings.simplefilter("ignore", sps.DegenerateDataWarning)
        with np.errstate(divide="ignore", invalid="ignore"):
            return sps.bootstrap(
                data,
                stat,
                n_resamples=n_boot,
                batch=max(1, _CELLS_PER_CHUNK // width),
                confidence_level=1 - alpha,
                method=method,
                rng=np.random.default_rng(seed),
            )


def _scipy_interval(
    data: tuple[NDArray[Any], ...],
    stat: Callable[..., Any],
    n_boot: int,
    alpha: float,
    seed: int,
    method: str,
) -> tuple[float, float]:
    res = _scipy_bootstrap(data, stat, n_boot, alpha, seed, method)
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def adjust_p_values(p_values: ArrayLike, method: str = P_ADJUST_METHOD) -> NDArray[np.float64]:
    """P-values adjusted for multiple testing (``statsmodels.stats.multitest.multipletests``);
    NaN p-values (untestable segments) stay NaN and do not count as tests.

    Holm by default: it controls the family-wise error rate under any dependence between the
    tests. Segment tests are dependent (tier and cold-start segments re-score sub-lists of the
    same briefs' lists, niches partition those briefs), and two-sided tests of such overlapping
    sub-samples are not covered by Benjamini-Hochberg's positive-dependence condition; and each
    segment row is read as a claim on its own ("B hurts fitness briefs") that a reader acts on
    (holds a release, opens an investigation), which is what a family-wise rate protects. Holm is uniformly more powerful than
    Bonferroni. ``method="fdr_bh"`` (Benjamini-Hochberg) suits screening many segments for
    leads instead.
    """
    from statsmodels.stats.multitest import multipletests  # ~1 s to import: only when needed

    p = np.asarray(p_values, dtype=np.float64).ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise ValueError(
            f"p-values must be in [0, 1], got {p[ok][(p[ok] < 0) | (p[ok] > 1)][:5].tolist()}"
        )
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def paired_comparison(
    a: ArrayLike, b: ArrayLike, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0
) -> dict[str, float]:
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
        return {
            "mean_a": math.nan,
            "mean_b": math.nan,
            "mean_diff": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "wins": 0,
            "ties": 0,
            "losses": 0,
            "n": 0,
        }
    d = xb - xa
    d[np.abs(d) <= _TIE] = 0.0
    mean_diff, low, high = bootstrap_ci(d, np.mean, n_boot, alpha, seed)
    p = 1.0 if not d.any() else float(sps.wilcoxon(d, zero_method="zsplit").pvalue)
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    return {
        "mean_a": float(xa.mean()),
        "mean_b": float(xb.mean()),
        "mean_diff": mean_diff,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "wins": wins,
        "ties": n - wins - losses,
        "losses": losses,
        "n": n,
    }


def _cluster_sums(
    numerators: ArrayLike, denominators: ArrayLike, clusters: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-cluster sums of numerator and denominator (a cluster resample only needs these)."""
    num = np.asarray(numerators, dtype=np.float64).ravel()
    den = np.asarray(denominators, dtype=np.float64).ravel()
    codes, uniques = pd.factorize(pd.Series(np.asarray(clusters).ravel()))
    if not num.size == den.size == codes.size:
        raise ValueError("numerators, denominators and clusters must have the same length")
    if num.size == 0:
        raise ValueError("no observations")
    c = len(uniques)
    cn = np.bincount(codes, weights=num, minlength=c).astype(np.float64)
    return cn, np.bincount(codes, weights=den, minlength=c).astype(np.float64)


def _ratio(
    cn: NDArray[np.float64], cd: NDArray[np.float64], idx: NDArray[Any], axis: int = -1
) -> Any:
    """sum(num) / sum(den) over the clusters ``idx`` (NaN where the denominator sums to 0)."""
    bn, bd = cn[idx].sum(axis=axis), cd[idx].sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bd != 0, bn / np.where(bd != 0, bd, 1.0), np.nan)


def _cluster_interval(
    samples: tuple[NDArray[np.int64], ...],
    stat: Callable[..., Any],
    n_boot: int,
    alpha: float,
    seed: int,
) -> tuple[float, float]:
    """Cluster bootstrap by ``scipy.stats.bootstrap`` over cluster indices (each sample is one
    arm's clusters, resampled independently; ``stat`` maps resampled indices to the ratio).

    ``CLUSTER_METHOD`` (percentile; BCa when set so and every arm has ``MIN_BCA_SIZE``
    clusters). Resamples whose denominator sums to 0 have no ratio: scipy's interval is then
    NaN, so the percentile is taken over the finite resamples (``_interval``, kept by hand for
    that reason). scipy needs two values per sample: an arm of one cluster is given as that
    cluster twice, which changes no ratio of sums (every resample is still that cluster)."""
    samples = tuple(np.repeat(x, 2) if len(x) == 1 else x for x in samples)
    if CLUSTER_METHOD == "BCa" and min(len(x) for x in samples) >= MIN_BCA_SIZE:
        low, high = _scipy_interval(samples, stat, n_boot, alpha, seed, "BCa")
        if math.isfinite(low) and math.isfinite(high):
            return (low, high)
    res = _scipy_bootstrap(samples, stat, n_boot, alpha, seed, "percentile")
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isfinite(low) and math.isfinite(high):
        return (low, high)
    return _interval(np.asarray(res.bootstrap_distribution, dtype=np.float64), alpha)


def _interval(boots: NDArray[np.float64], alpha: float) -> tuple[float, float]:
    finite = boots[np.isfinite(boots)]
    if finite.size == 0:
        return (math.nan, math.nan)
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


def cluster_bootstrap_ratio(
    numerators: ArrayLike,
    denominators: ArrayLike,
    clusters: ArrayLike,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(sum(num) / sum(den), low, high), resampling clusters (brands) with replacement."""
    _check_alpha(alpha, n_boot)
    cn, cd = _cluster_sums(numerators, denominators, clusters)
    estimate = float(_ratio(cn, cd, np.arange(cn.size)))

    def stat(idx: NDArray[np.int64], axis: int = -1) -> Any:
        return _ratio(cn, cd, idx, axis)

    return (estimate, *_cluster_interval((np.arange(cn.size),), stat, n_boot, alpha, seed))


def cluster_bootstrap_lift(
    num_a: ArrayLike,
    den_a: ArrayLike,
    clusters_a: ArrayLike,
    num_b: ArrayLike,
    den_b: ArrayLike,
    clusters_b: ArrayLike,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """Relative lift ratio_b / ratio_a - 1 with a cluster-bootstrap CI.

    Arms are resampled independently (assignment is sticky per brand, so arms share no
    cluster). Returns ratio_a, ratio_b, lift, ci_low, ci_high, n_clusters_a, n_clusters_b.
    """
    _check_alpha(alpha, n_boot)
    an, ad = _cluster_sums(num_a, den_a, clusters_a)
    bn, bd = _cluster_sums(num_b, den_b, clusters_b)
    ra, rb = float(_ratio(an, ad, np.arange(an.size))), float(_ratio(bn, bd, np.arange(bn.size)))

    def stat(ia: NDArray[np.int64], ib: NDArray[np.int64], axis: int = -1) -> Any:
        r_a = _ratio(an, ad, ia, axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                r_a != 0, _ratio(bn, bd, ib, axis) / np.where(r_a != 0, r_a, 1.0) - 1.0, np.nan
            )

    lift = rb / ra - 1.0 if ra != 0 and not math.isnan(ra) else math.nan
    low, high = _cluster_interval(
        (np.arange(an.size), np.arange(bn.size)), stat, n_boot, alpha, seed
    )
    return {
        "ratio_a": ra,
        "ratio_b": rb,
        "lift": lift,
        "ci_low": low,
        "ci_high": high,
        "n_clusters_a": int(an.size),
        "n_clusters_b": int(bn.size),
    }


def srm_test(
    observed_counts: Mapping[str, int], expected_shares: Mapping[str, float]
) -> tuple[float, float]:
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


def required_sample_size_proportion(
    p_baseline: float, relative_lift: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per arm to detect p -> p * (1 + lift) with a two-sided two-proportion z-test
    (pooled variance under H0, unpooled under H1; no continuity correction)."""
    p1 = p_baseline
    p2 = p_baseline * (1 + relative_lift)
    if not 0 < p1 < 1 or not 0 < p2 < 1 or relative_lift == 0:
        raise ValueError(
            f"need 0 < p < 1 and a non-zero lift keeping p in (0, 1); got p={p1}, "
            f"lift={relative_lift}"
        )
    za, zb = _z(alpha, power)
    p_bar = (p1 + p2) / 2
    num = za * math.sqrt(2 * p_bar * (1 - p_bar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(num**2 / (p2 - p1) ** 2)


def required_sample_size_mean(
    std: float, min_detectable_diff: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per arm to detect a difference in means (two-sided z-test, equal variances):
    n = 2 (z_{1-alpha/2} + z_power)^2 std^2 / diff^2."""
    if std <= 0 or min_detectable_diff == 0:
        raise ValueError(
            f"need std > 0 and a non-zero difference, got {std}, {min_detectable_diff}"
        )
    za, zb = _z(alpha, power)
    return math.ceil(2 * (za + zb) ** 2 * std**2 / min_detectable_diff**2)
