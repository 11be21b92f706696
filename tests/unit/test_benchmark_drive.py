"""benchmarks/serve_latency: ``drive``, the request loop of the service benchmarks (with a floor
it alternates floor runs and requests in blocks, never loses or repeats an index, and counts
every request; driven against a tiny loopback HTTP server that records what it was sent), and
``library_profile``, which calls the pipeline's stages one by one, so it breaks when they move."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType

import pytest

from tests.helpers import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("serve_latency.py", "serve_latency_benchmark")


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """(url, events): every POST /match appends ``R<i>`` (``i`` from the body) to ``events``."""
    events: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            events.append(f"R{body['i']}")
            out = json.dumps({"latency_ms": 1.0}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", events
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_floor_runs_and_requests_alternate_in_blocks(bench, server) -> None:
    url, events = server
    bodies = [{"i": i} for i in range(7)]
    out = bench.drive(url, bodies, 7, 1, floor=lambda i: events.append(f"F{i}"), block=3)
    assert events == ["F0", "F1", "F2", "R0", "R1", "R2",
                      "F3", "F4", "F5", "R3", "R4", "R5",
                      "F6", "R6"]  # fmt: skip
    assert out["errors"] == 0 and out["server_p50"] == 1.0


def test_block_one_puts_a_floor_run_before_every_request(bench, server) -> None:
    url, events = server
    bodies = [{"i": i} for i in range(2)]
    bench.drive(url, bodies, 3, 1, floor=lambda i: events.append(f"F{i}"))
    assert events == ["F0", "R0", "F1", "R1", "F2", "R0"]  # bodies round-robin


def test_concurrent_clients_send_each_request_once(bench, server) -> None:
    url, events = server
    bodies = [{"i": i} for i in range(20)]
    out = bench.drive(url, bodies, 20, 4, block=5)  # no floor: the block does not apply
    assert sorted(events) == sorted(f"R{i}" for i in range(20))
    assert out["errors"] == 0


def test_library_profile_times_every_stage_of_a_real_pipeline(bench, tiny_pipeline) -> None:
    from matcher.data.briefs import briefs_to_models
    from tests.helpers import make_tiny_market

    briefs = briefs_to_models(make_tiny_market()["briefs"])[:3]
    prof = bench.library_profile(tiny_pipeline, briefs, 3)
    assert set(prof) == {"floor", "recommend", "embed", "candidates", "score", "explain"}
    assert all(v > 0 for v in prof.values())
