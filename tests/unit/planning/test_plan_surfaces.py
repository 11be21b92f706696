"""The planner through its surfaces: the pyfunc ``mode`` column and ``matcher plan --json``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.api import PlanConstraints
from matcher.lifecycle.pyfunc import OUTPUT_COLUMNS, PLAN_OUTPUT_COLUMNS, MatcherModel
from matcher.planning.plan import plan_campaign
from matcher.schemas import Brief


def test_pyfunc_plan_mode_next_to_match_rows(tiny_pipeline):
    df = pd.DataFrame(
        [
            {"text": "sourdough starter", "k": 3},
            {
                "text": "marathon training and trail running shoes",
                "mode": "plan",
                "plan_budget_usd": 500,
                "max_creators": 3,
                "goal": "engagements",
                "platform_mix": "instagram=0.6,tiktok=0.4",
            },
        ]
    )
    out = MatcherModel(tiny_pipeline).predict(None, df)
    assert list(out.columns) == [*OUTPUT_COLUMNS, *PLAN_OUTPUT_COLUMNS]
    match_rows, plan_rows = out[out.brief_index == 0], out[out.brief_index == 1]
    assert (match_rows["mode"] == "match").all() and len(match_rows) == 3
    assert match_rows["influencer_id"].tolist() == [
        m.influencer_id for m in tiny_pipeline.recommend(Brief(text="sourdough starter"), 3).matches
    ]
    expected = plan_campaign(
        tiny_pipeline,
        Brief(text="marathon training and trail running shoes"),
        PlanConstraints(
            budget_usd=500,
            max_creators=3,
            goal="engagements",
            platform_mix={"instagram": 0.6, "tiktok": 0.4},
        ),
    )
    assert plan_rows["influencer_id"].tolist() == [c.influencer_id for c in expected.creators]
    assert (plan_rows["mode"] == "plan").all() and plan_rows["estimated_cost_usd"].sum() <= 500
    assert plan_rows["plan_expected"].iloc[0] == expected.expected["engagements"].value
    assert (plan_rows["goal"] == "engagements").all()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"mode": "plan"}, "row 0, plan_budget_usd: a plan needs the total campaign budget"),
        ({"mode": "plan", "plan_budget_usd": 100, "goal": "fame"}, "row 0, goal"),
        ({"mode": "plan", "plan_budget_usd": 0.5}, "row 0, budget_usd: the cheapest candidate"),
        ({"mode": "sometimes"}, "row 0, mode: must be one of match, plan"),
    ],
)
def test_pyfunc_plan_errors_name_the_row_and_field(tiny_pipeline, row, message):
    with pytest.raises(ValueError) as e:
        MatcherModel(tiny_pipeline).predict(None, pd.DataFrame([{"text": "sourdough", **row}]))
    assert str(e.value).startswith(message)


def test_cli_plan_json_shape(tiny_pipeline_dir):
    from matcher.cli.main import app

    r = CliRunner().invoke(
        app,
        [
            "plan",
            "--model",
            str(tiny_pipeline_dir),
            "--text",
            "tomato seedlings compost",
            "--budget",
            "400",
            "--max-creators",
            "3",
            "--goal",
            "reach",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {"creators", "total_cost_usd", "budget_usd", "expected", "baseline_topk"} <= set(d)
    assert set(d["expected"]["reach"]) == {"value", "low", "high"} and d["budget_usd"] == 400
    assert 1 <= len(d["creators"]) <= 3 and d["total_cost_usd"] <= 400
    assert {"creators", "total_cost_usd", "expected"} <= set(d["baseline_topk"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "0.5"], "budget_usd: the cheapest candidate"),
        (["--budget", "100", "--platform-mix", "instagram=2"], "platform_mix"),
        (["--budget", "100", "--min-creators", "5", "--max-creators", "2"], "max_creators"),
    ],
)
def test_cli_plan_errors_name_the_constraint(tiny_pipeline_dir, args, message):
    from matcher.cli.main import app

    r = CliRunner().invoke(
        app, ["plan", "--model", str(tiny_pipeline_dir), "--text", "tomato seedlings", *args]
    )
    assert r.exit_code == 2 and message in r.output, r.output
