"""The objective and the budgeted optimiser, with known answers (no model needed)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from matcher.planning.objective import Coverage, Modular
from matcher.planning.optimiser import Infeasible, maximise
from matcher.planning.plan import Candidates, topk_until_budget
from tests.helpers import match


def _pool(costs, platforms=None) -> Candidates:
    n = len(costs)
    ms = [match(i + 1, f"c{i}", score=float(n - i)) for i in range(n)]
    return Candidates(
        ms,
        np.arange(n),
        np.asarray(costs, float),
        np.array(platforms or ["instagram"] * n, dtype=object),
        np.full(n, 0.5),
        np.full(n, 0.02),
        np.full(n, 0.01),
        np.full(n, 0.04),
        n,
    )


def test_near_duplicate_audiences_greedy_by_score_is_provably_worse():
    # A and A' reach the same 100-person community (p = 0.9 each), B another one (p = 0.8).
    # Ranked A, A', B; budget pays for two. Top-k by score: A + A' = 100 (1 - 0.1^2) = 99 people;
    # the plan: A + B = 90 + 80 = 170, the optimum.
    obj = Coverage(np.array([100.0, 100.0]), np.array([[0.9, 0.0], [0.9, 0.0], [0.0, 0.8]]))
    pool = _pool([10, 10, 10])
    base = topk_until_budget(pool, budget=20, max_items=10)
    assert base == [0, 1] and obj.value(base) == pytest.approx(99.0)
    sel = maximise(obj, pool.costs, pool.platforms, 20, max_items=10)
    assert sorted(sel.items) == [0, 2] and sel.value == pytest.approx(170.0)
    assert sel.gains == pytest.approx([90.0, 80.0])
    assert sel.cost == 20


def test_one_expensive_creator_does_not_crowd_out_cheap_ones():
    # ranked first: a $100 creator reaching 100; four $25 creators reach 60 each, disjoint
    obj = Coverage(np.full(5, 100.0), np.diag([1.0, 0.6, 0.6, 0.6, 0.6]) * 0.9 / 0.9)
    pool = _pool([100, 25, 25, 25, 25])
    assert topk_until_budget(pool, 100, 10) == [0]
    sel = maximise(obj, pool.costs, pool.platforms, 100, max_items=10)
    assert sorted(sel.items) == [1, 2, 3, 4] and sel.value == pytest.approx(240.0)


def test_the_cheap_high_ratio_item_does_not_block_the_big_one():
    # classic bad case for pure cost-benefit greedy: a tiny cheap item with a great ratio blocks the big one
    obj = Modular(np.array([2.0, 100.0]))
    sel = maximise(
        obj, np.array([1.0, 100.0]), np.array(["instagram"] * 2, dtype=object), 100, max_items=5
    )
    assert (
        sel.items == [1] and sel.value == 100.0
    )  # not the $1 item the ratio alone would pick first


def test_coverage_is_monotone_and_submodular_on_random_sets():
    rng = np.random.default_rng(1)
    obj = Coverage(
        rng.uniform(1, 100, 12), rng.uniform(0, 0.9, (8, 12)) * (rng.random((8, 12)) < 0.4)
    )
    for _ in range(200):
        a = set(rng.choice(8, rng.integers(0, 5), replace=False).tolist())
        b = a | set(rng.choice(8, rng.integers(0, 4), replace=False).tolist())
        i = int(rng.integers(8))
        assert obj.value(b) >= obj.value(a) - 1e-9
        if i not in b:
            assert obj.value(a | {i}) - obj.value(a) >= obj.value(b | {i}) - obj.value(b) - 1e-9


def _brute_force(obj, costs, budget, k):
    best = 0.0
    for r in range(1, k + 1):
        for s in itertools.combinations(range(len(costs)), r):
            if costs[list(s)].sum() <= budget:
                best = max(best, obj.value(s))
    return best


def test_random_instances_respect_every_constraint_and_the_guarantee():
    rng = np.random.default_rng(7)
    plats = np.array(["instagram", "tiktok", "youtube"], dtype=object)
    checked = 0
    for trial in range(150):
        n = int(rng.integers(2, 9))
        obj = Coverage(
            rng.uniform(10, 100, 6), rng.uniform(0, 0.9, (n, 6)) * (rng.random((n, 6)) < 0.5)
        )
        costs = np.round(rng.uniform(1, 50, n), 2)
        platforms = plats[rng.integers(0, 3, n)]
        budget = float(rng.uniform(10, 120))
        lo = int(rng.integers(1, 4))
        hi = int(rng.integers(lo, 7))
        caps = None if trial % 2 else {"instagram": 0.6 * budget, "tiktok": 0.5 * budget}
        try:
            sel = maximise(obj, costs, platforms, budget, max_items=hi, min_items=lo, caps=caps)
        except Infeasible as e:
            assert e.field in ("min_creators", "budget_usd", "platform_mix")
            continue
        assert costs[sel.items].sum() <= budget + 1e-9
        assert lo <= len(sel.items) <= hi and len(set(sel.items)) == len(sel.items)
        if caps is not None:
            for p in set(platforms[sel.items]):
                assert (
                    costs[[i for i in sel.items if platforms[i] == p]].sum()
                    <= caps.get(p, 0.0) + 1e-9
                )
        checked += 1
    assert checked >= 50


def test_budget_alone_is_within_the_guarantee_of_the_brute_force_optimum():
    rng = np.random.default_rng(11)
    ratios = []
    for _ in range(60):
        n = int(rng.integers(3, 9))
        obj = Coverage(
            rng.uniform(10, 100, 5), rng.uniform(0, 0.9, (n, 5)) * (rng.random((n, 5)) < 0.5)
        )
        costs = np.round(rng.uniform(1, 50, n), 2)
        budget = float(rng.uniform(max(costs.min(), 10), 120))
        sel = maximise(obj, costs, np.array(["instagram"] * n, dtype=object), budget, max_items=n)
        opt = _brute_force(obj, costs, budget, n)
        assert costs[sel.items].sum() <= budget + 1e-9
        assert sel.value >= (1 - 1 / math.e) / 2 * opt - 1e-9
        ratios.append(sel.value / opt if opt > 0 else 1.0)
    assert np.mean(ratios) > 0.9  # in practice far better than the worst case


def test_constraints_that_cannot_be_met_name_themselves():
    obj = Modular(np.ones(3))
    costs = np.array([40.0, 50.0, 60.0])
    pl = np.array(["instagram", "instagram", "tiktok"], dtype=object)
    with pytest.raises(Infeasible, match="budget_usd: the cheapest candidate costs \\$40.00") as e:
        maximise(obj, costs, pl, 30, max_items=3)
    assert e.value.field == "budget_usd" and isinstance(e.value, ValueError)
    with pytest.raises(
        Infeasible, match="min_creators: the 3 cheapest candidates cost \\$150.00"
    ) as e:
        maximise(obj, costs, pl, 100, max_items=3, min_items=3)
    with pytest.raises(Infeasible, match="platform_mix") as e:
        maximise(obj, costs, pl, 100, max_items=3, caps={"youtube": 100.0})
    sel = maximise(obj, costs, pl, 100, max_items=3, min_items=2)
    assert sel.items == [0, 1] or sorted(sel.items) == [0, 1]  # the two that fit together
