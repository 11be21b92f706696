"""Simulated traffic: the HTTP driver (stub transport), outcomes -> feedback events, and the
in-process simulation's log (what the service would have written)."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import numpy as np
import pandas as pd
import pytest

from matcher.api import FeedbackEvent, MatchApiRequest
from matcher.lifecycle.loaded import LoadedModel, describe
from matcher.online.experiments import ExperimentConfig, ExperimentRouter
from matcher.online.requestlog import IMPRESSION_COLUMNS, REQUEST_COLUMNS, read_request_log
from matcher.online.traffic import drive_service, feedback_events, simulate_inprocess
from matcher.schemas import Brief
from tests.helpers import TinyTruth


# --------------------------------------------------------------------------- over HTTP (stub)
def test_drive_service_posts_matches_and_feedback(tiny_tables):
    truth = TinyTruth(tiny_tables.briefs)
    seen: Counter = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen[request.url.path] += 1
        seen[request.headers.get("authorization")] += 1
        if request.url.path == "/match":
            MatchApiRequest.model_validate(body)
            ids = [f"run{i:02d}" for i in range(body["k"])]
            return httpx.Response(
                200,
                json={
                    "request_id": f"q{seen['/match']}",
                    "variant": "A",
                    "matches": [{"influencer_id": i} for i in ids],
                },
            )
        FeedbackEvent.model_validate(body)
        return httpx.Response(200, json={})

    briefs = [Brief(text="marathon training", brief_id="b000", brand_id="brand0")]
    s = drive_service(
        "http://127.0.0.1:9",
        briefs,
        truth,
        20,
        k=5,
        transport=httpx.MockTransport(handler),
        api_key="mk_a_b",
    )
    assert s["ok"] == 20 and s["variants"] == {"A": 20} and seen["/match"] == 20
    assert s["feedback_events"] == seen["/feedback"] > 0
    assert (
        seen["Bearer mk_a_b"] == 20 + seen["/feedback"] and seen[None] == 0
    )  # every call carries the key
    with pytest.raises(ValueError, match="local service"):
        drive_service("http://example.com", briefs, truth, 1)


# --------------------------------------------------------------------------- outcomes -> events
def test_feedback_events_only_positive_outcomes():
    o = pd.DataFrame(
        {
            "contacted": [True, False],
            "accepted": [True, False],
            "post_engagements": [10.0, np.nan],
            "clicks": [0.0, np.nan],
            "conversions": [1.0, np.nan],
            "brand_rating": [5.0, np.nan],
        }
    )
    ev = feedback_events(o, ["i1", "i2"])
    assert ev == [
        ("i1", "contacted", 1.0),
        ("i1", "accepted", 1.0),
        ("i1", "post_engagements", 10.0),
        ("i1", "conversions", 1.0),
        ("i1", "rating", 5.0),
    ]


def test_feedback_events_use_the_outcomes_ids_and_always_send_a_rating():
    o = pd.DataFrame(
        {
            "influencer_id": ["x", "y"],
            "contacted": [False, True],
            "accepted": [False, False],
            "brand_rating": [1.0, np.nan],
        }
    )
    assert feedback_events(o, ["ignored", "too"]) == [("x", "rating", 1.0), ("y", "contacted", 1.0)]


# --------------------------------------------------------------------------- in process
class Broken:
    """A pipeline whose ranking fails (the simulation logs an error request and goes on)."""

    def __init__(self, pipe) -> None:
        self.pipe = pipe

    def recommend(self, brief, k=10):
        raise RuntimeError("boom")

    def __getattr__(self, name):
        return getattr(self.pipe, name)


def _brands(tiny_tables, n_brands: int = 12) -> list[Brief]:
    from matcher.data.briefs import briefs_to_models

    return [
        b.model_copy(update={"brand_id": f"brand{i % n_brands}"})
        for i, b in enumerate(briefs_to_models(tiny_tables.briefs))
    ]


def test_simulate_inprocess_logs_what_the_service_would(tmp_path, tiny_pipeline, tiny_tables):
    models = {
        "A": LoadedModel(tiny_pipeline, describe(tiny_pipeline, version="7")),
        "B": LoadedModel(Broken(tiny_pipeline), describe(tiny_pipeline, version="8")),
    }
    cfg = ExperimentConfig(name="sim", variants={"A": "A", "B": "B"})
    router = ExperimentRouter(cfg, models.__getitem__, seed=0)
    db = tmp_path / "sim.db"
    f = simulate_inprocess(
        router,
        models["A"],
        _brands(tiny_tables),
        TinyTruth(tiny_tables.briefs),
        60,
        k=4,
        seed=3,
        log_path=db,
    )
    assert list(f.requests.columns) == list(REQUEST_COLUMNS)
    assert list(f.impressions.columns) == list(IMPRESSION_COLUMNS)
    assert list(f.requests["request_id"]) == [f"sim3-{i:07d}" for i in range(60)]
    ok, err = f.requests[f.requests["status"] == "ok"], f.requests[f.requests["status"] == "error"]
    assert len(ok) + len(err) == 60 and len(ok) > 0 and len(err) > 0
    assert (
        set(ok["variant"]) == {"A"}
        and set(ok["model_version"]) == {"7"}
        and (ok["n_results"] == 4).all()
    )
    assert (
        err["variant"].isna().all()
        and err["model_version"].isna().all()
        and (err["n_results"] == 0).all()
    )
    assert (err["error"] == "RuntimeError: boom").all() and set(f.requests["experiment"]) == {"sim"}
    # four impressions per served list, at positions 1..4, none for a failed request
    assert all(
        p == [1, 2, 3, 4] for p in f.impressions.groupby("request_id")["position"].apply(list)
    )
    assert set(f.impressions["request_id"]) == set(ok["request_id"])
    # feedback names only creators the list showed
    shown = set(zip(f.impressions["request_id"], f.impressions["influencer_id"], strict=True))
    assert len(f.feedback) > 0
    assert set(zip(f.feedback["request_id"], f.feedback["influencer_id"], strict=True)) <= shown
    # the file holds the same rows (requests in log order, the rest in no particular order)
    back = read_request_log(db)
    pd.testing.assert_frame_equal(back.requests, f.requests, check_dtype=False)
    for mine, theirs in ((back.impressions, f.impressions), (back.feedback, f.feedback)):
        key = list(mine.columns[:3])
        pd.testing.assert_frame_equal(
            mine.sort_values(key, ignore_index=True),
            theirs.sort_values(key, ignore_index=True),
            check_dtype=False,
        )


def test_a_rate_limited_call_waits_as_retry_after_says_then_succeeds():
    from matcher.online.traffic import _post

    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow down"}),
            httpx.Response(429, headers={"Retry-After": "60"}, json={"error": "slow down"}),
            httpx.Response(200, json={"ok": 1}),
        ]
    )
    waits: list[float] = []
    with httpx.Client(
        base_url="http://127.0.0.1:9", transport=httpx.MockTransport(lambda _r: next(answers))
    ) as client:
        assert _post(client, "/match", {}, sleep=waits.append) == {"ok": 1}
    assert waits == [2.0, 5.0]  # Retry-After, capped at MAX_RETRY_AFTER_S
