"""matcher's own Prometheus metrics (serving/metrics.py) and the documented Python client
(serving/client_example.py): in process through the prometheus registry, and over HTTP against
a real ``bentoml serve`` (where the workers write multiprocess files that ``/metrics`` merges)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.integration.test_service import BRAND, BRIEF, ENV_KEYS, bearer, serve_in_process

EMPTY_BRIEF = {**BRIEF, "platforms": ["youtube"]}  # the tiny market has no youtube creators


class Samples:
    """Sample values of one scrape (absent = 0), looked up by name and a subset of labels."""

    def __init__(self, samples: list[tuple[str, dict[str, str], float]]) -> None:
        self.samples = samples

    @classmethod
    def from_registry(cls) -> Samples:
        from prometheus_client import REGISTRY

        return cls(
            [(s.name, dict(s.labels), s.value) for m in REGISTRY.collect() for s in m.samples]
        )

    @classmethod
    def from_text(cls, text: str) -> Samples:
        from prometheus_client.parser import text_string_to_metric_families

        return cls(
            [
                (s.name, dict(s.labels), s.value)
                for m in text_string_to_metric_families(text)
                for s in m.samples
            ]
        )

    def __call__(self, name: str, **labels: str) -> float:
        return sum(
            v
            for n, lab, v in self.samples
            if n == name and all(lab.get(k) == x for k, x in labels.items())
        )


def deltas(before: Samples, after: Samples, *keys: tuple[str, dict[str, str]]) -> list[float]:
    return [after(n, **lab) - before(n, **lab) for n, lab in keys]


KEYS = [
    ("matcher_matches_returned_count", {"endpoint": "match"}),
    ("matcher_matches_returned_sum", {"endpoint": "match"}),
    ("matcher_empty_results_total", {"endpoint": "match"}),
    ("matcher_brief_cache_hits_total", {}),
    ("matcher_brief_cache_misses_total", {}),
    ("matcher_feedback_events_total", {"event": "contacted"}),
    ("matcher_feedback_events_total", {"event": "shortlisted"}),
    ("matcher_request_log_write_seconds_count", {"op": "request"}),
    ("matcher_request_log_write_seconds_count", {"op": "feedback"}),
]
# the traffic of ``drive``: two /match of one brief (k=4: 4 creators each; the 1st embeds the text:
# a cache miss, the 2nd a hit), one /match that passes no filter (0 creators; same text: a hit),
# a /feedback "contacted", the same event again (a duplicate: written, not counted)
EXPECTED = [3, 8, 1, 2, 1, 1, 0, 3, 2]


def drive(post) -> dict:
    first = post("/match", {"brief": BRIEF, "k": 4})
    assert len(first["matches"]) == 4
    assert len(post("/match", {"brief": BRIEF, "k": 4})["matches"]) == 4
    assert post("/match", {"brief": EMPTY_BRIEF, "k": 4})["matches"] == []
    fb = {
        "request_id": first["request_id"],
        "influencer_id": first["matches"][0]["influencer_id"],
        "event": "contacted",
    }
    assert post("/feedback", fb)["duplicate"] is False
    assert post("/feedback", fb)["duplicate"] is True
    return first


def test_metrics_move_by_known_amounts_in_process(tiny_pipeline_dir, tmp_path):
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir), MATCHER_REQUEST_LOG=str(tmp_path / "r.db")
    ) as (c, _):
        info = c.get("/model").json()
        before = Samples.from_registry()
        assert (
            before(
                "matcher_model_info", model_name=info["name"], model_version=str(info["version"])
            )
            == 1
        )

        def post(path: str, body: dict) -> dict:
            r = c.post(path, json=body)
            assert r.status_code == 200, r.text
            return r.json()

        first = drive(post)
        # refused: counts nothing (an unknown request; a creator that was not shown)
        assert (
            c.post(
                "/feedback", json={"request_id": "nope", "influencer_id": "x", "event": "contacted"}
            ).status_code
            == 404
        )
        assert (
            c.post(
                "/feedback",
                json={
                    "request_id": first["request_id"],
                    "influencer_id": "not-shown",
                    "event": "contacted",
                },
            ).status_code
            == 404
        )
        after = Samples.from_registry()
    assert deltas(before, after, *KEYS) == EXPECTED


def test_metric_labels_are_bounded():
    from serving.metrics import record_feedback, record_matches, timed_log_write

    with pytest.raises(ValueError, match="unknown feedback event"):
        record_feedback("'; DROP TABLE")
    with pytest.raises(ValueError, match="unknown endpoint"):
        record_matches("/no-such", [1])
    with pytest.raises(ValueError, match="unknown request-log operation"):
        timed_log_write("vacuum", lambda: None)


def test_a_failed_log_write_is_timed_too():
    from serving.metrics import timed_log_write

    before = Samples.from_registry()

    def boom() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        timed_log_write("feedback", boom)()
    assert timed_log_write("request", lambda: 42)() == 42
    after = Samples.from_registry()
    assert deltas(
        before,
        after,
        ("matcher_request_log_write_seconds_count", {"op": "feedback"}),
        ("matcher_request_log_write_seconds_count", {"op": "request"}),
    ) == [1, 1]


def test_reload_moves_the_model_info_gauge(tiny_pipeline_dir, tmp_path):
    from tests.integration.test_service import versioned_copy

    v2 = versioned_copy(tiny_pipeline_dir, tmp_path / "v2", "2")
    with serve_in_process(
        MATCHER_MODEL=str(tiny_pipeline_dir),
        MATCHER_REQUEST_LOG=str(tmp_path / "r.db"),
        MATCHER_MODEL_ROOT=str(tmp_path),
    ) as (c, _):
        old = c.get("/model").json()
        r = c.post("/reload", json={"model": str(v2)}, headers=c.admin)
        assert r.status_code == 200, r.text
        s = Samples.from_registry()
    assert s("matcher_model_info", model_name="matcher", model_version="2") == 1
    assert s("matcher_model_info", model_name=old["name"], model_version=str(old["version"])) == 0


# --------------------------------------------------------------------------- a real bentoml serve
@pytest.fixture(scope="module")
def server(tiny_pipeline_dir, tmp_path_factory) -> Iterator[tuple[object, str]]:
    from matcher.online.keys import KeyStore
    from serving.process import ServiceProcess

    d = tmp_path_factory.mktemp("metrics_srv")
    with KeyStore(d / "keys.db") as keys:  # the default place: next to the request log
        key = keys.add(BRAND)
    env = {"MATCHER_MODEL_FALLBACK": str(d / "none"), "BENTOML_HOME": str(d / "bentoml")}
    svc = ServiceProcess(
        model=tiny_pipeline_dir, request_log=d / "requests.db", env=env, ready_timeout=120
    )
    for k in ENV_KEYS:
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG", *env):
            svc.env.pop(k, None)
    with svc:
        yield svc, key


@pytest.mark.integration
def test_metrics_over_http_from_bentoml_serve(server):
    import httpx

    svc, key = server
    with httpx.Client(base_url=svc.url, timeout=30, headers=bearer(key)) as http:
        info = http.get("/model").json()
        before = Samples.from_text(http.get("/metrics").text)

        def post(path: str, body: dict) -> dict:
            r = http.post(path, json=body)
            assert r.status_code == 200, r.text
            return r.json()

        drive(post)
        text = http.get("/metrics").text
    after = Samples.from_text(text)
    assert deltas(before, after, *KEYS) == EXPECTED
    assert (
        after("matcher_model_info", model_name=info["name"], model_version=str(info["version"]))
        == 1
    )
    assert "# TYPE matcher_request_log_write_seconds histogram" in text


@pytest.mark.integration
def test_documented_python_client_against_bentoml_serve(server):
    """The calls of serving/client_example.py (bentoml.SyncHTTPClient with the bearer token)."""
    from bentoml.exceptions import BentoMLException

    from serving.client_example import (
        connect,
        error_message,
        feedback,
        format_matches,
        match,
        model_info,
    )

    svc, key = server
    with connect(svc.url, key) as client:
        resp = match(client, BRIEF, k=3)
        assert len(resp["matches"]) == 3 and resp["matches"][0]["influencer_id"].startswith("bak")
        assert "creators passed the filters" in format_matches(resp)
        top = resp["matches"][0]["influencer_id"]
        fb = feedback(client, resp["request_id"], top, "shortlisted")
        assert fb == {
            "request_id": resp["request_id"],
            "influencer_id": top,
            "event": "shortlisted",
            "value": 1.0,
            "duplicate": False,
        }
        assert model_info(client)["catalogue_size"] == 48
        plan = client.plan(brief=BRIEF, budget_usd=600, max_creators=4, goal="engagements")
        assert (
            1 <= len(plan["creators"]) <= 4
            and plan["total_cost_usd"] <= 600
            and plan["goal"] == "engagements"
        )
        # another brand's brief: 403 naming the field
        with pytest.raises(BentoMLException) as refused:
            match(client, {**BRIEF, "brand_id": "someone-else"})
        assert error_message(refused.value).startswith("403: brief.brand_id 'someone-else'")
    with connect(svc.url, "not-a-key") as bad, pytest.raises(BentoMLException) as denied:
        match(bad, BRIEF)
    assert int(denied.value.error_code) == 401


@pytest.mark.integration
def test_client_example_script(server, tmp_path, capsys):
    from serving.client_example import main

    svc, key = server
    brief = tmp_path / "brief.json"
    brief.write_text(json.dumps(BRIEF))
    main(["--url", svc.url, "--key", key, "--brief", str(brief), "-k", "3"])
    out = capsys.readouterr().out
    assert "creators passed the filters" in out and "feedback: {" in out
    assert "model: " in out and "48 creators" in out
    # the built-in sample brief is another brand's: one line naming the field, no traceback
    with pytest.raises(SystemExit) as refused:
        main(["--url", svc.url, "--key", key])
    assert str(refused.value).startswith("403: brief.brand_id 'demo-greenfuel'")
