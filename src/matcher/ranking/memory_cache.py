"""The service's in-memory brief cache: a brand re-running a brief with other filters or k
skips the embedding. Same ``get``/``put`` as the on-disk ``embedding_cache.EmbeddingCache``."""

from __future__ import annotations

import logging
import threading

import numpy as np
from cachetools import LRUCache
from numpy.typing import NDArray

logger = logging.getLogger(__name__)


class MemoryCache:
    """Bounded in-memory LRU of vectors keyed by text hash (the service's brief cache: a brand
    re-running a brief with other filters or k skips the embedding), a ``cachetools.LRUCache``
    behind a lock (cachetools caches are not thread-safe). Same ``get``/``put`` as
    ``EmbeddingCache``; nothing written to disk."""

    def __init__(self, dim: int, max_items: int = 4096) -> None:
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        self.dim = dim
        self.max_items = max_items
        self._items: LRUCache[bytes, NDArray[np.float32]] = LRUCache(maxsize=max_items)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, keys: list[bytes]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        hit = np.zeros(len(keys), dtype=bool)
        with self._lock:
            for j, k in enumerate(keys):
                v = self._items.get(k)  # a hit becomes the most recently used
                if v is not None:
                    out[j], hit[j] = v, True
        return out, hit

    def put(self, keys: list[bytes], vecs: NDArray[np.float32]) -> None:
        with self._lock:
            for k, v in zip(keys, vecs, strict=True):
                self._items[k] = np.array(v, dtype=np.float32)  # evicts the least recently used
