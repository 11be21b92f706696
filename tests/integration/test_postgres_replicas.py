"""Issue 15: two replicas of the service (two real ``bentoml serve`` processes on different ports)
share one PostgreSQL database for the request log and the API keys. A key made once works on
both and its revocation too; a list served by one replica takes feedback on the other (and a
repeat on the first is recognised as one); the A/B report over the shared log counts it all."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from matcher.online.analysis import analyze_experiment
from matcher.online.events import per_request
from matcher.online.keys import KeyStore
from matcher.online.requestlog import read_request_log
from tests.integration.test_service import BRIEF, ENV_KEYS, bearer, versioned_copy

pytestmark = pytest.mark.integration

EXPERIMENT = "pg-replicas"
BRANDS = [f"brand-{i}" for i in range(8)]
K = 4


def _replica(model, url: str, env: dict[str, str]):
    from serving.process import ServiceProcess

    svc = ServiceProcess(model=model, request_log=url, env=env, ready_timeout=180)
    for k in ENV_KEYS:  # nothing from the outer environment: the keys come from the same URL
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG", *env):
            svc.env.pop(k, None)
    return svc


def test_two_replicas_share_one_postgres(postgres_url, tiny_pipeline_dir, tmp_path):
    with KeyStore(postgres_url) as keys:  # made once, before either replica exists
        tokens = {b: keys.add(b) for b in BRANDS}
        doomed = keys.add(BRANDS[0])
    exp = tmp_path / "exp.yaml"
    b_dir = versioned_copy(tiny_pipeline_dir, tmp_path / "b", "2")
    exp.write_text(
        f"name: {EXPERIMENT}\nvariants: {{A: '{tiny_pipeline_dir}', B: '{b_dir}'}}\n"
        "traffic: {A: 0.5, B: 0.5}\n"
    )
    env = {
        "MATCHER_EXPERIMENT": str(exp),
        "MATCHER_MODEL_FALLBACK": str(tmp_path / "none"),
        "MATCHER_RATE_LIMIT": "0",
    }
    replicas = [
        _replica(tiny_pipeline_dir, postgres_url, {**env, "BENTOML_HOME": str(tmp_path / f"b{i}")})
        for i in range(2)
    ]
    with contextlib.ExitStack() as stack:
        for r in replicas:  # both start (and open the database) at the same time
            r.start()
            stack.callback(r.stop)
        for r in replicas:
            r.wait_ready()
        clients = [stack.enter_context(httpx.Client(base_url=r.url, timeout=60)) for r in replicas]
        assert replicas[0].port != replicas[1].port

        # one key, both replicas; revoked through the store: refused by both at once
        for c in clients:
            assert c.get("/model", headers=bearer(doomed)).status_code == 200
        with KeyStore(postgres_url) as keys:
            assert keys.revoke(doomed.split("_")[1])
        for c in clients:
            assert c.get("/model", headers=bearer(doomed)).status_code == 401

        sent = shown = 0
        variants = set()
        for i, brand in enumerate(BRANDS):
            here, there = clients[i % 2], clients[1 - i % 2]  # A->B for even brands, B->A for odd
            auth = bearer(tokens[brand])
            r = here.post(
                "/match", json={"brief": {**BRIEF, "brand_id": brand}, "k": K}, headers=auth
            )
            assert r.status_code == 200, r.text
            body = r.json()
            variants.add(body.get("variant"))
            shown += len(body["matches"])
            for m in body["matches"][:2]:
                fb = {"request_id": body["request_id"], "influencer_id": m["influencer_id"]}
                got = there.post("/feedback", json={**fb, "event": "contacted"}, headers=auth)
                assert got.status_code == 200, got.text
                assert got.json()["duplicate"] is False
                again = here.post("/feedback", json={**fb, "event": "contacted"}, headers=auth)
                assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
                sent += 1
            # another brand may not send feedback on this list, on either replica
            rival = bearer(tokens[BRANDS[(i + 1) % len(BRANDS)]])
            for c in clients:
                denied = c.post(
                    "/feedback",
                    json={
                        "request_id": body["request_id"],
                        "influencer_id": "x",
                        "event": "accepted",
                    },
                    headers=rival,
                )
                assert denied.status_code == 403, denied.text
    assert variants == {"A", "B"}, variants  # the brands span both arms

    # the A/B report (what `matcher ab report` runs) over the shared log sees both replicas' writes
    frames = read_request_log(postgres_url, EXPERIMENT)
    assert len(frames.requests) == len(BRANDS) and len(frames.impressions) == shown
    assert len(frames.feedback) == sent == 2 * len(BRANDS)
    assert per_request(frames)["contacted"].sum() == sent
    rep = analyze_experiment(
        frames, experiment=EXPERIMENT, expected_shares={"A": 0.5, "B": 0.5}, n_boot=200
    )
    assert sum(v["requests"] for v in rep.variants.values()) == len(BRANDS)
    assert sum(v["impressions"] for v in rep.variants.values()) == shown
    for v in ("A", "B"):
        n_imp = rep.variants[v]["impressions"]
        n_contacted = 2 * rep.variants[v]["requests"]
        assert rep.variants[v]["metrics"]["contact_rate"]["estimate"] == pytest.approx(
            n_contacted / n_imp
        )
