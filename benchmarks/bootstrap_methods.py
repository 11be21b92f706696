"""BCa vs percentile bootstrap intervals where matcher uses them (issue 15).

Run on demand: ``python benchmarks/bootstrap_methods.py [--samples 300] [--aa-runs 150]``.

1. ``stats.bootstrap_ci`` (per-brief metric differences, the offline A/B): coverage of the 95%
   CI of the mean over seeded exponential samples of 40 values (true mean 1), BCa (the default)
   vs the percentile interval (``MIN_BCA_SIZE`` raised so every sample falls back to it);
2. the time of the 320 intervals of a typical ``matcher ab offline`` table (8 overall groups
   and 72 tier/cold-start groups of 400 briefs, 240 niche groups of 13 briefs; 40% ties);
3. ``stats.cluster_bootstrap_lift`` (the A/B lift, brands resampled): how often the lift's CI
   excludes 0 on A/A synthetic logs (``matcher.online.synthetic``), percentile (the default,
   ``CLUSTER_METHOD``) vs BCa, with 40 and 200 brands (about 20 and 100 per arm).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from tqdm.auto import tqdm

from matcher.evaluation import stats


def coverage(n_samples: int) -> dict[str, float]:
    hits = {"BCa": 0, "percentile": 0}
    for s in tqdm(range(n_samples), desc="coverage", mininterval=1.0):
        x = np.random.default_rng(1000 + s).exponential(1.0, 40)
        for method, min_bca in (("BCa", 10), ("percentile", 10**9)):
            stats.MIN_BCA_SIZE = min_bca
            _, lo, hi = stats.bootstrap_ci(x, np.mean, 2000, 0.05, s)
            hits[method] += lo <= 1.0 <= hi
    stats.MIN_BCA_SIZE = 10
    return {k: v / n_samples for k, v in hits.items()}


def table_time() -> dict[str, float]:
    rng = np.random.default_rng(0)
    sizes = [400] * 8 + [13] * 240 + [400] * 72
    samples = [
        np.where(rng.random(n) < 0.4, 0.0, np.clip(rng.normal(0.02, 0.15, n), -1, 1)) for n in sizes
    ]
    out = {}
    for method, min_bca in (("BCa", 10), ("percentile", 10**9)):
        stats.MIN_BCA_SIZE = min_bca
        t = time.perf_counter()
        for x in samples:
            stats.bootstrap_ci(x, np.mean, 2000, 0.05, 0)
        out[method] = time.perf_counter() - t
    stats.MIN_BCA_SIZE = 10
    return out


def aa_false_positives(n_brands: int, n_requests: int, runs: int) -> dict[str, int]:
    from matcher.online import analysis
    from matcher.online.synthetic import synthetic_log

    out = {}
    for method in ("percentile", "BCa"):
        stats.CLUSTER_METHOD = method
        k = 0
        for s in tqdm(range(runs), desc=f"A/A {n_brands} brands {method}", mininterval=1.0):
            f = synthetic_log(n_requests, {"A": 0.5, "B": 0.5}, n_brands=n_brands, seed=s)
            rep = analysis.analyze_experiment(f, metrics=["accept_rate"], n_boot=1000, seed=s)
            e = rep.variants["B"]["lift_vs_control"]["accept_rate"]
            k += bool(e["ci_low"] > 0 or e["ci_high"] < 0)
        out[method] = k
    stats.CLUSTER_METHOD = "percentile"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300, help="exponential samples for the coverage")
    ap.add_argument("--aa-runs", type=int, default=150, help="A/A logs per brand count and method")
    args = ap.parse_args()
    cov = coverage(args.samples)
    print(
        f"coverage of the 95% CI, exponential n=40, {args.samples} samples: "
        f"BCa {cov['BCa']:.1%}, percentile {cov['percentile']:.1%}"
    )
    t = table_time()
    print(
        f"320 intervals of an ab-offline table: BCa {t['BCa']:.2f} s, percentile {t['percentile']:.2f} s"
    )
    for n_brands, runs in ((40, args.aa_runs), (200, max(1, args.aa_runs * 2 // 3))):
        fp = aa_false_positives(n_brands, 1500, runs)
        print(
            f"A/A, {n_brands} brands x 1,500 requests, lift CI excluding 0 (nominal 5%): "
            f"percentile {fp['percentile']}/{runs}, BCa {fp['BCa']}/{runs}"
        )


if __name__ == "__main__":
    main()
