"""Latency and throughput of the REAL service (``bentoml serve`` subprocess, loopback HTTP) on
10k and 100k creator catalogues, next to the floor: embedding one brief in the same process.

    python benchmarks/serve_latency.py                 # base 2k market, catalogues of 10k and 100k
    python benchmarks/serve_latency.py --model models/champion --requests 300 --concurrency 8

How the catalogues are made (printed with the table):
1. a base pipeline: ``--model DIR`` (e.g. the exported champion), or a simulated market of
   ``--base`` creators trained with the real all-MiniLM-L6-v2 (embeddings cached in
   .cache/embeddings, so a rerun skips them);
2. the 10k and 100k catalogues replicate the base catalogue with new ids and jittered,
   re-normalised vectors (``bench_pipeline.replicate``): embedding 1M+ real posts would take
   about an hour on 2 cores, and latency depends on the catalogue's size, not on its texts.
   Replicas have no outcome history (cold starts), which does not change the work per request.

Per catalogue: the floor (``embed_briefs`` of one brief, warm, median), the library's
``recommend`` (k=10) and its stages, then the service: sequential requests (one keep-alive
client) and concurrent ones (``--concurrency`` clients), p50/p95/p99 and throughput. Briefs
are the simulated market's own (varied targeting), sent round-robin. Loopback only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
OUT = ROOT / "benchmarks" / "results" / "serve_latency"


def service_env(model_dir: Path) -> dict[str, str]:
    """The benchmarked service's settings: brief cache off (the briefs repeat, and every request
    must embed its brief); no API keys on loopback (a key lookup is not what is measured) and
    no rate limit (4 clients send more than one key's 20 requests/s)."""
    return {
        "MATCHER_MODEL_FALLBACK": str(model_dir),
        "MATCHER_BRIEF_CACHE": "0",
        "MATCHER_AUTH": "off",
        "MATCHER_RATE_LIMIT": "0",
    }


def service(model_dir: Path, tmp: Path, workers: int | None, ready_timeout: float = 600) -> Any:
    """``bentoml serve`` of ``model_dir`` on loopback (``service_env``), its request log in ``tmp``."""
    from serving.process import ServiceProcess

    return ServiceProcess(
        model=model_dir,
        request_log=tmp / "requests.db",
        workers=workers,
        env=service_env(model_dir),
        ready_timeout=ready_timeout,
    )


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")


def base_pipeline(args: argparse.Namespace, out: Path = OUT) -> tuple[Any, list[Any], str]:
    """(pipeline, briefs, description) from --model or a freshly simulated and trained market
    (cached under ``out``: a rerun loads it). ``args`` needs ``base``, ``n_briefs``, ``model``.
    The market is trained on the encoder backend ``EncoderConfig`` resolves (set
    ``MATCHER_ENCODER_BACKEND`` to train on int8), cached per backend: a service then embeds its
    briefs on the backend its catalogue was built with, never mixed by accident."""
    from matcher.config import EncoderConfig, TrainConfig
    from matcher.data.briefs import briefs_to_models
    from matcher.data.io import load_market
    from matcher.ranking.embeddings import SentenceEncoder
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.simulator.market import MarketConfig, simulate_market, write_market
    from matcher.training.trainer import fit_pipeline

    market_dir = out / f"market_{args.base}"
    if not (market_dir / "briefs.csv").exists():
        write_market(
            simulate_market(
                MarketConfig(n_influencers=args.base, n_briefs=max(300, args.base // 10), seed=11),
                progress=False,
            ),
            market_dir,
        )
    tables = load_market(market_dir)
    briefs = briefs_to_models(tables.briefs)[: args.n_briefs]
    if args.model:
        return MatchPipeline.load(args.model), briefs, f"model {args.model}"
    backend = EncoderConfig().resolved_backend()
    cached = out / (f"base_{args.base}" if backend == "torch" else f"base_{args.base}_{backend}")
    how = f"simulated {args.base:,}-creator market (seed 11), trained on {backend}"
    if (cached / "pipeline.json").exists():
        return MatchPipeline.load(cached), briefs, how
    cfg = TrainConfig(data_dir=str(market_dir), encoder=EncoderConfig(show_progress=False))
    t = time.perf_counter()
    pipe, _ = fit_pipeline(tables, cfg, encoder=SentenceEncoder(cfg.encoder), progress=False)
    print(f"trained the base pipeline in {time.perf_counter() - t:.0f}s", flush=True)
    pipe.save(cached)
    return pipe, briefs, how


def sized(pipe: Any, size: int) -> tuple[Any, Path]:
    """The base pipeline over a catalogue of ``size`` creators (replicated), saved for the service
    (cached per encoder backend, like ``base_pipeline``)."""
    from replicas import replicate, with_catalogue

    times = max(1, round(size / len(pipe.catalogue)))
    cat = pipe.catalogue if times == 1 else replicate(pipe.catalogue, times)
    big = with_catalogue(pipe, cat, benchmark_replicas=times)
    backend = pipe.encoder.spec().get("backend") or "torch"
    d = OUT / (f"catalogue_{len(cat)}" if backend == "torch" else f"catalogue_{len(cat)}_{backend}")
    if not (d / "pipeline.json").exists():
        big.save(d)
    return big, d


def library_profile(pipe: Any, briefs: list[Any], n: int) -> dict[str, float]:
    """Median ms of the floor, of recommend, and of its stages, warm, in this process."""
    from matcher.config import ServingConfig
    from matcher.ranking.matches import assemble_matches
    from serving.model_state import quiet_encoder, set_torch_threads

    quiet_encoder(pipe)
    pipe.recommend(briefs[0], k=10)  # warm up (loads torch)
    set_torch_threads(ServingConfig.from_env().torch_threads)  # the service's setting
    st: dict[str, list[float]] = {
        k: [] for k in ("floor", "recommend", "embed", "candidates", "score", "explain")
    }
    for i in range(n):
        b = briefs[i % len(briefs)]
        t0 = time.perf_counter()
        pipe.embed_briefs([b])
        st["floor"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pipe.recommend(b, k=10)
        st["recommend"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        q = pipe.embed_briefs([b])[0]
        t1 = time.perf_counter()
        sig = pipe.signals(b, q)  # as recommend does: shared by retrieval, scoring, reasons
        rows, _ = pipe.candidates(b, q, max(pipe.config.retrieval.n_candidates, 10), sig)
        t2 = time.perf_counter()
        if len(rows):
            s = pipe.score_rows(b, rows, q, sig)
            t3 = time.perf_counter()
            assemble_matches(pipe, b, s, np.lexsort((s.rows, -s.score))[:10], sig)
        else:
            t3 = time.perf_counter()
        t4 = time.perf_counter()
        for k, v in (
            ("embed", t1 - t0),
            ("candidates", t2 - t1),
            ("score", t3 - t2),
            ("explain", t4 - t3),
        ):
            st[k].append(v)
    return {k: 1000 * statistics.median(v) for k, v in st.items()}


def drive(
    url: str,
    bodies: list[dict[str, Any]],
    n: int,
    concurrency: int,
    floor: Any = None,
    block: int = 1,
) -> dict[str, float]:
    """Send ``n`` /match requests from ``concurrency`` keep-alive clients; client-side latencies.
    ``floor(i)``, when given (sequential only), is timed too, alternating with the requests in
    blocks of ``block``: ``floor(i)`` for the block's ``i``, then their requests. The floor and
    the service then see the same background load; with ``block`` > 1 each side also runs with
    its own caches warm, as it would alone (one floor run evicts much of what a request keeps in
    cache, and a request what the floor does)."""
    import httpx

    floors: list[float] = []
    lat: list[float] = []
    server: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(n))
    step = max(1, block) if floor is not None else 1

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    ids = [i for _, i in zip(range(step), counter, strict=False)]
                if not ids:
                    return
                if floor is not None:
                    for i in ids:
                        t0 = time.perf_counter()
                        floor(i)
                        floors.append(1000 * (time.perf_counter() - t0))
                for i in ids:
                    t0 = time.perf_counter()
                    r = http.post("/match", json=bodies[i % len(bodies)])
                    dt = 1000 * (time.perf_counter() - t0)
                    with lock:
                        if r.status_code == 200:
                            lat.append(dt)
                            server.append(r.json()["latency_ms"])
                        else:
                            errors.append(f"{r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        print(f"  {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return {
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "rps": len(lat) / wall,
        "server_p50": pct(server, 50),
        "errors": len(errors),
        "floor": pct(floors, 50),
        "mean": float(np.mean(lat)) if lat else float("nan"),
    }


def embed_one(pipe: Any, briefs: list[Any], i: int) -> None:
    pipe.embed_briefs([briefs[i % len(briefs)]])


def http_floor(url: str, n: int = 50) -> float:
    import httpx

    with httpx.Client(base_url=url, timeout=30) as http:
        http.get("/model")
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            http.get("/model")
            ts.append(1000 * (time.perf_counter() - t0))
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--model", help="base pipeline directory (default: simulate + train --base creators)"
    )
    ap.add_argument("--base", type=int, default=2_000, help="creators in the simulated base market")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument(
        "--requests", type=int, default=200, help="requests per phase (sequential, concurrent)"
    )
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--workers", type=int, default=None, help="BentoML workers (default: the service's, 1)"
    )
    ap.add_argument("--n-briefs", type=int, default=100)
    ap.add_argument(
        "--profile-n", type=int, default=40, help="in-process repetitions for the floor/stages"
    )
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    OUT.mkdir(parents=True, exist_ok=True)

    from bench_pipeline import table

    base, briefs, how = base_pipeline(args)
    bodies = [{"brief": json.loads(b.model_dump_json(exclude_none=True)), "k": 10} for b in briefs]
    results = []
    for size in args.sizes:
        pipe, model_dir = sized(base, size)
        n_cat = len(pipe.catalogue)
        print(f"\n== catalogue {n_cat:,} ({model_dir})", flush=True)
        prof = library_profile(pipe, briefs, args.profile_n)
        print(
            "  in process (ms, median): " + ", ".join(f"{k} {v:.1f}" for k, v in prof.items()),
            flush=True,
        )
        texts = [briefs[i % len(briefs)] for i in range(len(bodies))]
        with tempfile.TemporaryDirectory() as tmp:
            svc = service(model_dir, Path(tmp), args.workers)
            t0 = time.perf_counter()
            with svc:
                ready_s = time.perf_counter() - t0
                hf = http_floor(svc.url)
                drive(svc.url, bodies, 10, 1)  # warm up
                seq = drive(
                    svc.url,
                    bodies,
                    args.requests,
                    1,
                    floor=functools.partial(embed_one, pipe, texts),
                )
                conc = drive(svc.url, bodies, args.requests, args.concurrency)
        print(
            f"  service ready in {ready_s:.1f}s; GET /model round trip {hf:.1f} ms; floor interleaved with "
            f"the sequential requests {seq['floor']:.1f} ms; server-side latency_ms p50 {seq['server_p50']:.1f}",
            flush=True,
        )
        del pipe
        results.append((n_cat, prof, seq, conc, ready_s, hf))

    load = os.getloadavg()
    print(
        f"\nbase: {how}; catalogues replicate it with new ids and jittered vectors; k=10; "
        f"{args.requests} requests per phase; {len(bodies)} distinct briefs; loopback; "
        f"workers={args.workers or 1}; {os.cpu_count()} CPUs; load average now {load[0]:.1f}"
    )
    head = (
        "catalogue",
        "floor: embed 1 brief",
        "library recommend",
        "server p50",
        "seq p50",
        "seq p95",
        "seq p99",
        "seq req/s",
        f"c={args.concurrency} p50",
        "p95",
        "p99",
        "req/s",
        "p50 / floor",
    )
    rows = []
    for n_cat, prof, seq, conc, _, _ in results:
        rows.append(
            (
                f"{n_cat:,}",
                f"{seq['floor']:.1f} ms",
                f"{prof['recommend']:.1f} ms",
                f"{seq['server_p50']:.1f}",
                f"{seq['p50']:.1f}",
                f"{seq['p95']:.1f}",
                f"{seq['p99']:.1f}",
                f"{seq['rps']:.1f}",
                f"{conc['p50']:.1f}",
                f"{conc['p95']:.1f}",
                f"{conc['p99']:.1f}",
                f"{conc['rps']:.1f}",
                f"{seq['p50'] / seq['floor']:.2f}x",
            )
        )
    print(table(head, rows))
    print(
        "\nwhere the time goes (in process, median ms): "
        + "; ".join(
            f"{n:,}: "
            + ", ".join(f"{k} {prof[k]:.1f}" for k in ("embed", "candidates", "score", "explain"))
            for n, prof, *_ in results
        )
    )
    print(
        "latencies in ms, measured by the client (HTTP included); server p50 = the service's own latency_ms "
        "(ranking only); floor = embed_briefs of one brief in this process, timed just before each sequential "
        "request; library recommend = in process, measured before the service starts; the goal is seq p50 < "
        "2x floor"
    )


if __name__ == "__main__":
    main()
