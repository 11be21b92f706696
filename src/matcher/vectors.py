"""Vector helpers shared by every layer (ranking and the simulator alike): pure numpy."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike, NDArray


def unit_rows(x: NDArray[np.floating], dtype: DTypeLike = np.float32) -> NDArray[np.floating]:
    """Each row scaled to unit L2 norm (zero rows stay zero), as ``dtype``."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(dtype, copy=False)
