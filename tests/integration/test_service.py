"""The BentoML service: in process through its ASGI app (fast, the tiny hashing-encoder
pipeline), parity with the library, every bad-input rule, feedback, reload, readiness,
experiments, and one real ``bentoml serve`` subprocess over HTTP."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief

ROOT = Path(__file__).resolve().parents[2]
ENV_KEYS = (
    "MATCHER_MODEL",
    "MATCHER_MODEL_FALLBACK",
    "MATCHER_REQUEST_LOG",
    "MATCHER_EXPERIMENT",
    "MATCHER_LOAD_RETRY_SECONDS",
    "MATCHER_LOG_SYNC",
    "MATCHER_KEYS_DB",
    "MATCHER_AUTH",
    "MATCHER_MODEL_ROOT",
    "MATCHER_RATE_LIMIT",
    "MATCHER_RATE_BURST",
    "MATCHER_REQUEST_BUDGET_S",
    "MATCHER_LOG_BUSY_MS",
    "MATCHER_BODY_TIMEOUT_S",
)
BRIEF = {
    "text": "sourdough starter and bread baking for home bakers",
    "brand_id": "brand-bake",
    "created_at": "2025-06-10T12:00:00Z",
    "platforms": ["instagram", "tiktok"],
}
BRAND = BRIEF["brand_id"]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def serve_in_process(**env: str) -> Iterator[tuple[object, object]]:
    """A TestClient over ``MatcherService.to_asgi()`` (lifespan runs: the model loads). API keys
    are made in ``keys.db`` next to the request log: the client sends a ``brand-bake`` brand
    key by default; ``client.admin`` holds the headers of an admin key (``client.keys`` the
    store). Folders under the system temp folder may be reloaded (``MATCHER_MODEL_ROOT``)."""
    from starlette.testclient import TestClient

    from matcher.online.keys import KeyStore, default_keys_db
    from serving.http import STATE
    from serving.service import MatcherService

    with pytest.MonkeyPatch.context() as mp:
        for k in ENV_KEYS:
            mp.delenv(k, raising=False)
        mp.setenv("MATCHER_LOAD_RETRY_SECONDS", "0")
        mp.setenv("MATCHER_MODEL_ROOT", tempfile.gettempdir())
        mp.setenv("MATCHER_RATE_LIMIT", "0")
        for k, v in env.items():
            mp.setenv(k, v)
        keys = KeyStore(default_keys_db())
        brand_key, admin_key = keys.add(BRAND), keys.add(BRAND, admin=True)
        # a second to_asgi() in one process would register the prometheus metrics twice
        mp.setitem(MatcherService.config, "metrics", {"enabled": False})
        try:
            with TestClient(MatcherService.to_asgi(), raise_server_exceptions=False) as client:
                # the edge state is per process (one service per worker in production); several
                # services live in this one: each client's requests go to its own service's state
                snap = STATE.snapshot()
                client.event_hooks["request"].append(lambda _request: STATE.restore(snap))
                client.headers.update(bearer(brand_key))
                client.admin = bearer(admin_key)  # type: ignore[attr-defined]
                client.keys = keys  # type: ignore[attr-defined]
                yield client, client.app
        finally:
            keys.close()


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("svc") / "requests.db"


@pytest.fixture(scope="module")
def client(tiny_pipeline_dir, log_path):
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir), MATCHER_REQUEST_LOG=str(log_path)
    ) as (c, _):
        yield c


def versioned_copy(src: Path, dest: Path, version: str) -> Path:
    shutil.copytree(src, dest)
    (dest / "MODEL_INFO.json").write_text(
        json.dumps({"name": "matcher", "version": version, "alias": None})
    )
    return dest


def db_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(sql, params).fetchall()


# --------------------------------------------------------------------------- happy paths
def test_health_readiness_and_model_info(client, tiny_pipeline_dir):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    info = client.get("/model").json()
    assert set(info) == {
        "name",
        "version",
        "alias",
        "ref",
        "source",
        "fallback_reason",
        "run_id",
        "trained_at",
        "loaded_at",
        "metrics",
        "catalogue_size",
        "catalogue_snapshot",
        "catalogue_version",
        "encoder",
        "experiment",
        "variants",
    }
    assert info["name"] == "matcher" and info["catalogue_size"] == 48
    # a plain saved folder is named after the folder; ref and source are where it came from, relative
    # to the model root (no server path is shown)
    rel = str(tiny_pipeline_dir.resolve().relative_to(Path(tempfile.gettempdir()).resolve()))
    assert info["version"] == tiny_pipeline_dir.name and info["ref"] == info["source"] == rel
    assert info["alias"] is None and info["fallback_reason"] is None and info["metrics"] == {}
    assert info["encoder"].startswith("hashing") and info["trained_at"]
    assert info["experiment"] is None and info["variants"] == []


def test_match_returns_ranked_creators_and_is_logged_before_the_response(client, log_path):
    r = client.post("/match", json={"brief": BRIEF, "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["matches"]) == 5 and body["model_name"] == "matcher" and body["latency_ms"] > 0
    m = body["matches"][0]
    assert m["influencer_id"].startswith("bak") and m["rank"] == 1
    for field in ("handle", "platform", "followers", "fit_score", "estimated_cost_usd", "reasons"):
        assert m[field] not in (None, "", [])
    e = m["expected_engagement"]
    assert e["rate_low"] <= e["rate"] <= e["rate_high"] and e["engagements"] > 0
    rid = body["request_id"]
    # committed before the response: a fresh connection sees it
    ((status, brand, n, version),) = db_rows(
        log_path,
        "SELECT status, brand_id, n_results, model_version FROM requests WHERE request_id = ?",
        (rid,),
    )
    assert (status, brand, n, version) == ("ok", "brand-bake", 5, body["model_version"])
    imps = db_rows(
        log_path,
        "SELECT position, influencer_id, score FROM impressions WHERE request_id = ? "
        "ORDER BY position",
        (rid,),
    )
    assert [(p, i) for p, i, _ in imps] == [
        (x["rank"], x["influencer_id"]) for x in body["matches"]
    ]
    assert imps[0][2] == pytest.approx(m["score"])


def test_parity_with_the_library(client, tiny_pipeline_dir):
    brief = Brief.model_validate(BRIEF)
    expected = MatchPipeline.load(tiny_pipeline_dir).recommend(brief, k=7)
    body = client.post("/match", json={"brief": BRIEF, "k": 7}).json()
    assert body["matches"] == [m.model_dump(mode="json") for m in expected.matches]
    assert body["n_candidates"] == expected.n_candidates and body["reason"] == expected.reason


def test_batch_equals_single_requests(client):
    briefs = [
        BRIEF,
        {**BRIEF, "text": "esports stream and gaming setup"},
        {**BRIEF, "text": "tomato seedlings", "platforms": ["youtube"]},
    ]
    r = client.post("/match_batch", json={"briefs": briefs, "k": 4})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len({x["request_id"] for x in results}) == 3
    for b, got in zip(briefs, results, strict=True):
        single = client.post("/match", json={"brief": b, "k": 4}).json()
        assert got["matches"] == single["matches"] and got["reason"] == single["reason"]
    assert results[1]["matches"][0]["influencer_id"].startswith("gam")
    assert results[2]["matches"] == [] and results[2]["reason"]


def test_no_candidate_is_200_with_a_reason_and_logged_as_empty(client, log_path):
    r = client.post("/match", json={"brief": {**BRIEF, "platforms": ["youtube"]}})
    assert r.status_code == 200
    body = r.json()
    assert body["matches"] == [] and body["n_candidates"] == 0 and "filters" in body["reason"]
    assert db_rows(
        log_path, "SELECT status FROM requests WHERE request_id = ?", (body["request_id"],)
    ) == [("empty",)]


# --------------------------------------------------------------------------- bad input
TOO_LONG = "a" * 50_001
BAD_MATCH_BODIES = [
    ({"brief": {**BRIEF, "text": ""}}, "brief.text"),
    ({"brief": {**BRIEF, "text": "   "}}, "brief.text"),
    ({"brief": {**BRIEF, "text": TOO_LONG}}, "brief.text"),
    ({"brief": BRIEF, "k": 0}, "k"),
    ({"brief": BRIEF, "k": 101}, "k"),
    ({"brief": BRIEF, "k": "ten"}, "k"),
    ({"brief": BRIEF, "k": 2.5}, "k"),
    ({"brief": {**BRIEF, "min_followers": -5}}, "brief.min_followers"),
    ({"brief": {**BRIEF, "max_followers": -5}}, "brief.max_followers"),
    ({"brief": {**BRIEF, "min_followers": 50_000, "max_followers": 10_000}}, "min_followers"),
    ({"brief": {**BRIEF, "budget_usd": -100}}, "brief.budget_usd"),
    ({"brief": {**BRIEF, "budget_usd": 0}}, "brief.budget_usd"),
    ({"brief": {**BRIEF, "platforms": ["myspace"]}}, "brief.platforms"),
    ({"brief": {**BRIEF, "platforms": "instagram"}}, "brief.platforms"),
    ({"brief": {**BRIEF, "target_countries": ["XX"]}}, "brief.target_countries"),
    ({"brief": {**BRIEF, "target_countries": ["USA"]}}, "brief.target_countries"),
    ({"brief": {**BRIEF, "target_ages": ["12-99"]}}, "brief.target_ages"),
    ({"brief": {**BRIEF, "language": "klingon"}}, "brief.language"),
    ({"brief": {**BRIEF, "text": 123}}, "brief.text"),
    ({"brief": {**BRIEF, "created_at": "last tuesday"}}, "brief.created_at"),
    ({"brief": {**BRIEF, "colour": "red"}}, "brief.colour"),
    ({"brief": {**BRIEF, "interests": ["Underwater Basketweaving"]}}, "brief.interests"),
    ({"brief": {**BRIEF, "interests": ["Soccer"] * 21}}, "brief.interests"),
    ({"brief": {**BRIEF, "strict_interests": True}}, "brief.strict_interests"),
    ({"brief": {**BRIEF, "excluded_interests": "Soccer"}}, "brief.excluded_interests"),
    ({"brief": {**BRIEF, "excluded_categories": ["Cryptocurrency"]}}, "brief.excluded_categories"),
    ({"brief": BRIEF, "extra": 1}, "extra"),
    ({}, "brief"),
    ({"brief": "just text"}, "brief"),
]


@pytest.mark.parametrize(("body", "field"), BAD_MATCH_BODIES, ids=[f for _, f in BAD_MATCH_BODIES])
def test_bad_match_input_is_400_naming_the_field(client, body, field):
    r = client.post("/match", json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert field in err, err


def test_unknown_interest_is_400_with_loc_naming_the_field(client):
    r = client.post(
        "/match",
        json={"brief": {**BRIEF, "interests": ["Vegan Diets", "Underwater Basketweaving"]}},
    )
    assert r.status_code == 400, r.text
    (detail,) = r.json()["detail"]
    assert detail["loc"][-2:] == ["brief", "interests"]
    assert "unknown content topic 'Underwater Basketweaving'" in detail["msg"]
    assert r.json()["error"].startswith("invalid request: brief.interests: ")
    r = client.post("/match", json={"brief": {**BRIEF, "excluded_categories": ["Cryptocurrency"]}})
    assert (
        "did you mean 'Non-Fiat Currency > Cryptocurrency Exchanges'"
        in r.json()["detail"][0]["msg"]
    )


def test_topics_are_served_and_logged_as_canonical_ids(client, log_path):
    brief = {
        **BRIEF,
        "interests": ["Food & Drink > Vegan Diets"],
        "excluded_interests": ["Soccer"],
        "excluded_categories": ["Gambling"],
        "excluded_keywords": ["alcohol"],
    }
    r = client.post("/match", json={"brief": brief, "k": 3})
    assert r.status_code == 200, r.text
    ((logged,),) = db_rows(
        log_path, "SELECT brief_json FROM requests WHERE request_id = ?", (r.json()["request_id"],)
    )
    b = json.loads(logged)
    assert (b["interests"], b["excluded_interests"], b["strict_interests"]) == (
        ["212"],
        ["533"],
        False,
    )
    assert b["excluded_categories"] == [
        "1361",
        "1002",
    ]  # Gambling, then Alcohol named by the keyword
    batch = client.post("/match_batch", json={"briefs": [brief, BRIEF], "k": 3})
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"][0]["matches"] == r.json()["matches"]


@pytest.mark.parametrize(
    ("content", "ctype", "status", "needle"),
    [
        (b"{not json", "application/json", 400, "Invalid JSON"),
        (b'{"brief": {"text": "caf\xe9 \xff"}}', "application/json", 400, "Invalid JSON"),
        (b"", "application/json", 400, "brief"),
        (b'{"brief": {"text": "x"}}', "", 415, "application/json"),
        (b"[1, 2]", "application/json", 400, "object"),
        (b"null", "application/json", 400, "body"),
        (b"--x\r\ngarbage", "multipart/form-data", 415, "application/json"),
        (b"brief=hello", "application/x-www-form-urlencoded", 415, "application/json"),
        (b"\x80\x03}q\x00.", "application/vnd.bentoml+pickle", 415, "application/json"),
        (b"hello", "text/plain", 415, "application/json"),
    ],
    ids=[
        "malformed",
        "non-utf8",
        "empty",
        "no-content-type",
        "array",
        "null",
        "multipart",
        "form",
        "pickle",
        "text",
    ],
)
def test_malformed_bodies_are_4xx_never_500(client, content, ctype, status, needle):
    r = client.post("/match", content=content, headers={"content-type": ctype})
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]


def test_oversized_body_is_413(client):
    body = json.dumps({"briefs": [{"text": "x" * 49_000}] * 200}).encode()
    r = client.post("/match_batch", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger" in r.json()["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"briefs": []}, "briefs"),
        ({"briefs": [BRIEF] * 101}, "briefs"),
        ({"briefs": [BRIEF], "k": 0}, "k"),
        ({"briefs": [BRIEF, {**BRIEF, "target_countries": ["ZZ"]}]}, "briefs.1.target_countries"),
        (
            {"briefs": [BRIEF, {**BRIEF, "excluded_interests": ["Quidditch"]}]},
            "briefs.1.excluded_interests",
        ),
    ],
)
def test_bad_batch_input(client, body, field):
    r = client.post("/match_batch", json=body)
    assert r.status_code == 400 and field in r.json()["error"], r.text


def test_force_variant_without_experiment_is_400(client):
    r = client.post("/match", json={"brief": BRIEF, "force_variant": "B"}, headers=client.admin)
    assert r.status_code == 400 and "force_variant" in r.json()["error"]


# --------------------------------------------------------------------------- feedback
# --------------------------------------------------------------------------- plan
def test_plan_equals_the_library_is_logged_and_takes_feedback(client, tiny_pipeline_dir, log_path):
    from matcher.api import PlanConstraints
    from matcher.planning.plan import plan_campaign

    body = {"brief": BRIEF, "budget_usd": 600, "max_creators": 4, "goal": "engagements"}
    r = client.post("/plan", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    expected = plan_campaign(
        MatchPipeline.load(tiny_pipeline_dir),
        Brief.model_validate(BRIEF),
        PlanConstraints(budget_usd=600, max_creators=4, goal="engagements"),
    ).to_json()
    ids = [c["influencer_id"] for c in got["creators"]]
    assert ids == [c["influencer_id"] for c in expected["creators"]] and 1 <= len(ids) <= 4
    assert (
        got["total_cost_usd"] == expected["total_cost_usd"] <= 600 and got["goal"] == "engagements"
    )
    assert got["expected"] == expected["expected"] and got["model_name"] == "matcher"
    rid = got["request_id"]
    ((brand, n),) = db_rows(
        log_path, "SELECT brand_id, n_results FROM requests WHERE request_id = ?", (rid,)
    )
    assert (brand, n) == (BRAND, len(ids))
    fb = client.post(
        "/feedback", json={"request_id": rid, "influencer_id": ids[0], "event": "contacted"}
    )
    assert fb.status_code == 200, fb.text


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {"brief": BRIEF, "budget_usd": 0.5},
            400,
            "budget_usd",
        ),  # below the cheapest creator: infeasible
        ({"brief": BRIEF, "budget_usd": -1}, 400, "budget_usd"),
        ({"brief": BRIEF, "budget_usd": 500, "goal": "fame"}, 400, "goal"),
        ({"brief": BRIEF, "budget_usd": True}, 400, "budget_usd"),
        ({"brief": BRIEF, "budget_usd": "500"}, 400, "budget_usd"),
        ({"brief": BRIEF, "budget_usd": 500, "max_creators": "5"}, 400, "max_creators"),
        (
            {"brief": BRIEF, "budget_usd": 500, "min_creators": 5, "max_creators": 2},
            400,
            "max_creators",
        ),
        ({"brief": {**BRIEF, "brand_id": "brand-other"}, "budget_usd": 500}, 403, "brief.brand_id"),
    ],
)
def test_bad_plan_input_names_the_field(client, body, status, field):
    r = client.post("/plan", json=body)
    assert r.status_code == status, r.text
    assert field in r.text


def test_plan_needs_a_key(client):
    r = client.post(
        "/plan", json={"brief": BRIEF, "budget_usd": 500}, headers={"Authorization": ""}
    )
    assert r.status_code == 401


@pytest.fixture(scope="module")
def served(client):
    body = client.post("/match", json={"brief": BRIEF, "k": 3}).json()
    return body["request_id"], [m["influencer_id"] for m in body["matches"]]


def test_feedback_is_stored_once(client, served, log_path):
    rid, ids = served
    first = client.post(
        "/feedback", json={"request_id": rid, "influencer_id": ids[0], "event": "accepted"}
    )
    assert (
        first.status_code == 200
        and first.json()["duplicate"] is False
        and first.json()["value"] == 1
    )
    again = client.post(
        "/feedback", json={"request_id": rid, "influencer_id": ids[0], "event": "accepted"}
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    for event, value in (("clicks", 12), ("rating", 4.5), ("post_engagements", 0)):
        r = client.post(
            "/feedback",
            json={"request_id": rid, "influencer_id": ids[1], "event": event, "value": value},
        )
        assert r.status_code == 200, r.text
    rows = db_rows(
        log_path,
        "SELECT influencer_id, event, value FROM feedback WHERE request_id = ? ORDER BY event",
        (rid,),
    )
    assert rows == [
        (ids[0], "accepted", 1.0),
        (ids[1], "clicks", 12.0),
        (ids[1], "post_engagements", 0.0),
        (ids[1], "rating", 4.5),
    ]


def test_feedback_conflicting_value_is_409(client, served):
    rid, ids = served
    assert (
        client.post(
            "/feedback",
            json={"request_id": rid, "influencer_id": ids[2], "event": "clicks", "value": 3},
        ).status_code
        == 200
    )
    r = client.post(
        "/feedback",
        json={"request_id": rid, "influencer_id": ids[2], "event": "clicks", "value": 4},
    )
    assert r.status_code == 409 and "already" in r.json()["error"]


def test_feedback_unknown_request_or_creator_not_shown(client, served):
    rid, _ = served
    r = client.post(
        "/feedback",
        json={"request_id": "no-such-request", "influencer_id": "bak00", "event": "contacted"},
    )
    assert r.status_code == 404 and "request_id" in r.json()["error"]
    r = client.post(
        "/feedback", json={"request_id": rid, "influencer_id": "gar11", "event": "contacted"}
    )
    assert r.status_code == 404 and "not shown" in r.json()["error"]
    assert r.json()["detail"][0]["loc"] == ["influencer_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "liked"}, "event"),
        ({"event": "rating", "value": 6}, "value"),
        ({"event": "rating"}, "value"),
        ({"event": "clicks", "value": -1}, "value"),
        ({"event": "clicks", "value": 1.5}, "value"),
        ({"event": "accepted", "value": 0}, "value"),
        ({"event": "clicks", "value": "many"}, "value"),
        ({"event": "contacted", "request_id": ""}, "request_id"),
        ({"event": "contacted", "when": "now"}, "when"),
    ],
)
def test_bad_feedback_input_is_400(client, served, body, field):
    rid, ids = served
    r = client.post("/feedback", json={"request_id": rid, "influencer_id": ids[0], **body})
    assert r.status_code == 400 and field in r.json()["error"], r.text


# --------------------------------------------------------------------------- reload and readiness
def test_reload_swaps_the_model_without_dropping_requests(client, tiny_pipeline_dir, tmp_path):
    v2 = versioned_copy(tiny_pipeline_dir, tmp_path / "v2", "2")
    before = client.get("/model").json()["version"]
    errors: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            r = client.post("/match", json={"brief": BRIEF, "k": 3})
            if r.status_code != 200:
                errors.append(r.status_code)
            else:
                versions.add(r.json()["model_version"])

    t = threading.Thread(target=hammer)
    t.start()
    try:
        time.sleep(0.1)
        r = client.post("/reload", json={"model": str(v2)}, headers=client.admin)
        time.sleep(0.1)
    finally:
        stop.set()
        t.join()
    assert r.status_code == 200, r.text
    assert r.json()["previous"]["version"] == before and r.json()["current"]["version"] == "2"
    assert errors == [] and versions == {before, "2"}
    assert client.get("/model").json()["version"] == "2"
    bad = client.post("/reload", json={"model": str(tmp_path / "missing")}, headers=client.admin)
    assert bad.status_code == 400 and "still serving 2" in bad.json()["error"]
    back = client.post("/reload", json={}, headers=client.admin)  # the configured ref again
    assert back.status_code == 200 and back.json()["current"]["version"] == before


def test_not_ready_without_a_model_then_reload_fixes_it(tiny_pipeline_dir, tmp_path, caplog):
    with serve_in_process(
        MATCHER_MODEL=str(tmp_path / "nothing"),
        MATCHER_MODEL_FALLBACK=str(tmp_path / "none"),
        MATCHER_REQUEST_LOG=str(tmp_path / "r.db"),
    ) as (c, _):
        assert any("NOT READY" in rec.message for rec in caplog.records)
        assert c.get("/livez").status_code == 200
        assert c.get("/readyz").status_code == 503
        for r in (
            c.post("/match", json={"brief": BRIEF}),
            c.get("/model"),
            c.post("/match_batch", json={"briefs": [BRIEF]}),
        ):
            assert r.status_code == 503 and "no model loaded" in r.json()["error"]
        assert c.post("/reload", json={}, headers=c.admin).status_code == 503
        assert (
            c.post("/reload", json={"model": str(tiny_pipeline_dir)}, headers=c.admin).status_code
            == 200
        )
        assert c.get("/readyz").status_code == 200
        assert c.post("/match", json={"brief": BRIEF}).status_code == 200


def test_fallback_dir_is_served_when_the_ref_does_not_resolve(
    tiny_pipeline_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'absent' / 'mlflow.db'}")
    fb = versioned_copy(tiny_pipeline_dir, tmp_path / "champion", "7")
    with serve_in_process(
        MATCHER_MODEL="champion",
        MATCHER_MODEL_FALLBACK=str(fb),
        MATCHER_REQUEST_LOG=str(tmp_path / "r.db"),
    ) as (c, _):
        info = c.get("/model").json()
        assert info["version"] == "7" and info["fallback_reason"]
        assert c.post("/match", json={"brief": BRIEF}).json()["model_version"] == "7"


# --------------------------------------------------------------------------- experiments
def test_experiment_routing_and_interleaving(tiny_pipeline_dir, tmp_path):
    pytest.importorskip("matcher.online.experiments")
    v2 = versioned_copy(tiny_pipeline_dir, tmp_path / "v2", "2")
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        f"name: exp1\nmode: ab\nvariants:\n  control: {tiny_pipeline_dir}\n  treatment: {v2}\n"
        "forced:\n  brand-qa: treatment\n"
    )
    log = tmp_path / "r.db"
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_EXPERIMENT=str(exp),
        MATCHER_REQUEST_LOG=str(log),
    ) as (c, _):
        assert c.get("/model").json()["variants"] == ["control", "treatment"]
        r = c.post(
            "/match",
            json={"brief": {**BRIEF, "brand_id": "brand-qa"}},
            headers=bearer(c.keys.add("brand-qa")),
        ).json()
        assert r["variant"] == "treatment" and r["model_version"] == "2"
        r = c.post(
            "/match", json={"brief": BRIEF, "force_variant": "control"}, headers=c.admin
        ).json()
        assert r["variant"] == "control"
        bad = c.post("/match", json={"brief": BRIEF, "force_variant": "nope"}, headers=c.admin)
        assert bad.status_code == 400 and "force_variant" in bad.json()["error"]
        rows = db_rows(log, "SELECT experiment, variant FROM requests ORDER BY created_at")
        assert rows == [("exp1", "treatment"), ("exp1", "control")]

    exp.write_text(
        f"name: exp2\nmode: interleave\nvariants:\n  A: {tiny_pipeline_dir}\n  B: {v2}\n"
    )
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_EXPERIMENT=str(exp),
        MATCHER_REQUEST_LOG=str(log),
    ) as (c, _):
        r = c.post("/match", json={"brief": BRIEF, "k": 6}).json()
        assert r["variant"] == "interleaved" and len(r["matches"]) == 6
        teams = db_rows(
            log,
            "SELECT variant FROM impressions WHERE request_id = ? ORDER BY position",
            (r["request_id"],),
        )
        assert {t for (t,) in teams} <= {"A", "B"} and len(teams) == 6


# --------------------------------------------------------------------------- the real server
@pytest.mark.integration
def test_bentoml_serve_subprocess_over_http(tiny_pipeline_dir, tmp_path):
    from matcher.online.keys import KeyStore
    from serving.process import ServiceProcess

    log = tmp_path / "requests.db"
    with KeyStore(tmp_path / "keys.db") as keys:  # the default place: next to the request log
        key = keys.add(BRAND)
    env = {
        "MATCHER_MODEL_FALLBACK": str(tmp_path / "none"),
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "MATCHER_BODY_TIMEOUT_S": "2",
    }
    svc = ServiceProcess(model=tiny_pipeline_dir, request_log=log, env=env, ready_timeout=120)
    for k in ENV_KEYS:
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG", *env):
            svc.env.pop(k, None)
    with svc:
        with (
            httpx.Client(base_url=svc.url, timeout=30) as anon,
            httpx.Client(base_url=svc.url, timeout=30, headers=bearer(key)) as http,
        ):
            assert http.get("/livez").status_code == 200
            assert anon.get("/model").status_code == 401
            denied = anon.post("/match", json={"brief": BRIEF})
            assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith(
                "Bearer"
            )
            assert http.get("/model").json()["catalogue_size"] == 48
            r = http.post("/match", json={"brief": BRIEF, "k": 4})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["matches"][0]["influencer_id"].startswith("bak")
            fb = {
                "request_id": body["request_id"],
                "influencer_id": body["matches"][0]["influencer_id"],
                "event": "contacted",
            }
            assert http.post("/feedback", json=fb).status_code == 200
            bad = http.post(
                "/match", content=b"{oops", headers={"content-type": "application/json"}
            )
            assert bad.status_code == 400
            # a 20 MiB chunked body (no Content-Length) is cut off at the limit: 413
            chunk = b"x" * 65536
            big = http.post(
                "/match",
                content=iter([b'{"brief": {"text": "', *[chunk] * 320, b'"}}']),
                headers={"content-type": "application/json"},
            )
            assert big.status_code == 413, big.text
            # a body that does not arrive in time: 408, the worker is free again
            slow = _slow_post(svc.port, "/match", key, seconds=4)
            assert slow.startswith("HTTP/1.1 408"), slow[:200]
            for i in range(30):  # scanners' random URLs share one metrics label
                assert anon.get(f"/no-such-page-{i}").status_code == 404
            metrics = http.get("/metrics").text
            assert "bentoml_service_request" in metrics and 'endpoint="/match"' in metrics
            assert "no-such-page" not in metrics and 'endpoint="/{unknown}"' in metrics
        # kill -9 (workers and arbiter) right after the responses: both rows must be on disk
        svc.kill(signal.SIGKILL)
        assert db_rows(
            log, "SELECT status FROM requests WHERE request_id = ?", (body["request_id"],)
        ) == [("ok",)]
        assert db_rows(
            log, "SELECT event FROM feedback WHERE request_id = ?", (body["request_id"],)
        ) == [("contacted",)]


def _slow_post(port: int, path: str, key: str, seconds: float) -> str:
    """A client that announces a body and sends one byte a second: what the server answers."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=seconds + 10) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: 1000\r\n\r\n".encode()
        )
        t0 = time.monotonic()
        s.settimeout(1.0)
        while time.monotonic() - t0 < seconds:
            try:
                s.sendall(b" ")
                data = s.recv(4096)
                if data:
                    return data.decode(errors="replace")
            except TimeoutError:
                continue
            except OSError:
                break
        s.settimeout(5)
        return s.recv(4096).decode(errors="replace")
