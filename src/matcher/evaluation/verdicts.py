"""Words and JSON shapes shared by every comparison report (offline, promotion, online A/B)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NO_DIFFERENCE = "no detectable difference"


def json_safe(x: Any) -> Any:
    """JSON-safe: numpy scalars -> Python, NaN/inf -> None."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
