"""Experiment config, sticky assignment, team-draft interleaving and the router."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from matcher.api import ModelInfo
from matcher.lifecycle.loaded import LoadedModel
from matcher.online.experiments import (
    INTERLEAVED,
    ExperimentConfig,
    ExperimentRouter,
    Routed,
    assign,
    assignment_unit,
    bucket,
    load_experiment,
    team_draft_interleave,
)
from matcher.ranking.pipeline import Recommendation
from matcher.schemas import Brief, EngagementEstimate, Match

REPO = Path(__file__).resolve().parents[3]


def _match(iid: str, rank: int, score: float) -> Match:
    return Match(
        rank=rank,
        influencer_id=iid,
        handle=f"@{iid}",
        platform="instagram",
        followers=5000,
        score=score,
        fit_score=0.5,
        expected_engagement=EngagementEstimate(
            rate=0.02, rate_low=0.01, rate_high=0.03, engagements=100
        ),
        estimated_cost_usd=50.0,
        cost_is_estimate=True,
        reasons=["r"],
    )


class FakePipe:
    """Returns a fixed ranking; counts calls (router tests only: models are tested elsewhere)."""

    def __init__(self, ids: list[str], tag: float) -> None:
        self.ids, self.tag, self.calls = ids, tag, 0

    def recommend(self, brief: Brief, k: int = 10) -> Recommendation:
        self.calls += 1
        return Recommendation(
            [_match(i, r, self.tag - r) for r, i in enumerate(self.ids[:k], start=1)],
            n_candidates=len(self.ids) + int(self.tag),
        )


def _loaded(pipe: FakePipe, version: str) -> LoadedModel:
    return LoadedModel(
        pipe, ModelInfo(name="matcher", version=version, catalogue_size=len(pipe.ids))
    )  # type: ignore[arg-type]


def _loader(pipes: dict[str, FakePipe], loaded: list[str]):
    def load(ref: str) -> LoadedModel:
        loaded.append(ref)
        return _loaded(pipes[ref], f"v-{ref}")

    return load


def cfg(**kw) -> ExperimentConfig:
    base = {"name": "exp1", "variants": {"A": "champion", "B": "challenger"}}
    return ExperimentConfig.model_validate(base | kw)


# --------------------------------------------------------------------------- config
def test_config_defaults_to_an_equal_split_and_first_variant_control():
    c = cfg()
    assert c.traffic == {"A": 0.5, "B": 0.5}
    assert c.control == "A" and c.hash_salt == "exp1"
    assert c.is_active()


@pytest.mark.parametrize(
    "bad",
    [
        {"traffic": {"A": 0.6, "B": 0.6}},
        {"traffic": {"A": 1.0}},
        {"variants": {"A": "x"}},
        {"mode": "interleave", "variants": {"A": "x", "B": "y", "C": "z"}},
        {"forced": {"brand1": "Z"}},
        {"start": "2025-02-01", "stop": "2025-01-01"},
        {"variants": {"A": "x", INTERLEAVED: "y"}},
        {"unknown_key": 1},
    ],
)
def test_config_rejects_inconsistent_experiments(bad):
    with pytest.raises(ValidationError):
        cfg(**bad)


def test_example_config_loads():
    c = load_experiment(REPO / "serving" / "experiments" / "example.yaml")
    assert len(c.variants) >= 2 and abs(sum(c.traffic.values()) - 1) < 1e-9


def test_load_experiment_reads_yaml(tmp_path):
    p = tmp_path / "e.yaml"
    p.write_text(
        "name: e\nmode: interleave\nvariants: {A: champion, B: '7'}\nstart: 2025-01-01T00:00:00\n"
    )
    c = load_experiment(p)
    assert c.mode == "interleave" and c.variants["B"] == "7" and c.start.tzinfo is not None
    with pytest.raises(FileNotFoundError):
        load_experiment(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- assignment
def test_bucket_is_deterministic_and_uniform():
    assert bucket("s", "brand1") == bucket("s", "brand1")
    u = np.array([bucket("s", f"brand{i}") for i in range(10_000)])
    assert ((u >= 0) & (u < 1)).all()
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    assert counts.min() > 900 and counts.max() < 1100


@pytest.mark.parametrize(
    "traffic", [{"A": 0.5, "B": 0.5}, {"A": 0.9, "B": 0.1}, {"A": 0.2, "B": 0.3, "C": 0.5}]
)
def test_split_accuracy_over_10k_brands(traffic):
    c = ExperimentConfig(name="split", variants={v: v for v in traffic}, traffic=traffic)
    counts = Counter(assign(c, f"brand{i}") for i in range(10_000))
    for v, share in traffic.items():
        assert abs(counts[v] / 10_000 - share) < 0.015, (v, counts)


def test_assignment_is_sticky_across_routers_and_calls():
    c = cfg()
    pipes = {"champion": FakePipe(["a", "b"], 1), "challenger": FakePipe(["c", "d"], 2)}
    r1 = ExperimentRouter(c, _loader(pipes, []))
    r2 = ExperimentRouter(c, _loader(pipes, []))
    for i in range(200):
        b = Brief(text="any brief", brand_id=f"brand{i}")
        default = _loaded(pipes["champion"], "0")
        v = r1.route(b, 2, default).variant
        assert v == r1.route(Brief(text="another brief", brand_id=f"brand{i}"), 2, default).variant
        assert v == r2.variant_for(b) == assign(c, f"brand{i}")


def test_salt_makes_experiments_independent():
    a, b = cfg(), cfg(name="exp2")
    same = np.mean([assign(a, f"brand{i}") == assign(b, f"brand{i}") for i in range(4000)])
    assert 0.45 < same < 0.55


def test_briefs_without_brand_are_hashed_on_text():
    b1, b2 = Brief(text="vegan snacks"), Brief(text="vegan snacks")
    assert assignment_unit(b1) == assignment_unit(b2) != assignment_unit(Brief(text="other"))
    assert assignment_unit(Brief(text="x", brand_id="b9")) == "b9"


def test_forced_brands_get_their_variant():
    c = cfg(forced={"qa-brand": "B"})
    assert assign(c, "qa-brand") == "B"


# --------------------------------------------------------------------------- router
def test_router_loads_each_needed_model_once():
    loaded: list[str] = []
    pipes = {"m1": FakePipe(["a"], 1), "m2": FakePipe(["b"], 2)}
    ExperimentRouter(
        ExperimentConfig(name="aa", variants={"A": "m1", "B": "m1"}), _loader(pipes, loaded)
    )
    assert loaded == ["m1"]
    loaded.clear()
    ExperimentRouter(None, _loader(pipes, loaded))
    assert loaded == []


def test_router_ab_mode_serves_the_assigned_variant():
    pipes = {"champion": FakePipe(["a", "b", "c"], 1), "challenger": FakePipe(["x", "y", "z"], 2)}
    default = _loaded(FakePipe(["d"], 0), "v-default")
    router = ExperimentRouter(cfg(), _loader(pipes, []))
    seen = set()
    for i in range(50):
        r = router.route(Brief(text="t", brand_id=f"b{i}"), 3, default)
        assert r.experiment == "exp1" and r.sources is None
        expected_ids = ["a", "b", "c"] if r.variant == "A" else ["x", "y", "z"]
        assert [m.influencer_id for m in r.matches] == expected_ids
        assert r.model_version == ("v-champion" if r.variant == "A" else "v-challenger")
        seen.add(r.variant)
    assert seen == {"A", "B"}


def test_router_without_experiment_or_outside_window_uses_default():
    pipes = {"champion": FakePipe(["a"], 1), "challenger": FakePipe(["b"], 2)}
    default = _loaded(FakePipe(["d"], 0), "9")
    now = datetime.now(UTC)
    for c in (None, cfg(start=now + timedelta(days=1))):
        r = ExperimentRouter(c, _loader(pipes, [])).route(
            Brief(text="t", brand_id="b1"), 1, default
        )
        assert (r.experiment, r.variant, r.model_version) == (None, None, "9")
        assert r.matches[0].influencer_id == "d"


def test_routed_is_the_recommendation_plus_where_it_came_from():
    pipe = FakePipe(["a", "b"], 3)
    rec = pipe.recommend(Brief(text="t"), 2)
    r = Routed.of(rec, "4", "exp1", "B")
    assert isinstance(r, Recommendation)
    assert (r.matches, r.n_candidates, r.reason) == (rec.matches, 5, None)
    assert (r.model_version, r.experiment, r.variant, r.sources) == ("4", "exp1", "B", None)
    assert (
        Routed.of(Recommendation([], 0, "no creator passes the filters"), "4").reason
        == "no creator passes the filters"
    )
    with pytest.raises(TypeError):
        Routed(rec.matches, 5, None, "4")  # the routing fields are keyword-only: no silent mix-up


def test_router_after_stop_loads_nothing_and_releases_models():
    loaded: list[str] = []
    pipes = {"champion": FakePipe(["a"], 1), "challenger": FakePipe(["b"], 2)}
    ExperimentRouter(cfg(stop=datetime.now(UTC) - timedelta(seconds=1)), _loader(pipes, loaded))
    assert loaded == []
    c = cfg(stop=datetime.now(UTC) + timedelta(days=1))
    router = ExperimentRouter(c, _loader(pipes, loaded))
    assert router.loaded_variants == ["A", "B"]
    c.stop = datetime.now(UTC) - timedelta(seconds=1)
    r = router.route(Brief(text="t", brand_id="b1"), 1, _loaded(FakePipe(["d"], 0), "0"))
    assert r.variant is None and router.loaded_variants == []


def test_force_variant_for_qa():
    pipes = {"champion": FakePipe(["a"], 1), "challenger": FakePipe(["b"], 2)}
    router = ExperimentRouter(cfg(), _loader(pipes, []))
    default = _loaded(FakePipe(["d"], 0), "0")
    for i in range(20):
        assert (
            router.route(Brief(text="t", brand_id=f"b{i}"), 1, default, force_variant="B").variant
            == "B"
        )
    with pytest.raises(ValueError, match="not part of a running experiment"):
        router.route(Brief(text="t"), 1, default, force_variant="Z")
    with pytest.raises(ValueError):
        ExperimentRouter(None, _loader(pipes, [])).route(
            Brief(text="t"), 1, default, force_variant="A"
        )


def test_router_interleaves_two_variants():
    a_ids = [f"a{i}" for i in range(10)]
    b_ids = ["a0", "a1"] + [f"b{i}" for i in range(8)]  # two creators in common
    pipes = {"ma": FakePipe(a_ids, 100), "mb": FakePipe(b_ids, 200)}
    c = ExperimentConfig(name="il", mode="interleave", variants={"A": "ma", "B": "mb"})
    router = ExperimentRouter(c, _loader(pipes, []), seed=0)
    for i in range(30):
        r = router.route(Brief(text="t", brand_id=f"b{i}"), 10, _loaded(FakePipe([], 0), "0"))
        ids = [m.influencer_id for m in r.matches]
        assert r.variant == INTERLEAVED and r.experiment == "il" and r.model_version == "v-ma+v-mb"
        assert len(ids) == 10 and len(set(ids)) == 10
        assert [m.rank for m in r.matches] == list(range(1, 11))
        assert r.sources is not None and len(r.sources) == 10 and abs(r.sources.count("A") - 5) <= 1
        for m, team in zip(r.matches, r.sources, strict=True):
            own = a_ids if team == "A" else b_ids
            assert m.influencer_id in own
            # score and fields come from the team that placed the creator
            assert m.score == (100 if team == "A" else 200) - (own.index(m.influencer_id) + 1)
        assert r.n_candidates == max(len(a_ids) + 100, len(b_ids) + 200)


# --------------------------------------------------------------------------- team draft
def test_team_draft_properties():
    rng = np.random.default_rng(0)
    a = [f"x{i}" for i in range(20)]
    b = list(reversed(a))
    first_a = 0
    for _ in range(500):
        items, teams = team_draft_interleave(a, b, 10, rng)
        assert len(items) == 10 and len(set(items)) == 10
        assert teams.count("A") == teams.count("B") == 5
        # each team's picks appear in its own ranking order
        for t, ranking in (("A", a), ("B", b)):
            picks = [i for i, s in zip(items, teams, strict=True) if s == t]
            assert picks == sorted(picks, key=ranking.index)
        first_a += teams[0] == "A"
    assert 200 < first_a < 300  # coin flip on ties


def test_team_draft_identical_rankings_keep_the_ranking():
    rng = np.random.default_rng(1)
    r = [f"c{i}" for i in range(8)]
    items, teams = team_draft_interleave(r, r, 8, rng)
    assert items == r and sorted(Counter(teams).values()) == [4, 4]


def test_team_draft_duplicates_go_to_the_team_that_placed_them():
    rng = np.random.default_rng(2)
    for _ in range(50):
        items, teams = team_draft_interleave(["s", "a1", "a2"], ["s", "b1", "b2"], 4, rng)
        assert items.count("s") == 1 and items[0] == "s"
        assert teams[1] != teams[0]  # the other team picks next


def test_team_draft_fills_from_the_longer_ranking():
    items, teams = team_draft_interleave(
        ["a"], ["b1", "b2", "b3", "b4"], 4, np.random.default_rng(3)
    )
    assert sorted(items) == ["a", "b1", "b2", "b3"] and teams.count("A") == 1
    assert team_draft_interleave([], [], 5, np.random.default_rng(0)) == ([], [])
