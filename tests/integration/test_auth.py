"""Issue 10, service side, in process (``MatcherService.to_asgi()``, the tiny hashing pipeline):
keys and roles on every endpoint, tenants (brand from the key, feedback only by its brand), the
model root of ``/reload``, auth off, rate limit, request budget, streamed body limit, faults of
the request log, readiness with a reason, the OpenAPI document."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from tests.integration.test_service import (
    BRAND,
    BRIEF,
    bearer,
    db_rows,
    serve_in_process,
    versioned_copy,
)

FEEDBACK = {"influencer_id": "x", "event": "contacted"}
ENDPOINTS = [
    ("POST", "/match", {"brief": BRIEF}),
    ("POST", "/match_batch", {"briefs": [BRIEF]}),
    ("POST", "/feedback", {"request_id": "r", **FEEDBACK}),
    ("POST", "/reload", {}),
    ("GET", "/model", None),
]


@pytest.fixture(scope="module")
def env(tiny_pipeline_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("auth")
    return {"MATCHER_MODEL": str(tiny_pipeline_dir), "MATCHER_REQUEST_LOG": str(d / "requests.db")}


@pytest.fixture(scope="module")
def client(env):
    with serve_in_process(**env) as (c, _):
        yield c


def call(c, method, path, body, headers):
    if method == "GET":
        return c.get(path, headers=headers)
    return c.post(path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[p for _, p, _ in ENDPOINTS])
@pytest.mark.parametrize(
    "auth",
    [None, "", "Bearer ", "Bearer mk_nosuch_secret", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 5000],
    ids=["none", "empty", "blank", "unknown", "basic", "huge"],
)
def test_every_business_endpoint_needs_a_valid_key(client, method, path, body, auth):
    headers = {"Authorization": auth} if auth is not None else {}
    # the client's default (valid) key must not leak into this request
    r = call(client, method, path, body, {**headers} if headers else {"Authorization": ""})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["detail"][0]["loc"] == ["authorization"]


def test_open_endpoints_stay_open(client):
    for path in ("/healthz", "/livez", "/readyz", "/docs.json"):
        assert client.get(path, headers={"Authorization": ""}).status_code == 200, path


def test_roles(client, tmp_path):
    brand = client.headers["authorization"]
    assert brand.startswith("Bearer mk_")
    r = client.post("/reload", json={})
    assert r.status_code == 403 and "admin" in r.json()["error"]
    r = client.post("/match", json={"brief": BRIEF, "force_variant": "B"})
    assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["force_variant"]
    assert client.get("/model").status_code == 200  # any valid key may read what is served
    assert client.post("/reload", json={}, headers=client.admin).status_code == 200
    key_id = brand.split("_")[1]
    assert client.keys.revoke(key_id)
    try:
        assert client.post("/match", json={"brief": BRIEF}).status_code == 401
    finally:
        client.headers.update(bearer(client.keys.add(BRAND)))


def test_brand_comes_from_the_key(client, env):
    body = {**BRIEF}
    del body["brand_id"]
    r = client.post("/match", json={"brief": body, "k": 2})
    assert r.status_code == 200, r.text
    log = Path(env["MATCHER_REQUEST_LOG"])
    assert db_rows(
        log, "SELECT brand_id FROM requests WHERE request_id = ?", (r.json()["request_id"],)
    ) == [(BRAND,)]
    r = client.post("/match", json={"brief": {**BRIEF, "brand_id": "brand-rival"}})
    assert r.status_code == 403 and "brand-rival" in r.json()["error"], r.text
    assert r.json()["detail"][0]["loc"] == ["brief.brand_id"]
    r = client.post("/match_batch", json={"briefs": [BRIEF, {**BRIEF, "brand_id": "brand-rival"}]})
    assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["briefs.1.brand_id"]


def test_feedback_on_another_brands_request_is_403_and_writes_nothing(client, env):
    r = client.post("/match", json={"brief": BRIEF, "k": 2}).json()
    rid, top = r["request_id"], r["matches"][0]["influencer_id"]
    rival = bearer(client.keys.add("brand-rival"))
    log = Path(env["MATCHER_REQUEST_LOG"])
    before = db_rows(log, "SELECT COUNT(*) FROM feedback")
    for event, value in (("rating", 1), ("contacted", None)):
        body = {
            "request_id": rid,
            "influencer_id": top,
            "event": event,
            **({"value": value} if value else {}),
        }
        denied = client.post("/feedback", json=body, headers=rival)
        assert denied.status_code == 403 and "another brand" in denied.json()["error"], denied.text
    assert db_rows(log, "SELECT COUNT(*) FROM feedback") == before
    # the owner's rating is not blocked by a planted one
    ok = client.post(
        "/feedback", json={"request_id": rid, "influencer_id": top, "event": "rating", "value": 5}
    )
    assert ok.status_code == 200 and ok.json()["duplicate"] is False


def test_reload_accepts_only_folders_under_the_model_root(tiny_pipeline_dir, tmp_path):
    root = tmp_path / "models"
    inside = versioned_copy(tiny_pipeline_dir, root / "v2", "2")
    outside = versioned_copy(tiny_pipeline_dir, tmp_path / "planted", "666")
    (root / "sneaky").symlink_to(outside)
    with serve_in_process(
        MATCHER_MODEL=str(inside),
        MATCHER_MODEL_ROOT=str(root),
        MATCHER_REQUEST_LOG=str(tmp_path / "r.db"),
    ) as (c, _):
        for ref in (
            str(outside),
            str(root / "sneaky"),
            str(root / ".." / "planted"),
            "/etc",
            "../../etc",
        ):
            r = c.post("/reload", json={"model": ref}, headers=c.admin)
            assert r.status_code == 403, (ref, r.text)
            assert "model root" in r.json()["error"] and "/" + "tmp" not in r.json()["error"]
        assert c.get("/model").json()["version"] == "2"
        r = c.post("/reload", json={"model": str(inside)}, headers=c.admin)
        assert r.status_code == 200, r.text
        missing = c.post("/reload", json={"model": str(root / "nope")}, headers=c.admin)
        assert missing.status_code == 400 and str(root) not in missing.text, missing.text
        assert c.post("/reload", json={"model": "models:/bad"}, headers=c.admin).status_code == 400


def test_tampered_model_is_refused_on_reload(tiny_pipeline_dir, tmp_path):
    root = tmp_path / "models"
    good = versioned_copy(tiny_pipeline_dir, root / "v1", "1")
    bad = versioned_copy(tiny_pipeline_dir, root / "v2", "2")
    assert (bad / "manifest.json").exists()  # every saved pipeline carries its sha256 manifest
    files = json.loads((bad / "manifest.json").read_text())["files"]
    victim = bad / sorted(files)[0]  # a file the model's manifest covers
    victim.write_bytes(victim.read_bytes() + b" ")
    with serve_in_process(
        MATCHER_MODEL=str(good),
        MATCHER_MODEL_ROOT=str(root),
        MATCHER_REQUEST_LOG=str(tmp_path / "r.db"),
    ) as (c, _):
        r = c.post("/reload", json={"model": str(bad)}, headers=c.admin)
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert "sha256" in err and victim.name in err and str(tmp_path) not in err, err
        assert "still serving 1" in err and c.get("/model").json()["version"] == "1"


def test_auth_off_is_explicit_and_loud(env, caplog, tmp_path):
    with (
        caplog.at_level(logging.WARNING),
        serve_in_process(**{**env, "MATCHER_AUTH": "off"}) as (c, _),
    ):
        assert any(
            "AUTHENTICATION IS OFF" in rec.message and rec.levelno == logging.WARNING
            for rec in caplog.records
        )
        r = c.post(
            "/match",
            json={"brief": {**BRIEF, "brand_id": "anyone"}, "k": 1},
            headers={"Authorization": ""},
        )
        assert r.status_code == 200, r.text


def test_rate_limit_is_429_with_retry_after(env):
    with serve_in_process(**{**env, "MATCHER_RATE_LIMIT": "0.5", "MATCHER_RATE_BURST": "3"}) as (
        c,
        _,
    ):
        codes = [c.post("/match", json={"brief": BRIEF, "k": 1}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = c.post("/match", json={"brief": BRIEF, "k": 1})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 2
        # another key has its own bucket
        assert c.post("/match", json={"brief": BRIEF, "k": 1}, headers=c.admin).status_code == 200


def test_time_budget_stops_the_work_and_logs_a_timeout(env):
    with serve_in_process(**{**env, "MATCHER_REQUEST_BUDGET_S": "0.000001"}) as (c, _):
        r = c.post("/match", json={"brief": BRIEF})
        assert r.status_code == 503, r.text
        rid = r.json()["request_id"]
        assert "time budget" in r.json()["error"] and rid in r.json()["error"]
        assert db_rows(
            Path(env["MATCHER_REQUEST_LOG"]),
            "SELECT status, n_results FROM requests WHERE request_id = ?",
            (rid,),
        ) == [("timeout", 0)]
        r = c.post("/match_batch", json={"briefs": [BRIEF, BRIEF]})
        assert r.status_code == 503 and r.json()["request_id"]


def test_keyword_bomb_brief_is_fast_or_refused(client):
    """The issue's 54 KB brief: 5,000 nonsense keywords plus stop words, followers 0..1e12."""
    words = [f"zq{i:05d}xv" for i in range(5000)] + ["the", "a", "i", "and"]
    brief = {**BRIEF, "excluded_keywords": words, "min_followers": 0, "max_followers": 10**12}
    body = json.dumps({"brief": brief})
    assert len(body) > 54_000
    t0 = time.perf_counter()
    r = client.post("/match", content=body, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - t0
    if r.status_code == 400:
        assert "excluded_keywords" in r.json()["error"], r.text
    else:
        assert r.status_code == 200, r.text
        assert elapsed < 1.0, f"{elapsed:.2f}s"


def test_chunked_20mb_body_is_413(client):
    def chunks():
        piece = b"x" * 65536
        yield b'{"brief": {"text": "'
        for _ in range(20 * 16):  # 20 MiB
            yield piece
        yield b'"}}'

    r = client.post("/match", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger" in r.json()["error"], r.text


def test_locked_request_log_is_503_with_request_id_and_nothing_half_written(
    tmp_path, tiny_pipeline_dir
):
    log = tmp_path / "r.db"
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_REQUEST_LOG=str(log),
        MATCHER_LOG_BUSY_MS="200",
    ) as (c, _):
        before = db_rows(
            log, "SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM impressions)"
        )
        locker = sqlite3.connect(log, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            t0 = time.perf_counter()
            r = c.post("/match", json={"brief": BRIEF})
            assert time.perf_counter() - t0 < 5
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert r.status_code == 503, r.text
        rid = r.json()["request_id"]
        assert rid and int(r.headers["retry-after"]) >= 1 and "request log" in r.json()["error"]
        assert "matches" not in r.json()
        after = db_rows(
            log, "SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM impressions)"
        )
        assert after == before
        assert db_rows(log, "SELECT COUNT(*) FROM impressions WHERE request_id = ?", (rid,)) == [
            (0,)
        ]
        assert c.post("/match", json={"brief": BRIEF}).status_code == 200  # and it recovers


def test_a_request_log_that_is_not_sqlite_means_not_ready_with_the_reason(
    tmp_path, tiny_pipeline_dir
):
    log = tmp_path / "r.db"
    log.write_bytes(b"this is not a database, just some text " * 100)
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_REQUEST_LOG=str(log),
        MATCHER_KEYS_DB=str(tmp_path / "keys.db"),
    ) as (c, _):
        assert c.get("/livez").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503 and "request log unusable" in r.json()["error"], r.text
        assert "not a database" in r.json()["error"] and str(tmp_path) not in r.text
        m = c.post("/match", json={"brief": BRIEF})
        assert m.status_code == 503 and "request log" in m.json()["error"]


def test_readiness_turns_503_while_saturated(env):
    from serving.http import STATE

    with serve_in_process(**env) as (client, _):  # STATE is per process: the last service started
        assert client.get("/readyz").status_code == 200
        STATE.in_flight += STATE.max_concurrency
        try:
            r = client.get("/readyz")
            assert r.status_code == 503 and "saturated" in r.json()["error"]
        finally:
            STATE.in_flight -= STATE.max_concurrency
        assert client.get("/readyz").status_code == 200


def test_openapi_document_is_true(client):
    doc = client.get("/docs.json").json()
    assert doc["openapi"] == "3.1.0"
    from importlib.metadata import version

    assert doc["info"]["title"] == "matcher" and doc["info"]["version"] == version("matcher")
    for path, statuses in {
        "/match": {"400", "401", "403", "413", "415", "429", "503"},
        "/feedback": {"400", "401", "403", "404", "409", "413", "415", "429", "503"},
        "/reload": {"401", "403", "409", "503"},
    }.items():
        op = doc["paths"][path]["post"]
        assert statuses <= set(op["responses"]), path
        assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert op["security"] == [{"apiKey": []}]
    assert "security" not in doc["paths"]["/readyz"]["get"]
    assert doc["paths"]["/model"]["get"]["security"] == [{"apiKey": []}]
    from openapi_spec_validator import validate

    validate(doc)  # valid OpenAPI 3.1


def test_reload_releases_the_previous_model(tiny_pipeline_dir, tmp_path):
    """No reference keeps a replaced model alive: after each reload the previous pipeline (and
    its encoder) is gone at once, not at some later cyclic collection."""
    import gc
    import weakref

    log = str(tmp_path / "r.db")
    with serve_in_process(MATCHER_MODEL=str(tiny_pipeline_dir), MATCHER_REQUEST_LOG=log) as (c, _):
        holder = _holder(log)
        gc.disable()  # only what the service does may free it
        try:
            for _ in range(3):
                old = weakref.ref(holder.current.default.pipeline)
                enc = weakref.ref(holder.current.default.pipeline.encoder)
                r = c.post("/reload", json={}, headers=c.admin)
                assert r.status_code == 200, r.text
                assert old() is None and enc() is None
        finally:
            gc.enable()


def _holder(request_log: str):
    """The ModelHolder of the service instance that logs to ``request_log``."""
    import gc

    from serving.model_state import ModelHolder

    (holder,) = [
        o
        for o in gc.get_objects()
        if isinstance(o, ModelHolder) and o.config.request_log == request_log
    ]
    return holder


def test_one_key_lookup_per_request(client, monkeypatch):
    """The guard checks the key before the body is read and hands the principal on: the
    handler does not look the key up again (a brand key on an admin endpoint is still 403)."""
    from matcher.online.keys import KeyStore

    calls = []
    real = KeyStore.authenticate

    def counted(self, token):
        calls.append(token)
        return real(self, token)

    monkeypatch.setattr(KeyStore, "authenticate", counted)
    assert client.post("/match", json={"brief": BRIEF}).status_code == 200
    assert len(calls) == 1
    assert client.post("/reload", json={}).status_code == 403
    assert len(calls) == 2
