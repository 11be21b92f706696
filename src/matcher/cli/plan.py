"""``matcher plan``: the best set of creators for a total campaign budget (``matcher.planning``).

``--json`` prints one object: ``{"creators": [...], "total_cost_usd", "budget_usd", "expected":
{"<goal>": {"value", "low", "high"}, ...}, "baseline_topk": {...}, ...}`` (``api.PlanResponse``).
A constraint that cannot be met exits with status 2 and a line naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.common import (
    CHAMPION,
    ModelRef,
    Verbose,
    console,
    fail,
    load_model,
    out,
    read_brief,
    setup_logging,
)


def plan(
    model: ModelRef = CHAMPION,
    brief_file: Annotated[
        Path | None, typer.Option(help="A brief as JSON (see README: Brief).")
    ] = None,
    text: Annotated[str | None, typer.Option(help="Brief text (targeting defaults apply).")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Total campaign budget (USD).")] = ...,  # type: ignore[assignment]
    min_creators: Annotated[int, typer.Option(help="At least this many creators.")] = 1,
    max_creators: Annotated[int, typer.Option(help="At most this many creators.")] = 20,
    goal: Annotated[str, typer.Option(help="engagements | reach | accepts")] = "reach",
    platform_mix: Annotated[
        str | None,
        typer.Option(
            help="Most of the budget per platform, e.g. instagram=0.5,tiktok=0.5 (others get nothing)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the uncertainty draws.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as one JSON object.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Plan a campaign: which creators to hire for a total budget, net of audience overlap."""
    setup_logging(verbose)
    from matcher.planning.inputs import constraints_from
    from matcher.planning.plan import PlanInfeasible, plan_campaign

    brief = read_brief(brief_file, text)
    try:
        constraints = constraints_from(
            {
                "budget_usd": budget,
                "min_creators": min_creators,
                "max_creators": max_creators,
                "goal": goal,
                "platform_mix": platform_mix,
            }
        )
    except ValueError as e:
        fail(e)
    pipe = load_model(model)
    try:
        p = plan_campaign(pipe, brief, constraints, seed=seed)
    except PlanInfeasible as e:
        fail(f"cannot plan: {e}")
    except ValueError as e:  # e.g. an unknown example creator in the brief's ``like``
        fail(e)
    if as_json:
        typer.echo(json.dumps(p.to_json(), indent=2))
        return
    _print(p)


def _print(p) -> None:  # p: matcher.planning.plan.Plan
    t = Table(
        title=f"Plan for goal {p.goal}: {len(p.creators)} creators, ${p.total_cost_usd:,.2f} of "
        f"${p.constraints.budget_usd:,.2f}"
    )
    for col in ("#", "handle", "platform", "followers", "cost $", "fit", "gain", "why"):
        t.add_column(col, overflow="fold")
    for i, c in enumerate(p.creators, start=1):
        t.add_row(
            str(i),
            c.handle,
            c.platform,
            f"{c.followers:,}",
            f"{c.estimated_cost_usd:,.2f}",
            f"{c.fit_score:.2f}",
            f"{c.marginal_gain:,.1f}",
            c.why,
        )
    out.print(t)
    for goal, iv in p.expected.items():
        b = p.baseline_expected[goal]
        out.print(
            f"{goal}: {iv.value:,.1f} (80%: {iv.low:,.1f}-{iv.high:,.1f}); top-k until budget: {b.value:,.1f}"
        )
    for ex in p.excluded:
        console.print(f"left out {ex.handle} (${ex.estimated_cost_usd:,.2f}): {ex.why_not}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
