"""Per-request time budget: past the deadline the work stops at the next check, naming the stage;
without a deadline nothing changes."""

from __future__ import annotations

import itertools
import time

import pytest

from matcher.ranking import budget
from matcher.ranking.budget import DeadlineExceeded, check, deadline_in, remaining
from matcher.schemas import Brief

BRIEF = Brief(text="sourdough starter and bread baking for home bakers", excluded_keywords=["zzz"])


def test_check() -> None:
    check(None, "x")
    check(time.monotonic() + 60, "x")
    with pytest.raises(DeadlineExceeded, match="'scoring'") as e:
        check(time.monotonic() - 1, "scoring")
    assert (
        isinstance(e.value, TimeoutError) and e.value.stage == "scoring" and e.value.overrun_s >= 1
    )
    assert deadline_in(None) is None and deadline_in(0) is None
    assert 59 < remaining(deadline_in(60)) <= 60 and remaining(None) is None


def test_past_deadline_raises_before_any_work(tiny_pipeline) -> None:
    with pytest.raises(DeadlineExceeded, match="'start'"):
        tiny_pipeline.recommend(BRIEF, k=5, deadline=time.monotonic() - 0.001)
    with pytest.raises(DeadlineExceeded, match="'start'"):
        tiny_pipeline.recommend_batch([BRIEF, BRIEF], k=5, deadline=time.monotonic() - 0.001)


def test_no_or_generous_deadline_changes_nothing(tiny_pipeline) -> None:
    a = tiny_pipeline.recommend(BRIEF, k=8)
    b = tiny_pipeline.recommend(BRIEF, k=8, deadline=time.monotonic() + 600)
    assert [m.model_dump() for m in a.matches] == [m.model_dump() for m in b.matches]
    assert a.n_candidates == b.n_candidates
    c = tiny_pipeline.recommend_batch([BRIEF], k=8, deadline=time.monotonic() + 600)[0]
    assert [m.influencer_id for m in c.matches] == [m.influencer_id for m in a.matches]


def test_every_stage_is_checked(tiny_pipeline, monkeypatch) -> None:
    """A clock that ticks once per check: deadline n expires at the n-th check, so walking n up
    lists the checks in order, until the deadline is never reached and the answer is the usual one."""
    expected = tiny_pipeline.recommend(BRIEF, k=5)
    stages = []
    for n in itertools.count(1):
        clock = itertools.count(1)
        monkeypatch.setattr(budget, "_clock", lambda c=clock: float(next(c)))
        try:
            rec = tiny_pipeline.recommend(BRIEF, k=5, deadline=float(n))
        except DeadlineExceeded as e:
            stages.append(e.stage)
            continue
        break
    assert [m.influencer_id for m in rec.matches] == [m.influencer_id for m in expected.matches]
    order = list(dict.fromkeys(stages))
    assert order == [
        "start",
        "embedding",
        "signals",
        "filters",
        "candidate search",
        "retrieval",
        "scoring",
        "explaining",
    ]
    assert stages.count("explaining") == 5  # inside the loop over the shown creators


def test_keyword_loop_checks_the_deadline(tiny_pipeline, tiny_market, monkeypatch) -> None:
    from matcher.ranking import keywords
    from matcher.ranking.retrieval import exclude_keywords

    monkeypatch.setattr(keywords, "CHECK_EVERY", 2)
    cat = tiny_pipeline.catalogue
    rows = list(range(len(cat)))
    with pytest.raises(DeadlineExceeded, match="keyword exclusion"):
        exclude_keywords(BRIEF, cat, rows, deadline=time.monotonic() - 1)
    assert len(exclude_keywords(BRIEF, cat, rows, deadline=time.monotonic() + 60)) == len(rows)
