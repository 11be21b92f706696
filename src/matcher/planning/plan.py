"""``plan_campaign``: the best set of creators for a total budget (issue 11).

1. Candidates: the pipeline's ranked list for the brief (``MatchPipeline.recommend``, its filters
   and per-creator budget included), the top ``MAX_K``; each keeps its ``Match`` (fit score,
   expected engagement with its 80% interval, estimated cost), so the request log and
   ``/feedback`` work on the plan's creators.
2. Objective for the goal (``planning.objective``): reach and engagements are probabilistic
   coverages over the audience cells of ``planning.overlap`` (diminishing returns for overlap);
   accepts is the sum of fit probabilities.
3. Optimiser (``planning.optimiser``): cost-benefit lazy greedy + best single item under the
   budget, min/max creators and platform mix.
4. Uncertainty (``planning.uncertainty``): every goal's total with an 80% interval, for the plan
   and for the baseline "top-k by score until the budget is spent".
5. Explanations (``planning.explain``): each creator's marginal gain; the best left-out ones
   and why not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.api import (
    PLAN_GOALS,
    Interval,
    PlanBaseline,
    PlanConstraints,
    PlanCreator,
    PlanExclusion,
    PlanResponse,
)
from matcher.planning import explain
from matcher.planning.objective import Coverage, Modular, Objective
from matcher.planning.optimiser import METHOD, Infeasible, Selection, maximise
from matcher.planning.overlap import KAPPA, AudienceModel
from matcher.planning.uncertainty import accepts_interval, coverage_interval
from matcher.ranking.budget import check
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief, Match

PlanInfeasible = (
    Infeasible  # the name callers catch: a ValueError whose ``field`` names the constraint
)


@dataclass
class Candidates:
    """The ranked pool a plan chooses from, best score first."""

    matches: list[Match]
    rows: NDArray[np.int64]
    costs: NDArray[np.float64]
    platforms: NDArray[np.object_]
    fit: NDArray[np.float64]
    rate: NDArray[np.float64]
    rate_low: NDArray[np.float64]
    rate_high: NDArray[np.float64]
    n_passing: int

    @classmethod
    def from_matches(
        cls, pipeline: MatchPipeline, matches: list[Match], n_passing: int
    ) -> Candidates:
        ee = [m.expected_engagement for m in matches]
        return cls(
            matches,
            pipeline.catalogue.rows_for([m.influencer_id for m in matches]),
            np.array([max(m.estimated_cost_usd, 0.01) for m in matches], dtype=np.float64),
            np.array([m.platform for m in matches], dtype=object),
            np.array([m.fit_score for m in matches], dtype=np.float64),
            np.array([e.rate for e in ee], dtype=np.float64),
            np.array([e.rate_low for e in ee], dtype=np.float64),
            np.array([e.rate_high for e in ee], dtype=np.float64),
            n_passing,
        )

    def __len__(self) -> int:
        return len(self.matches)


def objective_for(model: AudienceModel, cands: Candidates, brief: Brief, goal: str) -> Objective:
    if goal == "accepts":
        return Modular(np.clip(cands.fit, 0.0, 1.0))
    return Coverage(*model.coverage(cands.rows, brief, goal, cands.rate))


def topk_until_budget(
    cands: Candidates, budget: float, max_items: int, caps: dict[str, float] | None = None
) -> list[int]:
    """The baseline: down the ranked list, take each creator that still fits the budget (and the
    platform shares), until ``max_items`` or the end of the list."""
    chosen: list[int] = []
    spent = 0.0
    by_platform: dict[str, float] = {}
    for i in range(len(cands)):
        if len(chosen) >= max_items:
            break
        p, c = str(cands.platforms[i]), float(cands.costs[i])
        cap = float("inf") if caps is None else caps.get(p, 0.0)
        if spent + c <= budget + 1e-9 and by_platform.get(p, 0.0) + c <= cap + 1e-9:
            chosen.append(i)
            spent += c
            by_platform[p] = by_platform.get(p, 0.0) + c
    return chosen


def expected_totals(
    model: AudienceModel,
    cands: Candidates,
    brief: Brief,
    items: list[int],
    *,
    seed: int,
    n_draws: int,
) -> dict[str, Interval]:
    """Every goal's expected total for these creators, with its 80% interval."""
    idx = np.asarray(items, dtype=np.int64)
    rng = np.random.default_rng(seed)
    reach = model.parts(cands.rows[idx], brief, "reach")
    eng = model.parts(cands.rows[idx], brief, "engagements", cands.rate[idx])
    return {
        "engagements": coverage_interval(
            eng, rng, n_draws, cands.rate[idx], cands.rate_low[idx], cands.rate_high[idx]
        ),
        "reach": coverage_interval(reach, rng, n_draws),
        "accepts": accepts_interval(cands.fit[idx], rng, n_draws),
    }


@dataclass
class Plan:
    goal: str
    constraints: PlanConstraints
    candidates: Candidates
    selection: Selection
    baseline: list[int]
    expected: dict[str, Interval]
    baseline_expected: dict[str, Interval]
    creators: list[PlanCreator]
    excluded: list[PlanExclusion]
    latency_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_cost_usd(self) -> float:
        return round(float(sum(c.estimated_cost_usd for c in self.creators)), 2)

    def to_response(
        self,
        request_id: str | None = None,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> PlanResponse:
        c = self.candidates
        return PlanResponse(
            request_id=request_id,
            model_name=model_name,
            model_version=model_version,
            goal=self.goal,
            method=METHOD,
            creators=self.creators,
            total_cost_usd=self.total_cost_usd,
            budget_usd=self.constraints.budget_usd,
            expected=self.expected,
            baseline_topk=PlanBaseline(
                creators=[c.matches[i].influencer_id for i in self.baseline],
                total_cost_usd=round(float(c.costs[self.baseline].sum()), 2),
                expected=self.baseline_expected,
            ),
            excluded=self.excluded,
            n_candidates=len(c),
            latency_ms=self.latency_ms,
        )

    def to_json(self) -> dict[str, Any]:
        return self.to_response().model_dump(mode="json")


def _caps(constraints: PlanConstraints, brief: Brief) -> dict[str, float] | None:
    mix = constraints.platform_mix
    if mix is None:
        return None
    if brief.platforms:
        outside = sorted(set(p for p, s in mix.items() if s > 0) - set(brief.platforms))
        if outside:
            raise Infeasible(
                "platform_mix",
                f"{', '.join(outside)} not among the brief's platforms "
                f"({', '.join(brief.platforms)})",
            )
    return {p: s * constraints.budget_usd for p, s in mix.items()}


def plan_campaign(
    pipeline: MatchPipeline,
    brief: Brief,
    constraints: PlanConstraints,
    *,
    seed: int = 0,
    n_draws: int = 300,
    deadline: float | None = None,
    kappa: float = KAPPA,
    pool: Candidates | None = None,
) -> Plan:
    """The plan for one brief: see the module docstring. Raises ``PlanInfeasible`` (a
    ``ValueError`` with ``field``) when a constraint cannot be met, and
    ``ranking.budget.DeadlineExceeded`` past ``deadline``. ``pool`` reuses a ranked list."""
    t0 = time.perf_counter()
    if constraints.goal not in PLAN_GOALS:
        raise Infeasible("goal", f"must be one of {', '.join(PLAN_GOALS)}")
    if not 1 <= n_draws <= 10_000:
        raise ValueError(f"n_draws must be between 1 and 10000, got {n_draws}")
    caps = _caps(constraints, brief)
    if pool is None:
        rec = pipeline.recommend(brief, k=S.MAX_K, deadline=deadline)
        if not rec.matches:
            raise Infeasible("brief", rec.reason or "no creator passes the brief's filters")
        pool = Candidates.from_matches(pipeline, rec.matches, rec.n_candidates)
    model = AudienceModel.for_catalogue(pipeline.catalogue, kappa)
    goal = constraints.goal
    obj = objective_for(model, pool, brief, goal)
    base = topk_until_budget(pool, constraints.budget_usd, constraints.max_creators, caps)
    sel = maximise(
        obj,
        pool.costs,
        pool.platforms,
        constraints.budget_usd,
        max_items=constraints.max_creators,
        min_items=constraints.min_creators,
        caps=caps,
        also=[base],
    )
    check(deadline, "planning")
    expected = expected_totals(model, pool, brief, sel.items, seed=seed, n_draws=n_draws)
    base_expected = expected_totals(model, pool, brief, base, seed=seed, n_draws=n_draws)
    check(deadline, "uncertainty")
    standalone = obj.gains(obj.start())
    creators = [
        PlanCreator(
            **pool.matches[i].model_dump(),
            marginal_gain=round(g, 3),
            standalone_value=round(float(standalone[i]), 3),
            why=explain.why_in(goal, g, float(standalone[i]), float(pool.costs[i])),
        )
        for i, g in zip(sel.items, sel.gains, strict=True)
    ]
    excluded = _excluded(obj, pool, sel, standalone, constraints, caps)
    return Plan(
        goal,
        constraints,
        pool,
        sel,
        base,
        expected,
        base_expected,
        creators,
        excluded,
        round((time.perf_counter() - t0) * 1000, 1),
    )


def _excluded(
    obj: Objective,
    pool: Candidates,
    sel: Selection,
    standalone: NDArray[np.float64],
    constraints: PlanConstraints,
    caps: dict[str, float] | None,
) -> list[PlanExclusion]:
    state = obj.start()
    for i in sel.items:
        state = obj.add(state, i)
    left = constraints.budget_usd - float(pool.costs[sel.items].sum())
    spent = {
        p: float(pool.costs[[i for i in sel.items if pool.platforms[i] == p]].sum())
        for p in set(pool.platforms)
    }
    worst = min((g / pool.costs[i] for i, g in zip(sel.items, sel.gains, strict=True)), default=0.0)
    out = []
    for i in explain.best_excluded(standalone, sel.items):
        gain = float(obj.gains(state, np.array([i]))[0])
        p = str(pool.platforms[i])
        m = pool.matches[i]
        out.append(
            PlanExclusion(
                influencer_id=m.influencer_id,
                handle=m.handle,
                platform=p,
                estimated_cost_usd=m.estimated_cost_usd,
                standalone_value=round(float(standalone[i]), 3),
                marginal_gain=round(gain, 3),
                why_not=explain.why_not(
                    constraints.goal,
                    gain,
                    float(standalone[i]),
                    float(pool.costs[i]),
                    left=left,
                    n_chosen=len(sel.items),
                    max_creators=constraints.max_creators,
                    platform_left=None if caps is None else caps.get(p, 0.0) - spent.get(p, 0.0),
                    platform=p,
                    worst_ratio=float(worst),
                ),
            )
        )
    return out
