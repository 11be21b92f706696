"""Issue 12's scale benchmark: the REAL service (``bentoml serve``, loopback HTTP) over a catalogue
of N creators, next to the floor (embedding one brief with the torch encoder, 1 thread).

    python benchmarks/scale.py --creators 100000            # a table
    python benchmarks/scale.py --creators 1000000 --json     # one JSON line (keys: JSON_KEYS)

How the catalogue is made: a base pipeline (``--model DIR``, or a simulated ``--base``-creator
market trained with the real all-MiniLM-L6-v2, cached) whose catalogue is replicated with new ids
and jittered, re-normalised vectors (``bench_pipeline.replicate``: embedding 12M real posts would
take half a day on 2 cores; latency and memory depend on the catalogue's size, not its texts).
The saved pipeline is cached under benchmarks/results/scale/creators_N/ (a rerun skips the
build, unless the index settings it was built with differ from the base's; ``--rebuild`` forces
it) with the build time in build.json.

What is measured, in this order:
1. recall@300 in process: the candidate stage (filters + dense + BM25) of the saved pipeline with
   its own vector index against the same with exact search, same briefs (and the dense search
   alone); 1.0 when the pipeline's index is exact;
2. the service started with ``--workers`` workers: start-up = process start to /readyz 200;
3. sequential keep-alive requests in blocks of ``--block`` (10), each block preceded by the floor
   (torch, 1 thread) and the service's encoder (``MATCHER_ENCODER_BACKEND``, as the service reads
   it) embedding the block's briefs in this process, so all three see the same background load
   and each runs with its own caches warm, as it would alone (``--block 1``: a floor run before
   every request, which evicts what the service kept in cache); then ``--concurrency`` clients;
4. RSS and USS (memory unique to the process) of each worker after the requests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
OUT = ROOT / "benchmarks" / "results" / "scale"
JSON_KEYS = (
    "creators",
    "floor_ms",
    "encoder_ms",
    "p50_ms",
    "p95_ms",
    "rps_4",
    "rss_mb",
    "uss_mb",
    "startup_s",
    "recall_at_300",
)
MB = 2**20


# ---------------------------------------------------------------------------- pure helpers
def percentiles(xs: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (numpy's linear interpolation) and the mean; NaN for no samples."""
    if len(xs) == 0:
        return {k: float("nan") for k in ("p50", "p95", "p99", "mean")}
    a = np.asarray(xs, dtype=np.float64)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(a.mean())}


def process_memory_mb(pid: int) -> tuple[float, float, float]:
    """(RSS, USS, anonymous) of one process in MiB. USS = pages only this process maps: what it
    would give back on exit; a memory-mapped file counts in RSS, and in USS only while no other
    process maps the same pages (a worker alone on part of the catalogue shows it in its USS).
    Anonymous = its heap and other memory backed by no file (``/proc/PID/smaps_rollup``; NaN
    where there is none): what it holds whatever the other workers do."""
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return info.rss / MB, info.uss / MB, anonymous_mb(pid)


def anonymous_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def is_worker(cmdline: Iterable[str]) -> bool:
    """A BentoML service worker (``python -m _bentoml_impl.worker.service ...``), not the arbiter
    (``bentoml serve``) nor a helper process."""
    return any("_bentoml_impl.worker" in part for part in cmdline)


def worker_pids(root_pid: int) -> list[int]:
    import psutil

    out = []
    for p in psutil.Process(root_pid).children(recursive=True):
        try:
            if is_worker(p.cmdline()):
                out.append(p.pid)
        except psutil.NoSuchProcess:
            continue
    return sorted(out)


def recall(exact: Iterable[int], approx: Iterable[int]) -> float:
    """Share of the exact result found by the approximate one (1.0 when exact is empty)."""
    e = set(int(x) for x in exact)
    return 1.0 if not e else len(e & set(int(x) for x in approx)) / len(e)


def json_line(result: dict[str, Any]) -> str:
    """The one-line JSON summary, exactly ``JSON_KEYS`` in that order."""
    missing = [k for k in JSON_KEYS if k not in result]
    if missing:
        raise KeyError(f"result lacks {', '.join(missing)}")
    return json.dumps({k: result[k] for k in JSON_KEYS})


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- build
def index_settings(base: Any) -> dict[str, Any]:
    """The settings a built index keeps (``ann.json``) and the kind of index the current code
    builds: a cached catalogue built with other ones is rebuilt, so the benchmark measures what
    the current code would build."""
    from matcher.ranking.ann import KIND

    r = base.config.retrieval
    return {"ann_kind": KIND} | {
        k: getattr(r, k) for k in ("ann_min_rows", "ann_scan_rows", "ann_nprobe", "ann_nlist",
                                   "ann_exact_below")}  # fmt: skip


def build(
    base: Any, creators: int, folder: Path, rebuild: bool = False, base_how: str = ""
) -> dict[str, Any]:
    """The base pipeline over ``creators`` replicated creators, saved in ``folder`` (cached; a
    cache built from another base (``base_how``: which market, trained on which encoder
    backend) or with other index settings is rebuilt)."""
    from replicas import save_replicated

    from matcher.ranking.migrations import FORMAT_VERSION

    info_file = folder / "build.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    settings = index_settings(base)
    if (
        info.get("format") == FORMAT_VERSION
        and info.get("index_settings") == settings
        and info.get("base") == base_how
        and not rebuild
    ):
        log(
            f"catalogue of {info['creators']:,} cached in {folder} (built in {info['build_s']:.0f}s)"
        )
        return {**info, "cached": True}
    times = max(1, round(creators / len(base.catalogue)))
    n = times * len(base.catalogue)
    log(f"building {n:,} creators (x{times} replicas of {len(base.catalogue):,}) in {folder}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    how = save_replicated(base, times, folder / "model")
    info = {"creators": n, "replicas": times, "format": FORMAT_VERSION, **how}
    info["index_settings"] = settings
    info["base"] = base_how
    info["build_s"] = time.perf_counter() - t0
    info_file.write_text(json.dumps(info, indent=2))
    log(f"built in {info['build_s']:.0f}s ({how})")
    return {**info, "cached": False}


# ---------------------------------------------------------------------------- in process
def candidate_recall(model_dir: Path, briefs: list[Any], k: int) -> dict[str, Any]:
    """Recall@k of the saved pipeline's candidate stage (and of its dense search alone) against
    the same with exact search, over ``briefs``."""
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.ranking.retrieval import ExactIndex
    from serving.model_state import quiet_encoder

    t0 = time.perf_counter()
    pipe = quiet_encoder(MatchPipeline.load(model_dir))
    load_s = time.perf_counter() - t0
    index = pipe.index
    exact = index if isinstance(index, ExactIndex) else ExactIndex(pipe.catalogue.profile)
    cand, dense = [], []
    queries = pipe.embed_briefs(briefs)
    for b, q in zip(briefs, queries, strict=True):
        pipe.index = index
        got, _ = pipe.candidates(b, q, k)
        dense_got, _ = index.search(q, k)
        pipe.index = exact
        want, _ = pipe.candidates(b, q, k)
        dense_want, _ = exact.search(q, k)
        cand.append(recall(want, got))
        dense.append(recall(dense_want, dense_got))
    out = {
        "index": type(index).__name__,
        "load_s": load_s,
        "recall_at_300": float(np.mean(cand)),
        "recall_min": float(np.min(cand)),
        "dense_recall": float(np.mean(dense)),
    }
    del pipe, exact, index
    gc.collect()
    return out


def brief_encoders(base: Any) -> tuple[Any, Any]:
    """(torch reference, the encoder the service resolves: ``MATCHER_ENCODER_BACKEND``, else the
    saved one), each in a copy of ``base`` whose ``embed_briefs`` embeds one brief exactly as a
    request does (no cache, no progress bar, 1 torch thread)."""
    import copy

    from matcher.config import EncoderConfig
    from matcher.ranking.embeddings import SentenceEncoder, encoder_from_spec
    from serving.model_state import WARM_UP_BRIEF, quiet_encoder, set_torch_threads

    pipes = []
    for enc in (
        SentenceEncoder(EncoderConfig(backend="torch", show_progress=False)),
        encoder_from_spec(base.encoder.spec(), EncoderConfig(show_progress=False)),
    ):
        p = copy.copy(base)
        p.encoder = enc
        quiet_encoder(p).embed_briefs([WARM_UP_BRIEF])  # loads the weights
        pipes.append(p)
    set_torch_threads(1)
    return pipes[0], pipes[1]


# ---------------------------------------------------------------------------- the service
def serve_and_measure(
    model_dir: Path, bodies: list[dict[str, Any]], probe: Any, args: argparse.Namespace
) -> dict[str, Any]:
    from serve_latency import drive, service

    with tempfile.TemporaryDirectory() as tmp:
        svc = service(model_dir, Path(tmp), args.workers, ready_timeout=300)
        t0 = time.perf_counter()
        svc.start()
        try:
            svc.wait_ready()
            startup_s = time.perf_counter() - t0
            log(f"service ready in {startup_s:.1f}s; {args.requests} sequential requests")
            drive(svc.url, bodies, 2 * args.workers * 5, args.workers)  # warm every worker
            seq = drive(svc.url, bodies, args.requests, 1, floor=probe, block=args.block)
            log(f"{args.requests} requests from {args.concurrency} clients")
            conc = drive(svc.url, bodies, args.requests, args.concurrency)
            assert svc.proc is not None
            pids = worker_pids(svc.proc.pid)
            mem = [process_memory_mb(p) for p in pids]
        finally:
            svc.stop()
    return {"startup_s": startup_s, "seq": seq, "conc": conc, "workers_mem": mem}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--creators", type=int, required=True, help="catalogue size N (rounded to base replicas)"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    ap.add_argument("--model", help="base pipeline directory (default: simulate + train --base)")
    ap.add_argument("--base", type=int, default=2_000, help="creators in the simulated base market")
    ap.add_argument("--workers", type=int, default=2, help="BentoML workers")
    ap.add_argument("--requests", type=int, default=200, help="requests per phase")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--n-briefs", type=int, default=100, help="distinct briefs, round-robin")
    ap.add_argument("--recall-k", type=int, default=300)
    ap.add_argument("--rebuild", action="store_true", help="rebuild a cached catalogue")
    ap.add_argument(
        "--block",
        type=int,
        default=10,
        help="floor runs and requests alternate in blocks of this many (1 = a floor run before "
        "each request)",
    )
    ap.add_argument(
        "--backend",
        choices=("torch", "onnx-int8"),
        help="the service's encoder (sets MATCHER_ENCODER_BACKEND; default: as set, else torch)",
    )
    args = ap.parse_args()
    if args.backend:
        os.environ["MATCHER_ENCODER_BACKEND"] = args.backend
    if min(args.creators, args.workers, args.requests, args.concurrency, args.block) < 1:
        ap.error("--creators, --workers, --requests, --concurrency and --block must be >= 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    OUT.mkdir(parents=True, exist_ok=True)
    from bench_pipeline import table
    from serve_latency import base_pipeline

    base, briefs, how = base_pipeline(args, OUT)
    folder = OUT / f"creators_{args.creators}"
    built = build(base, args.creators, folder, args.rebuild, how)
    model_dir = folder / "model"

    log(f"recall@{args.recall_k} over {len(briefs)} briefs (in process)")
    rec = candidate_recall(model_dir, briefs, args.recall_k)
    torch_pipe, service_pipe = brief_encoders(base)
    floors: list[float] = []
    encs: list[float] = []

    def probe(i: int) -> None:
        b = [briefs[i % len(briefs)]]
        t0 = time.perf_counter()
        torch_pipe.embed_briefs(b)
        t1 = time.perf_counter()
        service_pipe.embed_briefs(b)
        floors.append(1000 * (t1 - t0))
        encs.append(1000 * (time.perf_counter() - t1))

    bodies = [{"brief": json.loads(b.model_dump_json(exclude_none=True)), "k": 10} for b in briefs]
    svc = serve_and_measure(model_dir, bodies, probe, args)
    seq, conc, mem = svc["seq"], svc["conc"], svc["workers_mem"]
    floor_ms, enc_ms = statistics.median(floors), statistics.median(encs)
    result = {
        "creators": built["creators"],
        "floor_ms": round(floor_ms, 2),
        "encoder_ms": round(enc_ms, 2),
        "p50_ms": round(seq["p50"], 2),
        "p95_ms": round(seq["p95"], 2),
        "p99_ms": round(seq["p99"], 2),
        "server_p50_ms": round(seq["server_p50"], 2),
        "rps_1": round(1000 / seq["mean"], 1),
        "rps_4": round(conc["rps"], 1),
        "rss_mb": round(max(m[0] for m in mem), 0) if mem else float("nan"),
        "uss_mb": round(max(m[1] for m in mem), 0) if mem else float("nan"),
        "anon_mb": round(max(m[2] for m in mem), 0) if mem else float("nan"),
        "startup_s": round(svc["startup_s"], 1),
        "recall_at_300": round(rec["recall_at_300"], 4),
        "build_s": round(built["build_s"], 0),
        "index": rec["index"],
        "encoder": getattr(service_pipe.encoder, "backend", type(service_pipe.encoder).__name__),
        "errors": seq["errors"] + conc["errors"],
        "block": args.block,
    }
    (folder / "result.json").write_text(json.dumps({**result, **rec, "workers_mem": mem}, indent=2))
    if args.json:
        print(json_line(result))
        return
    load = os.getloadavg()
    print(
        f"\nbase: {how}, replicated x{built['replicas']} ({built['build_s']:.0f}s to build"
        f"{', cached' if built['cached'] else ''}); index {rec['index']}; service encoder "
        f"{result['encoder']}; {args.workers} workers; "
        f"k=10; {args.requests} requests per phase over {len(briefs)} briefs (floor in blocks of "
        f"{args.block}); loopback; "
        f"{os.cpu_count()} CPUs; load average now {load[0]:.1f}; errors {result['errors']}"
    )
    head = ("creators", "floor ms", "encoder ms", "p50", "p95", "p99", "p50/floor", "server p50", "req/s 1",
            f"req/s {args.concurrency}", "RSS MB/worker", "USS MB/worker", "anon MB/worker", "start-up s",
            f"recall@{args.recall_k}", "dense recall")  # fmt: skip
    row = (
        f"{result['creators']:,}",
        f"{floor_ms:.1f}",
        f"{enc_ms:.1f}",
        f"{seq['p50']:.1f}",
        f"{seq['p95']:.1f}",
        f"{seq['p99']:.1f}",
        f"{seq['p50'] / floor_ms:.2f}x",
        f"{seq['server_p50']:.1f}",
        f"{result['rps_1']:.1f}",
        f"{conc['rps']:.1f}",
        " / ".join(f"{m[0]:.0f}" for m in mem),
        " / ".join(f"{m[1]:.0f}" for m in mem),
        " / ".join(f"{m[2]:.0f}" for m in mem),
        f"{svc['startup_s']:.1f}",
        f"{rec['recall_at_300']:.4f} (min {rec['recall_min']:.3f})",
        f"{rec['dense_recall']:.4f}",
    )
    print(table(head, [row]))
    print(
        "ms measured by the client (HTTP included), sequential keep-alive requests; floor = torch "
        "MiniLM embedding one brief, 1 thread, in this process, in blocks alternating with the requests; encoder = "
        "the service's encoder the same way; server p50 = the service's own latency_ms (ranking, "
        "embedding included; HTTP, validation and the request-log commit not); req/s 1 = 1000 / mean sequential latency; memory "
        "after the requests (psutil memory_full_info; anon = memory backed by no file, smaps_rollup); recall = candidate stage with the "
        "pipeline's index vs exact search, mean over the briefs"
    )


if __name__ == "__main__":
    main()
