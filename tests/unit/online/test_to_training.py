"""merge_feedback: logged requests + feedback -> briefs/outcomes rows merged into the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from matcher import schemas as S
from matcher.data.io import validate_briefs, validate_outcomes
from matcher.online.requestlog import RequestLog, RequestRecord
from matcher.online.to_training import EVENT_OUTCOME_COLUMNS, logged_tables, merge_feedback
from matcher.schemas import Brief
from tests.helpers import match


def log_one(log: RequestLog, rid: str, ids: list[str], created_at: str, **brief_kw) -> None:
    brief = Brief(text=brief_kw.pop("text", "sourdough and bread baking"), **brief_kw)
    log.log_request(
        RequestRecord(
            request_id=rid,
            brief=brief,
            k=len(ids),
            model_name="matcher",
            model_version="1",
            matches=[match(i + 1, x) for i, x in enumerate(ids)],
            created_at=created_at,
        )
    )


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "requests.db"
    with RequestLog(path) as log:
        # r1: a brief with its own id; bak00 accepted with counts and a rating, bak01 only contacted
        log_one(
            log,
            "r1",
            ["bak00", "bak01", "gam00"],
            "2025-07-01T10:00:00+00:00",
            brief_id="live-1",
            brand_id="brandA",
        )
        log.log_feedback("r1", "bak00", "accepted")
        log.log_feedback("r1", "bak00", "post_engagements", 950)
        log.log_feedback("r1", "bak00", "clicks", 40)
        log.log_feedback("r1", "bak00", "conversions", 3)
        log.log_feedback("r1", "bak00", "rating", 4)
        log.log_feedback("r1", "bak01", "contacted")
        log.log_feedback("r1", "gam00", "shortlisted")
        # r2: no brief_id, no brand_id -> request id and an anonymous brand
        log_one(
            log,
            "r2",
            ["run00", "run01"],
            "2025-07-02T10:00:00+00:00",
            text="marathon training shoes",
        )
        log.log_feedback("r2", "run01", "contacted")
        # r3: no feedback at all -> skipped by default
        log_one(log, "r3", ["gar00"], "2025-07-03T10:00:00+00:00", text="compost bin")
        # r4: the same brief as r1 again, later: its rows are the newest for (live-1, creator)
        log_one(
            log,
            "r4",
            ["bak01", "bak02"],
            "2025-07-04T10:00:00+00:00",
            brief_id="live-1",
            brand_id="brandA",
            text="sourdough and bread baking, second try",
        )
        log.log_feedback("r4", "bak01", "accepted")
        # r5: a creator the training catalogue does not know
        log_one(
            log,
            "r5",
            ["ghost99"],
            "2025-07-05T10:00:00+00:00",
            brief_id="live-5",
            brand_id="brandB",
        )
        log.log_feedback("r5", "ghost99", "accepted")
        # an error request is never training data
        log.log_request(
            RequestRecord(
                request_id="r6",
                brief=Brief(text="x"),
                k=3,
                model_name="matcher",
                model_version="1",
                status="error",
                error="boom",
            )
        )
    return path


def rows(out: pd.DataFrame) -> dict[tuple[str, str], dict]:
    return {(r[S.BRIEF_ID], r[S.INFLUENCER_ID]): r for r in out.to_dict("records")}


def test_logged_rows_one_per_impression_with_outcomes(db):
    briefs, out = logged_tables(db)
    assert list(briefs[S.BRIEF_ID]) == [
        "live-1",
        "r2",
        "live-1",
        "live-5",
    ]  # oldest first, r3/r6 skipped
    assert briefs.set_index(S.BRIEF_ID).loc["r2", S.BRAND_ID] == "anon:r2"
    r = rows(out.drop_duplicates([S.BRIEF_ID, S.INFLUENCER_ID], keep="last"))
    a = r[("live-1", "bak00")]
    assert (
        a[S.SHOWN_POSITION] == 1 and a[S.CONTACTED] and a[S.ACCEPTED]
    )  # accepted implies contacted
    assert (a[S.POST_ENGAGEMENTS], a[S.CLICKS], a[S.CONVERSIONS], a[S.BRAND_RATING]) == (
        950,
        40,
        3,
        4,
    )
    g = r[("live-1", "gam00")]
    assert (
        not g[S.CONTACTED] and not g[S.ACCEPTED] and pd.isna(g[S.CLICKS])
    )  # shortlisted is not a label
    assert r[("r2", "run01")][S.CONTACTED] and not r[("r2", "run00")][S.CONTACTED]


def test_include_requests_without_feedback_on_request(db):
    briefs, out = logged_tables(db, require_feedback=False)
    assert "r3" in set(briefs[S.BRIEF_ID])
    assert not out[out[S.BRIEF_ID] == "r3"][S.CONTACTED].any()


def test_merge_dedupes_keeping_newest_and_counts_new_rows(db, tiny_tables):
    merged, n_new = merge_feedback(tiny_tables, db)
    out = rows(merged.outcomes)
    # live-1/bak01: shown at 2 and contacted in r1, shown at 1 and accepted in r4 -> r4 wins
    assert out[("live-1", "bak01")][S.SHOWN_POSITION] == 1 and out[("live-1", "bak01")][S.ACCEPTED]
    assert ("live-1", "bak02") in out and ("live-1", "bak00") in out
    assert ("live-5", "ghost99") not in out  # unknown creator dropped
    # live-1: bak00, bak01, gam00, bak02; r2: run00, run01
    assert n_new == 6
    assert len(merged.outcomes) == len(tiny_tables.outcomes) + 6
    assert merged.briefs[S.BRIEF_ID].is_unique
    assert (
        merged.briefs.set_index(S.BRIEF_ID).loc["live-1", S.TEXT]
        == "sourdough and bread baking, second try"
    )
    assert "live-5" not in set(merged.briefs[S.BRIEF_ID])  # no outcome left for it
    # the merged tables still satisfy the data contract, with the same dtypes as the history
    validate_outcomes(merged.outcomes, validate_briefs(merged.briefs), merged.influencers)
    assert merged.outcomes.dtypes.to_dict() == tiny_tables.outcomes.dtypes.to_dict()


def test_logged_row_replaces_a_historical_one(tmp_path, tiny_tables):
    hist = tiny_tables.outcomes.iloc[0]
    bid, iid = str(hist[S.BRIEF_ID]), str(hist[S.INFLUENCER_ID])
    path = tmp_path / "requests.db"
    with RequestLog(path) as log:
        log_one(log, "q1", [iid], datetime.now(UTC).isoformat(), brief_id=bid, brand_id="brand0")
        log.log_feedback("q1", iid, "rating", 2)
    merged, n_new = merge_feedback(tiny_tables, path)
    assert n_new == 0
    assert len(merged.outcomes) == len(tiny_tables.outcomes)
    row = rows(merged.outcomes)[(bid, iid)]
    assert row[S.BRAND_RATING] == 2 and row[S.SHOWN_POSITION] == 1


def test_empty_or_missing_log(tmp_path, tiny_tables):
    path = tmp_path / "requests.db"
    RequestLog(path).close()
    merged, n_new = merge_feedback(tiny_tables, path)
    assert n_new == 0 and merged is tiny_tables
    with pytest.raises(FileNotFoundError):
        merge_feedback(tiny_tables, tmp_path / "nope.db")


def test_training_entry_point_merges_the_log(db, tiny_market_dir):
    from matcher.online.to_training import load_training_tables

    tables, stats = load_training_tables(tiny_market_dir, feedback_db=db)
    assert stats["n_outcomes_new"] == 6
    assert stats["n_outcomes_base"] + 6 == len(tables.outcomes)


def test_event_outcome_columns():
    assert EVENT_OUTCOME_COLUMNS == {
        "contacted": S.CONTACTED,
        "accepted": S.ACCEPTED,
        "post_engagements": S.POST_ENGAGEMENTS,
        "clicks": S.CLICKS,
        "conversions": S.CONVERSIONS,
        "rating": S.BRAND_RATING,
    }
    assert set(EVENT_OUTCOME_COLUMNS) == set(S.FEEDBACK_EVENTS) - {"shortlisted", "dismissed"}


def test_simulated_feedback_comes_back_as_the_outcomes_it_was_drawn_from(tmp_path):
    """traffic turns outcomes into events, to_training events into outcomes: a round trip."""
    from matcher.online.traffic import feedback_events

    ids = ["bak00", "bak01", "bak02"]
    drawn = pd.DataFrame(
        {
            S.CONTACTED: [True, True, False],
            S.ACCEPTED: [True, False, False],
            S.POST_ENGAGEMENTS: [120.0, None, None],
            S.CLICKS: [4.0, None, None],
            S.CONVERSIONS: [1.0, None, None],
            S.BRAND_RATING: [5.0, None, None],
        }
    )
    path = tmp_path / "requests.db"
    with RequestLog(path) as log:
        log_one(log, "q1", ids, "2025-07-01T10:00:00+00:00", brief_id="x1", brand_id="b1")
        for iid, event, value in feedback_events(drawn, ids):
            log.log_feedback("q1", iid, event, value)
    _, out = logged_tables(path)
    assert list(out[S.INFLUENCER_ID]) == ids and list(out[S.SHOWN_POSITION]) == [1, 2, 3]
    pd.testing.assert_frame_equal(out[drawn.columns.tolist()], drawn, check_dtype=False)
