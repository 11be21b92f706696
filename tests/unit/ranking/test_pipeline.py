"""MatchPipeline, retrieval, features and models on the tiny market (hashing encoder)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.config import RetrievalConfig, TrainConfig
from matcher.data.labels import relevance_from_outcomes, time_split
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.explain import reasons
from matcher.ranking.features import FEATURES
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.retrieval import ExactIndex, hard_filter
from matcher.schemas import Brief
from matcher.training.trainer import fit_pipeline
from tests.helpers import tiny_config


def test_recommend_ranks_the_briefs_niche_first(tiny_pipeline):
    rec = tiny_pipeline.recommend(
        Brief(text="sourdough starter and bread baking for home bakers"), k=8
    )
    assert len(rec.matches) == 8
    assert all(m.influencer_id.startswith("bak") for m in rec.matches[:5])
    assert [m.rank for m in rec.matches] == list(range(1, 9))
    assert all(a.score >= b.score for a, b in zip(rec.matches, rec.matches[1:], strict=False))


def test_match_fields_are_consistent(tiny_pipeline):
    m = tiny_pipeline.recommend(
        Brief(text="trail running shoes for marathon training"), k=3
    ).matches[0]
    e = m.expected_engagement
    assert 0 < e.rate_low <= e.rate <= e.rate_high
    assert e.engagements == pytest.approx(e.rate * m.followers, rel=1e-3)
    assert 0.0 <= m.fit_score <= 1.0
    assert m.estimated_cost_usd > 0
    assert m.reasons and all(isinstance(r, str) and r for r in m.reasons)
    assert (
        m.best_post is not None
        and "run" in m.best_post.lower()
        or "marathon" in m.best_post.lower()
    )


def test_engagement_interval_of_the_shown_rows_equals_the_full_prediction(tiny_pipeline):
    """Only the top k get an interval per request; the same rows get the same interval, and
    ``er_low`` / ``er_high`` still cover every row scored."""
    pipe = tiny_pipeline
    brief = Brief(text="trail running shoes for marathon training")
    rows = np.arange(len(pipe.catalogue), dtype=np.int64)
    s = pipe.score_rows(brief, rows)
    mean, lo, hi = pipe.engagement.predict(s.X)
    np.testing.assert_array_equal(s.er, mean)
    np.testing.assert_array_equal(s.er_low, lo)
    np.testing.assert_array_equal(s.er_high, hi)
    top = np.lexsort((s.rows, -s.score))[:5]
    low, high = s.interval(top)
    np.testing.assert_array_equal(low, lo[top])
    np.testing.assert_array_equal(high, hi[top])
    assert np.all(low <= s.er[top]) and np.all(s.er[top] <= high) and np.any(low < high)
    rec = pipe.recommend(brief, k=5)
    by_id = dict(zip(pipe.catalogue.ids[s.rows], zip(lo, hi, strict=True), strict=True))
    for m in rec.matches:
        want_lo, want_hi = by_id[m.influencer_id]
        assert m.expected_engagement.rate_low == round(float(want_lo), 6)
        assert m.expected_engagement.rate_high == round(float(want_hi), 6)


def test_embedding_while_filtering_gives_what_one_step_after_the_other_gives(tiny_pipeline):
    pipe = tiny_pipeline
    for brief in (
        Brief(text="trail running shoes for marathon training", platforms=["instagram"]),
        Brief(text="sourdough bread", excluded_keywords=["rye"], max_followers=50_000),
    ):
        q, mask = pipe.embed_while_filtering(brief)
        np.testing.assert_array_equal(q, pipe.embed_briefs([brief])[0])
        np.testing.assert_array_equal(
            mask, hard_filter(brief, pipe.catalogue, pipe.costs, pipe.config.retrieval)
        )
        assert 0 < mask.sum() < len(mask) or brief.platforms is None
        assert pipe.recommend(brief, k=5) == pipe.recommend(brief, k=5, query=q)


def test_request_sized_scoring_on_two_threads_gives_the_bulk_answer(tiny_pipeline):
    """Below ``parallel_predict_rows`` the two models predict side by side (helper thread) and
    TreeSHAP runs while the match fields are gathered: the same numbers and matches as in turn."""
    import copy

    pipe = tiny_pipeline
    brief = Brief(text="trail running shoes for marathon training")
    rows = np.arange(len(pipe.catalogue))
    assert len(rows) < pipe.ranker.threads.parallel_predict_rows  # the side-by-side path
    side = pipe.score_rows(brief, rows)
    bulk_pipe = copy.copy(pipe)
    bulk_pipe.ranker = copy.copy(pipe.ranker)
    bulk_pipe.ranker.threads = pipe.ranker.threads.model_copy(update={"parallel_predict_rows": 0})
    bulk = bulk_pipe.score_rows(brief, rows)
    for name in ("raw", "fit", "er", "score", "X", "best_post"):
        np.testing.assert_array_equal(getattr(side, name), getattr(bulk, name))
    rec = pipe.recommend(brief, k=5)
    assert rec.matches and all(m.reasons for m in rec.matches)
    order = np.lexsort((side.rows, -side.score))[:5]
    contrib = pipe.ranker.contributions(side.X[order])
    for m, j, c in zip(rec.matches, order, contrib, strict=True):
        assert m.influencer_id == pipe.catalogue.ids[side.rows[j]]
        want = reasons(
            c,
            side.X[j],
            pipe.feature_names,
            brief,
            m.platform,
            S.follower_tier(m.followers),
            pipe.config.scoring.explain_top_n_features,
        )
        assert want and m.reasons[: len(want)] == want


def test_post_similarities_on_the_helper_thread_give_the_inline_features(
    tiny_pipeline, monkeypatch
):
    """``PairFeaturizer.transform`` computes the posts' similarities on a helper thread while it
    builds the other features: the same matrix and best posts as with everything inline, and an
    error in either half is raised, not lost."""
    from concurrent.futures import Future

    from matcher.ranking import features

    pipe = tiny_pipeline
    brief = Brief(text="sourdough bread and home baking", target_countries=["US"])
    rows = np.arange(len(pipe.catalogue))
    q = pipe.embed_briefs([brief])[0]
    X, best = pipe.features_for(brief, rows, q)
    assert (best >= 0).any() and not np.isnan(X[:, pipe.feature_names.index("sim_post_max")]).all()

    class Inline:
        def submit(self, fn, *args):
            done: Future = Future()
            done.set_result(fn(*args))
            return done

    monkeypatch.setattr(features, "helper", Inline)
    X_inline, best_inline = pipe.features_for(brief, rows, q)
    np.testing.assert_array_equal(X, X_inline)
    np.testing.assert_array_equal(best, best_inline)

    monkeypatch.undo()
    monkeypatch.setattr(features, "_post_sims", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pipe.features_for(brief, rows, q)


def test_embedding_helper_threads_work_in_a_forked_child(tiny_pipeline):
    """A forked process inherits the executor object but not its threads: it makes its own."""
    import multiprocessing as mp

    brief = Brief(text="sourdough bread")
    tiny_pipeline.recommend(brief, k=3)  # the parent's helper threads exist now
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_recommend_ids, (tiny_pipeline, brief)).get(timeout=60)
    assert got == [m.influencer_id for m in tiny_pipeline.recommend(brief, k=3).matches]


def _recommend_ids(pipe, brief):
    return [m.influencer_id for m in pipe.recommend(brief, k=3).matches]


def test_known_price_is_used_as_cost(tiny_pipeline, tiny_market):
    inf = tiny_market["influencers"].set_index(S.INFLUENCER_ID)
    rec = tiny_pipeline.recommend(Brief(text="gaming setup and esports stream"), k=20)
    for m in rec.matches:
        price = inf.loc[m.influencer_id, S.PRICE_USD]
        if pd.notna(price):
            assert not m.cost_is_estimate
            assert m.estimated_cost_usd == pytest.approx(price, abs=0.006)  # rounded to cents
        else:
            assert m.cost_is_estimate


def test_filters_are_respected(tiny_pipeline):
    brief = Brief(
        text="tomato seedlings and compost",
        platforms=["tiktok"],
        target_countries=["GB"],
        min_followers=5000,
        max_followers=60000,
        excluded_handles=["gar01"],
    )
    rec = tiny_pipeline.recommend(brief, k=50)
    assert rec.matches
    for m in rec.matches:
        assert m.platform == "tiktok"
        assert 5000 <= m.followers <= 60000
        assert m.handle.lstrip("@") != "gar01"


def test_excluded_keyword_removes_creators(tiny_pipeline):
    base = tiny_pipeline.recommend(Brief(text="sourdough bread baking"), k=50)
    assert any(
        "croissant" in (m.best_post or "") or m.influencer_id.startswith("bak")
        for m in base.matches
    )
    rec = tiny_pipeline.recommend(
        Brief(text="sourdough bread baking", excluded_keywords=["croissant"]), k=50
    )
    cat = tiny_pipeline.catalogue
    for m in rec.matches:
        assert "croissant" not in cat.search_text[cat.index[m.influencer_id]]


def test_budget_filter_and_empty_result_reason(tiny_pipeline):
    rec = tiny_pipeline.recommend(Brief(text="gaming", budget_usd=0.5), k=5)
    assert rec.matches == []
    assert rec.reason and "filters" in rec.reason
    tight = tiny_pipeline.recommend(Brief(text="gaming", budget_usd=100), k=50)
    slack = tiny_pipeline.config.retrieval.budget_slack
    assert all(m.estimated_cost_usd <= 100 * slack for m in tight.matches)


def test_save_load_round_trip_gives_identical_matches(tiny_pipeline, tmp_path):
    brief = Brief(text="console controller boss fight", target_countries=["US"])
    a = tiny_pipeline.recommend(brief, k=10)
    b = MatchPipeline.load(tiny_pipeline.save(tmp_path / "p")).recommend(brief, k=10)
    assert [m.model_dump() for m in a.matches] == [m.model_dump() for m in b.matches]


def test_saved_folder_layout_is_format_3(tiny_pipeline, tmp_path):
    """The model files and the ``pipeline.json`` keys pipelines saved by earlier versions have,
    and the catalogue as one version folder named by ``CATALOGUE`` (``ranking.catalogue_files``);
    a folder of the earliest layout (no manifest, topics or lexical index) still loads."""
    path = tiny_pipeline.save(tmp_path / "p")
    assert sorted(p.name for p in path.iterdir()) == [
        "CATALOGUE",
        "catalogues",
        "cost.json",
        "engagement.json",
        "history.parquet",
        "manifest.json",
        "pipeline.json",
        "ranker.json",
        "topics.npz",
    ]
    version = (path / "CATALOGUE").read_text().strip()
    assert sorted(p.name for p in (path / "catalogues" / version).iterdir()) == [
        ".verified.json",  # the writer's stamp: its files match the manifest (docs/catalogue.md)
        "arrays",
        "catalogue.json",
        "hashes.parquet",  # training's content hashes (matcher catalogue update, issue 12)
        "lexical",
        "manifest.json",
        "texts",
    ]
    state = json.loads((path / "pipeline.json").read_text())
    assert list(state) == ["format_version", "config", "metadata", "encoder", "featurizer"]
    assert state["format_version"] == 3  # ranking.migrations
    from tests.unit.ranking.legacy_formats import write_format1

    old_path = write_format1(tiny_pipeline, tmp_path / "old")
    (old_path / "topics.npz").unlink()
    shutil.rmtree(old_path / "lexical")
    old = MatchPipeline.load(old_path)  # a folder of the earlier layout still loads the same
    brief = Brief(text="sourdough bread baking", min_followers=0, max_followers=10**9)
    assert [m.influencer_id for m in old.recommend(brief, k=5).matches] == [
        m.influencer_id for m in tiny_pipeline.recommend(brief, k=5).matches
    ]
    assert list(state["featurizer"]) == ["top_posts", "features", "typical_er", "global_er"]
    assert state["featurizer"] == tiny_pipeline.featurizer.state()
    assert json.loads((path / "ranker.json").read_text()) == tiny_pipeline.ranker.state()
    assert list(pd.read_parquet(path / "history.parquet").columns) == [
        "influencer_id",
        "day",
        "contacted",
        "accepted",
        "rating",
    ]


def test_cold_start_catalogue_with_missing_columns(tiny_pipeline, tiny_market):
    """A brand's own list: no audience data, no prices, no history, some creators without posts."""
    inf = tiny_market["influencers"][
        [S.INFLUENCER_ID, S.HANDLE, S.PLATFORM, S.FOLLOWERS, S.BIO]
    ].copy()
    inf[S.INFLUENCER_ID] = "new-" + inf[S.INFLUENCER_ID]
    posts = tiny_market["posts"].copy()
    posts[S.INFLUENCER_ID] = "new-" + posts[S.INFLUENCER_ID]
    posts = posts[~posts[S.INFLUENCER_ID].str.endswith("0")]  # creators ...0 have no posts at all
    pipe = tiny_pipeline.with_catalogue(inf, posts)
    rec = pipe.recommend(
        Brief(text="raised garden bed and balcony herbs", target_countries=["US"]), k=5
    )
    assert len(rec.matches) == 5
    assert rec.matches[0].influencer_id.startswith("new-gar")
    assert all(m.cost_is_estimate for m in rec.matches)


def test_relevance_from_outcomes_grades():
    o = pd.DataFrame(
        {
            S.CONTACTED: [False, True, True, True],
            S.ACCEPTED: [False, False, True, True],
            S.BRAND_RATING: [np.nan, np.nan, 3.0, 5.0],
        }
    )
    assert relevance_from_outcomes(o).tolist() == [0, 1, 2, 3]


def test_time_split_orders_by_created_at(tiny_tables):
    split = time_split(tiny_tables.briefs, TrainConfig().split)
    created = tiny_tables.briefs.set_index(S.BRIEF_ID)[S.CREATED_AT]
    assert created[split.train].max() < created[split.valid].min()
    assert created[split.valid].max() < created[split.test].min()
    assert len(split.train) + len(split.valid) + len(split.test) == len(tiny_tables.briefs)


def test_feature_matrix_has_stable_names_and_known_values(tiny_pipeline):
    pipe = tiny_pipeline
    assert pipe.feature_names == list(FEATURES)
    brief = Brief(
        text="x",
        target_countries=["US"],
        target_ages=["18-24"],
        target_gender="female",
        budget_usd=200,
    )
    rows = pipe.catalogue.rows_for(["run00", "run01"])
    X, best = pipe.features_for(brief, rows, pipe.embed_briefs([brief])[0])
    f = dict(zip(pipe.feature_names, X[0], strict=True))
    # run00: audience {"US": 0.6, "GB": 0.3}, ages 18-24 0.4, female 0.5, country US
    assert f["aud_country_match"] == pytest.approx(0.6)
    assert f["aud_age_match"] == pytest.approx(0.4)
    assert f["aud_gender_match"] == pytest.approx(0.5)
    assert f["country_match"] == 1.0
    g = dict(zip(pipe.feature_names, X[1], strict=True))
    assert g["country_match"] == 0.0 and g["aud_country_match"] == pytest.approx(0.2)
    assert f["cost_to_budget"] == pytest.approx(pipe.costs[rows[0]] / 200, rel=1e-5)
    assert (best >= 0).all()


def test_exact_index_returns_best_first_within_mask():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q = v[7]
    idx = ExactIndex(v)
    rows, sims = idx.search(q, 5)
    assert rows[0] == 7 and sims[0] == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(sims) <= 1e-7)
    mask = np.ones(50, bool)
    mask[7] = False
    rows2, _ = idx.search(q, 5, mask)
    assert 7 not in rows2 and len(rows2) == 5
    expected = np.argsort(-(v @ q))
    assert rows2.tolist() == [r for r in expected if r != 7][:5]


def test_hard_filter_country_via_audience_share(tiny_pipeline):
    cat = tiny_pipeline.catalogue
    brief = Brief(text="x", target_countries=["GB"])
    m_strict = hard_filter(
        brief, cat, tiny_pipeline.costs, RetrievalConfig(min_audience_share=0.95)
    )
    m_loose = hard_filter(brief, cat, tiny_pipeline.costs, RetrievalConfig(min_audience_share=0.25))
    # creators in the US with 30% GB audience pass only the loose share threshold
    us_with_gb = np.array([c == "US" for c in cat.countries])
    assert not m_strict[us_with_gb].any()
    assert m_loose[us_with_gb].all()


def test_training_is_deterministic(tiny_tables):
    cfg = tiny_config(seed=3)
    a, _ = fit_pipeline(tiny_tables, cfg, encoder=HashingEncoder(), progress=False)
    b, _ = fit_pipeline(tiny_tables, cfg, encoder=HashingEncoder(), progress=False)
    brief = Brief(text="pruning roses in the garden")
    assert [m.model_dump() for m in a.recommend(brief, k=10).matches] == [
        m.model_dump() for m in b.recommend(brief, k=10).matches
    ]
