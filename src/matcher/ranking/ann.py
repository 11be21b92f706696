"""Approximate nearest-neighbour candidate search for large catalogues (faiss IVF).

``build_index(vectors, config)`` returns the ``VectorIndex`` the pipeline searches: the exact
brute-force ``ExactIndex`` below ``RetrievalConfig.ann_min_rows`` creators, a faiss inverted-file
index (inner product over L2-normalised vectors = cosine) from there on, its vectors stored as
float16 (``IndexIVFScalarQuantizer``, ``QT_fp16``, no residuals): the catalogue's own vectors
are float16 already (``catalogue_files``), so the lists hold the same values in half the bytes
of ``IndexIVFFlat`` (which older saved indexes use, and which still loads), and a scan reads
half the memory (0.65 ms less per request at 100k creators, docs/scaling.md).
Why IVF and not a graph (HNSW in faiss, usearch, hnswlib), and every default below, is measured
in ``benchmarks/ann.py`` (the table is in docs/scaling.md): on creator profiles, which come in
tight clusters of similar creators, the graphs stopped short of recall@300 0.98, and their
filtered search degrades as the filter narrows; IVF reached it and stays exact under filters.

Filters must not lose recall. faiss checks an ``IDSelectorBitmap`` on every stored row of the
lists it scans and keeps only the rows that pass, so:

- the number of lists scanned (``nprobe``) is divided by the share of creators that pass
  (each list then holds as many candidates as an unfiltered probe would); all lists = exact;
- when at most ``ann_exact_below`` creators pass, the search is exact and cheaper another way:
  their vectors are gathered from the catalogue's matrix (``vectors``; without one, from the
  index through its direct map: 4x slower for float16 lists, which faiss decodes row by row)
  and scored with one mat-vec, as ``ExactIndex`` does (scanning every list costs a pass over
  all rows).

``index.save(folder)`` writes ``index.faiss`` + ``ann.json``; ``load_index(folder, mmap=True)``
memory-maps the lists in place (faiss ``IO_FLAG_MMAP_IFC``: array lists over the file; the older
``IO_FLAG_MMAP`` gives on-disk lists whose filtered scan of every list took 79 ms at 1M rows
against 16 ms in place): workers on one host share them through the page cache, and loading a
million rows takes milliseconds. ``prefault()`` maps every page once at start-up, so the first
requests do not pay a page fault per vector and the workers' page tables share the same pages.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher.config import RetrievalConfig
from matcher.ranking.retrieval import ExactIndex, VectorIndex
from matcher.vectors import to_float32

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
KIND = "faiss-ivf-fp16"
KINDS = ("faiss-ivf-flat", KIND)  # what loads: indexes saved before float16 lists too
INDEX_FILE = "index.faiss"
META_FILE = "ann.json"
BUILD_BLOCK = 50_000  # rows added per call (progress bar steps)
TRAIN_PER_LIST = 40  # k-means training rows per list (faiss warns below 39)
SEED = 1234
PAGE = 4096  # bytes: the stride of ``IVFIndex.prefault``
EXACT_PER_SQRT_ROW = 20  # see ``default_exact_below``


def _faiss() -> Any:
    import faiss  # imported on first use: small catalogues never need it

    return faiss


def default_nprobe(config: RetrievalConfig, n: int, nlist: int) -> int:
    """``config.ann_nprobe``, or enough lists to hold ``ann_scan_rows`` rows (lists hold
    n / nlist rows on average): recall depends on how many rows are scanned, not lists."""
    if config.ann_nprobe:
        return min(nlist, config.ann_nprobe)
    return int(min(nlist, max(1, math.ceil(config.ann_scan_rows * nlist / max(1, n)))))


def default_exact_below(config: RetrievalConfig, n: int) -> int:
    """``config.ann_exact_below``, or ``EXACT_PER_SQRT_ROW`` x sqrt(n): gathering costs ~0.27
    us per passing row, a filtered scan of every list about what gathering 6k rows does at
    100k and 20k at 1M (benchmarks/ann_crossover.py), i.e. ~20 sqrt(n)."""
    if config.ann_exact_below is not None:
        return config.ann_exact_below
    return int(EXACT_PER_SQRT_ROW * math.sqrt(n))


def default_nlist(n: int) -> int:
    """Lists for ``n`` rows: ~4 sqrt(n) (faiss's rule of thumb), at least 1, at most n / 40."""
    return int(max(1, min(4 * math.sqrt(n), n // TRAIN_PER_LIST)))


class IVFIndex:
    """faiss IVF index (inner product; float16 lists, or float32 in older ones) with filtered
    search that keeps recall.

    ``search`` has the ``ExactIndex.search`` contract: rows among ``mask``, best first, ties by
    row; exact whenever every list is scanned (see the module docstring). ``vectors``: the
    matrix the index was built from (the catalogue's ``profile``, row i = id i), where the exact
    path gathers its rows.
    """

    def __init__(
        self,
        index: Any,
        nprobe: int,
        exact_below: int,
        vectors: NDArray[np.floating] | None = None,
    ) -> None:
        faiss = _faiss()
        fp16 = (
            isinstance(index, faiss.IndexIVFScalarQuantizer)
            and index.sq.qtype == faiss.ScalarQuantizer.QT_fp16
            and not index.by_residual
        )
        if not (fp16 or isinstance(index, faiss.IndexIVFFlat)):
            raise TypeError(
                "expected a faiss IndexIVFFlat or a float16 IndexIVFScalarQuantizer without "
                f"residuals, got {type(index).__name__}"
            )
        if vectors is not None and (len(vectors) != index.ntotal or vectors.shape[1] != index.d):
            raise ValueError(
                f"vectors are {vectors.shape[0]} x {vectors.shape[1]}, the index {index.ntotal} x {index.d}"
            )
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("the IVF index must use the inner-product metric")
        if index.direct_map.type == faiss.DirectMap.NoMap:
            index.make_direct_map(True)
        self.index = index
        self.nprobe = int(nprobe)
        self.exact_below = int(exact_below)
        self.vectors = vectors

    @classmethod
    def build(cls, vectors: NDArray[np.floating], config: RetrievalConfig) -> IVFIndex:
        faiss = _faiss()
        v = np.asarray(vectors)
        if v.ndim != 2 or len(v) == 0:
            raise ValueError(f"vectors must be a non-empty 2-d array, got shape {v.shape}")
        n, d = v.shape
        nlist = config.ann_nlist or default_nlist(n)
        if nlist > n:
            raise ValueError(f"ann_nlist={nlist} is more than the {n} rows to index")
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, d, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT, False
        )
        index.cp.seed = SEED
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(config.ann_build_threads)
        try:
            rng = np.random.default_rng(SEED)
            sample = np.sort(rng.choice(n, min(n, TRAIN_PER_LIST * nlist), replace=False))
            index.train(np.ascontiguousarray(v[sample], dtype=np.float32))
            steps = range(0, n, BUILD_BLOCK)
            for lo in tqdm(steps, desc="IVF index", unit="block", disable=len(steps) < 2):
                index.add(np.ascontiguousarray(v[lo : lo + BUILD_BLOCK], dtype=np.float32))
            index.make_direct_map(True)  # row -> (list, offset): the exact path's gather
        finally:
            faiss.omp_set_num_threads(threads)
        logger.info("IVF index: %d rows in %d lists", index.ntotal, nlist)
        nprobe, below = default_nprobe(config, n, nlist), default_exact_below(config, n)
        return cls(index, nprobe, below, vectors)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        """``KIND`` (float16 lists), or ``faiss-ivf-flat`` for an index saved before them."""
        return KINDS[0] if isinstance(self.index, _faiss().IndexIVFFlat) else KIND

    @property
    def nlist(self) -> int:
        return int(self.index.nlist)

    def prefault(self) -> int:
        """Read one byte per page of every list's vectors and ids (memory-mapped: fills this
        process's page tables from the page cache, reading the file once if it is not cached);
        returns the bytes covered. A no-op cost for an index held in memory."""
        faiss = _faiss()
        lists, size, total = self.index.invlists, int(self.index.code_size), 0
        for i in range(self.nlist):
            n = int(lists.list_size(i))
            if n == 0:
                continue
            codes = faiss.rev_swig_ptr(lists.get_codes(i), n * size)
            ids = faiss.rev_swig_ptr(lists.get_ids(i), n)
            codes[::PAGE].max()  # the reads fault the pages in
            ids[:: PAGE // 8].max()
            total += n * (size + 8)
        return total

    def probes(self, n_pass: int) -> int:
        """Lists to scan when ``n_pass`` rows pass the filters: ``nprobe`` / share passing, at
        most every list (0: few enough pass to gather them, see ``exact_below``)."""
        if n_pass <= self.exact_below:
            return 0
        share = n_pass / max(1, len(self))
        return int(min(self.nlist, math.ceil(self.nprobe / share)))

    def search(
        self, query: NDArray[np.float32], k: int, mask: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        faiss = _faiss()
        n = len(self)
        if mask is not None and len(mask) != n:
            raise ValueError(f"mask has {len(mask)} rows, the index {n}")
        n_pass = n if mask is None else int(np.count_nonzero(mask))
        if k <= 0 or n_pass == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if mask is not None and n_pass <= self.exact_below:
            return self._exact(query, k, np.flatnonzero(mask))
        params = faiss.SearchParametersIVF()
        params.nprobe = self.nprobe if mask is None else self.probes(n_pass)
        bits = None
        if mask is not None and n_pass < n:
            bits = np.packbits(mask, bitorder="little")  # faiss: bit i of byte j = row 8j + i
            params.sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        sims, ids = self.index.search(q, min(k, n_pass), params=params)
        del bits  # alive until faiss is done with it
        keep = ids[0] >= 0
        rows, s = ids[0][keep].astype(np.int64), sims[0][keep].astype(np.float32)
        order = np.lexsort((rows, -s))
        return rows[order], s[order]

    def _exact(
        self, query: NDArray[np.float32], k: int, rows: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """``ExactIndex.search`` over ``rows``: their vectors, one mat-vec, top-k."""
        v = self.index.reconstruct_batch(rows) if self.vectors is None else self.vectors[rows]
        sims = to_float32(v) @ np.asarray(query, dtype=np.float32)
        k = min(k, len(rows))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -sims[top]))]
        return rows[top].astype(np.int64), sims[top].astype(np.float32)

    def save(self, folder: str | Path) -> Path:
        """``index.faiss`` (faiss's own format) + ``ann.json`` (kind, sizes, search settings)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        faiss = _faiss()
        faiss.write_index(self.index, str(folder / INDEX_FILE))
        meta = {
            "format": FORMAT_VERSION,
            "kind": self.kind,
            "rows": len(self),
            "dim": int(self.index.d),
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "exact_below": self.exact_below,
            "faiss": faiss.__version__,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2))
        return folder


def build_index(
    vectors: NDArray[np.floating], config: RetrievalConfig | None = None
) -> VectorIndex:
    """``ExactIndex`` below ``config.ann_min_rows`` rows, an ``IVFIndex`` from there on."""
    config = config or RetrievalConfig()
    if len(vectors) < config.ann_min_rows:
        return ExactIndex(vectors)
    return IVFIndex.build(vectors, config)


def load_index(
    folder: str | Path,
    mmap: bool = True,
    config: RetrievalConfig | None = None,
    vectors: NDArray[np.floating] | None = None,
) -> VectorIndex:
    """An index saved by ``IVFIndex.save``; ``mmap`` maps the lists instead of reading them.
    ``config`` overrides the saved search settings (``ann_nprobe`` / ``ann_scan_rows``,
    ``ann_exact_below``); ``vectors``: the catalogue's matrix it indexes (see ``IVFIndex``)."""
    folder = Path(folder)
    meta_file = folder / META_FILE
    if not meta_file.exists():
        raise FileNotFoundError(f"{folder} is not a saved ANN index (no {META_FILE})")
    meta = json.loads(meta_file.read_text())
    if meta.get("format") != FORMAT_VERSION or meta.get("kind") not in KINDS:
        raise ValueError(
            f"{folder}: ANN index format {meta.get('format')} kind {meta.get('kind')!r}, "
            f"expected format {FORMAT_VERSION} and a kind in {KINDS}"
        )
    faiss = _faiss()
    index = faiss.read_index(str(folder / INDEX_FILE), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
    if index.ntotal != meta["rows"] or index.d != meta["dim"]:
        raise ValueError(
            f"{folder}: {INDEX_FILE} has {index.ntotal} x {index.d}, "
            f"{META_FILE} says {meta['rows']} x {meta['dim']}"
        )
    nprobe = meta["nprobe"] if config is None else default_nprobe(config, index.ntotal, index.nlist)
    below = default_exact_below(config, index.ntotal) if config is not None else meta["exact_below"]
    return IVFIndex(index, nprobe, below, vectors)
