"""How good are plans? Planner vs "top-k by score until the budget is spent" vs an oracle plan,
each scored by the simulator's hidden truth (``simulator.audience.AudienceTruth``), on held-out
briefs of a simulated market.

Per brief: the campaign budget is ``budget_creators x`` the brief's per-creator budget (5 x the
median candidate cost when it has none); the three systems choose from the same ranked pool
(the pipeline's top ``MAX_K``) under the same budget and ``max_creators``:

- planner: ``plan_campaign``'s optimiser on the estimated objective and quoted costs;
- top-k: down the ranked list, every creator that still fits the budget (quoted costs);
- oracle: the same optimiser on the true objective and the creators' true prices;
- no_overlap (ablation): the planner's optimiser on the sum of each creator's standalone value.

A plan's true value is ``AudienceTruth.value`` of its creators; its budget use is its quoted
cost / budget, and it is over budget when that (or its true cost) exceeds the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.data.briefs import brief_from_row
from matcher.data.io import load_market
from matcher.data.labels import time_split
from matcher.evaluation.stats import bootstrap_ci
from matcher.planning.objective import Coverage, Modular, Objective
from matcher.planning.optimiser import Infeasible, maximise
from matcher.planning.overlap import KAPPA, AudienceModel
from matcher.planning.plan import Candidates, objective_for, topk_until_budget
from matcher.ranking.pipeline import MatchPipeline
from matcher.simulator.audience import GOALS, AudienceTruth

SYSTEMS = (
    "planner",
    "no_overlap",
    "topk",
    "oracle",
)  # no_overlap: the planner with overlap ignored (ablation)


@dataclass
class PlanEvaluation:
    per_brief: (
        pd.DataFrame
    )  # brief_id, goal, system, true_value, n_creators, cost, true_cost, budget
    summary: pd.DataFrame  # per goal and system

    def table(self) -> str:
        return self.summary.to_string(index=False, float_format=lambda x: f"{x:,.3f}")


def true_objective(audience: AudienceTruth, brief_id: str, ids: list[str], goal: str) -> Objective:
    if goal == "accepts":
        return Modular(audience.accept_probability(brief_id, ids))
    return Coverage(*audience.coverage(brief_id, ids, goal))


def held_out_briefs(pipeline: MatchPipeline, briefs: pd.DataFrame) -> list[str]:
    ids = [str(b) for b in pipeline.metadata.get("test_brief_ids") or []]
    return ids or list(time_split(briefs, pipeline.config.split).test)


def evaluate_plans(
    pipeline: MatchPipeline,
    data_dir: str | Path,
    *,
    brief_ids: list[str] | None = None,
    goals: tuple[str, ...] = GOALS,
    budget_creators: float = 5.0,
    max_creators: int = 20,
    kappa: float = KAPPA,
    progress: bool = True,
) -> PlanEvaluation:
    tables = load_market(data_dir)
    audience = AudienceTruth.from_dir(data_dir)
    ids = brief_ids if brief_ids is not None else held_out_briefs(pipeline, tables.briefs)
    rows_by_id = {str(r[S.BRIEF_ID]): r for _, r in tables.briefs.iterrows()}
    model = AudienceModel.for_catalogue(pipeline.catalogue, kappa)
    records = []
    for bid in tqdm(ids, desc="planning held-out briefs", disable=not progress):
        brief = brief_from_row(rows_by_id[bid])
        rec = pipeline.recommend(brief, k=S.MAX_K)
        if len(rec.matches) < 2:
            continue
        pool = Candidates.from_matches(pipeline, rec.matches, rec.n_candidates)
        cids = [m.influencer_id for m in pool.matches]
        budget = budget_creators * (brief.budget_usd or float(np.median(pool.costs)))
        true_costs = np.maximum(audience.true_cost(cids), 0.01)
        base = topk_until_budget(pool, budget, max_creators)
        for goal in goals:
            chosen: dict[str, list[int]] = {"topk": base}
            est = objective_for(model, pool, brief, goal)
            blind = Modular(est.gains(est.start()))  # ablation: the same values, overlap ignored
            for name, obj, costs, also in (
                ("planner", est, pool.costs, [base]),
                ("no_overlap", blind, pool.costs, [base]),
                ("oracle", true_objective(audience, bid, cids, goal), true_costs, []),
            ):
                try:
                    chosen[name] = maximise(
                        obj, costs, pool.platforms, budget, max_items=max_creators, also=also
                    ).items
                except Infeasible:
                    chosen[name] = []
            for name in SYSTEMS:
                items = chosen[name]
                records.append(
                    {
                        "brief_id": bid,
                        "goal": goal,
                        "system": name,
                        "budget": budget,
                        "true_value": audience.value(bid, [cids[i] for i in items], goal),
                        "n_creators": len(items),
                        "cost": float(pool.costs[items].sum()),
                        "true_cost": float(true_costs[items].sum()),
                    }
                )
    per = pd.DataFrame(records)
    return PlanEvaluation(per, summarise(per))


def summarise(per: pd.DataFrame) -> pd.DataFrame:
    if per.empty:
        return pd.DataFrame()
    oracle = per[per.system == "oracle"].set_index(["brief_id", "goal"])["true_value"]
    per = per.assign(
        oracle=oracle.reindex(pd.MultiIndex.from_frame(per[["brief_id", "goal"]])).to_numpy()
    )
    out = []
    for (goal, system), g in per.groupby(["goal", "system"], sort=False):
        base = per[(per.goal == goal) & (per.system == "topk")].set_index("brief_id")["true_value"]
        topk = base.mean()
        mine = g.set_index("brief_id")["true_value"].reindex(base.index).to_numpy()
        lo, hi = _paired_gain_ci(mine, base.to_numpy())
        out.append(
            {
                "goal": goal,
                "system": system,
                "n_briefs": len(g),
                "mean_true_value": g.true_value.mean(),
                "ratio_to_oracle": g.true_value.sum() / max(g.oracle.sum(), 1e-12),
                "vs_topk": g.true_value.mean() / max(topk, 1e-12) - 1,
                "vs_topk_ci95": f"{lo:+.2f}..{hi:+.2f}",
                "beats_topk": float(np.mean(mine >= base.to_numpy() - 1e-9)),
                "mean_creators": g.n_creators.mean(),
                "budget_use": (g.cost / g.budget).mean(),
                "over_budget": int((g.cost > g.budget * (1 + 1e-9)).sum()),
                "over_budget_true_price": int((g.true_cost > g.budget * (1 + 1e-9)).sum()),
                "true_budget_use": (g.true_cost / g.budget).mean(),
            }
        )
    return pd.DataFrame(out)


def _paired_gain_ci(
    mine: np.ndarray, base: np.ndarray, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% paired bootstrap interval (over briefs) of mean(mine) / mean(base) - 1.

    ``matcher.evaluation.stats.bootstrap_ci`` (scipy's BCa, percentile when degenerate) over
    the briefs' indices, so that a resample keeps each brief's pair together. Briefs where
    either system has no value are dropped; NaN when none is left."""
    mine, base = np.asarray(mine, dtype=np.float64), np.asarray(base, dtype=np.float64)
    keep = ~(np.isnan(mine) | np.isnan(base))
    mine, base = mine[keep], base[keep]

    def gain(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        i = np.asarray(idx).astype(np.intp)
        return np.asarray(mine[i].mean(axis) / np.maximum(base[i].mean(axis), 1e-12) - 1)

    _, lo, hi = bootstrap_ci(np.arange(mine.size), gain, n_boot, 0.05, seed)
    return lo, hi


def plot_plans(summary: pd.DataFrame, path: str | Path) -> Path:
    """Bars: each system's mean true value relative to the oracle, per goal (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    goals = list(dict.fromkeys(summary.goal))
    width = 0.8 / len(SYSTEMS)
    mid = (len(SYSTEMS) - 1) / 2
    for k, system in enumerate(SYSTEMS):
        s = summary[summary.system == system].set_index("goal").reindex(goals)
        ax.bar(np.arange(len(goals)) + (k - mid) * width, s.ratio_to_oracle, width, label=system)
    ax.set_xticks(np.arange(len(goals)), goals)
    ax.set_ylabel("true value / oracle")
    ax.set_title("Campaign plans on held-out briefs (same budget, same candidates)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(SYSTEMS), frameon=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
