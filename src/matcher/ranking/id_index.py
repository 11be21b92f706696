"""Influencer id -> catalogue row, without a Python dict per worker.

A dict of a million ids costs ~120 MB of heap in every worker and seconds to build at
start-up. ``IdIndex`` keeps the ids sorted as fixed-width utf-8 bytes with their rows (two
arrays, memory-mapped from the catalogue version, shared by all workers) and answers a lookup
with one binary search (O(log n), a few microseconds).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.text_column import TextColumn, load_array


class IdIndex(Mapping[str, int]):
    """Read-only mapping id -> row over ``sorted_keys`` (``S<w>`` bytes) and their ``rows``."""

    def __init__(
        self, keys: NDArray[np.bytes_], rows: NDArray[np.int64], ids: TextColumn | None = None
    ) -> None:
        if len(keys) != len(rows):
            raise ValueError(f"IdIndex: {len(keys)} keys but {len(rows)} rows")
        self.sorted_keys = keys
        self.rows = rows
        self.ids = ids  # row order, for iteration

    @classmethod
    def build(cls, ids: TextColumn) -> IdIndex:
        encoded = [s.encode("utf-8") for s in ids]
        if any(b.endswith(b"\0") for b in encoded):  # numpy's S dtype strips trailing NULs
            raise ValueError("influencer_id must not end with a NUL character")
        width = max((len(b) for b in encoded), default=1) or 1
        keys = np.array(encoded, dtype=f"S{width}") if encoded else np.zeros(0, dtype="S1")
        order = np.argsort(keys, kind="stable").astype(np.int64)
        return cls(keys[order], order, ids)

    def get_row(self, key: str) -> int:
        """The row of ``key``, -1 when it is not in the catalogue."""
        b = str(key).encode("utf-8")
        if (
            not self.sorted_keys.size
            or len(b) > self.sorted_keys.dtype.itemsize
            or b.endswith(b"\0")
        ):
            return -1
        i = int(np.searchsorted(self.sorted_keys, b))
        if i < len(self.sorted_keys) and self.sorted_keys[i] == b:
            return int(self.rows[i])
        return -1

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        r = self.get_row(key)
        return default if r < 0 else r

    def __getitem__(self, key: str) -> int:
        r = self.get_row(key)
        if r < 0:
            raise KeyError(key)
        return r

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get_row(key) >= 0

    def __len__(self) -> int:
        return len(self.sorted_keys)

    def __iter__(self) -> Iterator[str]:
        if self.ids is not None:
            return iter(self.ids)
        return (self.sorted_keys[i].decode("utf-8") for i in np.argsort(self.rows))

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}.sorted.npy", self.sorted_keys, allow_pickle=False)
        np.save(folder / f"{name}.rows.npy", self.rows, allow_pickle=False)

    @classmethod
    def load(
        cls, folder: Path, name: str, ids: TextColumn | None = None, *, mmap: bool = True
    ) -> IdIndex:
        keys = load_array(folder / f"{name}.sorted.npy", mmap=mmap)
        rows = load_array(folder / f"{name}.rows.npy", mmap=mmap)
        if keys.dtype.kind != "S" or rows.dtype != np.int64:
            raise ValueError(f"id index {name}: expected bytes keys and int64 rows")
        return cls(keys, rows, ids)
