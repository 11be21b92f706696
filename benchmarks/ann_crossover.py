"""Where ``IVFIndex`` should stop gathering the creators that pass a brief's filters and scan
the IVF lists instead (``RetrievalConfig.ann_exact_below``).

    python benchmarks/ann_crossover.py --model benchmarks/results/scale/creators_1000000/model \
        --briefs benchmarks/results/scale/market_2000/briefs.csv

For each brief (its hard filters plus the pipeline's own masks, as a request builds them): the
number of creators passing, then the time of the top-300 dense search both ways, on one thread,
with the index's pages mapped first (``IVFIndex.prefault``, as the service does at start-up):
- gather: the passing rows' vectors from the index's direct map, one mat-vec (exact);
- IVF scan: nprobe / share lists with an ``IDSelectorBitmap`` (exact when every list is scanned).
Prints one row per bucket of passing creators: median ms of each way, and which is faster.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BUCKETS = (0, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 10**12)


def best_ms(fn: Any, reps: int) -> float:
    """Median of ``reps`` timed calls after one untimed call."""
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(1000 * (time.perf_counter() - t0))
    return float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--model", required=True, help="a saved pipeline with an IVF index")
    ap.add_argument("--briefs", required=True, help="briefs.csv of a market")
    ap.add_argument("--n-briefs", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--k", type=int, default=300)
    ap.add_argument("--max-gather", type=int, default=100_000, help="skip gathers above this")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import pandas as pd
    from bench_pipeline import table
    from threadpoolctl import threadpool_limits

    from matcher.data.briefs import briefs_to_models
    from matcher.ranking.ann import IVFIndex
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.ranking.retrieval import hard_filter
    from matcher.ranking.signals import prepare_catalogue

    pipe = MatchPipeline.load(args.model)
    index = pipe.index
    if not isinstance(index, IVFIndex):
        sys.exit(f"{args.model}: its index is {type(index).__name__}, not an IVF index")
    prepare_catalogue(pipe.catalogue)
    index.prefault()
    threadpool_limits(1)  # the service's MATCHER_THREADS
    briefs = briefs_to_models(pd.read_csv(args.briefs))[: args.n_briefs]
    queries = pipe.embed_briefs(briefs)
    rows: list[tuple[int, float, float]] = []
    for brief, q in zip(briefs, queries, strict=True):
        mask = hard_filter(brief, pipe.catalogue, pipe.costs, pipe.config.retrieval)
        extra = pipe.signals(brief, q).mask()
        if extra is not None:
            mask &= extra
        passing = np.flatnonzero(mask)
        if len(passing) == 0:
            continue
        below = index.exact_below
        try:
            index.exact_below = 0  # every filtered search scans lists
            scan = best_ms(lambda: index.search(q, args.k, mask), args.reps)  # noqa: B023
            index.exact_below = len(passing)  # this one gathers
            gather = (
                best_ms(lambda: index.search(q, args.k, mask), args.reps)  # noqa: B023
                if len(passing) <= args.max_gather
                else float("nan")
            )
        finally:
            index.exact_below = below
        rows.append((len(passing), scan, gather))
    data = np.array(rows)
    out = []
    for lo, hi in zip(BUCKETS[:-1], BUCKETS[1:], strict=True):
        sel = data[(data[:, 0] > lo) & (data[:, 0] <= hi)]
        if len(sel) == 0:
            continue
        scan, gather = float(np.median(sel[:, 1])), float(np.nanmedian(sel[:, 2]))
        faster = "-" if np.isnan(gather) else ("gather" if gather < scan else "IVF scan")
        span = f"{lo + 1:,}-{hi:,}" if hi < BUCKETS[-1] else f"> {lo:,}"
        out.append((span, str(len(sel)), f"{scan:.1f}", f"{gather:.1f}", faster))
    print(
        f"\n{len(index):,} creators, {index.nlist:,} lists, nprobe {index.nprobe}, top-{args.k}, "
        f"1 thread, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(table(("creators passing", "briefs", "IVF scan ms", "gather ms", "faster"), out))


if __name__ == "__main__":
    main()
