"""RequestLog: the schema other modules read, idempotent feedback, threads, durability, and the
one reader and writer of frames; on SQLite and on PostgreSQL (``backend``, tests/integration/postgres.py)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from matcher.online.db import INTEGRITY_ERRORS, make_engine
from matcher.online.requestlog import (
    COST_COLUMN,
    FEEDBACK_COLUMNS,
    IMPRESSION_COLUMNS,
    REQUEST_COLUMNS,
    RequestLog,
    RequestLogFrames,
    RequestRecord,
    read_request_log,
    write_request_log,
)
from matcher.schemas import Brief
from tests.helpers import match


def record(rid: str = "r1", ids: tuple[str, ...] = ("a", "b", "c"), **kw) -> RequestRecord:
    brief = Brief(text="vegan protein bar", brand_id="brand1", brief_id=kw.pop("brief_id", None))
    return RequestRecord(
        request_id=rid,
        brief=brief,
        k=len(ids) or 10,
        model_name="matcher",
        model_version="3",
        matches=[match(i + 1, x, 1.0 - i / 10) for i, x in enumerate(ids)],
        n_candidates=42,
        latency_ms=12.5,
        **kw,
    )


def columns(target, table: str) -> list[str]:
    engine = make_engine(target)
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_schema_has_the_contracted_columns_and_wal(backend):
    path = backend.target("log.db")
    RequestLog(path).close()
    assert columns(path, "requests") == [
        "request_id",
        "created_at",
        "brand_id",
        "brief_id",
        "brief_json",
        "k",
        "model_name",
        "model_version",
        "experiment",
        "variant",
        "latency_ms",
        "n_candidates",
        "n_results",
        "status",
        "error",
    ]
    assert columns(path, "impressions")[:6] == [
        "request_id",
        "position",
        "influencer_id",
        "score",
        "fit_score",
        "variant",
    ]
    assert columns(path, "feedback") == [
        "request_id",
        "influencer_id",
        "event",
        "value",
        "created_at",
    ]
    if backend.is_sqlite:
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_request_and_impressions_round_trip(backend):
    with RequestLog(backend.target("log.db")) as log:
        log.log_request(record(experiment="exp1", variant="B"))
        got = log.request("r1")
    assert (
        got["brand_id"] == "brand1"
        and got["k"] == 3
        and got["n_results"] == 3
        and got["status"] == "ok"
    )
    assert got["model_version"] == "3" and got["experiment"] == "exp1" and got["variant"] == "B"
    assert Brief.model_validate(got["brief"]).text == "vegan protein bar"
    assert [(i["position"], i["influencer_id"], i["variant"]) for i in got["impressions"]] == [
        (1, "a", "B"),
        (2, "b", "B"),
        (3, "c", "B"),
    ]
    assert got["impressions"][1]["score"] == pytest.approx(0.9)
    assert got["impressions"][0]["estimated_cost_usd"] == 120.0


def test_interleaving_sources_are_logged_per_position(backend):
    with RequestLog(backend.target("log.db")) as log:
        log.log_request(record(variant="interleaved", sources=["A", "B", "A"]))
        assert [i["variant"] for i in log.request("r1")["impressions"]] == ["A", "B", "A"]
        with pytest.raises(ValueError, match="sources"):
            log.log_request(record("r2", sources=["A"]))
        assert not log.has_request("r2")  # nothing half-written


def test_feedback_is_idempotent_and_lookups_work(backend):
    with RequestLog(backend.target("log.db")) as log:
        log.log_request(record())
        assert log.has_request("r1") and not log.has_request("nope")
        assert (
            log.was_shown("r1", "b")
            and not log.was_shown("r1", "zzz")
            and not log.was_shown("nope", "a")
        )
        assert log.log_feedback("r1", "a", "accepted", 1.0) is True
        assert log.log_feedback("r1", "a", "accepted", 1.0) is False
        assert log.log_feedback("r1", "a", "clicks", 7) is True
        assert log.log_feedback("r1", "a", "clicks", 9) is False  # first value kept
        assert log.feedback_value("r1", "a", "clicks") == 7.0
        assert log.feedback_value("r1", "b", "clicks") is None
        assert log.counts() == {"requests": 1, "impressions": 3, "feedback": 2}


def test_empty_list_is_logged_without_impressions(backend):
    with RequestLog(backend.target("log.db")) as log:
        log.log_request(record(ids=(), status="empty"))
        assert log.request("r1")["status"] == "empty"
        assert log.counts()["impressions"] == 0


def test_batch_is_one_transaction(backend):
    with RequestLog(backend.target("log.db")) as log:
        log.log_requests([record("x1"), record("x2")])
        with pytest.raises(INTEGRITY_ERRORS):
            log.log_requests(
                [record("x3"), record("x1")]
            )  # duplicate id: the whole batch rolls back
        assert log.has_request("x2") and not log.has_request("x3")


def test_concurrent_writers_lose_nothing(backend):
    path = backend.target("log.db")
    log = RequestLog(path, synchronous="NORMAL")
    other = RequestLog(path, synchronous="NORMAL")  # a second connection, like a second worker

    def work(w: int) -> None:
        for i in range(25):
            target = log if i % 2 else other
            target.log_request(record(f"w{w}-{i}"))
            target.log_feedback(f"w{w}-{i}", "a", "contacted")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.counts() == {"requests": 150, "impressions": 450, "feedback": 150}
    log.close()
    other.close()
    with pytest.raises(RuntimeError, match="closed"):
        log.has_request("w0-0")


def test_committed_rows_survive_a_killed_process(backend):
    """The process logs, says so, then dies without any cleanup (like SIGKILL after a response)."""
    path = backend.target("log.db")
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(__file__.rsplit("/", 1)[0])!r})
        from test_requestlog import record
        from matcher.online.requestlog import RequestLog
        log = RequestLog({str(path)!r})
        log.log_request(record("killed"))
        log.log_feedback("killed", "a", "accepted")
        print("sent", flush=True)
        os._exit(137)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 137 and "sent" in out.stdout, out.stderr
    with RequestLog(path) as log:
        assert log.has_request("killed") and log.feedback_value("killed", "a", "accepted") == 1.0


def test_old_minimal_schema_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE impressions(request_id TEXT, position INTEGER, influencer_id TEXT, score REAL, "
            "fit_score REAL, variant TEXT)"
        )
    with RequestLog(path) as log:
        log.log_request(record())
        assert log.counts()["impressions"] == 3
    assert "estimated_cost_usd" in columns(path, "impressions")


def test_bad_synchronous_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="synchronous"):
        RequestLog(tmp_path / "x.db", synchronous="OFF")


# --------------------------------------------------------------------------- frames: the one reader and writer
def test_column_constants_are_the_schemas_columns(backend):
    path = backend.target("log.db")
    RequestLog(path).close()
    assert tuple(columns(path, "requests")) == REQUEST_COLUMNS
    assert tuple(columns(path, "impressions")) == IMPRESSION_COLUMNS
    assert tuple(columns(path, "feedback")) == FEEDBACK_COLUMNS


def test_reader_returns_what_the_service_wrote(backend, tmp_path):
    """``from_records`` (simulations) and ``read_request_log`` (the file) agree row for row."""
    path = backend.target("with space & ?odd#chars/log.db")
    recs = [
        record("r1", experiment="e1", variant="A", created_at="2025-01-01T00:00:02"),
        record("r2", ids=("d",), experiment="e2", variant="B", created_at="2025-01-01T00:00:03"),
        record(
            "r0",
            ids=("a", "b"),
            experiment="e1",
            variant="interleaved",
            sources=["A", "B"],
            created_at="2025-01-01T00:00:01",
        ),
        record("r3", ids=(), status="error", error="boom", created_at="2025-01-01T00:00:04"),
    ]
    fb = [("r1", "b", "accepted", 1.0, "2025-01-02"), ("r2", "d", "clicks", 7.0, "2025-01-02")]
    with RequestLog(path) as log:
        log.log_requests(recs)
        for row in fb:
            log.log_feedback(*row)
    got = read_request_log(path)
    assert list(got.requests["request_id"]) == ["r0", "r1", "r2", "r3"]  # created_at order
    want = RequestLogFrames.from_records(recs, fb)
    pd.testing.assert_frame_equal(
        got.requests, want.requests.iloc[[2, 0, 1, 3]].reset_index(drop=True)
    )
    key = ["request_id", "position"]
    pd.testing.assert_frame_equal(
        got.impressions.sort_values(key, ignore_index=True),
        want.impressions.sort_values(key, ignore_index=True),
    )
    assert list(want.impressions.query("request_id == 'r0'")["variant"]) == ["A", "B"]
    pd.testing.assert_frame_equal(
        got.feedback.sort_values("request_id", ignore_index=True), want.feedback
    )
    e1 = read_request_log(path, "e1")
    assert list(e1.requests["request_id"]) == ["r0", "r1"]
    assert set(e1.impressions["request_id"]) == {"r0", "r1"} and list(
        e1.feedback["request_id"]
    ) == ["r1"]
    assert len(read_request_log(path, "nope").requests) == 0
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_request_log(tmp_path / "missing.db")


def test_written_frames_read_back_and_append(backend):
    frames = RequestLogFrames.from_records(
        [record("r1"), record("r2", ids=("x",))], [("r1", "a", "accepted", 1.0, "2025-01-02")]
    )
    path = write_request_log(frames, backend.target("sub/log.db"))
    got = read_request_log(path)
    pd.testing.assert_frame_equal(got.requests, frames.requests)
    assert len(got.impressions) == 4 and len(got.feedback) == 1
    write_request_log(RequestLogFrames.from_records([record("r3", ids=())]), path)  # appends
    assert list(read_request_log(path).requests["request_id"]) == ["r1", "r2", "r3"]
    with RequestLog(path) as log:  # a file the service can go on writing
        assert log.counts() == {"requests": 3, "impressions": 4, "feedback": 1}


def test_writing_frames_to_an_old_file_adds_the_new_columns(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE impressions(request_id TEXT, position INTEGER, influencer_id TEXT, score REAL, "
            "fit_score REAL, variant TEXT)"
        )
    write_request_log(RequestLogFrames.from_records([record()]), path)
    assert read_request_log(path).impressions[COST_COLUMN].tolist() == [120.0] * 3


def test_head_keeps_the_first_requests_and_their_rows():
    f = RequestLogFrames.from_records(
        [record("r1"), record("r2"), record("r3")],
        [("r1", "a", "accepted", 1.0, "t"), ("r3", "a", "accepted", 1.0, "t")],
    )
    h = f.head(2)
    assert list(h.requests["request_id"]) == ["r1", "r2"] and len(h.impressions) == 6
    assert list(h.feedback["request_id"]) == ["r1"]


# --------------------------------------------------------------------------- several writers, one database
def test_the_same_feedback_from_many_writers_is_stored_once(backend):
    """Replicas (here: 2 stores x 4 threads) send the same event at once: exactly one is new."""
    path = backend.target("log.db")
    stores = [RequestLog(path, synchronous="NORMAL") for _ in range(2)]
    stores[0].log_request(record())
    results: list[bool] = []
    start = threading.Barrier(8)

    def send(i: int) -> None:
        start.wait()
        results.append(stores[i % 2].log_feedback("r1", "a", "accepted", float(i)))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert stores[1].counts()["feedback"] == 1
    assert stores[1].request_feedback("r1") == {
        "a": {"accepted": stores[0].feedback_value("r1", "a", "accepted")}
    }
    for s in stores:
        s.close()


def test_a_retraction_moves_the_row_once(backend):
    path = backend.target("log.db")
    with RequestLog(path) as a, RequestLog(path) as b:
        a.log_request(record())
        a.log_feedback("r1", "a", "shortlisted", 1.0)
        assert b.retract_feedback("r1", "a", "shortlisted") == 1.0
        assert a.retract_feedback("r1", "a", "shortlisted") is None  # already undone elsewhere
        assert a.log_feedback("r1", "a", "shortlisted", 2.0) is True  # and may be sent again
        assert b.feedback_value("r1", "a", "shortlisted") == 2.0
    engine = make_engine(path)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM feedback_retractions")).scalar_one() == 1
    engine.dispose()


def test_ties_in_time_keep_the_insertion_order(backend):
    path = backend.target("log.db")
    same = "2025-01-01T00:00:00"
    ids = ["z", "a", "m", "b"]
    with RequestLog(path) as log:
        for rid in ids:
            log.log_request(record(rid, created_at=same))
        newest_first = [r["request_id"] for r in log.brand_requests("brand1")]
    assert list(read_request_log(path).requests["request_id"]) == ids
    assert newest_first == ids[::-1]
