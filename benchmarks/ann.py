"""Issue 12's candidate-stage benchmark: which ANN library, and when to search exactly.

    python benchmarks/ann.py --model /path/to/saved/pipeline --n 1000000      # the full table
    python benchmarks/ann.py --model M --n 200000 --libs faiss-hnsw,usearch  # a quick look

Vectors: the saved pipeline's creator profiles (``--model``; its catalogue.npz or its current
catalogue version) replicated to ``--n`` rows, each copy jittered (N(0, 0.02) per dimension) and
re-normalised, as ``bench_pipeline.replicate`` does; platform, country and followers are copied
with them, so filters keep the real mix. Queries: ``--queries`` real brief texts (``--briefs``)
embedded with all-MiniLM-L6-v2. Vectors, queries and built indexes are cached under ``--work``
(a rerun skips the builds; ``--rebuild`` forces them).

Tables printed:
1. per library and search setting: build time (2 threads), index size on disk, load time
   (memory-mapped where the library can), USS / RSS after load + queries, p50 latency of one
   query (1 thread) and recall@300 against exact search per filter class (none; one platform;
   a follower range; one country; platform + country; platform + country + followers);
2. exact search over the surviving rows (gather + mat-vec) by number of survivors, next to the
   filtered ANN search: where ``RetrievalConfig.ann_exact_below`` comes from;
3. (``--ndcg DATA``) NDCG@10 of the whole pipeline on a small trained market with exact search
   and with the ANN index forced on (``ann_min_rows=0``).
Timings on a shared machine are disturbed by other processes: re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MB = 2**20
K = 300
PLATFORMS = ("instagram", "tiktok", "youtube")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def anon_rss_mb() -> tuple[float, float]:
    """(anonymous, RSS) MiB of this process: anonymous memory is private to a worker, the rest
    of RSS is file-backed (a memory-mapped index), shared by every worker that maps the file."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = float(value.split()[0]) / 1024
    return fields["Anonymous"], fields["Rss"]


MAX_WIDEN = 10


def scaled(s: int, mask: np.ndarray | None, n: int) -> int:
    """The search breadth for a filter: ``s`` / selectivity (a filtered graph search keeps only
    the members among the nodes it visits), at most ``MAX_WIDEN`` x s and n: beyond that the
    graph search costs more than exact search over the survivors (table 2)."""
    if mask is None:
        return s
    return int(min(n, MAX_WIDEN * s, np.ceil(s / max(float(mask.mean()), 1e-6))))


# ---------------------------------------------------------------------------- data
def base_catalogue(model: Path) -> dict[str, np.ndarray]:
    """profile, platform, country and followers of a saved pipeline's catalogue."""
    npz = model / "catalogue.npz"
    if npz.exists():
        z = np.load(npz, allow_pickle=False)
        return {
            "profile": z["profile"].astype(np.float32),
            "platform": z["platforms"].astype(str),
            "country": z["countries"].astype(str),
            "followers": z["followers"].astype(np.float64),
        }
    from matcher.ranking.catalogue_files import current_version, load_catalogue, version_dir

    version = current_version(model)
    if version is None:
        raise SystemExit(f"--model {model}: no catalogue.npz and no CATALOGUE pointer")
    cat = load_catalogue(version_dir(model, version)).catalogue
    return {
        "profile": np.asarray(cat.profile, dtype=np.float32),
        "platform": np.asarray([str(p) for p in cat.platforms]),
        "country": np.asarray([str(c) for c in cat.countries]),
        "followers": np.asarray(cat.followers, dtype=np.float64),
    }


def make_data(model: Path, n: int, work: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` rows replicated from the base catalogue (cached as .npy, the vectors memory-mapped)."""
    folder = work / f"data_{n}"
    vec_file = folder / "vectors.npy"
    if not vec_file.exists():
        from matcher.vectors import unit_rows

        base = base_catalogue(model)
        m = len(base["profile"])
        times = -(-n // m)
        log(f"replicating {m} profiles x {times} -> {n} rows")
        folder.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(folder / "tmp.npy", "w+", np.float32, (n, 384))
        rng = np.random.default_rng(seed)
        for i in range(times):
            lo, hi = i * m, min(n, (i + 1) * m)
            v = base["profile"][: hi - lo]
            if i:
                v = unit_rows(v + rng.normal(0, 0.02, v.shape).astype(np.float32))
            out[lo:hi] = v
        out.flush()
        del out
        attrs = {k: np.resize(base[k], n) for k in ("platform", "country", "followers")}
        np.savez(folder / "attrs.npz", **attrs)
        os.replace(folder / "tmp.npy", vec_file)
    data = dict(np.load(folder / "attrs.npz", allow_pickle=False))
    data["vectors"] = np.load(vec_file, mmap_mode="r")
    return data


def make_queries(briefs_csv: Path, count: int, work: Path) -> np.ndarray:
    f = work / f"queries_{count}.npy"
    if f.exists():
        return np.load(f)
    import pandas as pd

    from matcher.config import EncoderConfig
    from matcher.ranking.embeddings import SentenceEncoder

    texts = pd.read_csv(briefs_csv)["text"].astype(str).tolist()
    rng = np.random.default_rng(1)
    texts = [texts[i] for i in rng.choice(len(texts), min(count, len(texts)), replace=False)]
    enc = SentenceEncoder(EncoderConfig(cache_dir=str(work / "cache"), show_progress=False))
    q = np.asarray(enc.encode(texts), dtype=np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.save(f, q)
    return q


def filter_classes(data: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    """Masks of realistic selectivity, from the replicated real attributes."""
    plat = data["platform"] == "instagram"
    countries, counts = np.unique(data["country"], return_counts=True)
    share = counts / counts.sum()
    # the country whose share is closest to 5%
    country = data["country"] == countries[int(np.argmin(np.abs(share - 0.05)))]
    fol = (data["followers"] >= 10_000) & (data["followers"] <= 50_000)
    return {
        "none": None,
        "platform": plat,
        "followers": fol,
        "country": country,
        "plat+country": plat & country,
        "plat+country+fol": plat & country & fol,
    }


# ---------------------------------------------------------------------------- exact
def exact_topk(vectors: np.ndarray, queries: np.ndarray, mask: np.ndarray | None) -> list[set[int]]:
    """Exact top-K row sets per query (blocks of rows, so a memory-mapped input stays cheap)."""
    n = len(vectors)
    sims = np.empty((len(queries), n), dtype=np.float32)
    step = 100_000
    for lo in range(0, n, step):
        sims[:, lo : lo + step] = queries @ np.asarray(vectors[lo : lo + step], dtype=np.float32).T
    if mask is not None:
        sims[:, ~mask] = -np.inf
    out = []
    for s in sims:
        k = min(K, int(np.isfinite(s).sum()))
        top = np.argpartition(-s, k - 1)[:k]
        out.append(set(top.tolist()))
    return out


def recall(truth: list[set[int]], got: list[np.ndarray]) -> float:
    vals = [len(t & set(g.tolist())) / max(1, len(t)) for t, g in zip(truth, got, strict=True)]
    return float(np.mean(vals))


# ---------------------------------------------------------------------------- libraries
class Lib:
    """One library wrapped for the benchmark: build, save, load, search(q, k, mask, setting)."""

    name = ""
    settings: tuple[int, ...] = ()
    setting_name = ""

    def build(self, vectors: np.ndarray) -> Any: ...
    def save(self, index: Any, folder: Path) -> None: ...
    def load(self, folder: Path) -> Any: ...
    def search(self, index: Any, q: np.ndarray, mask: np.ndarray | None, s: int) -> np.ndarray: ...


def _overfetch(search: Callable[[int], np.ndarray], mask: np.ndarray | None, n: int) -> np.ndarray:
    """Libraries without a filter in Python: fetch k / selectivity x 1.5 and filter after."""
    if mask is None:
        return search(K)
    count = scaled(int(K * 1.5), mask, n)
    rows = search(count)
    return rows[mask[rows]][:K]


class FaissHNSW(Lib):
    name, settings, setting_name = "faiss HNSW32 (flat)", (600, 1000, 2000), "efSearch"

    def build(self, vectors: np.ndarray) -> Any:
        import faiss

        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.verbose = False
        for lo in range(0, len(vectors), 100_000):
            index.add(np.ascontiguousarray(vectors[lo : lo + 100_000], dtype=np.float32))
            log(f"  faiss hnsw: {lo + 100_000} added")
        return index

    def save(self, index: Any, folder: Path) -> None:
        import faiss

        faiss.write_index(index, str(folder / "index.faiss"))

    def load(self, folder: Path) -> Any:
        import faiss

        return faiss.read_index(str(folder / "index.faiss"), faiss.IO_FLAG_MMAP_IFC)

    def search(self, index: Any, q: np.ndarray, mask: np.ndarray | None, s: int) -> np.ndarray:
        import faiss

        params = faiss.SearchParametersHNSW()
        params.efSearch = scaled(s, mask, index.ntotal)
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
            params.sel = sel
        _, ids = index.search(q[None, :], K, params=params)
        ids = ids[0]
        return ids[ids >= 0]


class FaissIVF(Lib):
    name, settings, setting_name = "faiss IVFFlat", (32, 96, 256), "nprobe"

    def build(self, vectors: np.ndarray) -> Any:
        import faiss

        n, d = vectors.shape
        nlist = int(4 * np.sqrt(n))
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = np.asarray(vectors[np.sort(rng.choice(n, min(n, 40 * nlist), replace=False))])
        index.train(sample)
        for lo in range(0, n, 100_000):
            index.add(np.ascontiguousarray(vectors[lo : lo + 100_000], dtype=np.float32))
        return index

    save = FaissHNSW.save

    def load(self, folder: Path) -> Any:
        import faiss

        return faiss.read_index(str(folder / "index.faiss"), faiss.IO_FLAG_MMAP)

    def search(self, index: Any, q: np.ndarray, mask: np.ndarray | None, s: int) -> np.ndarray:
        import faiss

        params = faiss.SearchParametersIVF()
        params.nprobe = scaled(s, mask, index.nlist)
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        _, ids = index.search(q[None, :], K, params=params)
        ids = ids[0]
        return ids[ids >= 0]


class USearch(Lib):
    name, settings, setting_name = "usearch HNSW32 (f16)", (600, 1000, 2000), "expansion"

    def build(self, vectors: np.ndarray) -> Any:
        from usearch.index import Index

        index = Index(
            ndim=vectors.shape[1], metric="ip", dtype="f16", connectivity=32, expansion_add=80
        )
        for lo in range(0, len(vectors), 100_000):
            block = np.ascontiguousarray(vectors[lo : lo + 100_000], dtype=np.float32)
            index.add(np.arange(lo, lo + len(block)), block, threads=2)
            log(f"  usearch: {lo + len(block)} added")
        return index

    def save(self, index: Any, folder: Path) -> None:
        index.save(str(folder / "index.usearch"))

    def load(self, folder: Path) -> Any:
        from usearch.index import Index

        return Index.restore(str(folder / "index.usearch"), view=True)

    def search(self, index: Any, q: np.ndarray, mask: np.ndarray | None, s: int) -> np.ndarray:
        index.expansion_search = s

        def run(count: int) -> np.ndarray:
            index.expansion_search = max(scaled(s, mask, len(index)), count)
            return np.asarray(index.search(q, count, threads=1).keys, dtype=np.int64)

        return _overfetch(run, mask, len(index))


class HnswLib(Lib):
    name, settings, setting_name = "hnswlib M32", (600, 1000, 2000), "ef"

    def build(self, vectors: np.ndarray) -> Any:
        import hnswlib

        index = hnswlib.Index(space="ip", dim=vectors.shape[1])
        index.init_index(max_elements=len(vectors), ef_construction=80, M=32)
        index.set_num_threads(2)
        for lo in range(0, len(vectors), 100_000):
            block = np.ascontiguousarray(vectors[lo : lo + 100_000], dtype=np.float32)
            index.add_items(block, np.arange(lo, lo + len(block)))
            log(f"  hnswlib: {lo + len(block)} added")
        return index

    def save(self, index: Any, folder: Path) -> None:
        index.save_index(str(folder / "index.hnsw"))

    def load(self, folder: Path) -> Any:
        import hnswlib

        index = hnswlib.Index(space="ip", dim=384)
        index.load_index(str(folder / "index.hnsw"))
        index.set_num_threads(1)
        return index

    def search(self, index: Any, q: np.ndarray, mask: np.ndarray | None, s: int) -> np.ndarray:
        def run(count: int) -> np.ndarray:
            index.set_ef(max(scaled(s, mask, index.get_current_count()), count))
            labels, _ = index.knn_query(q, k=count)
            return np.asarray(labels[0], dtype=np.int64)

        return _overfetch(run, mask, index.get_current_count())


LIBS: dict[str, type[Lib]] = {
    "faiss-hnsw": FaissHNSW,
    "faiss-ivf": FaissIVF,
    "usearch": USearch,
    "hnswlib": HnswLib,
}


def du_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir()) / MB


def bench_lib(
    key: str,
    data: dict[str, np.ndarray],
    queries: np.ndarray,
    truths: dict[str, list[set[int]]],
    masks: dict[str, np.ndarray | None],
    work: Path,
    rebuild: bool,
) -> list[list[str]]:
    lib = LIBS[key]()
    n = len(data["vectors"])
    folder = work / f"{key}_{n}"
    meta_file = folder / "build.json"
    if rebuild or not meta_file.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        log(f"building {lib.name} over {n} rows")
        t = time.perf_counter()
        index = lib.build(data["vectors"])
        build_s = time.perf_counter() - t
        lib.save(index, folder)
        del index
        gc.collect()
        meta_file.write_text(json.dumps({"build_s": build_s}))
    build_s = json.loads(meta_file.read_text())["build_s"]
    import faiss

    faiss.omp_set_num_threads(1)  # one query, one thread: as in a service worker
    anon0, rss0 = anon_rss_mb()
    t = time.perf_counter()
    index = lib.load(folder)
    load_s = time.perf_counter() - t
    rows = []
    for s in lib.settings:
        lat: dict[str, float] = {}
        rec: dict[str, float] = {}
        for cls, mask in masks.items():
            got, times = [], []
            try:
                for q in queries:
                    t = time.perf_counter()
                    got.append(lib.search(index, q, mask, s))
                    times.append(1000 * (time.perf_counter() - t))
            except RuntimeError as e:  # hnswlib: "Cannot return the results ..." on big fetches
                log(f"  {lib.name} {cls}: {e}")
                lat[cls], rec[cls] = float("nan"), float("nan")
                continue
            lat[cls], rec[cls] = statistics.median(times), recall(truths[cls], got)
        anon, rss = anon_rss_mb()
        rows.append(
            [
                lib.name,
                f"{lib.setting_name} {s}",
                f"{build_s:.0f}",
                f"{du_mb(folder):.0f}",
                f"{load_s:.2f}",
                f"{anon - anon0:.0f} / {rss - rss0:.0f}",
            ]
            + [f"{rec[c]:.3f} ({lat[c]:.1f})" for c in masks]
        )
        log(" | ".join(rows[-1]))
    del index
    gc.collect()
    return rows


def exact_table(
    vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int], ivf: Any = None
) -> list[list[str]]:
    """Exact search over ``s`` surviving rows: flatnonzero + gather + mat-vec + top-k, from the
    memory-mapped vectors (numpy) and through the IVF index's direct map (``IVFIndex``)."""
    rng = np.random.default_rng(3)
    n = len(vectors)
    rows = []
    for s in sizes:
        if s > n:
            continue
        mask = np.zeros(n, bool)
        mask[rng.choice(n, s, replace=False)] = True
        times = []
        for q in queries[:50]:
            t = time.perf_counter()
            idx = np.flatnonzero(mask)
            sims = np.asarray(vectors[idx], dtype=np.float32) @ q
            k = min(K, len(idx))
            top = np.argpartition(-sims, k - 1)[:k]
            _ = idx[top[np.argsort(-sims[top])]]
            times.append(1000 * (time.perf_counter() - t))
        row = [f"{s:,}", f"{s / n:.2%}", f"{statistics.median(times):.1f}"]
        if ivf is not None:
            times = []
            for q in queries[:50]:
                t = time.perf_counter()
                ivf.search(q, K, mask)
                times.append(1000 * (time.perf_counter() - t))
            row.append(f"{statistics.median(times):.1f}")
        rows.append(row)
    return rows


def module_table(
    data: dict[str, np.ndarray],
    queries: np.ndarray,
    truths: dict[str, list[set[int]]],
    masks: dict[str, np.ndarray | None],
    work: Path,
    scan_rows: Sequence[int],
    exact_below: int,
) -> list[list[str]]:
    """``matcher.ranking.ann.IVFIndex`` (what ``build_index`` returns) over the faiss-ivf index
    built above: lists for ``ann_scan_rows`` rows, x 1 / share passing under a filter; gathered
    and exact at most ``exact_below`` passing (lists scanned shown as 0)."""
    import faiss

    from matcher.config import RetrievalConfig
    from matcher.ranking.ann import IVFIndex, default_nprobe

    faiss.omp_set_num_threads(1)
    folder = work / f"faiss-ivf_{len(data['vectors'])}"
    raw = FaissIVF().load(folder)
    rows = []
    for rows_to_scan in scan_rows:
        cfg = RetrievalConfig(ann_scan_rows=rows_to_scan)
        nprobe = default_nprobe(cfg, raw.ntotal, raw.nlist)
        index = IVFIndex(raw, nprobe, exact_below)
        cells = []
        for cls, mask in masks.items():
            got, times = [], []
            for q in queries:
                t = time.perf_counter()
                got.append(index.search(q, K, mask)[0])
                times.append(1000 * (time.perf_counter() - t))
            probes = index.nprobe if mask is None else index.probes(int(mask.sum()))
            cells.append(
                f"{recall(truths[cls], got):.3f} ({statistics.median(times):.1f}, {probes})"
            )
        rows.append([f"scan {rows_to_scan:,} (nprobe {nprobe}), exact <= {exact_below:,}"] + cells)
        log(" | ".join(rows[-1]))
    return rows


def ndcg_table(model: Path, data_dir: Path, scan_rows: Sequence[int]) -> list[list[str]]:
    """NDCG@10 of ``recommend`` on the market's held-out briefs, gains = the simulator's true
    utility (clipped at 0), ideal = the best 10 creators passing the brief's filters; the saved
    pipeline with exact search against the same pipeline with the IVF index forced on."""
    from matcher.online.traffic import held_out_briefs
    from matcher.ranking.ann import build_index
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.ranking.retrieval import ExactIndex, hard_filter
    from matcher.simulator.truth import load_truth

    truth = load_truth(data_dir)
    if truth is None:
        raise SystemExit(f"--ndcg {data_dir}: no truth/ folder (a simulated market is needed)")
    pipe = MatchPipeline.load(model)
    briefs = held_out_briefs(data_dir)
    cat = pipe.catalogue

    def ndcg(brief: Any) -> float:
        rec = pipe.recommend(brief, k=10)
        ids = [m.influencer_id for m in rec.matches]
        gains = np.maximum(truth.expected_utility(brief.brief_id, ids), 0)
        mask = hard_filter(brief, cat, pipe.costs, pipe.config.retrieval)
        allowed = pipe.signals(brief, pipe.embed_briefs([brief])[0]).mask()
        if allowed is not None:
            mask &= allowed
        every = np.maximum(truth.expected_utility(brief.brief_id, list(cat.ids[mask])), 0)
        ideal = np.sort(every)[::-1][:10]
        disc = 1 / np.log2(np.arange(2, 12))
        best = float((ideal * disc[: len(ideal)]).sum())
        return float((gains * disc[: len(gains)]).sum()) / best if best > 0 else float("nan")

    assert isinstance(pipe.index, ExactIndex)
    exact = [ndcg(b) for b in briefs]
    rows = [["exact", f"{np.nanmean(exact):.4f}", "-", str(len(briefs))]]
    for scan in scan_rows:
        cfg = pipe.config.retrieval.model_copy(
            update={"ann_min_rows": 0, "ann_scan_rows": scan, "ann_exact_below": 0}
        )
        pipe.index = build_index(cat.profile, cfg)
        got = [ndcg(b) for b in briefs]
        nprobe = getattr(pipe.index, "nprobe", 0)
        nlist = getattr(pipe.index, "nlist", 0)
        diff = np.nanmean(np.asarray(got) - np.asarray(exact))
        rows.append(
            [
                f"IVF, scan {scan:,} rows ({nprobe} of {nlist} lists)",
                f"{np.nanmean(got):.4f}",
                f"{diff:+.4f}",
                str(len(briefs)),
            ]
        )
        log(" | ".join(rows[-1]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--model", type=Path, required=True, help="a saved pipeline (its profiles)")
    ap.add_argument("--briefs", type=Path, default=ROOT / "data" / "eval-seed11" / "briefs.csv")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--libs", default=",".join(LIBS))
    ap.add_argument("--work", type=Path, default=Path("/tmp/matcher-ann-bench"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--threads", type=int, default=2, help="threads for building")
    ap.add_argument(
        "--module-scan-rows",
        type=lambda x: [int(v) for v in x.split(",")],
        default=[5_000, 10_000, 20_000],
    )
    ap.add_argument("--module-exact-below", type=int, default=20_000)
    ap.add_argument(
        "--ndcg", type=Path, help="a simulated market (with truth/) --model was trained on"
    )
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    libs = [] if a.libs == "none" else a.libs.split(",")
    unknown = set(libs) - set(LIBS)
    if unknown:
        raise SystemExit(f"--libs: unknown {sorted(unknown)}; known: {sorted(LIBS)}")
    import faiss

    faiss.omp_set_num_threads(a.threads)
    if a.ndcg is not None:  # table 3 only
        print(f"\n## NDCG@10 of recommend, exact vs IVF ({a.model.name}, held-out briefs)\n")
        nd = ndcg_table(a.model, a.ndcg, (300, 1_000, 10_000))
        print(table(["dense search", "NDCG@10", "vs exact", "briefs"], nd))
        return
    a.work.mkdir(parents=True, exist_ok=True)
    queries = make_queries(a.briefs, a.queries, a.work)
    data = make_data(a.model, a.n, a.work)
    masks = filter_classes(data)
    log("exact top-300 per filter class")
    truths = {c: exact_topk(data["vectors"], queries, m) for c, m in masks.items()}
    sel = {c: 1.0 if m is None else float(m.mean()) for c, m in masks.items()}
    rows = []
    for key in libs:
        faiss.omp_set_num_threads(a.threads)
        rows += bench_lib(key, data, queries, truths, masks, a.work, a.rebuild)
    head = ["library", "setting", "build s", "size MB", "load s", "private / RSS MB"] + [
        f"{c} ({sel[c]:.1%})" for c in masks
    ]
    print(f"\n## {a.n:,} x 384, {len(queries)} briefs: recall@{K} (p50 ms of one query)\n")
    if rows:
        print(table(head, rows))
    if (a.work / f"faiss-ivf_{a.n}" / "build.json").exists():
        print(f"\n## the module: IVFIndex (recall@{K} (p50 ms, lists scanned))\n")
        mod = module_table(
            data, queries, truths, masks, a.work, a.module_scan_rows, a.module_exact_below
        )
        print(table(["setting"] + [f"{c} ({sel[c]:.1%})" for c in masks], mod))
    print(f"\n## exact search over the surviving rows ({a.n:,} x 384 float32)\n")
    sizes = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 300_000)
    ivf = None
    if (a.work / f"faiss-ivf_{a.n}" / "build.json").exists():
        from matcher.ranking.ann import IVFIndex

        ivf = IVFIndex(FaissIVF().load(a.work / f"faiss-ivf_{a.n}"), 1, a.n)  # always gathers
    head2 = ["survivors", "share", "numpy p50 ms"] + (["IVFIndex p50 ms"] if ivf else [])
    print(table(head2, exact_table(data["vectors"], queries, sizes, ivf)))


if __name__ == "__main__":
    main()
