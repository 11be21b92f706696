"""Set functions the planner maximises: monotone submodular, evaluated incrementally.

- ``Coverage(sizes, probs)``: probabilistic coverage ``f(S) = sum_c N_c (1 - prod_{i in S} (1 - p_ic))``
  over audience cells c of size ``N_c``; ``p_ic`` is the probability that creator i reaches
  (or makes engage) a member of cell c. Monotone (adding a creator never lowers a product's
  complement) and submodular (the gain of i, ``sum_c N_c p_ic prod_{j in S}(1 - p_jc)``, only
  shrinks as S grows): the diminishing returns for audience overlap.
- ``Modular(values)``: ``f(S) = sum_{i in S} v_i`` (expected accepts: no overlap).

The optimiser (``planning.optimiser``) only uses ``start``, ``gains`` and ``add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class Objective(Protocol):
    n: int

    def start(self) -> NDArray[np.float64]: ...

    def gains(
        self, state: NDArray[np.float64], items: NDArray[np.int64] | None = None
    ) -> NDArray[np.float64]: ...

    def add(self, state: NDArray[np.float64], i: int) -> NDArray[np.float64]: ...

    def value(self, items: Sequence[int]) -> float: ...


class Coverage:
    """``sum_c N_c (1 - prod_{i in S} (1 - p_ic))``; ``probs`` (n items, m cells) in [0, 1]."""

    def __init__(self, sizes: NDArray[np.float64], probs: NDArray[np.float64]) -> None:
        sizes = np.asarray(sizes, dtype=np.float64)
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or sizes.shape != (probs.shape[1],):
            raise ValueError(
                f"probs must be (n, m) and sizes (m,), got {probs.shape} and {sizes.shape}"
            )
        if (sizes < 0).any() or (probs < 0).any() or (probs > 1).any():
            raise ValueError("sizes must be >= 0 and probs in [0, 1]")
        self.sizes, self.probs, self.n = sizes, probs, probs.shape[0]

    def start(self) -> NDArray[np.float64]:
        """The state: the probability that each cell's member is not yet covered."""
        return np.ones(self.probs.shape[1])

    def gains(
        self, state: NDArray[np.float64], items: NDArray[np.int64] | None = None
    ) -> NDArray[np.float64]:
        p = self.probs if items is None else self.probs[items]
        return p @ (self.sizes * state)

    def add(self, state: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        return state * (1.0 - self.probs[i])

    def value(self, items: Sequence[int]) -> float:
        idx = np.asarray(list(items), dtype=np.int64)
        if len(idx) == 0:
            return 0.0
        return float(self.sizes @ (1.0 - np.prod(1.0 - self.probs[idx], axis=0)))


class Modular:
    """``sum_{i in S} v_i`` with ``v_i >= 0``."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self.values = np.asarray(values, dtype=np.float64)
        if self.values.ndim != 1 or (self.values < 0).any():
            raise ValueError("values must be a vector of non-negative numbers")
        self.n = len(self.values)

    def start(self) -> NDArray[np.float64]:
        return np.zeros(0)

    def gains(
        self, state: NDArray[np.float64], items: NDArray[np.int64] | None = None
    ) -> NDArray[np.float64]:
        return self.values.copy() if items is None else self.values[items]

    def add(self, state: NDArray[np.float64], i: int) -> NDArray[np.float64]:
        return state

    def value(self, items: Sequence[int]) -> float:
        return (
            float(self.values[np.asarray(list(items), dtype=np.int64)].sum()) if len(items) else 0.0
        )
