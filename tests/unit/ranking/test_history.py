"""History of past outcomes: "as of" answers without leakage, and its saved table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.history import History, brief_day
from matcher.schemas import Brief


@pytest.fixture
def catalogue(tiny_tables) -> Catalogue:
    return Catalogue.build(tiny_tables.influencers, tiny_tables.posts, HashingEncoder())


def test_history_features_see_only_earlier_briefs(tiny_tables, catalogue):
    """Leakage guard: a creator's history as of a brief excludes that brief and later ones."""
    o, b = tiny_tables.outcomes, tiny_tables.briefs
    full = History.from_outcomes(o, b).aligned(catalogue)
    created = b.set_index(S.BRIEF_ID)[S.CREATED_AT]
    iid = o[S.INFLUENCER_ID].value_counts().index[0]
    row = np.array([catalogue.index[iid]])
    mine = (
        o[o[S.INFLUENCER_ID] == iid].assign(t=lambda d: d[S.BRIEF_ID].map(created)).sort_values("t")
    )
    for t in mine["t"].unique():
        day = (pd.Timestamp(t) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        got = full.before(row, day)
        earlier = mine[mine["t"] < t]
        assert got["hist_shown"][0] == len(earlier)
        if len(earlier):
            assert got["hist_contact_rate"][0] == pytest.approx(earlier[S.CONTACTED].mean())
        else:
            assert np.isnan(got["hist_contact_rate"][0])


def test_known_history_as_of_a_day(catalogue):
    """run00: shown on day 10 (contacted, accepted, rated 4) and twice on day 20 (one contacted,
    not accepted); gar03 once on day 5; an id outside the catalogue is dropped."""
    h = History(
        ids=np.array(["run00", "run00", "run00", "gar03", "nobody"], dtype=object),
        days=np.array([10.0, 20.0, 20.0, 5.0, 1.0]),
        contacted=np.array([1.0, 1.0, 0.0, 0.0, 1.0]),
        accepted=np.array([1.0, 0.0, 0.0, 0.0, 1.0]),
        rating=np.array([4.0, np.nan, np.nan, np.nan, 5.0]),
    )
    aligned = h.aligned(catalogue)
    rows = catalogue.rows_for(["run00", "gar03", "bak01"])
    at20 = aligned.before(rows, 20.0)  # strictly before day 20: run00's day-10 outcome only
    assert at20["hist_shown"].tolist() == [1.0, 1.0, 0.0]
    assert at20["hist_contact_rate"][:2].tolist() == [1.0, 0.0]
    assert at20["hist_accept_rate"][0] == 1.0 and np.isnan(at20["hist_accept_rate"][1])
    assert at20["hist_mean_rating"][0] == 4.0
    assert np.isnan(at20["hist_contact_rate"][2])  # bak01: a cold start
    later = aligned.before(rows, 21.0)
    assert later["hist_shown"][0] == 3.0
    assert later["hist_contact_rate"][0] == pytest.approx(2 / 3)
    assert later["hist_accept_rate"][0] == pytest.approx(1 / 2)
    assert later["hist_mean_rating"][0] == 4.0


def test_frame_round_trip_keeps_every_outcome(tiny_tables):
    h = History.from_outcomes(tiny_tables.outcomes, tiny_tables.briefs)
    df = h.to_frame()
    assert list(df.columns) == ["influencer_id", "day", "contacted", "accepted", "rating"]
    assert len(df) == len(tiny_tables.outcomes) == len(h)
    back = History.from_frame(df)
    assert back.ids.tolist() == h.ids.tolist()
    for name in ("days", "contacted", "accepted", "rating"):
        np.testing.assert_array_equal(getattr(back, name), getattr(h, name), err_msg=name)
    assert len(History.from_frame(History.empty().to_frame())) == 0


def test_brief_day_counts_days_since_epoch_and_ignores_the_timezone():
    assert (
        brief_day(Brief(text="x", created_at=pd.Timestamp("1970-01-03 12:00")), pd.Timestamp(0))
        == 2.5
    )
    aware = Brief(text="x", created_at=pd.Timestamp("1970-01-02", tz="Europe/Paris"))
    assert brief_day(aware, pd.Timestamp(0)) == 1.0
    assert brief_day(Brief(text="x"), pd.Timestamp("1970-01-11")) == 10.0
