"""MemoPipeline: one ranking per (brief, k), whatever way the router calls it."""

from __future__ import annotations

import numpy as np

from matcher.online.traffic import MemoPipeline
from matcher.ranking.pipeline import Recommendation
from matcher.schemas import Brief


class _CountingPipe:
    """A pipeline double recording each call; ``recommend`` takes no ``deadline`` unless asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, object, object]] = []
        self.metadata = {"version": "7"}

    def recommend(
        self, brief: Brief, k: int = 10, query: object = None, **kw: object
    ) -> Recommendation:
        self.calls.append((brief.text, k, query, kw.get("deadline")))
        return Recommendation(matches=[], n_candidates=len(self.calls))


def _brief(text: str = "vegan recipes for busy parents") -> Brief:
    return Brief(text=text)


def test_replays_of_a_brief_rank_once_per_k():
    inner = _CountingPipe()
    memo = MemoPipeline(inner)  # type: ignore[arg-type]  # a duck-typed double
    first = memo.recommend(_brief(), 5)
    assert memo.recommend(_brief(), 5) is first
    assert memo.recommend(_brief(), 3) is not first
    assert memo.recommend(_brief("something else"), 5).n_candidates == 3
    assert len(inner.calls) == 3


def test_deadline_is_passed_on_and_the_result_cached():
    inner = _CountingPipe()
    memo = MemoPipeline(inner)  # type: ignore[arg-type]
    rec = memo.recommend(_brief(), 5, deadline=123.0)
    assert inner.calls == [("vegan recipes for busy parents", 5, None, 123.0)]
    assert memo.recommend(_brief(), 5) is rec  # the replay is served from the cache


def test_an_explicit_query_vector_bypasses_the_cache():
    inner = _CountingPipe()
    memo = MemoPipeline(inner)  # type: ignore[arg-type]
    memo.recommend(_brief(), 5)
    q = np.ones(4, dtype=np.float32)
    memo.recommend(_brief(), 5, q)
    memo.recommend(_brief(), 5, q)
    assert len(inner.calls) == 3
    assert inner.calls[1][2] is q


def test_other_attributes_come_from_the_wrapped_pipeline():
    memo = MemoPipeline(_CountingPipe())  # type: ignore[arg-type]
    assert memo.metadata == {"version": "7"}
