"""Seeded randomness for text assembly (the simulator's writers draw from ``Dice``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class Dice:
    """Seeded uniforms for plain-Python text assembly: one numpy call per block instead of one
    per choice (a scalar Generator call costs microseconds; a list index costs nanoseconds)."""

    __slots__ = ("_rng", "_buf", "_i", "_n")

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._n = block
        self._buf: list[float] = rng.random(block).tolist()
        self._i = 0

    def u(self) -> float:
        i = self._i
        if i >= self._n:
            self._buf = self._rng.random(self._n).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.u() * len(seq))]

    def chance(self, p: float) -> bool:
        return self.u() < p

    def randint(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi)."""
        return lo + int(self.u() * (hi - lo))

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """Up to ``k`` distinct items (order random)."""
        pool = list(seq)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(int(self.u() * len(pool))))
        return out
