"""The files of the on-disk embedding cache (``embedding_cache``): a shard is a pair
``keys-<stamp>.npy`` (16-byte text hashes) / ``vecs-<stamp>.npy`` (float32 rows). This module
names, orders, writes and deletes them; the cache decides when.

Writes are atomic: each file goes to a temporary name, is flushed and synced, and is renamed
into place, vectors first and keys last, so a reader that finds a keys file finds the whole
shard; the folder is synced so a shard survives a crash once ``write_shard`` returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

_STAMP = re.compile(r"^(\d{19})-")  # shards written since compaction exists: time-ordered names


@dataclass(frozen=True)
class Shard:
    keys: Path
    vecs: Path
    order: tuple[int, int, str]  # (0 legacy | 1 stamped, write time ns, name): oldest first

    @classmethod
    def of(cls, keys: Path) -> Shard:
        stamp = keys.name[len("keys-") : -len(".npy")]
        m = _STAMP.match(stamp)
        if m:
            order = (1, int(m.group(1)), stamp)
        else:  # written before shards were time-stamped: older than any stamped one
            try:
                order = (0, keys.stat().st_mtime_ns, stamp)
            except FileNotFoundError:
                order = (0, 0, stamp)
        return cls(keys, keys.with_name(f"vecs-{stamp}.npy"), order)

    @property
    def legacy(self) -> bool:
        return self.order[0] == 0


def list_shards(folder: Path) -> list[Shard]:
    """The shards whose keys file is in place, oldest first."""
    if not folder.exists():
        return []
    return sorted((Shard.of(k) for k in folder.glob("keys-*.npy")), key=lambda s: s.order)


def count_entries(sh: Shard) -> int:
    """Rows of a shard, from its keys file's .npy header alone."""
    fmt = np.lib.format
    with open(sh.keys, "rb") as f:
        version = fmt.read_magic(f)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        return int(read(f)[0][0])


def write_shard(
    folder: Path, keys: NDArray[np.void], vecs: NDArray[np.float32], after: Shard | None = None
) -> Shard:
    """One shard, atomically. ``after``: the shard this one replaces (with older ones); the new
    one takes its place in the age order, 1 ns younger, so before anything written later (a
    legacy shard's place is its mtime, which the keys file gets before its rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    sh = Shard.of(folder / f"keys-{_stamp(after)}.npy")
    for final, arr in ((sh.vecs, vecs), (sh.keys, keys)):
        tmp = folder / f"tmp-{final.name}"
        with open(tmp, "wb") as f:
            np.save(f, arr)
            f.flush()
            os.fsync(f.fileno())
        if after is not None and after.legacy:
            os.utime(tmp, ns=(after.order[1] + 1, after.order[1] + 1))
        tmp.rename(final)
    _sync_dir(folder)
    return sh


def unlink(*paths: Path) -> None:
    for p in paths:  # keys first: a reader never finds keys without their vectors
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def drop_stale_tmp(folder: Path, older_than_s: float) -> None:
    """Temporary files left by a writer that crashed before its rename."""
    cutoff = time.time() - older_than_s
    for tmp in folder.glob("tmp-*.npy"):
        with contextlib.suppress(FileNotFoundError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def _stamp(after: Shard | None = None) -> str:
    """A unique name that sorts by write time, or 1 ns after ``after`` (see ``write_shard``);
    a legacy shard's replacement gets a legacy name (its place is its mtime)."""
    rnd = int(np.random.default_rng().integers(1 << 62))
    if after is None:
        return f"{time.time_ns():019d}-{os.getpid()}-{threading.get_ident()}-{rnd}"
    if after.legacy:
        return f"c{os.getpid()}-{rnd}"
    return f"{after.order[1] + 1:019d}-c{os.getpid()}-{rnd}"


def _sync_dir(path: Path) -> None:
    """Make the renames durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
