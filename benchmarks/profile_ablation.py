"""What each part of the real-profile handling buys: train the pipeline with one part switched
off at a time and print NDCG@10 per view (model, cosine, the best baseline, the oracle).

    python benchmarks/profile_ablation.py --data data/eval-seed11 [--out reports/ablation] [--json]

The market must be simulated first (`matcher simulate --out DIR --seed N ...`); use a seed the
defaults were never tuned on. Each variant is a full `matcher train --no-track` with overrides;
the embedding cache makes the re-runs cheap (only switching the text handling re-embeds bios).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from matcher.data.io import load_market
from matcher.ranking.features import FEATURES
from matcher.training.run import build_config, run

BASELINES = ("cosine", "engagement", "followers", "random")
NO_LEXICAL_FEATURE = [f for f in FEATURES if f != "lexical_score"]
NO_TOPIC_FEATURES = [f for f in FEATURES if f not in ("topic_overlap", "interest_sim")]

VARIANTS: dict[str, list[str]] = {
    "full": [],
    "no profile text handling": ["catalogue.profile_text=false"],
    "no BM25 (dense retrieval, no lexical feature)": [
        "retrieval.lexical_weight=0",
        f"features={json.dumps(NO_LEXICAL_FEATURE)}",
    ],
    "no IAB interest features": [f"features={json.dumps(NO_TOPIC_FEATURES)}"],
    "no feature dropout": [
        "feature_dropout.posts=0",
        "feature_dropout.audience=0",
        "feature_dropout.price=0",
        "feature_dropout.history=0",
    ],
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", required=True, help="a simulated market folder")
    ap.add_argument("--out", default="reports/ablation", help="where the variants' pipelines go")
    ap.add_argument("--only", action="append", help="run only these variants (repeatable)")
    ap.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the table"
    )
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on itself at import
    tables = load_market(a.data)
    rows = []
    for name, overrides in VARIANTS.items():
        if a.only and name not in a.only:
            continue
        t0 = time.perf_counter()
        slug = "".join(c if c.isalnum() else "-" for c in name.split(" (")[0])
        cfg = build_config(None, overrides, data_dir=a.data, out_dir=Path(a.out) / slug)
        m = run(cfg, track=False, progress=False, tables=tables).evaluation.metrics()
        for view, systems in m.items():
            best = max(BASELINES, key=lambda s: systems.get(s, {}).get("ndcg@10") or -1.0)
            rows.append(
                {
                    "variant": name,
                    "view": view,
                    "model": systems["model"]["ndcg@10"],
                    "cosine": systems["cosine"]["ndcg@10"],
                    "best_baseline": best,
                    "best_baseline_ndcg": systems[best]["ndcg@10"],
                    "oracle": systems.get("oracle", {}).get("ndcg@10"),
                    "seconds": round(time.perf_counter() - t0, 1),
                }
            )
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    table = Table(title=f"NDCG@10 on the held-out briefs of {a.data}")
    for col in ("variant", "view", "model", "cosine", "lift vs best baseline", "oracle"):
        table.add_column(col)
    for r in rows:
        lift = r["model"] / r["best_baseline_ndcg"] - 1 if r["best_baseline_ndcg"] else float("nan")
        table.add_row(
            r["variant"],
            r["view"],
            f"{r['model']:.3f}",
            f"{r['cosine']:.3f}",
            f"{lift:+.1%} ({r['best_baseline']})",
            f"{r['oracle']:.3f}" if r["oracle"] else "-",
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    sys.exit(main())
