"""Budgeted submodular maximisation: cost-benefit lazy greedy plus the best single item.

Method (Leskovec et al., "Cost-effective outbreak detection in networks", KDD 2007, the CELF
algorithm; Khuller, Moss and Naor 1999 for the budgeted maximum coverage problem): run the
greedy that repeatedly adds the feasible creator with the largest marginal gain per dollar,
with lazy evaluation (a gain computed earlier is an upper bound of the current one, by
submodularity, so only the top of a priority queue is re-evaluated), and return the better of
its set and the best feasible single creator. For a monotone submodular objective under a
knapsack (budget) constraint alone this is within (1 - 1/e) / 2 ~ 0.32 of the optimum. We also
run the same greedy by gain alone (better when ``max_creators`` binds) and from any feasible
sets the caller passes (``also``: the plan never does worse than the top-k baseline on the
objective), and keep the best: the guarantee still holds, the best of several only improves.

The other constraints are honoured as feasibility checks during the same greedy (the bound
above is then not claimed): at most ``max_items``; per platform, at most its share of the
budget (``caps``); and room for ``min_items``: a creator is added only if the budget left after
it still pays for the cheapest creators needed to reach ``min_items``, and once the greedy
stops, the best gain-per-dollar creators that still fit are added until ``min_items`` is met.
An instance that cannot be met raises ``Infeasible`` naming the constraint.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matcher.planning.objective import Objective

METHOD = (
    "cost-benefit lazy greedy + best single item (CELF; (1-1/e)/2 guarantee under the budget alone), "
    "best of it, the greedy by gain and the greedy from the top-k baseline"
)


class Infeasible(ValueError):
    """A constraint that no set of candidates can meet; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Selection:
    items: list[int]  # in the order they were added
    gains: list[float]  # marginal gain of each when it was added
    value: float
    cost: float
    used_single: bool = False  # the best single item beat the greedy set
    evaluations: int = 0
    stop_reason: dict[int, str] = field(
        default_factory=dict
    )  # candidate -> why the greedy passed it over


def _min_reserve(costs: NDArray[np.float64], taken: set[int], count: int) -> float:
    """The cheapest way to pay for ``count`` more creators not in ``taken``."""
    if count <= 0:
        return 0.0
    rest = np.sort(np.delete(costs, list(taken))) if taken else np.sort(costs)
    return float(rest[:count].sum()) if len(rest) >= count else float("inf")


def maximise(
    objective: Objective,
    costs: NDArray[np.float64],
    platforms: NDArray[np.object_],
    budget: float,
    *,
    max_items: int,
    min_items: int = 1,
    caps: Mapping[str, float] | None = None,
    also: list[list[int]] | None = None,
) -> Selection:
    """The set to hire: see the module docstring. ``caps`` maps platform -> the most that may be
    spent on it (None: no platform constraint; a platform not named gets nothing)."""
    costs = np.asarray(costs, dtype=np.float64)
    n = len(costs)
    if objective.n != n or len(platforms) != n:
        raise ValueError("objective, costs and platforms must describe the same candidates")
    if not np.isfinite(costs).all() or (costs <= 0).any():
        raise ValueError("every candidate needs a positive, finite cost")
    cap = {
        str(p): float(caps.get(str(p), 0.0)) if caps is not None else float("inf")
        for p in set(platforms)
    }
    allowed = np.array(
        [costs[i] <= min(budget, cap[str(platforms[i])]) + 1e-9 for i in range(n)], dtype=bool
    )
    _check_feasible(costs, platforms, allowed, budget, min_items, cap)

    def run(start: list[int], per_dollar: bool = True) -> Selection:
        unit = costs if per_dollar else np.ones(n)
        state = objective.start()
        chosen: list[int] = []
        gains: list[float] = []
        spent, by_platform = 0.0, dict.fromkeys(cap, 0.0)
        why: dict[int, str] = {}
        for i in start:
            gains.append(float(objective.gains(state, np.array([i]))[0]))
            state = objective.add(state, i)
            chosen.append(i)
            spent += costs[i]
            by_platform[str(platforms[i])] += costs[i]

        def fits(i: int) -> str | None:
            p = str(platforms[i])
            if len(chosen) >= max_items:
                return "max_creators reached"
            if spent + costs[i] > budget + 1e-9:
                return "cost exceeds the budget left"
            if by_platform[p] + costs[i] > cap[p] + 1e-9:
                return f"platform_mix: the {p} share of the budget is spent"
            need = min_items - len(chosen) - 1
            if spent + costs[i] + _min_reserve(costs, {*chosen, i}, need) > budget + 1e-9:
                return "would leave too little budget for min_creators"
            return None

        evals = 0
        g0 = objective.gains(state)
        evals += n
        heap = [
            (-g0[i] / unit[i], i) for i in range(n) if allowed[i] and i not in chosen and g0[i] > 0
        ]
        heapq.heapify(heap)
        fresh = {i: len(chosen) for _, i in heap}  # when each bound was computed
        while heap and len(chosen) < max_items:
            neg, i = heapq.heappop(heap)
            if fresh[i] != len(chosen):  # stale bound: re-evaluate (lazy)
                g = float(objective.gains(state, np.array([i]))[0])
                evals += 1
                fresh[i] = len(chosen)
                if g > 0:
                    heapq.heappush(heap, (-g / unit[i], i))
                continue
            reason = fits(i)
            if reason is not None:
                why[i] = reason
                continue
            g = -neg * unit[i]
            gains.append(g)
            state = objective.add(state, i)
            chosen.append(i)
            spent += costs[i]
            by_platform[str(platforms[i])] += costs[i]
        # fill up to min_items with the best gain per dollar that still fits
        while len(chosen) < min_items:
            cands = [i for i in range(n) if allowed[i] and i not in chosen and fits(i) is None]
            if not cands:
                raise Infeasible(
                    "min_creators", f"only {len(chosen)} creators fit the budget and platform mix"
                )
            g_cands = objective.gains(state, np.array(cands))
            evals += len(cands)
            k = int(np.argmax(g_cands / costs[cands]))
            i = cands[k]
            gains.append(float(g_cands[k]))
            state = objective.add(state, i)
            chosen.append(i)
            spent += costs[i]
            by_platform[str(platforms[i])] += costs[i]
        return Selection(
            chosen, gains, objective.value(chosen), float(costs[chosen].sum()), False, evals, why
        )

    greedy = run([])
    by_gain = run(
        [], per_dollar=False
    )  # with max_creators binding, gain alone can beat gain per dollar
    if by_gain.value > greedy.value + 1e-9:
        greedy = by_gain
    for start in (
        also or []
    ):  # other feasible sets (e.g. the baseline): the plan is never worse than them
        if start and _feasible(start, costs, platforms, budget, min_items, max_items, cap):
            other = run(list(start))
            if other.value > greedy.value + 1e-9:
                greedy = other
    singles = np.flatnonzero(allowed)
    if min_items <= 1 and len(singles):
        g = objective.gains(objective.start(), singles)
        best = int(singles[int(np.argmax(g))])
        if float(g.max()) > greedy.value + 1e-9:
            return Selection(
                [best],
                [float(g.max())],
                float(g.max()),
                float(costs[best]),
                True,
                greedy.evaluations + len(singles),
                greedy.stop_reason,
            )
    return greedy


def _feasible(
    items: list[int],
    costs: NDArray[np.float64],
    platforms: NDArray[np.object_],
    budget: float,
    min_items: int,
    max_items: int,
    cap: Mapping[str, float],
) -> bool:
    spent: dict[str, float] = {}
    for i in items:
        spent[str(platforms[i])] = spent.get(str(platforms[i]), 0.0) + float(costs[i])
    return (
        min_items <= len(items) <= max_items
        and len(set(items)) == len(items)
        and float(costs[items].sum()) <= budget + 1e-9
        and all(v <= cap[p] + 1e-9 for p, v in spent.items())
    )


def _check_feasible(
    costs: NDArray[np.float64],
    platforms: NDArray[np.object_],
    allowed: NDArray[np.bool_],
    budget: float,
    min_items: int,
    cap: Mapping[str, float],
) -> None:
    if not allowed.any():
        cheapest = float(costs.min()) if len(costs) else float("nan")
        if (
            len(costs)
            and all(np.isinf(v) or v >= budget for v in cap.values())
            and cheapest > budget
        ):
            raise Infeasible(
                "budget_usd",
                f"the cheapest candidate costs ${cheapest:,.2f}, "
                f"more than the budget of ${budget:,.2f}",
            )
        raise Infeasible(
            "platform_mix"
            if len(costs) and not all(np.isinf(v) for v in cap.values())
            else "budget_usd",
            "no candidate fits the budget on the platforms the mix allows",
        )
    ok = np.sort(costs[allowed])
    if len(ok) < min_items:
        raise Infeasible(
            "min_creators",
            f"{min_items} creators asked for, only {len(ok)} candidates fit the "
            "budget and platform mix",
        )
    if ok[:min_items].sum() > budget + 1e-9:
        raise Infeasible(
            "min_creators",
            f"the {min_items} cheapest candidates cost ${ok[:min_items].sum():,.2f}, "
            f"more than the budget of ${budget:,.2f}",
        )
