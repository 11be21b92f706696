"""plan_campaign on the tiny pipeline: constraints honoured, creators carried as Matches, the
response shape, errors naming the constraint; the overlap model on known catalogue rows."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from matcher.api import PlanConstraints, PlanRequest, PlanResponse
from matcher.planning.inputs import constraints_from, parse_platform_mix
from matcher.planning.overlap import AudienceModel
from matcher.planning.plan import PlanInfeasible, plan_campaign
from matcher.schemas import Brief, Match

BRIEF = Brief(text="marathon training and trail running shoes")


@pytest.mark.parametrize("goal", ["reach", "engagements", "accepts"])
def test_plan_respects_budget_and_counts(tiny_pipeline, goal):
    c = PlanConstraints(budget_usd=600, min_creators=2, max_creators=4, goal=goal)
    p = plan_campaign(tiny_pipeline, BRIEF, c, n_draws=50)
    assert 2 <= len(p.creators) <= 4
    assert p.total_cost_usd <= 600 and p.total_cost_usd == pytest.approx(
        sum(m.estimated_cost_usd for m in p.creators)
    )
    assert all(
        isinstance(m, Match) for m in p.creators
    )  # the request log and /feedback work on them
    ids = {m.influencer_id for m in tiny_pipeline.recommend(BRIEF, k=100).matches}
    assert {m.influencer_id for m in p.creators} <= ids
    for iv in p.expected.values():
        assert iv.low <= iv.value <= iv.high
    # the plan is at least as good as the baseline on its own goal, by its own objective
    assert p.expected[goal].value >= p.baseline_expected[goal].value - 1e-6
    # marginal gains add up to the objective's value (coverage / modular telescoping)
    assert sum(m.marginal_gain for m in p.creators) == pytest.approx(
        p.expected[goal].value, rel=1e-3, abs=1e-2
    )
    # seeded: the same call gives the same intervals
    assert plan_campaign(tiny_pipeline, BRIEF, c, n_draws=50).expected == p.expected


def test_response_has_the_documented_json_shape(tiny_pipeline):
    p = plan_campaign(
        tiny_pipeline, BRIEF, PlanConstraints(budget_usd=500, goal="engagements"), n_draws=20
    )
    d = p.to_json()
    assert {"creators", "total_cost_usd", "budget_usd", "expected", "baseline_topk"} <= set(d)
    assert set(d["expected"]["engagements"]) == {"value", "low", "high"}
    assert {"creators", "total_cost_usd", "expected"} <= set(d["baseline_topk"])
    assert d["budget_usd"] == 500 and d["creators"][0]["why"].startswith("adds ")
    PlanResponse.model_validate(d)
    for ex in d["excluded"]:
        assert ex["why_not"] and ex["influencer_id"] not in {
            c["influencer_id"] for c in d["creators"]
        }


def test_platform_mix_caps_each_platform(tiny_pipeline):
    c = PlanConstraints(
        budget_usd=800, max_creators=10, platform_mix={"tiktok": 0.25, "instagram": 0.75}
    )
    p = plan_campaign(tiny_pipeline, BRIEF, c, n_draws=10)
    spent = {
        pl: sum(m.estimated_cost_usd for m in p.creators if m.platform == pl)
        for pl in ("tiktok", "instagram")
    }
    assert spent["tiktok"] <= 200 + 1e-6 and spent["instagram"] <= 600 + 1e-6
    only = plan_campaign(
        tiny_pipeline,
        BRIEF,
        PlanConstraints(budget_usd=800, platform_mix={"tiktok": 1.0}),
        n_draws=10,
    )
    assert {m.platform for m in only.creators} == {"tiktok"}


def test_constraints_that_cannot_be_met_raise_a_named_error(tiny_pipeline):
    with pytest.raises(PlanInfeasible) as e:
        plan_campaign(tiny_pipeline, BRIEF, PlanConstraints(budget_usd=1, goal="reach"))
    assert e.value.field == "budget_usd" and "cheapest candidate" in str(e.value)
    with pytest.raises(PlanInfeasible) as e:
        plan_campaign(
            tiny_pipeline, BRIEF, PlanConstraints(budget_usd=300, min_creators=40, max_creators=50)
        )
    assert e.value.field == "min_creators"
    with pytest.raises(PlanInfeasible) as e:
        plan_campaign(
            tiny_pipeline,
            Brief(text="sourdough", platforms=["instagram"]),
            PlanConstraints(budget_usd=300, platform_mix={"tiktok": 1.0}),
        )
    assert e.value.field == "platform_mix" and "tiktok" in str(e.value)
    with pytest.raises(PlanInfeasible) as e:  # nothing passes the filters
        plan_campaign(
            tiny_pipeline,
            Brief(text="sourdough", min_followers=10_000_000, max_followers=20_000_000),
            PlanConstraints(budget_usd=300),
        )
    assert e.value.field == "brief"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"budget_usd": 0}, "budget_usd"),
        ({"budget_usd": float("inf")}, "budget_usd"),
        ({"budget_usd": 10, "min_creators": 5, "max_creators": 3}, "max_creators"),
        ({"budget_usd": 10, "goal": "likes"}, "goal"),
        ({"budget_usd": 10, "platform_mix": {"myspace": 1}}, "platform_mix"),
        ({"budget_usd": 10, "platform_mix": {"instagram": 0.7, "tiktok": 0.7}}, "platform_mix"),
        ({"budget_usd": 10, "surprise": 1}, "surprise"),
    ],
)
def test_bad_constraints_name_the_field(data, field):
    with pytest.raises(ValidationError) as e:
        PlanConstraints.model_validate(data)
    assert field in str(e.value)


def test_plan_request_splits_into_brief_and_constraints():
    r = PlanRequest.model_validate({"brief": {"text": "x"}, "budget_usd": 100, "goal": "accepts"})
    assert (
        r.constraints() == PlanConstraints(budget_usd=100, goal="accepts") and r.brief.text == "x"
    )


def test_platform_mix_parsing():
    assert parse_platform_mix("instagram=0.5, tiktok=0.5") == {"instagram": 0.5, "tiktok": 0.5}
    assert parse_platform_mix('{"youtube": 1}') == {"youtube": 1.0}
    assert parse_platform_mix(None) is None and parse_platform_mix(float("nan")) is None
    for bad, msg in (
        ("instagram", "platform=share"),
        ("instagram=lots", "must be a number"),
        ("{oops", "JSON"),
    ):
        with pytest.raises(ValueError, match=f"platform_mix: .*{msg}"):
            parse_platform_mix(bad)
    with pytest.raises(ValueError, match="plan_budget_usd"):
        constraints_from({"goal": "reach"})
    with pytest.raises(ValueError, match="platform_mix"):
        constraints_from({"plan_budget_usd": 10, "platform_mix": "tiktok=2"})


def test_overlap_model_sees_shared_audiences(tiny_pipeline):
    cat = tiny_pipeline.catalogue
    model = AudienceModel(cat)
    rows = cat.rows_for(
        ["run00", "run02", "run01", "bak01"]
    )  # run00/run02: same platform, niche, countries
    sizes, probs = model.coverage(rows, BRIEF, "reach")
    from matcher.planning.objective import Coverage

    obj = Coverage(sizes, probs)
    same = obj.value([0, 1])
    assert same < obj.value([0]) + obj.value([1]) - 1e-6  # overlap: less than the sum
    assert obj.value([0, 2]) == pytest.approx(
        obj.value([0]) + obj.value([2])
    )  # other platform: disjoint
    assert obj.value([0]) == pytest.approx(
        cat.followers[rows[0]], rel=1e-6
    )  # alone: all its followers
    us = model.coverage(rows, Brief(text="x", target_countries=["US"]), "reach")
    assert Coverage(*us).value([0]) == pytest.approx(cat.followers[rows[0]] * 0.6 / 0.9, rel=1e-3)
    assert np.all(probs <= 0.9)


def test_a_past_deadline_stops_the_plan(tiny_pipeline):
    import time

    from matcher.ranking.budget import DeadlineExceeded

    with pytest.raises(DeadlineExceeded):
        plan_campaign(
            tiny_pipeline, BRIEF, PlanConstraints(budget_usd=500), deadline=time.monotonic() - 1
        )


def test_end_to_end_near_duplicates_top_k_is_provably_worse(tiny_pipeline, tiny_market):
    """A and A2 are the same profile (same bio, platform instagram, all-US audience, 10k followers),
    B is on TikTok with 8k. Ranked A, A2, B at $100 each, budget $200: top-k takes A + A2, whose
    shared cells hold N = max(20k / kappa, 10k / 0.9) = 11,111 people each followed with p = 0.9:
    11,111 x (1 - 0.1^2) = 11,000 reached. The plan takes A + B: 10,000 + 8,000 = 18,000."""
    import json

    from matcher import schemas as S
    from matcher.planning.plan import Candidates

    inf = tiny_market["influencers"].iloc[:3].copy()
    inf[S.INFLUENCER_ID] = ["A", "A2", "B"]
    inf[S.HANDLE] = ["@a", "@a2", "@b"]
    inf[S.PLATFORM] = ["instagram", "instagram", "tiktok"]
    inf[S.FOLLOWERS] = [10_000, 10_000, 8_000]
    inf[S.BIO] = ["marathon training every day"] * 2 + ["sourdough bread baking"]
    inf[S.AUDIENCE_COUNTRIES] = json.dumps({"US": 1.0})
    inf[S.PRICE_USD] = 100.0
    pipe = tiny_pipeline.with_catalogue(inf, None)
    brief = Brief(text="running shoes")
    ranked = {m.influencer_id: m for m in pipe.recommend(brief, k=3).matches}
    matches = [
        ranked[i].model_copy(update={"rank": r}) for r, i in enumerate(["A", "A2", "B"], start=1)
    ]
    pool = Candidates.from_matches(pipe, matches, 3)
    p = plan_campaign(
        pipe, brief, PlanConstraints(budget_usd=200, goal="reach"), pool=pool, n_draws=20
    )
    assert [pool.matches[i].influencer_id for i in p.baseline] == ["A", "A2"]
    assert p.baseline_expected["reach"].value == pytest.approx(11_000, rel=1e-3)
    assert sorted(c.influencer_id for c in p.creators) == ["A", "B"]
    assert p.expected["reach"].value == pytest.approx(18_000, rel=1e-3) and p.total_cost_usd == 200
    left = {e.influencer_id: e for e in p.excluded}
    assert left["A2"].why_not.startswith("costs $100.00, only $0.00 of the budget is left")
    assert left["A2"].marginal_gain == pytest.approx(1_000, rel=1e-2)  # 90% of it overlaps A
