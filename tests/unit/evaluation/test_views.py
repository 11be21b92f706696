"""The ranked lists of one brief (logged, catalogue and profile-only views) and the model's score
for them, on the tiny market where each list and its grades are known."""

from __future__ import annotations

import numpy as np
import pytest

from matcher import schemas as S
from matcher.evaluation.views import (
    NOT_RETRIEVED,
    PROFILE_COLUMNS,
    VIEWS,
    brief_queries,
    held_out_briefs,
    model_scores,
    profile_only,
    ranked_views,
)
from tests.helpers import TinyTruth

# brief b000 (running): the legacy tool showed 3 creators of each niche; the running ones were
# accepted and rated 5 (grade 3), nobody else was contacted (grade 0)
B000_LOGGED = [
    "run06",
    "run10",
    "run05",
    "bak00",
    "bak03",
    "bak10",
    "gam01",
    "gam09",
    "gam03",
    "gar00",
    "gar05",
    "gar06",
]


def _views(pipe, tables, ids, truth=None, **kw):
    return list(ranked_views(pipe, tables, held_out_briefs(tables, ids), truth, **kw))


def test_held_out_briefs_keep_the_order_asked_and_drop_unknown_ids(tiny_tables):
    got = held_out_briefs(tiny_tables, ["b003", "nope", "b001"])
    assert [b for b, _ in got] == ["b003", "b001"]
    assert [brief.brief_id for _, brief in got] == ["b003", "b001"]


def test_logged_view_lists_the_brief_outcomes_graded_by_what_happened(tiny_pipeline, tiny_tables):
    (v,) = _views(tiny_pipeline, tiny_tables, ["b000"])
    assert (v.view, v.brief_id, v.brief.brief_id) == ("logged", "b000", "b000")
    assert v.ids == B000_LOGGED
    assert v.y.tolist() == [3, 3, 3] + [0] * 9


def test_among_keeps_only_the_given_creators(tiny_pipeline, tiny_tables):
    (v,) = _views(tiny_pipeline, tiny_tables, ["b000"], among={"run10", "gam09", "zzz99"})
    assert v.ids == ["run10", "gam09"] and v.y.tolist() == [3, 0]
    assert (
        _views(tiny_pipeline, tiny_tables, ["b000"], among=set()) == []
    )  # an empty list is skipped


def test_catalogue_view_lists_every_creator_passing_the_filters_graded_by_the_truth(
    tiny_pipeline, tiny_tables
):
    briefs = tiny_tables.briefs
    briefs.loc[briefs[S.BRIEF_ID] == "b000", S.MAX_FOLLOWERS] = 10_000
    truth = TinyTruth(briefs)
    views = _views(tiny_pipeline, tiny_tables, ["b000", "b001"], truth)
    assert [(v.view, v.brief_id) for v in views] == [
        ("logged", "b000"),
        ("catalogue", "b000"),
        ("logged", "b001"),
        ("catalogue", "b001"),
    ]
    inf = tiny_tables.influencers
    small = inf.loc[inf[S.FOLLOWERS] <= 10_000, S.INFLUENCER_ID].tolist()
    cat = views[1]
    assert cat.ids == small and 0 < len(small) < len(inf)
    assert cat.y.tolist() == [3 if i.startswith("run") else 0 for i in small]
    assert views[3].ids == inf[S.INFLUENCER_ID].tolist()  # b001 has no follower cap: everyone
    assert _views(tiny_pipeline, tiny_tables, ["b000"], truth, views=("catalogue",))[0].ids == small
    assert [v.view for v in _views(tiny_pipeline, tiny_tables, ["b000"], None)] == [
        "logged"
    ]  # no truth


def test_logged_scores_are_the_pipeline_scores_of_the_listed_creators(tiny_pipeline, tiny_tables):
    (v,) = _views(tiny_pipeline, tiny_tables, ["b000"])
    q = brief_queries(tiny_pipeline, held_out_briefs(tiny_tables, ["b000"]))["b000"]
    expected = tiny_pipeline.score_pairs(v.brief, B000_LOGGED).score
    np.testing.assert_allclose(model_scores(tiny_pipeline, v, q), expected, rtol=1e-6)


def test_catalogue_scores_rank_unretrieved_creators_last_in_cosine_order(
    tiny_pipeline, tiny_tables
):
    pipe = tiny_pipeline
    pipe.config = pipe.config.model_copy(
        update={"retrieval": pipe.config.retrieval.model_copy(update={"n_candidates": 5})}
    )
    truth = TinyTruth(tiny_tables.briefs)
    (v,) = _views(pipe, tiny_tables, ["b002"], truth, views=("catalogue",))
    q = brief_queries(pipe, held_out_briefs(tiny_tables, ["b002"]))["b002"]
    s = model_scores(pipe, v, q)
    cand, _ = pipe.candidates(v.brief, q)
    assert len(cand) == 5 and len(v.ids) == 48
    rows = pipe.catalogue.rows_for(v.ids)
    retrieved = np.isin(rows, cand)
    assert retrieved.sum() == 5 and (s[retrieved] > NOT_RETRIEVED / 2).all()
    assert (s[~retrieved] < NOT_RETRIEVED / 2).all()  # every retrieved creator ranks first
    cos = pipe.catalogue.profile[rows[~retrieved]] @ q
    np.testing.assert_allclose(s[~retrieved] - NOT_RETRIEVED, cos, atol=1e-6)
    pos = {int(r): i for i, r in enumerate(rows)}
    np.testing.assert_allclose(
        s[[pos[int(r)] for r in cand]], pipe.score_rows(v.brief, cand, q).score, rtol=1e-6
    )


def test_catalogue_scores_of_a_sub_list_score_only_its_retrieved_creators(
    tiny_pipeline, tiny_tables
):
    truth = TinyTruth(tiny_tables.briefs)
    (v,) = _views(
        tiny_pipeline, tiny_tables, ["b002"], truth, views=("catalogue",), among={"gam00", "run01"}
    )
    q = brief_queries(tiny_pipeline, held_out_briefs(tiny_tables, ["b002"]))["b002"]
    s = model_scores(tiny_pipeline, v, q)
    assert v.ids == ["run01", "gam00"] and s.shape == (2,)
    assert (s > NOT_RETRIEVED / 2).all()  # both retrieved (300 candidates > 48 creators)
    np.testing.assert_allclose(s, tiny_pipeline.score_pairs(v.brief, v.ids).score, rtol=1e-6)


@pytest.mark.parametrize("view", ["logged", "catalogue"])
def test_scores_are_finite(tiny_pipeline, tiny_tables, view):
    truth = TinyTruth(tiny_tables.briefs)
    ids = ["b000", "b001", "b002"]
    q = brief_queries(tiny_pipeline, held_out_briefs(tiny_tables, ids))
    for v in _views(tiny_pipeline, tiny_tables, ids, truth, views=(view,)):
        assert np.isfinite(model_scores(tiny_pipeline, v, q[v.brief_id])).all()


def test_views_in_report_order():
    assert VIEWS == ("logged", "catalogue", "profile-only")
    assert PROFILE_COLUMNS == (
        S.INFLUENCER_ID,
        S.HANDLE,
        S.PLATFORM,
        S.FOLLOWERS,
        S.BIO,
        S.COUNTRY,
        S.LANGUAGE,
    )


def test_profile_only_pipeline_knows_bios_and_nothing_else(tiny_pipeline, tiny_tables):
    bare = profile_only(tiny_pipeline, tiny_tables)
    cat, full = bare.catalogue, tiny_pipeline.catalogue
    assert (
        cat.ids.tolist() == tiny_tables.influencers[S.INFLUENCER_ID].tolist() == full.ids.tolist()
    )
    assert (
        len(cat.post_emb) == 0
        and (cat.post_offsets == 0).all()
        and (cat.stats["n_posts"] == 0).all()
    )
    assert np.isnan(cat.stats["engagement_rate"]).all()
    assert (
        np.isnan(cat.aud_countries).all()
        and np.isnan(cat.aud_ages).all()
        and np.isnan(cat.aud_female).all()
    )
    assert (
        np.isnan(cat.price_usd).all()
        and not bare.price_known.any()
        and np.isnan(cat.following).all()
    )
    assert len(bare.history) == 0 and len(tiny_pipeline.history) > 0
    # what is kept is the full catalogue's: handle, platform, followers, country, language, the bio vector
    for name in ("handles", "platforms", "countries", "languages"):
        assert getattr(cat, name).tolist() == getattr(full, name).tolist()
    np.testing.assert_array_equal(cat.followers, full.followers)
    np.testing.assert_allclose(cat.profile, full.bio_emb, atol=1e-3)  # profile = bio only
    assert not np.allclose(full.profile, full.bio_emb, atol=1e-3)  # the full profile mixes in posts
    # every fee is the cost model's estimate (from followers, platform, country: no engagement known)
    assert (
        tiny_pipeline.price_known.any() and np.isfinite(bare.costs).all() and (bare.costs > 0).all()
    )
    assert len(tiny_pipeline.catalogue.post_emb) > 0  # the evaluated pipeline is untouched


def test_profile_only_lists_pass_the_stripped_pipeline_filters(tiny_pipeline, tiny_tables):
    """A creator without price passes a budget by its estimated fee: the list is the stripped
    catalogue's creators whose estimate fits, even those whose real price does not."""
    bare = profile_only(tiny_pipeline, tiny_tables)
    budget = float(np.median(bare.costs))
    briefs = tiny_tables.briefs
    briefs.loc[briefs[S.BRIEF_ID] == "b001", S.BUDGET_USD] = budget
    truth = TinyTruth(briefs)
    (v,) = _views(bare, tiny_tables, ["b001"], truth, views=("catalogue",))
    slack = bare.config.retrieval.budget_slack
    assert v.ids == [
        str(i) for i, c in zip(bare.catalogue.ids, bare.costs, strict=True) if c <= budget * slack
    ]
    assert 0 < len(v.ids) < 48
    assert v.y.tolist() == [
        3 if i.startswith("bak") else 0 for i in v.ids
    ]  # b001 is a baking brief
    (full,) = _views(tiny_pipeline, tiny_tables, ["b001"], truth, views=("catalogue",))
    assert full.ids != v.ids  # the full pipeline filters by real prices where it knows them
