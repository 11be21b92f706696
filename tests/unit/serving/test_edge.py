"""The service's edge pieces with known answers: path scrubbing, the error body, the token
bucket, metric route labels, the OpenAPI rewrite, the streamed body reader."""

from __future__ import annotations

import asyncio

import pytest

from serving.errors import ApiError, scrub_paths
from serving.http import _BodyTooLarge, read_body
from serving.limits import RateLimiter
from serving.metrics import UNKNOWN_ROUTE, route_label
from serving.openapi import rewrite


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cannot load /srv/models/v2/ranker.json: bad", "cannot load <path>: bad"),
        ("folder '/tmp/x/y' missing", "folder '<path>' missing"),
        (
            "models:/matcher/3 and models:/matcher@champion",
            "models:/matcher/3 and models:/matcher@champion",
        ),
        ("see http://host/a/b for help", "see http://host/a/b for help"),
        ("ratio 3/4 and /healthz", "ratio 3/4 and /healthz"),
        (r"C:\models\v2 is gone", "<path> is gone"),
    ],
)
def test_scrub_paths(text, expected):
    assert scrub_paths(text) == expected


def test_api_error_body_and_headers():
    e = ApiError(401, "missing key", "authorization")
    assert e.body() == {
        "error": "missing key",
        "detail": [{"loc": ["authorization"], "msg": "missing key"}],
    }
    assert e.headers() == {"WWW-Authenticate": 'Bearer realm="matcher"'}
    e = ApiError(503, "log locked at /var/lib/m/requests.db", request_id="abc", retry_after=0.2)
    assert e.body()["request_id"] == "abc" and "<path>" in e.message and "/var" not in e.message
    assert e.headers() == {"Retry-After": "1"}
    status, headers, body = ApiError(429, "slow down", retry_after=2.5).raw()
    assert status == 429 and (b"retry-after", b"3") in headers and b'"slow down"' in body


def test_token_bucket():
    now = [0.0]
    rl = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [rl.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rl.acquire("k") == pytest.approx(0.5)  # one token comes back every 0.5 s
    assert rl.acquire("other") == 0.0  # buckets are per key
    now[0] = 0.5
    assert rl.acquire("k") == 0.0 and rl.acquire("k") == pytest.approx(0.5)
    now[0] = 100.0
    assert rl.acquire("k", cost=50) == 0.0  # a batch bigger than the bucket passes when it is full
    assert rl.acquire("k") > 0
    assert RateLimiter(rate=0, burst=1).acquire("k", cost=1e9) == 0.0  # 0 = no limit


def test_route_labels_are_bounded():
    assert route_label("/match") == "/match" and route_label("/readyz") == "/readyz"
    assert route_label("/static_content/x.js") == "/static_content/*"
    assert route_label("/app") == "/app" and route_label("/app/requests/123abc") == "/app/*"
    assert {route_label(f"/random-{i}") for i in range(100)} == {UNKNOWN_ROUTE}


def test_openapi_rewrite_declares_31_and_documents_errors():
    doc = {
        "openapi": "3.0.2",
        "info": {"title": "x", "version": "none"},
        "paths": {
            "/match": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"title": "In"}}}},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "title": "Out",
                                        "type": "object",
                                        "properties": {
                                            "reason": {"type": "string", "default": None}
                                        },
                                    }
                                }
                            },
                        },
                        "404": {
                            "description": "nf",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/NotFound"}
                                }
                            },
                        },
                    },
                }
            },
            "/readyz": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
        "components": {"schemas": {"In": {"title": "In", "type": "object"}, "NotFound": {}}},
    }
    out = rewrite(doc)
    assert (
        out["openapi"] == "3.1.0"
        and out["info"]["title"] == "matcher"
        and out["info"]["version"] != "none"
    )
    op = out["paths"]["/match"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/In"
    }
    assert op["requestBody"]["required"] is True and op["security"] == [{"apiKey": []}]
    assert {"400", "401", "403", "413", "415", "429", "503"} <= set(
        op["responses"]
    ) and "404" not in op["responses"]
    reason = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["reason"]
    assert reason["anyOf"] == [{"type": "string"}, {"type": "null"}] and reason["default"] is None
    assert (
        "NotFound" not in out["components"]["schemas"] and "Error" in out["components"]["schemas"]
    )
    assert "security" not in out["paths"]["/readyz"]["get"]
    assert doc["openapi"] == "3.0.2"  # the input is not changed


def _receiver(chunks):
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0)

    return receive


def test_read_body_counts_streamed_chunks():
    assert asyncio.run(read_body(_receiver([b"ab", b"cd", b""]), limit=4)) == b"abcd"
    with pytest.raises(_BodyTooLarge):
        asyncio.run(read_body(_receiver([b"ab", b"cd", b"e"]), limit=4))
