"""A column of strings that is not a Python object per row: utf-8 bytes end to end in one
``uint8`` array plus ``int64`` offsets (Arrow's layout for a string column, without Arrow).

A saved catalogue keeps its big string columns (ids, handles, bios, captions, search text) this
way, memory-mapped: every worker process shares the same pages through the OS page cache, and a
row becomes a Python ``str`` only when it is read (a reason quoting a post, a keyword check on
the few hundred candidates). 12 million captions as a numpy object array cost ~1.5 GB of heap in
each worker; as a mapped column they cost what the OS keeps cached, once for all workers.

Reading: ``col[i]`` -> ``str``; ``col[a:b]``, ``col[int array]``, ``col[bool mask]`` -> numpy
object array of the rows read; ``len(col)``; iteration; ``np.asarray(col)`` materialises every row
(O(n) heap: for tests and small catalogues only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

DATA_SUFFIX = ".utf8.npy"
OFFSETS_SUFFIX = ".offsets.npy"


class TextColumn:
    """Strings stored as utf-8 ``data`` with ``offsets`` (len n+1): row i is
    ``data[offsets[i]:offsets[i+1]]``."""

    __slots__ = ("data", "offsets")

    def __init__(self, data: NDArray[np.uint8], offsets: NDArray[np.int64]) -> None:
        if data.ndim != 1 or offsets.ndim != 1 or len(offsets) == 0:
            raise ValueError("TextColumn needs 1-d data and 1-d offsets of length n + 1")
        if int(offsets[0]) != 0 or int(offsets[-1]) != len(data):
            raise ValueError(
                f"TextColumn offsets must run from 0 to len(data)={len(data)}, "
                f"got {int(offsets[0])}..{int(offsets[-1])}"
            )
        self.data = data
        self.offsets = offsets

    # ------------------------------------------------------------------ building
    @classmethod
    def from_strings(cls, values: Iterable[object]) -> TextColumn:
        """Encode ``values`` (``None`` -> empty string, anything else ``str(value)``)."""
        encoded = [b"" if v is None else str(v).encode("utf-8") for v in values]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        return cls(data, offsets)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _row(self, i: int) -> str:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.data[lo:hi].tobytes().decode("utf-8")

    @overload
    def __getitem__(self, key: int | np.integer[Any]) -> str: ...
    @overload
    def __getitem__(self, key: slice | NDArray[Any] | list[int]) -> NDArray[np.object_]: ...
    def __getitem__(self, key: Any) -> str | NDArray[np.object_]:
        n = len(self)
        if isinstance(key, int | np.integer):
            i = int(key)
            if not -n <= i < n:
                raise IndexError(f"row {i} out of range for a column of {n} strings")
            return self._row(i % n if i < 0 else i)
        if isinstance(key, slice):
            rows: NDArray[np.int64] = np.arange(n)[key]
        else:
            arr = np.asarray(key)
            if arr.dtype == np.bool_:
                if arr.shape != (n,):
                    raise IndexError(f"boolean mask of shape {arr.shape} for {n} strings")
                rows = np.flatnonzero(arr)
            elif arr.size == 0:
                rows = np.zeros(0, dtype=np.int64)
            elif np.issubdtype(arr.dtype, np.integer):
                rows = arr.astype(np.int64, copy=False).reshape(-1)
                if rows.min() < -n or rows.max() >= n:
                    raise IndexError(f"row index out of range for a column of {n} strings")
                rows = np.where(rows < 0, rows + n, rows)
            else:
                raise TypeError(
                    f"TextColumn rows must be int, slice, int or bool array; got {arr.dtype}"
                )
        out = np.empty(len(rows), dtype=object)
        for j, r in enumerate(rows.tolist()):
            out[j] = self._row(r)
        return out

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self._row(i)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def tolist(self) -> list[str]:
        return list(self)

    def astype(self, dtype: Any) -> NDArray[Any]:
        """Every row as a numpy array of ``dtype`` (O(n) heap, like ``np.asarray``)."""
        return np.asarray(self).astype(dtype)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.offsets.nbytes)

    def __repr__(self) -> str:
        return f"TextColumn({len(self)} strings, {self.data.nbytes} bytes)"

    # ------------------------------------------------------------------ files
    def save(self, folder: Path, name: str) -> list[Path]:
        """``<name>.utf8.npy`` and ``<name>.offsets.npy`` in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"{name}{DATA_SUFFIX}", folder / f"{name}{OFFSETS_SUFFIX}"]
        np.save(paths[0], np.ascontiguousarray(self.data, dtype=np.uint8), allow_pickle=False)
        np.save(paths[1], np.ascontiguousarray(self.offsets, dtype=np.int64), allow_pickle=False)
        return paths

    @classmethod
    def load(cls, folder: Path, name: str, *, mmap: bool = True) -> TextColumn:
        data = load_array(folder / f"{name}{DATA_SUFFIX}", mmap=mmap)
        offsets = load_array(folder / f"{name}{OFFSETS_SUFFIX}", mmap=mmap)
        if data.dtype != np.uint8 or offsets.dtype != np.int64:
            raise ValueError(
                f"text column {name}: expected uint8 data and int64 offsets, "
                f"got {data.dtype} and {offsets.dtype}"
            )
        return cls(data, offsets)


def load_array(path: Path, *, mmap: bool = True) -> NDArray[Any]:
    """``np.load`` of a saved array; ``mmap``: mapped read-only, returned as a plain ndarray view
    of the mapping (``np.memmap``'s subclass hooks cost ~10x on every gather of a few rows; the
    view keeps the mapping alive through ``.base``)."""
    if not mmap:
        return np.load(path, allow_pickle=False)
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def is_mapped(arr: object) -> bool:
    """True when ``arr``'s memory is a file mapping (``np.memmap`` or a view of one)."""
    while isinstance(arr, np.ndarray):
        if isinstance(arr, np.memmap):
            return True
        arr = arr.base
    return False


def as_strings(values: TextColumn | NDArray[Any] | list[Any]) -> TextColumn:
    """``values`` as a ``TextColumn`` (no copy when it already is one)."""
    return values if isinstance(values, TextColumn) else TextColumn.from_strings(values)
