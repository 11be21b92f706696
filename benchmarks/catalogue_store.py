"""What the format-3 catalogue store costs and saves (docs/catalogue.md). Prints tables.

python benchmarks/catalogue_store.py quality --data data/eval-seed11
    trains the pipeline on a market, evaluates it on its held-out briefs with the float32
    catalogue it was trained with, saves it (float16 vectors), loads it and evaluates again:
    NDCG@10 per view and system, and the cosine error float16 adds.
python benchmarks/catalogue_store.py memory --model DIR --creators 100000 [--workers 2]
    replicates the model's catalogue (``bench_pipeline.replicate``) to N creators, saves it,
    starts ``--workers`` processes that each load it and answer 20 briefs: start-up time,
    RSS, USS and PSS of each (psutil), the heap a float32/object-array catalogue would need.
python benchmarks/catalogue_store.py sha256 --gb 4
    sha256 throughput on this machine (a file of that size, page-cached and not), to size
    the manifest check of a 1M-creator catalogue.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pipeline import replicate, table, with_catalogue  # noqa: E402

BRIEFS = [
    "sourdough bread baking at home",
    "trail running shoes for beginners",
    "vegan skincare routine",
    "budget travel in south east asia",
    "indie video game reviews",
]


def quality(data: Path, seed: int) -> None:
    from matcher.data.io import load_market
    from matcher.data.labels import time_split
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.training.run import build_config, evaluate_pipeline
    from matcher.training.trainer import fit_pipeline

    cfg = build_config(data_dir=data, seed=seed)
    tables = load_market(data)
    split = time_split(tables.briefs, cfg.split)
    pipe, _ = fit_pipeline(tables, cfg, split=split, progress=True)
    f32 = evaluate_pipeline(pipe, tables, split, data, seed, progress=True).metrics()
    with tempfile.TemporaryDirectory(prefix="catalogue-store-") as tmp:
        loaded = MatchPipeline.load(pipe.save(Path(tmp) / "model"))
        f16 = evaluate_pipeline(loaded, tables, split, data, seed, progress=True).metrics()
        cat32, cat16 = pipe.catalogue, loaded.catalogue
        briefs = tables.briefs[tables.briefs["brief_id"].astype(str).isin(split.test)]
        q = pipe.encoder.encode(briefs["text"].astype(str).tolist()[:200], desc="briefs")
        s32 = np.asarray(cat32.profile, np.float32) @ q.T
        s16 = np.asarray(cat16.profile, np.float32) @ q.T
        err = np.abs(s16 - s32)
        rows = []
        for view, systems in f32.items():
            for system in ("model", "cosine"):
                a, b = systems[system]["ndcg@10"], f16[view][system]["ndcg@10"]
                rows.append([view, system, f"{a:.4f}", f"{b:.4f}", f"{b - a:+.4f}"])
        print(f"market {data}, {len(split.test)} held-out briefs, {len(cat32)} creators")
        print(table(["view", "system", "ndcg@10 float32", "ndcg@10 float16", "diff"], rows))
        vec_rows = []
        for name in ("profile", "bio_emb", "post_emb"):
            a = np.asarray(getattr(cat32, name), np.float64)
            b = np.asarray(getattr(cat16, name), np.float64)
            na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
            ok = (na > 0) & (nb > 0)
            cos = (a[ok] * b[ok]).sum(axis=1) / (na[ok] * nb[ok])
            vec_rows.append([name, f"{(1 - cos).mean():.2e}", f"{(1 - cos).max():.2e}"])
        print()
        print(table(["vectors", "mean 1-cos(f16, f32)", "max 1-cos"], vec_rows))
        print(
            f"\nbrief x profile cosine, |float16 - float32| over {q.shape[0]} briefs x "
            f"{len(cat32)} creators: mean {err.mean():.2e}, p99 {np.quantile(err, 0.99):.2e}, "
            f"max {err.max():.2e}"
        )


WORKER = """
import json, os, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
t0 = time.perf_counter()
import psutil, torch
torch.set_num_threads(1)
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief
t1 = time.perf_counter()
pipe = MatchPipeline.load(sys.argv[1])
t2 = time.perf_counter()
p = psutil.Process()
after_load = p.memory_full_info()
for text in json.loads(sys.argv[2]) * 4:
    pipe.recommend(Brief(text=text), k=10)
t3 = time.perf_counter()
m = p.memory_full_info()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "requests_s": t3 - t2,
  "uss_load": after_load.uss, "rss": m.rss, "uss": m.uss, "pss": m.pss}))
sys.stdout.flush()
sys.stdin.read()  # stay alive (pages mapped) until the parent has measured every worker
"""


def memory(model: Path, creators: int, workers: int, out: Path | None = None) -> None:
    from matcher.ranking.pipeline import MatchPipeline

    pipe = MatchPipeline.load(model, mmap=False)
    cat = pipe.catalogue
    times = max(1, -(-creators // len(cat)))
    with tempfile.TemporaryDirectory(prefix="catalogue-mem-", dir=os.environ.get("TMPDIR")) as tmp:
        t = time.perf_counter()
        big = with_catalogue(pipe, replicate(cat, times))
        build_s = time.perf_counter() - t
        f32_heap = sum(
            np.asarray(getattr(big.catalogue, n)).size * 4
            for n in ("bio_emb", "profile", "post_emb")
        )
        t = time.perf_counter()
        folder = big.save(out or Path(tmp) / "model")
        save_s = time.perf_counter() - t
        n, m = len(big.catalogue), len(big.catalogue.post_emb)
        del big
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(folder), json.dumps(BRIEFS)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        results = [json.loads(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]
        for p in procs:
            p.communicate("")
    mb = 1 / 2**20
    print(
        f"{n} creators, {m} posts (x{times} replicas); build {build_s:.1f} s, save {save_s:.1f} s, "
        f"folder {size * mb:.0f} MiB; float32 vectors alone would be {f32_heap * mb:.0f} MiB of heap "
        "per worker"
    )
    rows = [
        [
            str(i),
            f"{r['load_s']:.2f}",
            f"{r['uss_load'] * mb:.0f}",
            f"{r['uss'] * mb:.0f}",
            f"{r['pss'] * mb:.0f}",
            f"{r['rss'] * mb:.0f}",
            f"{r['requests_s'] / (4 * len(BRIEFS)) * 1000:.0f}",
        ]
        for i, r in enumerate(results)
    ]
    print(
        table(
            [
                "worker",
                "load s",
                "USS after load MiB",
                "USS MiB",
                "PSS MiB",
                "RSS MiB",
                "ms/brief",
            ],
            rows,
        )
    )


def sha256(gb: float) -> None:
    from matcher.ranking.manifest import hash_files, sha256_file

    with tempfile.TemporaryDirectory(prefix="sha-", dir=os.environ.get("TMPDIR")) as tmp:
        folder = Path(tmp)
        parts = 4
        chunk = np.random.default_rng(0).integers(0, 255, 1 << 26, dtype=np.uint8).tobytes()
        per = int(gb * 2**30 / parts)
        for i in range(parts):
            with (folder / f"f{i}.bin").open("wb") as f:
                for _ in range(per // len(chunk)):
                    f.write(chunk)
        names = [f"f{i}.bin" for i in range(parts)]
        total = sum((folder / n).stat().st_size for n in names) / 2**30
        rows = []
        t = time.perf_counter()
        for n in names:
            sha256_file(folder / n)
        rows.append(["1 thread (page cache warm)", f"{time.perf_counter() - t:.1f}"])
        t = time.perf_counter()
        hash_files(folder, names)
        rows.append(["hash_files, threads (warm)", f"{time.perf_counter() - t:.1f}"])
        for i, (label, s) in enumerate(rows):
            rows[i] = [label, s, f"{total / float(s):.2f}"]
    print(f"{total:.1f} GiB in {parts} files")
    print(table(["sha256", "seconds", "GiB/s"], rows))


def _tile_rows(src: Path, dst: Path, times: int, shift: int = 0, chunk: int = 1 << 16) -> None:
    """``src`` (.npy) repeated ``times`` along rows into ``dst``, streamed (never all in memory);
    ``shift``: added to replica i's values times i (offset arrays)."""
    a = np.load(src, mmap_mode="r")
    out = np.lib.format.open_memmap(
        dst, mode="w+", dtype=a.dtype, shape=(len(a) * times, *a.shape[1:])
    )
    for i in range(times):
        for lo in range(0, len(a), chunk):
            block = np.asarray(a[lo : lo + chunk])
            out[i * len(a) + lo : i * len(a) + lo + len(block)] = (
                block + shift * i if shift else block
            )
    out.flush()
    del out


def _tile_offsets(src: Path, dst: Path, times: int) -> None:
    """CSR-style offsets (n+1) of ``times`` concatenated copies."""
    o = np.load(src)
    parts = [o[:1]] + [o[1:] + i * o[-1] for i in range(times)]
    np.save(dst, np.concatenate(parts).astype(o.dtype))


def synthesize(model: Path, out: Path, creators: int) -> Path:
    """A model folder like ``model`` whose current catalogue version is the current one of
    ``model`` repeated to ``creators`` rows, written file by file (not via ``save``: a 1M
    catalogue does not fit the helper's memory budget as float32); new ids, BM25 columns
    repeated, manifest written (that is, hashed) as ``save`` does."""
    import shutil

    from matcher.ranking import catalogue_files as CF
    from matcher.ranking.id_index import IdIndex
    from matcher.ranking.manifest import write_manifest
    from matcher.ranking.text_column import TextColumn

    src = CF.version_dir(model, CF.current_version(model) or "")
    meta = CF.read_meta(src)
    n, m = meta["n_creators"], meta["n_posts"]
    times = max(1, -(-creators // n))
    out.mkdir(parents=True, exist_ok=True)
    for f in model.iterdir():
        if f.is_file() and f.name != CF.POINTER:
            shutil.copy2(f, out / f.name)
    version = CF.new_version_name()
    dst = CF.version_dir(out, version)
    (dst / "arrays").mkdir(parents=True)
    (dst / "texts").mkdir()
    t = time.perf_counter()
    for f in sorted((src / "arrays").glob("*.npy")):
        if f.name.startswith("ids."):
            continue
        if f.name == "post_offsets.npy":
            _tile_offsets(f, dst / "arrays" / f.name, times)
        else:
            a = np.load(f, mmap_mode="r")
            assert len(a) in (n, m), f.name
            _tile_rows(f, dst / "arrays" / f.name, times)
    for name in meta["text_columns"]:
        if name == "ids":
            continue
        _tile_rows(src / "texts" / f"{name}.utf8.npy", dst / "texts" / f"{name}.utf8.npy", times)
        _tile_offsets(
            src / "texts" / f"{name}.offsets.npy", dst / "texts" / f"{name}.offsets.npy", times
        )
    base = TextColumn.load(src / "texts", "ids")
    ids = TextColumn.from_strings(f"{x}-r{i}" for i in range(times) for x in base)
    ids.save(dst / "texts", "ids")
    IdIndex.build(ids).save(dst / "arrays", "ids")
    del ids
    lex = dst / "lexical"
    shutil.copytree(src / "lexical", lex)
    indptr = np.load(src / "lexical" / "indptr.csc.index.npy")
    indices = np.load(src / "lexical" / "indices.csc.index.npy")
    data = np.load(src / "lexical" / "data.csc.index.npy")
    counts = np.diff(indptr)
    col = np.repeat(np.arange(len(counts)), counts)
    base_dest = times * indptr[col] + (np.arange(len(indices)) - indptr[col])
    new_idx = np.lib.format.open_memmap(
        lex / "indices.csc.index.npy", "w+", indices.dtype, (len(indices) * times,)
    )
    new_data = np.lib.format.open_memmap(
        lex / "data.csc.index.npy", "w+", data.dtype, (len(data) * times,)
    )
    for i in range(times):
        dest = base_dest + i * counts[col]
        new_idx[dest] = indices + i * n
        new_data[dest] = data
    new_idx.flush(), new_data.flush()
    del new_idx, new_data
    np.save(lex / "indptr.csc.index.npy", (indptr * times).astype(indptr.dtype))
    for fname, key in (("params.index.json", "num_docs"), ("lexical.json", "n_docs")):
        p = json.loads((lex / fname).read_text())
        p[key] = n * times
        (lex / fname).write_text(json.dumps(p, indent=2))
    from matcher.config import TrainConfig
    from matcher.ranking.ann import build_index

    config = TrainConfig.model_validate(json.loads((model / "pipeline.json").read_text())["config"])
    index = build_index(np.load(dst / "arrays" / "profile.npy", mmap_mode="r"), config.retrieval)
    if hasattr(index, "save"):
        index.save(dst / "ann")
    del index
    meta.update(version=version, parent=meta["version"], n_creators=n * times, n_posts=m * times)
    (dst / CF.META).write_text(json.dumps(meta, indent=2))
    written = time.perf_counter() - t
    t = time.perf_counter()
    write_manifest(dst, CF.VERSION_FILES, CF.VERSION_SUBFOLDERS)
    hashed = time.perf_counter() - t
    CF.publish_version(out, version)
    size = sum(f.stat().st_size for f in dst.rglob("*") if f.is_file())
    print(
        f"synthesised {n * times} creators, {m * times} posts: {size / 2**30:.1f} GiB written in "
        f"{written:.0f} s, manifest (sha256 of every file) {hashed:.0f} s"
    )
    return out


STARTUP = """
import json, sys, time
t0 = time.perf_counter()
import psutil
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief
t1 = time.perf_counter()
pipe = MatchPipeline.load(sys.argv[1])
t2 = time.perf_counter()
m = psutil.Process().memory_full_info()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "uss": m.uss, "rss": m.rss,
  "n": len(pipe.catalogue), "index": type(pipe.index).__name__}))
"""


def startup(model: Path, creators: int, out: Path | None) -> None:
    """Start-up of a process loading a ``creators``-row catalogue: the first load (full sha256
    of the version, then the stamp is written), the next ones (stat check only)."""
    with tempfile.TemporaryDirectory(prefix="catalogue-1m-", dir=os.environ.get("TMPDIR")) as tmp:
        folder = synthesize(model, out or Path(tmp) / "model", creators)
        rows = []
        for run in ("first (full sha256)", "second (stamp)", "third (stamp)"):
            r = subprocess.run(
                [sys.executable, "-c", STARTUP, str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            d = json.loads(r.stdout.strip().splitlines()[-1])
            rows.append(
                [
                    run,
                    f"{d['load_s']:.1f}",
                    f"{d['import_s']:.1f}",
                    f"{d['uss'] / 2**20:.0f}",
                    d["index"],
                ]
            )
        print(f"{d['n']} creators")
        print(table(["load", "MatchPipeline.load s", "imports s", "USS MiB", "index"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--data", type=Path, default=Path("data/eval-seed11"))
    q.add_argument("--seed", type=int, default=42)
    m = sub.add_parser("memory")
    m.add_argument("--model", type=Path, required=True)
    m.add_argument("--creators", type=int, default=100_000)
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--out", type=Path, default=None, help="keep the replicated model here")
    u = sub.add_parser("startup")
    u.add_argument("--model", type=Path, required=True)
    u.add_argument("--creators", type=int, default=1_000_000)
    u.add_argument("--out", type=Path, default=None, help="keep the synthesised model here")
    s = sub.add_parser("sha256")
    s.add_argument("--gb", type=float, default=4.0)
    a = ap.parse_args()
    if a.cmd == "quality":
        quality(a.data, a.seed)
    elif a.cmd == "memory":
        memory(a.model, a.creators, a.workers, a.out)
    elif a.cmd == "startup":
        startup(a.model, a.creators, a.out)
    else:
        sha256(a.gb)


if __name__ == "__main__":
    main()
