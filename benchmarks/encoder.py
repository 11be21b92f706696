"""torch vs ONNX Runtime int8 for the packaged all-MiniLM-L6-v2: speed, closeness, ranking quality.

    python benchmarks/encoder.py                   # every table
    python benchmarks/encoder.py --sections 1,2,3  # speed and cosine only

On one simulated market (real model, no embedding cache in the speed rows), prints:
1. one short brief, median ms over --repeats calls: torch 1/2 threads, onnx qint8 and quint8 1/2
   threads (intra-op);
2. batches of post texts (32/64/128): texts/s, every core;
3. cosine to the torch vectors (mean, min, 1st percentile) on every brief and --posts posts;
4. catalogue build (``Catalogue.build``: bios and posts embedded, nothing cached): texts/s;
5. NDCG@10 of a trained pipeline on the held-out briefs, per view: all torch; the same pipeline
   with briefs embedded by onnx-int8 (the service's mixed case); trained and evaluated on
   onnx-int8 throughout; all torch with another training seed (how much retraining alone moves
   it). Differences to all torch come with a paired 95% bootstrap CI over briefs;
6. cold start: a new process embeds one brief (seconds, peak RSS, whether torch was imported).
The int8 export is made (or reused) in --onnx-dir. Timings on a shared machine are noisy:
re-run on a quiet one for final numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = ("qint8", "quint8")
BRIEF = "vegan protein bars for marathon runners, honest reviews"


def timed_median(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def models(onnx_dir: Path) -> tuple[Any, dict[str, Path], str]:
    """The sentence-transformers model and the int8 files, exported here when missing."""
    from sentence_transformers import SentenceTransformer

    from matcher.config import EncoderConfig
    from matcher.ranking.embeddings import _model_id
    from matcher.ranking.onnx_export import ensure_exported

    path = EncoderConfig().resolved_model_path()
    files = {w: ensure_exported(path, onnx_dir, _model_id(path), w) for w in VARIANTS}  # type: ignore[arg-type]
    return SentenceTransformer(path, device="cpu"), files, path


def one_brief_table(torch_encode: Callable[[list[str]], Any], onnx: Any, repeats: int) -> None:
    import torch

    print(f"\n1. one short brief ({len(BRIEF.split())} words), median ms of {repeats} calls")
    print("| encoder | 1 thread | 2 threads |\n|---|---|---|")
    row = []
    for th in (1, 2):
        torch.set_num_threads(th)
        row.append(timed_median(lambda: torch_encode([BRIEF]), repeats))
    print(f"| torch | {row[0]:.1f} | {row[1]:.1f} |")
    for w in VARIANTS:
        ms = [timed_median(lambda m=onnx[w, th]: m.encode([BRIEF]), repeats) for th in (1, 2)]
        print(f"| onnx {w} | {ms[0]:.1f} | {ms[1]:.1f} |")


def speed_tables(
    st: Any, files: dict[str, Path], path: str, posts: list[str], a: Any, sections: set[str]
) -> None:
    import torch

    from matcher.ranking.onnx_encoder import OnnxSentenceModel

    def torch_encode(texts: list[str]) -> Any:
        return st.encode(texts, batch_size=len(texts), normalize_embeddings=True)

    onnx: dict[tuple[str, int], Any] = {
        (w, th): OnnxSentenceModel(path, f, threads=th) for w, f in files.items() for th in (1, 2)
    }
    if "1" in sections:
        one_brief_table(torch_encode, onnx, a.repeats)
    if "2" not in sections:
        return
    sizes = (32, 64, 128)
    texts = sorted(posts, key=len)  # as the encoder sorts: each batch pads little
    print(f"\n2. batches of {len(texts)} post texts, texts/s, 2 threads")
    print("| encoder | " + " | ".join(f"batch {b}" for b in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    torch.set_num_threads(2)
    runners: dict[str, Callable[[list[str]], Any]] = {"torch": torch_encode}
    runners |= {f"onnx {w}": onnx[w, 2].encode for w in VARIANTS}
    for name, run in runners.items():
        rates = []
        for bs in sizes:
            t = time.perf_counter()
            for i in range(0, len(texts), bs):
                run(texts[i : i + bs])
            rates.append(len(texts) / (time.perf_counter() - t))
        print(f"| {name} | " + " | ".join(f"{r:.0f}" for r in rates) + " |")


def cosine_table(st: Any, files: dict[str, Path], path: str, groups: dict[str, list[str]]) -> None:
    from matcher.ranking.onnx_encoder import OnnxSentenceModel

    print("\n3. cosine to the torch vectors")
    print("| encoder | texts | n | mean | min | p1 |\n|---|---|---|---|---|---|")
    for w, f in files.items():
        m = OnnxSentenceModel(path, f, threads=2)
        for name, texts in groups.items():
            ref = st.encode(texts, batch_size=64, normalize_embeddings=True)
            got = np.concatenate([m.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
            c = (got * ref).sum(axis=1)
            print(
                f"| onnx {w} | {name} | {len(c)} | {c.mean():.4f} | {c.min():.4f} | "
                f"{np.percentile(c, 1):.4f} |"
            )


def encoder(backend: str, cache: Path | None, onnx_dir: Path) -> Any:
    from matcher.config import EncoderConfig
    from matcher.ranking.embeddings import SentenceEncoder

    cfg = EncoderConfig(
        backend=backend,  # type: ignore[arg-type]
        cache_dir=str(cache or onnx_dir),
        onnx_dir=str(onnx_dir),
        show_progress=False,
        threads=0,
    )
    enc = SentenceEncoder(cfg)
    if cache is None:
        enc.cache = None
    return enc


def catalogue_table(tables: Any, onnx_dir: Path) -> None:
    import torch

    from matcher.config import CatalogueConfig
    from matcher.ranking.catalogue import Catalogue

    torch.set_num_threads(2)
    print("\n4. catalogue build (bios + posts embedded, no cache), every core")
    print("| backend | texts embedded | seconds | texts/s |\n|---|---|---|---|")
    for backend in ("torch", "onnx-int8"):
        enc = encoder(backend, None, onnx_dir)
        enc.warm_up()
        count = [0]
        inner = enc._encode_many

        def counting(texts: list[str], desc: str, inner: Any = inner, count: Any = count) -> Any:
            count[0] += len(texts)
            return inner(texts, desc)

        enc._encode_many = counting  # type: ignore[method-assign]
        t = time.perf_counter()
        Catalogue.build(tables.influencers, tables.posts, enc, CatalogueConfig())
        s = time.perf_counter() - t
        print(f"| {backend} | {count[0]} | {s:.1f} | {count[0] / s:.0f} |")


def ndcg_table(market: Path, tables: Any, onnx_dir: Path, cache: Path) -> None:
    from matcher.config import EncoderConfig, TrainConfig
    from matcher.evaluation.offline import evaluate
    from matcher.evaluation.stats import bootstrap_ci
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.simulator.truth import Truth
    from matcher.training.trainer import fit_pipeline

    truth = Truth.from_dir(market)

    def fit(backend: str, seed: int = 42) -> tuple[Any, list[str]]:
        cfg = TrainConfig(data_dir=str(market), seed=seed)
        pipe, report = fit_pipeline(
            tables, cfg, encoder=encoder(backend, cache, onnx_dir), progress=False
        )
        return pipe, list(report.split.test)

    runs: dict[str, Any] = {}
    torch_pipe, test = fit("torch")
    runs["all torch"] = evaluate(torch_pipe, tables, test, truth=truth, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        mixed = MatchPipeline.load(
            torch_pipe.save(Path(tmp) / "p"),
            encoder_config=EncoderConfig(
                backend="onnx-int8", onnx_dir=str(onnx_dir), cache_dir=str(cache)
            ),
        )
        runs["briefs onnx-int8, catalogue torch"] = evaluate(
            mixed, tables, test, truth=truth, progress=False
        )
    runs["all onnx-int8 (trained on it)"] = evaluate(
        fit("onnx-int8")[0], tables, test, truth=truth, progress=False
    )
    runs["all torch, training seed 43"] = evaluate(
        fit("torch", seed=43)[0], tables, test, truth=truth, progress=False
    )
    views = ("logged", "catalogue", "profile-only")
    print(f"\n5. NDCG@10 of the model, {len(test)} held-out briefs (diff to all torch, 95% CI)")
    print("| encoder | " + " | ".join(views) + " |\n|---|" + "---|" * len(views))
    base = runs["all torch"].per_query
    for name, res in runs.items():
        cells = []
        for v in views:
            q = res.per_query
            cur = q[(q.view == v) & (q.system == "model")].set_index("brief_id")["ndcg@10"]
            ref = base[(base.view == v) & (base.system == "model")].set_index("brief_id")["ndcg@10"]
            cell = f"{cur.mean():.3f}"
            if name != "all torch":
                est, lo, hi = bootstrap_ci((cur - ref.reindex(cur.index)).to_numpy())
                cell += f" ({est:+.3f}, {lo:+.3f}..{hi:+.3f})"
            cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |")


COLD = """
import sys, time
t = time.perf_counter()
from matcher.config import EncoderConfig
from matcher.ranking.embeddings import SentenceEncoder
enc = SentenceEncoder(EncoderConfig(backend=sys.argv[1], onnx_dir=sys.argv[2], show_progress=False))
enc.cache = None
enc.encode(["vegan protein bars for runners"])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(time.perf_counter() - t, int(hwm) / 1024, "torch" in sys.modules)
"""


def cold_start_table(onnx_dir: Path) -> None:
    """A fresh process per backend (the export already made): imports, load, one brief. Peak
    RSS is the process's VmHWM (ru_maxrss would carry this parent's peak across exec)."""
    import subprocess

    print("\n6. cold start: a new process embeds one brief (export already cached)")
    print("| backend | seconds | peak RSS MB | torch imported |\n|---|---|---|---|")
    for backend in ("torch", "onnx-int8"):
        out = subprocess.run(
            [sys.executable, "-c", COLD, backend, str(onnx_dir)],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
        ).stdout.split()
        print(f"| {backend} | {float(out[0]):.1f} | {float(out[1]):.0f} | {out[2]} |")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--influencers", type=int, default=1500, help="creators in the market")
    ap.add_argument("--briefs", type=int, default=800, help="briefs in the market")
    ap.add_argument("--seed", type=int, default=11, help="market seed")
    ap.add_argument("--posts", type=int, default=2000, help="post texts for cosine and batches")
    ap.add_argument("--repeats", type=int, default=50, help="calls per one-brief latency")
    ap.add_argument(
        "--sections", default="1,2,3,4,5,6", help="tables to print (5 = NDCG, the slow one)"
    )
    ap.add_argument("--onnx-dir", type=Path, default=Path(".cache/onnx"))
    ap.add_argument("--data-root", type=Path, default=Path("data/bench_encoder"))
    a = ap.parse_args()
    for name in ("influencers", "briefs", "posts", "repeats"):
        if getattr(a, name) < 10:
            ap.error(f"--{name} must be at least 10")
    sections = {s.strip() for s in a.sections.split(",") if s.strip()}
    if not sections or not sections <= set("123456"):
        ap.error(f"--sections must list numbers 1-6, got {a.sections!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)

    from matcher.data.briefs import briefs_to_models
    from matcher.data.io import load_market
    from matcher.ranking.text import brief_text
    from matcher.simulator.market import MarketConfig, simulate_market, write_market

    market = a.data_root / f"seed{a.seed}-{a.influencers}x{a.briefs}"
    if not (market / "market.json").exists():
        cfg = MarketConfig(n_influencers=a.influencers, n_briefs=a.briefs, seed=a.seed)
        write_market(simulate_market(cfg, progress=False), market)
    tables = load_market(market)
    briefs = [brief_text(b) for b in briefs_to_models(tables.briefs)]
    posts = tables.posts.text.sample(min(a.posts, len(tables.posts)), random_state=0).tolist()
    print(
        f"market {market}: {len(tables.influencers)} creators, {len(tables.posts)} posts, "
        f"{len(briefs)} briefs; {os.cpu_count()} CPUs"
    )
    st, files, path = models(a.onnx_dir)
    if sections & {"1", "2"}:
        speed_tables(st, files, path, posts, a, sections)
    if "3" in sections:
        cosine_table(st, files, path, {"briefs": briefs, "posts": posts})
    if "4" in sections:
        catalogue_table(tables, a.onnx_dir)
    if "5" in sections:
        with tempfile.TemporaryDirectory() as cache:
            ndcg_table(market, tables, a.onnx_dir, Path(cache))
    if "6" in sections:
        cold_start_table(a.onnx_dir)


if __name__ == "__main__":
    main()
