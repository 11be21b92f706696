"""Speed and memory of the library: embedding throughput, training time, recommend latency.

Run on demand: ``make bench`` or ``python benchmarks/bench_pipeline.py [--small]``.

What it does, so the numbers can be read honestly:
1. simulates a 10k-creator market and trains the real pipeline on it (all-MiniLM-L6-v2 on the
   CPU; the embedding cache is disabled so embedding time is real);
2. measures ``recommend`` latency (k=10, one brief at a time, brief embedding included: the
   encoder's cache is off and torch uses one thread, as in the service) on that 10k catalogue;
3. builds a 100k catalogue by replicating the 10k one ten times with new ids and jittered,
   re-normalised vectors (embedding 1M+ real posts would take ~an hour on 2 cores; latency
   depends on catalogue size, not on the vectors' values) and measures latency again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# re-exported: other benchmark scripts import them from here
from replicas import replicate, with_catalogue  # noqa: E402

__all__ = ["latency", "replicate", "rss_mb", "table", "with_catalogue"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(head, rows) -> str:
    """A Markdown-style table, columns padded to their widest cell."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def latency(pipe, briefs, repeats: int) -> tuple[float, float, float]:
    times = []
    for i in range(repeats):
        b = briefs[i % len(briefs)]
        t = time.perf_counter()
        pipe.recommend(b, k=10)
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], times[-1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--small", action="store_true", help="2k creators and x5 replication (a quick look)"
    )
    ap.add_argument("--repeats", type=int, default=50)
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from matcher.config import EncoderConfig, TrainConfig
    from matcher.data.briefs import briefs_to_models
    from matcher.data.io import load_market
    from matcher.ranking.embeddings import SentenceEncoder
    from matcher.simulator.market import MarketConfig, simulate_market, write_market
    from matcher.training.trainer import fit_pipeline
    from serving.model_state import quiet_encoder, set_torch_threads

    n_inf, reps = (2_000, 5) if a.small else (10_000, 10)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        market = simulate_market(
            MarketConfig(n_influencers=n_inf, n_briefs=max(300, n_inf // 20), seed=11),
            progress=False,
        )
        write_market(market, tmp)
        sim_s = time.perf_counter() - t
        tables = load_market(tmp)
        enc = SentenceEncoder(
            EncoderConfig(cache_dir=str(Path(tmp) / "cache"), show_progress=False)
        )
        enc.warm_up()
        sample = tables.posts["text"].astype(str).tolist()[:2000]
        t = time.perf_counter()
        enc.encode(sample)
        emb_rate = len(sample) / (time.perf_counter() - t)
        cfg = TrainConfig(
            data_dir=tmp,
            encoder=EncoderConfig(cache_dir=str(Path(tmp) / "cache2"), show_progress=False),
        )
        t = time.perf_counter()
        pipe, report = fit_pipeline(
            tables, cfg, encoder=SentenceEncoder(cfg.encoder), progress=False
        )
        train_s = time.perf_counter() - t
        # as the service does: no embedding cache per request, so latency includes embedding
        # the brief (training embedded these briefs; a cache hit would hide that cost)
        quiet_encoder(pipe)
        set_torch_threads(1)  # the service's default (MATCHER_TORCH_THREADS): faster for one brief
        briefs = briefs_to_models(tables.briefs)[:50]
        floor = []
        for b in briefs:
            t = time.perf_counter()
            pipe.embed_briefs([b])
            floor.append(1000 * (time.perf_counter() - t))
        floor_ms = statistics.median(floor)
        p50, p95, mx = latency(pipe, briefs, a.repeats)
        rows.append(
            (
                f"{len(pipe.catalogue):,}",
                f"{sim_s:.0f}",
                f"{report.seconds['catalogue']:.0f}",
                f"{train_s - report.seconds['catalogue']:.0f}",
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{mx:.0f}",
                f"{rss_mb():.0f}",
            )
        )
        big = with_catalogue(pipe, replicate(pipe.catalogue, reps))
        p50, p95, mx = latency(big, briefs, a.repeats)
        rows.append(
            (
                f"{len(big.catalogue):,} (x{reps} replica)",
                "-",
                "-",
                "-",
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{mx:.0f}",
                f"{rss_mb():.0f}",
            )
        )

    print(
        f"\nembedding throughput: {emb_rate:,.0f} post texts/s (batch 64, 2 cores); "
        f"embedding one brief alone (median over the briefs below): {floor_ms:.1f} ms"
    )
    head = (
        "catalogue",
        "simulate s",
        "embed+catalogue s",
        "features+fit s",
        "recommend p50 ms",
        "p95 ms",
        "max ms",
        "peak RSS MB",
    )
    print(table(head, rows))


if __name__ == "__main__":
    main()
