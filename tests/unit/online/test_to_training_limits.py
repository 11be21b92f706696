"""A brief logged by an older version with looser limits is skipped at retraining, not fatal."""

from __future__ import annotations

import logging

from matcher.online.requestlog import RequestLog, RequestRecord
from matcher.online.to_training import logged_tables
from matcher.schemas import MAX_BRIEF_TEXT_CHARS, Brief
from tests.helpers import match


def test_logged_brief_over_the_limits_is_skipped(tmp_path, caplog) -> None:
    path = tmp_path / "requests.db"
    old = Brief.model_construct(
        **{
            **Brief(text="x", brief_id="b0", brand_id="B0").model_dump(),
            "text": "y" * (MAX_BRIEF_TEXT_CHARS + 1),
        }
    )
    with RequestLog(path) as log:
        for rid, brief in (
            ("r0", old),
            ("r1", Brief(text="vegan snacks", brief_id="b1", brand_id="B1")),
        ):
            log.log_request(
                RequestRecord(
                    request_id=rid,
                    brief=brief,
                    k=1,
                    model_name="m",
                    model_version="1",
                    matches=[match(1, "bak00")],
                )
            )
            log.log_feedback(rid, "bak00", "accepted")
    with caplog.at_level(logging.WARNING):
        briefs, outcomes = logged_tables(path)
    assert briefs["brief_id"].tolist() == ["b1"]
    assert outcomes["brief_id"].tolist() == ["b1"]
    assert "skipped 1 logged brief" in caplog.text
