"""The service's in-memory brief cache: an LRU that spares re-embedding a brief."""

import numpy as np
import pytest

from matcher.config import ServingConfig
from matcher.ranking.embeddings import HashingEncoder, MemoryCache, text_key


class CountingEncoder(HashingEncoder):
    def __init__(self) -> None:
        super().__init__(dim=16)
        self.encoded: list[str] = []

    def _encode_batch(self, texts):
        self.encoded += texts
        return super()._encode_batch(texts)


def test_lru_keeps_the_most_recently_used_items():
    c = MemoryCache(dim=2, max_items=2)
    a, b, d = text_key("a"), text_key("b"), text_key("d")
    c.put([a, b], np.array([[1, 0], [0, 1]], np.float32))
    c.get([a])  # a is now the most recent, b the least
    c.put([d], np.array([[1, 1]], np.float32))
    vecs, hit = c.get([a, b, d])
    assert hit.tolist() == [True, False, True] and len(c) == 2
    assert vecs[0].tolist() == [1, 0] and vecs[1].tolist() == [0, 0] and vecs[2].tolist() == [1, 1]
    with pytest.raises(ValueError):
        MemoryCache(dim=2, max_items=0)


def test_a_repeated_brief_is_embedded_once_and_gets_the_same_vector():
    enc = CountingEncoder()
    enc.cache = MemoryCache(enc.dim, 8)
    first = enc.encode(["vegan snacks for runners"])
    again = enc.encode(["vegan snacks for runners", "sourdough baking"])
    assert enc.encoded == ["vegan snacks for runners", "sourdough baking"]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(again[1], HashingEncoder(dim=16).encode(["sourdough baking"])[0])


def test_brief_cache_size_comes_from_the_environment():
    assert ServingConfig.from_env({}).brief_cache == 4096
    assert ServingConfig.from_env({"MATCHER_BRIEF_CACHE": "0"}).brief_cache == 0
    with pytest.raises(ValueError, match="brief_cache"):
        ServingConfig.from_env({"MATCHER_BRIEF_CACHE": "-1"})
