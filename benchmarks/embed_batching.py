"""Does batching briefs help the per-request embedding? (The question behind adaptive batching.)

    python benchmarks/embed_batching.py [--briefs 32] [--threads 1,2]

Embeds the same simulated briefs (real all-MiniLM-L6-v2, no cache) one by one and in batches of
2-16, for each torch thread count, and prints the time per brief. Adaptive batching in the
service could at best turn the batch-1 row into a larger-batch row, at the price of a wait
window on every request.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--briefs", type=int, default=32, help="briefs embedded per measurement")
    ap.add_argument("--threads", default="1,2", help="torch intra-op thread counts to compare")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch

    from matcher.config import EncoderConfig
    from matcher.data.briefs import briefs_to_models
    from matcher.ranking.embeddings import SentenceEncoder
    from matcher.ranking.text import brief_text
    from matcher.simulator.market import MarketConfig, simulate_market

    market = simulate_market(
        MarketConfig(n_influencers=300, n_briefs=max(a.briefs, 300), seed=5), progress=False
    )
    texts = [brief_text(b) for b in briefs_to_models(market.briefs)[: a.briefs]]
    enc = SentenceEncoder(EncoderConfig(show_progress=False))
    enc._encode_batch(texts[:2])  # load the weights (straight to the model: no cache read or write)
    sizes = (1, 2, 4, 8, 16)
    print(
        f"\n{len(texts)} simulated briefs (median {sorted(len(t.split()) for t in texts)[len(texts) // 2]} words), "
        f"ms per brief, best of {a.repeats}; {os.cpu_count()} CPUs"
    )
    print("torch threads | " + " | ".join(f"batch {b:<2d}" for b in sizes))
    print("--------------|-" + "-|-".join("-" * 8 for _ in sizes))
    for th in (int(x) for x in a.threads.split(",")):
        torch.set_num_threads(th)
        row = []
        for bs in sizes:
            best = float("inf")
            for _ in range(a.repeats):
                t = time.perf_counter()
                for i in range(0, len(texts), bs):
                    enc._encode_batch(texts[i : i + bs])
                best = min(best, (time.perf_counter() - t) / len(texts) * 1000)
            row.append(f"{best:8.1f}")
        print(f"{th:<13d} | " + " | ".join(row))


if __name__ == "__main__":
    main()
