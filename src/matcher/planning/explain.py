"""Why each creator is in a plan (its marginal gain) and why the best left-out ones are not."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

UNITS = {"reach": "people reached", "engagements": "engagements", "accepts": "expected accepts"}


def _num(x: float) -> str:
    return f"{x:,.2f}" if abs(x) < 10 else f"{x:,.0f}"


def why_in(goal: str, gain: float, standalone: float, cost: float) -> str:
    unit = UNITS[goal]
    text = f"adds {_num(gain)} {unit} for ${cost:,.2f} ({_num(gain / cost)} per $)"
    if standalone > 0 and gain < standalone * 0.995:
        text += f"; {1 - gain / standalone:.0%} of its {_num(standalone)} overlaps creators chosen before it"
    return text


def why_not(
    goal: str,
    gain: float,
    standalone: float,
    cost: float,
    *,
    left: float,
    n_chosen: int,
    max_creators: int,
    platform_left: float | None,
    platform: str,
    worst_ratio: float,
) -> str:
    """The first constraint or reason that keeps the creator out of the final plan."""
    unit = UNITS[goal]
    if cost > left + 1e-9:
        return f"costs ${cost:,.2f}, only ${left:,.2f} of the budget is left"
    if platform_left is not None and cost > platform_left + 1e-9:
        return f"costs ${cost:,.2f}, only ${platform_left:,.2f} of the {platform} share of the budget is left"
    if n_chosen >= max_creators:
        return f"the plan already has max_creators ({max_creators})"
    if standalone > 0 and gain < 0.7 * standalone:
        return (
            f"overlaps the plan: would add only {_num(gain)} of its {_num(standalone)} {unit} "
            f"({1 - gain / standalone:.0%} overlap)"
        )
    return (
        f"lower value per dollar: {_num(gain / cost)} {unit} per $ vs {_num(worst_ratio)} for the "
        "plan's least efficient creator"
    )


def best_excluded(standalone: NDArray[np.float64], chosen: list[int], n: int = 5) -> list[int]:
    """The left-out candidates with the highest standalone value."""
    out = [int(i) for i in np.argsort(-standalone, kind="stable") if int(i) not in set(chosen)]
    return out[:n]
