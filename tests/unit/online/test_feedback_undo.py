"""Undo (``RequestLog.retract_feedback``) and the ``dismissed`` event, as the learning loop sees
them: a retracted event is absent for the A/B analysis (``events``) and the retraining merge
(``to_training``), it is kept for audit, and the same event can be sent again."""

from __future__ import annotations

import sqlite3

import pytest

from matcher.online.events import event_table, per_request
from matcher.online.requestlog import RequestLog, RequestRecord, read_request_log
from matcher.online.to_training import logged_tables
from matcher.schemas import Brief
from tests.helpers import match


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "requests.db"
    with RequestLog(path) as log:
        for rid, brand in (("r1", "brandA"), ("r2", "brandB")):
            log.log_request(
                RequestRecord(
                    request_id=rid,
                    brief=Brief(text="bread baking", brand_id=brand),
                    k=3,
                    model_name="matcher",
                    model_version="1",
                    matches=[match(i + 1, x) for i, x in enumerate(["bak00", "bak01", "gam00"])],
                )
            )
    return path


def test_retract_moves_the_row_and_allows_a_new_value(db):
    with RequestLog(db) as log:
        assert log.log_feedback("r1", "bak00", "rating", 2)
        assert log.retract_feedback("r1", "bak00", "rating") == 2.0
        assert log.retract_feedback("r1", "bak00", "rating") is None  # nothing left to undo
        assert log.feedback_value("r1", "bak00", "rating") is None
        assert log.log_feedback(
            "r1", "bak00", "rating", 5
        )  # not a 409 any more: the old value is gone
        assert log.feedback_value("r1", "bak00", "rating") == 5.0
        assert log.request_feedback("r1") == {"bak00": {"rating": 5.0}}
    with sqlite3.connect(db) as con:
        assert con.execute(
            "SELECT request_id, influencer_id, event, value FROM feedback_retractions"
        ).fetchall() == [("r1", "bak00", "rating", 2.0)]


def test_a_retracted_event_is_absent_for_training_and_analysis(db):
    with RequestLog(db) as log:
        log.log_feedback("r1", "bak00", "accepted")
        log.log_feedback("r1", "bak01", "contacted")
        log.retract_feedback("r1", "bak00", "accepted")  # the brand clicked it by mistake
    _, out = logged_tables(db)
    row = out.set_index("influencer_id").loc["bak00"]
    assert not row["accepted"] and not row["contacted"]
    assert bool(out.set_index("influencer_id").loc["bak01", "contacted"])
    ev = event_table(read_request_log(db)).set_index(["request_id", "influencer_id"])
    assert ev.loc[("r1", "bak00"), "accepted"] == 0 and ev.loc[("r1", "bak01"), "contacted"] == 1
    assert per_request(read_request_log(db)).set_index("request_id").loc["r1", "accepted"] == 0


def test_undo_of_the_only_event_drops_the_request_from_training(db):
    with RequestLog(db) as log:
        log.log_feedback("r2", "gam00", "shortlisted")
        assert set(logged_tables(db)[1]["influencer_id"]) == {"bak00", "bak01", "gam00"}
        log.retract_feedback("r2", "gam00", "shortlisted")
    assert logged_tables(db)[1].empty  # as if no feedback had come back


def test_dismissed_is_a_shown_and_not_taken_row(db):
    with RequestLog(db) as log:
        log.log_feedback("r1", "gam00", "dismissed")
        log.log_feedback("r1", "bak00", "accepted")
    briefs, out = logged_tables(db)
    assert list(out["influencer_id"]) == ["bak00", "bak01", "gam00"]
    g = out.set_index("influencer_id").loc["gam00"]
    assert (
        not g["accepted"] and not g["contacted"]
    )  # a negative label, no outcome column of its own
    assert "dismissed" not in out.columns
    ev = event_table(read_request_log(db)).set_index(["request_id", "influencer_id"])
    assert ev.loc[("r1", "gam00"), "dismissed"] == 1 and ev.loc[("r1", "bak00"), "dismissed"] == 0


def test_brand_reads_are_scoped(db):
    with RequestLog(db) as log:
        log.log_feedback("r1", "bak00", "shortlisted")
        log.log_feedback("r2", "gam00", "shortlisted")
        assert [r["request_id"] for r in log.brand_requests("brandA")] == ["r1"]
        assert log.brand_requests("nobody") == []
        assert [(r["request_id"], r["influencer_id"]) for r in log.brand_feedback("brandB")] == [
            ("r2", "gam00")
        ]
        assert log.brand_feedback("brandA")[0]["brief_text"] == "bread baking"
        assert log.request_brand("r2") == "brandB" and log.request_brand("nope") is None
