"""Bigger catalogues from a trained pipeline, for the speed benchmarks (bench_pipeline,
serve_latency, scale): the catalogue replicated with new ids and jittered, re-normalised
vectors (embedding 12M real posts would take half a day on 2 cores; latency and memory depend
on the catalogue's size, not on its texts), in RAM (``replicate``) or streamed to disk as
float16 (``replicate_mapped``) and saved as a pipeline the service loads (``save_replicated``).
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np


def replicate(cat, times: int, seed: int = 0):
    """A catalogue ``times`` larger: copies with new ids and slightly jittered vectors."""
    from matcher.ranking.catalogue import Catalogue
    from matcher.vectors import unit_rows

    rng = np.random.default_rng(seed)
    n, m = len(cat), len(cat.post_emb)
    kw = {}
    for f in dataclasses.fields(Catalogue):
        v = getattr(cat, f.name)
        if f.name == "ids":
            kw[f.name] = np.array([f"{x}-r{i}" for i in range(times) for x in v], dtype=object)
        elif f.name == "post_offsets":
            kw[f.name] = np.concatenate([[0]] + [v[1:] + i * m for i in range(times)])
        elif f.name in ("bio_emb", "profile", "post_emb"):
            reps = [
                v if i == 0 else unit_rows(v + rng.normal(0, 0.02, v.shape).astype(np.float32))
                for i in range(times)
            ]
            kw[f.name] = np.concatenate(reps)
        elif f.name == "stats":
            kw[f.name] = {k: np.tile(a, times) for k, a in v.items()}
        elif f.name in ("snapshot_at",):
            kw[f.name] = v
        elif f.name == "index":
            kw[f.name] = {}
        else:
            kw[f.name] = np.concatenate([v] * times)
    assert len(kw["ids"]) == n * times
    return Catalogue(**kw)


VECTORS = ("bio_emb", "profile", "post_emb")
TEXT_FIELDS = ("handles", "post_texts", "search_text", "bio_texts")


def _tile_text(col, times: int):
    """A ``TextColumn`` of ``col`` repeated ``times`` (utf-8 bytes tiled, no Python strings)."""
    from matcher.ranking.text_column import TextColumn, as_strings

    t = as_strings(col)
    data, offsets = np.asarray(t.data), np.asarray(t.offsets, dtype=np.int64)
    size = int(offsets[-1])
    tail = [offsets[1:] + i * size for i in range(times)]
    return TextColumn(np.tile(data[:size], times), np.concatenate([offsets[:1], *tail]))


def replicate_mapped(cat, times: int, scratch: Path, seed: int = 0):
    """``replicate`` for catalogues that do not fit in RAM as float32: the jittered vectors go
    replica by replica into float16 ``.npy`` files under ``scratch`` (``open_memmap``), the texts
    into tiled ``TextColumn`` bytes. Returns the catalogue (vectors memory-mapped read-only)."""
    from numpy.lib.format import open_memmap
    from tqdm.auto import tqdm

    from matcher.ranking.catalogue import Catalogue
    from matcher.ranking.text_column import TextColumn
    from matcher.vectors import unit_rows

    rng = np.random.default_rng(seed)
    n, m = len(cat), len(cat.post_emb)
    scratch.mkdir(parents=True, exist_ok=True)
    kw = {}
    for name in VECTORS:
        v = np.asarray(getattr(cat, name), dtype=np.float32)
        out = open_memmap(scratch / f"{name}.npy", "w+", np.float16, (len(v) * times, v.shape[1]))
        for i in tqdm(range(times), desc=f"replicating {name}", unit="replica"):
            block = v if i == 0 else unit_rows(v + rng.normal(0, 0.02, v.shape).astype(np.float32))
            out[i * len(v) : (i + 1) * len(v)] = block
        out.flush()
        del out
        kw[name] = np.load(scratch / f"{name}.npy", mmap_mode="r")
    kw["ids"] = TextColumn.from_strings(f"{x}-r{i}" for i in range(times) for x in cat.ids)
    for f in dataclasses.fields(Catalogue):
        v = getattr(cat, f.name)
        if f.name in kw or f.name == "index":
            continue
        if f.name == "post_offsets":
            kw[f.name] = np.concatenate([[0]] + [np.asarray(v[1:]) + i * m for i in range(times)])
        elif f.name == "stats":
            kw[f.name] = {k: np.tile(a, times) for k, a in v.items()}
        elif f.name == "snapshot_at" or v is None:
            kw[f.name] = v
        elif isinstance(v, TextColumn) or f.name in TEXT_FIELDS:
            kw[f.name] = _tile_text(v, times)
        else:
            kw[f.name] = np.concatenate([np.asarray(v)] * times)
    assert len(kw["ids"]) == n * times and len(kw["post_emb"]) == m * times
    return Catalogue(**kw)


def replicate_lexical(lexical, times: int):
    """The BM25 index of a catalogue repeated ``times``: every term's postings repeated with the
    row offset of each replica (bm25s's term x document CSC matrix tiled). Term weights are the
    base's: idf depends on df / n, which replication leaves unchanged (up to bm25s's +0.5)."""
    import copy

    bm = lexical.bm25_
    out = copy.copy(lexical)
    out.n_docs_ = lexical.n_docs_ * times
    if bm is None:
        return out
    data, indices = np.asarray(bm.scores["data"]), np.asarray(bm.scores["indices"])
    indptr, n = np.asarray(bm.scores["indptr"], dtype=np.int64), lexical.n_docs_
    lens = np.diff(indptr)
    new_indptr = np.concatenate([[0], np.cumsum(lens * times)])
    new_data = np.empty(int(new_indptr[-1]), dtype=data.dtype)
    new_indices = np.empty(int(new_indptr[-1]), dtype=np.int32 if n * times < 2**31 else np.int64)
    offsets = (np.arange(times, dtype=np.int64) * n)[:, None]
    for t in range(len(lens)):
        lo, hi, o = indptr[t], indptr[t + 1], new_indptr[t]
        size = (hi - lo) * times
        new_data[o : o + size] = np.tile(data[lo:hi], times)
        new_indices[o : o + size] = (indices[lo:hi][None, :] + offsets).ravel()
    out.bm25_ = copy.copy(bm)
    out.bm25_.scores = {
        "data": new_data,
        "indices": new_indices,
        "indptr": new_indptr,
        "num_docs": n * times,
    }
    return out


def with_catalogue(pipe, cat, *, lexical=None, derived=None, **metadata):
    """The same fitted models over another catalogue (e.g. a replicated one)."""
    return pipe.over_catalogue(
        cat, lexical=lexical, derived=derived, metadata={**pipe.metadata, **metadata}
    )


def save_replicated(pipe, times: int, folder: Path) -> dict:
    """Save ``pipe`` over its catalogue replicated ``times`` as a pipeline folder the service can
    load; returns how it was written: ``replicate_mapped`` (float16 vectors streamed to disk),
    the BM25 index, costs and typical engagement rates replicated rather than recomputed, the
    vector index built by the pipeline (``ranking.ann``)."""
    from matcher.ranking.catalogue_files import VECTOR_DTYPE

    scratch = folder.parent / "scratch"
    t0 = time.perf_counter()
    cat = replicate_mapped(pipe.catalogue, times, scratch)
    lexical = replicate_lexical(pipe.lexical, times)
    derived = {k: np.tile(np.asarray(getattr(pipe, k)), times) for k in ("costs", "typical_er")}
    t1 = time.perf_counter()
    big = with_catalogue(pipe, cat, lexical=lexical, derived=derived, benchmark_replicas=times)
    t2 = time.perf_counter()
    big.save(folder)  # float16 vectors stream from the mapped scratch files (no RAM copy)
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "writer": f"replicate_mapped ({np.dtype(VECTOR_DTYPE).name}) + MatchPipeline.save",
        "index": type(big.index).__name__,
        "replicate_s": round(t1 - t0, 1),
        "index_s": round(t2 - t1, 1),
        "save_s": round(time.perf_counter() - t2, 1),
    }
