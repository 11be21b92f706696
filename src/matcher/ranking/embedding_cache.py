"""The on-disk cache of text embeddings keyed by text hash (training and the CLI; the service's
in-memory brief cache, with the same ``get``/``put``, is ``memory_cache``).
``matcher.ranking.embeddings`` re-exports both.

The disk cache is a folder of shards, each a pair ``keys-<stamp>.npy`` / ``vecs-<stamp>.npy``
written atomically (``shard_files``), so a reader that finds a keys file finds a whole shard:
readers take no lock. The shard files are kept by hand rather than in a key-value store (diskcache, LMDB) because a
shard's vectors are memory-mapped straight into numpy with no per-item decoding, and a training
run writes tens of thousands of vectors at once.

A ``put`` of one brief writes a small shard; maintenance after each ``put`` keeps the folder
bounded, under an exclusive ``flock`` (one maintainer at a time; a busy lock means another
process is doing it, so the writer skips):

- compaction: when more than ``max_small_shards`` shards hold fewer than ``small_shard``
  entries, each run of such shards adjacent in age is merged into one (oldest entries first, a
  key written twice kept once). Single writes accumulate at the young end, so they form one
  run; the shard count (two files each) stays below ``max_small_shards`` + 1 + 2 x entries /
  ``small_shard``;
- the size cap: when the folder holds more than ``max_entries`` entries, the oldest go: whole
  shards first, then the oldest rows of the shard that straddles the cap.

The new shard is renamed into place before its inputs are deleted, so a crash at any point
loses nothing already cached (at worst some entries are briefly in two shards, which readers
and the next compaction resolve). A reader lists again when maintenance replaced shards while
it listed (``_generation``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from matcher.ranking import shard_files as sf
from matcher.ranking.shard_files import Shard

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 1_000_000  # ~1.5 GB of 384-d float32 vectors (16-byte key + 1,536 bytes)
DEFAULT_SMALL_SHARD = 1024  # a shard below this many entries is merged when compacting
DEFAULT_MAX_SMALL_SHARDS = 16
_STALE_TMP_SECONDS = 3600  # temporary files older than this were left by a crashed writer


class EmbeddingCache:
    """Append-only cache of vectors keyed by text hash, one folder per model, capped at
    ``max_entries`` (oldest evicted) and compacted (small shards merged): see the module doc."""

    def __init__(
        self,
        root: Path,
        model_id: str,
        dim: int,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        small_shard: int = DEFAULT_SMALL_SHARD,
        max_small_shards: int = DEFAULT_MAX_SMALL_SHARDS,
    ) -> None:
        for name, v, low in (
            ("max_entries", max_entries, 1),
            ("small_shard", small_shard, 1),
            ("max_small_shards", max_small_shards, 1),
        ):
            if v < low:
                raise ValueError(f"{name} must be >= {low}, got {v}")
        self.dir = Path(root) / model_id
        self.dim = dim
        self.max_entries = max_entries
        self.small_shard = small_shard
        self.max_small_shards = max_small_shards
        self._index: dict[bytes, tuple[int, int]] | None = None
        self._shards: list[NDArray[np.float32]] = []
        self._lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------
    def shards(self) -> list[Shard]:
        """The complete shards on disk, oldest first."""
        return sf.list_shards(self.dir)

    def _load(self) -> dict[bytes, tuple[int, int]]:
        if self._index is not None:
            return self._index
        for _ in range(20):  # maintenance replaced shards meanwhile: list again
            generation = self._generation()
            index: dict[bytes, tuple[int, int]] = {}
            shards: list[NDArray[np.float32]] = []
            try:
                for sh in self.shards():
                    if not sh.vecs.exists():
                        continue
                    keys = np.load(sh.keys)
                    # memory-mapped: a file deleted later stays readable through the mapping
                    vecs = np.load(sh.vecs, mmap_mode="r")
                    if vecs.ndim != 2 or vecs.shape[1] != self.dim or len(keys) != len(vecs):
                        logger.warning("ignoring inconsistent cache shard %s", sh.keys)
                        continue
                    s = len(shards)
                    shards.append(vecs)
                    for i, k in enumerate(keys):  # newer shards come later and win
                        index[bytes(k)] = (s, i)
            except FileNotFoundError:
                continue
            if self._generation() != generation:  # the listing may have missed a merged shard
                continue
            self._index, self._shards = index, shards
            return index
        raise RuntimeError(f"embedding cache {self.dir} keeps changing under the reader")

    def __len__(self) -> int:
        return len(self._load())

    def get(self, keys: list[bytes]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        with self._lock:
            index = self._load()
            out = np.zeros((len(keys), self.dim), dtype=np.float32)
            hit = np.zeros(len(keys), dtype=bool)
            for j, k in enumerate(keys):
                loc = index.get(k)
                if loc is not None:
                    out[j] = self._shards[loc[0]][loc[1]]
                    hit[j] = True
            return out, hit

    # -- writing -----------------------------------------------------------------------------
    def put(self, keys: list[bytes], vecs: NDArray[np.float32]) -> None:
        if not keys:
            return
        if len(keys) != len(vecs):
            raise ValueError(f"{len(keys)} keys for {len(vecs)} vectors")
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        with self._lock:
            index = self._load()
            self._write(np.frombuffer(b"".join(keys), dtype="V16"), vecs)
            s = len(self._shards)
            self._shards.append(vecs)
            for i, k in enumerate(keys):
                index[k] = (s, i)
        self.maintain()

    def _write(
        self, karr: NDArray[np.void], vecs: NDArray[np.float32], after: Shard | None = None
    ) -> Shard:
        return sf.write_shard(self.dir, karr, vecs, after)

    # -- maintenance -------------------------------------------------------------------------
    def maintain(self, force: bool = False) -> bool:
        """Compact and enforce the cap when needed (``force``: merge every small shard).
        Returns False when another process holds the maintenance lock."""
        with self._maintenance_lock() as locked:
            if not locked:
                return False
            inventory = self._inventory()
            changed = self._compact(force, inventory)
            changed = self._evict(self._inventory() if changed else inventory) or changed
            sf.drop_stale_tmp(self.dir, _STALE_TMP_SECONDS)
        if changed:
            with self._lock:
                self._index, self._shards = None, []  # re-read lazily: shards were replaced
        return True

    def compact(self) -> bool:
        """Merge every run of small shards now (``put`` calls ``maintain``, which waits for
        more than ``max_small_shards``)."""
        return self.maintain(force=True)

    @contextlib.contextmanager
    def _maintenance_lock(self) -> Iterator[bool]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".maintenance.lock", "a+b") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _inventory(self) -> list[tuple[Shard, int]]:
        """Complete shards, oldest first, with their entry counts (from the .npy headers only)."""
        return [(sh, sf.count_entries(sh)) for sh in self.shards() if sh.vecs.exists()]

    def _compact(self, force: bool, inventory: list[tuple[Shard, int]]) -> bool:
        """Merge each run of consecutive small shards (in age order) into one shard placed where
        the run's newest member was, so the order of entries by age stays exact."""
        runs: list[list[Shard]] = [[]]
        n_small = 0
        for sh, n in inventory:
            if n < self.small_shard:
                runs[-1].append(sh)
                n_small += 1
            elif runs[-1]:
                runs.append([])  # a big shard ends the run
        runs = [r for r in runs if len(r) > 1]
        if not runs or (not force and n_small <= self.max_small_shards):
            return False
        for run in runs:
            self._merge([(sh, np.load(sh.keys)) for sh in run])
        return True

    def _merge(self, run: list[tuple[Shard, NDArray[np.void]]]) -> None:
        newest: dict[bytes, tuple[int, int]] = {}  # key -> (shard, row) of its newest copy
        for s, (_, keys) in enumerate(run):
            for i, k in enumerate(keys):
                newest.pop(bytes(k), None)  # re-insert: dict order = order of the newest writes
                newest[bytes(k)] = (s, i)
        vecs = [np.load(sh.vecs) for sh, _ in run]
        merged = np.stack([vecs[s][i] for s, i in newest.values()]).astype(np.float32)
        self._write(np.frombuffer(b"".join(newest), dtype="V16"), merged, after=run[-1][0])
        self._bump()
        for sh, _ in run:  # only now: the merged shard is in place
            sf.unlink(sh.keys, sh.vecs)
        logger.info(
            "embedding cache %s: merged %d small shards into one of %d entries",
            self.dir,
            len(run),
            len(newest),
        )

    def _evict(self, shards: list[tuple[Shard, int]]) -> bool:
        total = sum(n for _, n in shards)
        if total <= self.max_entries:
            return False
        keep = self.max_entries
        for sh, n in reversed(shards):  # newest first
            if n <= keep:
                keep -= n
                continue
            # the shard straddling the cap keeps its newest rows (rows are written oldest first)
            if keep > 0:
                keys, vecs = np.load(sh.keys), np.load(sh.vecs, mmap_mode="r")
                self._write(keys[-keep:], np.asarray(vecs[-keep:], dtype=np.float32), after=sh)
                keep = 0
            self._bump()
            sf.unlink(sh.keys, sh.vecs)
        logger.info(
            "embedding cache %s: %d entries over the cap of %d evicted (oldest first)",
            self.dir,
            total - self.max_entries,
            self.max_entries,
        )
        return True

    def _generation(self) -> int:
        """How many times maintenance replaced shards: bumped after a new shard is in place and
        before its inputs are deleted. A directory listing taken while files are renamed and
        deleted may miss both the new shard and its inputs, so a reader that sees the number
        change while it lists lists again."""
        try:
            return int((self.dir / ".generation").read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _bump(self) -> None:
        tmp = self.dir / f"tmp-generation-{os.getpid()}"
        tmp.write_text(str(self._generation() + 1))
        os.replace(tmp, self.dir / ".generation")  # atomic: readers see the old or the new number
