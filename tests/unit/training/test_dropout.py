"""Feature dropout (``matcher.training.dropout``): masks are seeded, independent per group and
respect their shares; a masked creator's features are exactly those of a catalogue in which
that creator truly has no posts / audience / price / history; dropout 0 trains on exactly the
matrix training used before; validation rows are never masked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from matcher import schemas as S
from matcher.config import FeatureDropoutConfig, TrainConfig
from matcher.data.briefs import briefs_to_models
from matcher.data.labels import time_split
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.features import FEATURE_GROUPS
from matcher.ranking.history import History
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief
from matcher.training.dropout import (
    GROUPS,
    draw_masks,
    dropout_view,
    training_view,
)
from matcher.training.trainer import build_training_set, fit_pipeline, training_sets
from tests.helpers import make_tiny_market, tiny_config, tiny_tables_from

ROOT = Path(__file__).resolve().parents[3]
CREATOR = "bak03"  # a baker with posts, audience data, a known price and logged outcomes
# a brief that uses every targeting field, so audience, cost and language features are live
BRIEF = Brief(
    text="sourdough starter and bread baking",
    target_countries=["GB"],
    target_ages=["18-24", "25-34"],
    target_gender="female",
    budget_usd=300,
    language="en",
    created_at=pd.Timestamp("2025-03-20"),
)
OFF = FeatureDropoutConfig(posts=0.0, audience=0.0, price=0.0, history=0.0)


def _assert_same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(a, b)  # NaN == NaN here, everything else bit for bit


@pytest.fixture(scope="module")
def tables():
    return tiny_tables_from(make_tiny_market())


@pytest.fixture(scope="module")
def fitted(tables):
    return fit_pipeline(
        tables, tiny_config(feature_dropout=OFF), encoder=HashingEncoder(), progress=False
    )


@pytest.fixture(scope="module")
def pipe(fitted) -> MatchPipeline:
    return fitted[0]


# --------------------------------------------------------------------------- config and masks
def test_groups_are_the_feature_groups_and_the_config_fields():
    assert GROUPS == tuple(FEATURE_GROUPS) == ("posts", "audience", "price", "history")


def test_config_overrides_and_bounds():
    cfg = TrainConfig().with_overrides(["feature_dropout.posts=0.3", "feature_dropout.history=1"])
    assert cfg.feature_dropout.shares() == {
        "posts": 0.3,
        "audience": TrainConfig().feature_dropout.audience,
        "price": TrainConfig().feature_dropout.price,
        "history": 1.0,
    }
    assert cfg.feature_dropout.active and not OFF.active
    with pytest.raises(ValidationError):
        FeatureDropoutConfig(price=1.5)
    with pytest.raises(ValueError, match="unknown key"):
        TrainConfig().with_overrides(["feature_dropout.bio=0.1"])


def test_default_yaml_spells_out_the_defaults():
    assert TrainConfig.from_yaml(ROOT / "training" / "configs" / "default.yaml") == TrainConfig()


def test_masks_are_deterministic_for_a_seed():
    cfg = FeatureDropoutConfig(posts=0.3, audience=0.3, price=0.3, history=0.3)
    a, b, c = draw_masks(500, cfg, 7), draw_masks(500, cfg, 7), draw_masks(500, cfg, 8)
    for g in GROUPS:
        _assert_same(a[g], b[g])
    assert any((a[g] != c[g]).any() for g in GROUPS)


def test_masks_respect_shares_and_are_independent_per_group():
    n = 40_000
    m = draw_masks(n, FeatureDropoutConfig(posts=0.5, audience=0.2, price=1.0, history=0.0), 3)
    assert m["posts"].mean() == pytest.approx(0.5, abs=0.01)
    assert m["audience"].mean() == pytest.approx(0.2, abs=0.01)
    assert m["price"].all() and not m["history"].any()
    # independent draws: both missing for 0.5 x 0.2 of the creators
    assert (m["posts"] & m["audience"]).mean() == pytest.approx(0.1, abs=0.01)


def test_a_larger_share_masks_a_superset_and_leaves_other_groups_alone():
    small = draw_masks(2_000, FeatureDropoutConfig(posts=0.1, audience=0.4), 5)
    large = draw_masks(2_000, FeatureDropoutConfig(posts=0.3, audience=0.4), 5)
    assert (large["posts"] >= small["posts"]).all() and large["posts"].sum() > small["posts"].sum()
    _assert_same(small["audience"], large["audience"])


# --------------------------------------------------------------------------- the masked view
# a corpus statistic (BM25 over every creator's text): masking one creator's posts moves it for all
CORPUS_LEVEL = {"lexical_score"}
# counted from the latest post of the upload: masking the posts of the creator who posted last
# moves it by the same amount for every creator
UPLOAD_LEVEL = "days_since_last_post"


def _no_masks(n: int) -> dict[str, np.ndarray]:
    return {g: np.zeros(n, bool) for g in GROUPS}


def _truly_missing(pipe: MatchPipeline, tables, groups: set[str]) -> MatchPipeline:
    """The same fitted models over a catalogue built from raw tables in which CREATOR really
    has none of ``groups`` (blank cells, no posts, no outcomes): what a real partial upload gives."""
    market = make_tiny_market()
    inf, posts = market["influencers"].copy(), market["posts"]
    who = inf[S.INFLUENCER_ID] == CREATOR
    if "audience" in groups:
        inf[[S.AUDIENCE_COUNTRIES, S.AUDIENCE_AGES]] = inf[
            [S.AUDIENCE_COUNTRIES, S.AUDIENCE_AGES]
        ].astype(object)
        inf.loc[who, [S.AUDIENCE_COUNTRIES, S.AUDIENCE_AGES]] = ""
        inf.loc[who, S.AUDIENCE_FEMALE] = np.nan
    if "price" in groups:
        inf.loc[who, S.PRICE_USD] = np.nan
    if "posts" in groups:
        posts = posts[posts[S.INFLUENCER_ID] != CREATOR]
    t = tiny_tables_from({**market, "influencers": inf, "posts": posts})
    split = time_split(tables.briefs, pipe.config.split)
    fitted = tables.outcomes[S.BRIEF_ID].isin(split.train + split.valid)
    if "history" in groups:
        fitted &= tables.outcomes[S.INFLUENCER_ID] != CREATOR
    return pipe.with_catalogue(
        t.influencers,
        t.posts,
        history=History.from_outcomes(tables.outcomes[fitted], tables.briefs),
    )


@pytest.mark.parametrize(
    "groups",
    [{"posts"}, {"audience"}, {"price"}, {"history"}, set(GROUPS)],
    ids=["posts", "audience", "price", "history", "all"],
)
def test_masked_features_equal_truly_missing_features(pipe, tables, groups):
    cat = pipe.catalogue
    row = cat.index[CREATOR]
    masks = _no_masks(len(cat))
    for g in groups:
        masks[g][row] = True
    view = dropout_view(pipe, tables.influencers, tables.posts, masks)
    truth = _truly_missing(pipe, tables, groups)
    rows = np.arange(len(cat))
    q = pipe.embed_briefs([BRIEF])[0]
    X_view, best_view = view.features_for(BRIEF, rows, q)
    X_true, best_true = truth.features_for(BRIEF, rows, q)
    _assert_same(X_view, X_true)
    _assert_same(best_view, best_true)
    _assert_same(view.costs, truth.costs)
    _assert_same(view.catalogue.profile, truth.catalogue.profile)

    # the mask did something to CREATOR (every feature of its groups changed) and nothing to the others
    X_full, _ = pipe.features_for(BRIEF, rows, q)
    names = pipe.feature_names
    for g in groups:
        for f in FEATURE_GROUPS[g]:
            j = names.index(f)
            assert not np.array_equal(X_full[row, j], X_view[row, j], equal_nan=True), f
    per_creator = [j for j, f in enumerate(names) if f not in CORPUS_LEVEL]
    others = rows != row
    _assert_same(X_view[others][:, per_creator], X_full[others][:, per_creator])


def test_a_post_less_creator_is_its_bio(pipe, tables):
    cat = pipe.catalogue
    r = cat.index[CREATOR]
    masks = _no_masks(len(cat))
    masks["posts"][r] = True
    view = dropout_view(pipe, tables.influencers, tables.posts, masks).catalogue
    np.testing.assert_allclose(view.profile[r], cat.bio_emb[r], atol=1e-6)
    assert view.stats["n_posts"][r] == 0 and np.isnan(view.stats["engagement_rate"][r])
    assert len(view.post_emb) == len(cat.post_emb) - 4  # the tiny market's creators post 4 times


def test_no_masks_give_the_pipeline_features(pipe, tables):
    view = dropout_view(pipe, tables.influencers, tables.posts, _no_masks(len(pipe.catalogue)))
    rows = np.arange(len(pipe.catalogue))
    q = pipe.embed_briefs([BRIEF])[0]
    _assert_same(view.features_for(BRIEF, rows, q)[0], pipe.features_for(BRIEF, rows, q)[0])


# --------------------------------------------------------------------------- training sets
def _legacy_training_sets(pipe, tables, cfg):
    """The training and validation matrices as built before feature dropout existed."""
    split = time_split(tables.briefs, cfg.split)
    fitted = set(split.train) | set(split.valid)
    outcomes = tables.outcomes[tables.outcomes[S.BRIEF_ID].astype(str).isin(fitted)]
    briefs = dict(
        zip(tables.briefs[S.BRIEF_ID].astype(str), briefs_to_models(tables.briefs), strict=True)
    )
    ids = split.train + split.valid
    queries = dict(zip(ids, pipe.embed_briefs([briefs[b] for b in ids]), strict=True))
    rng = np.random.default_rng(cfg.seed)
    return tuple(
        build_training_set(pipe, briefs, queries, outcomes, part, cfg.negatives_per_brief, rng)
        for part in (split.train, split.valid)
    )


def _assert_same_set(a, b, with_X: bool = True) -> None:
    for name in ("y", "group", "position", "er_y"):
        _assert_same(getattr(a, name), getattr(b, name))
    assert a.brief_ids == b.brief_ids
    if with_X:
        _assert_same(a.X, b.X)
        _assert_same(a.er_X, b.er_X)


def test_dropout_zero_gives_exactly_the_training_matrix_without_it(pipe, tables):
    cfg = pipe.config.model_copy(update={"feature_dropout": OFF})
    assert cfg.negatives_per_brief > 0  # sampled negatives too
    view, masks = training_view(pipe, tables.influencers, tables.posts, OFF, cfg.seed)
    assert view is pipe and masks == {}
    train, valid = training_sets(pipe, tables, time_split(tables.briefs, cfg.split), cfg)
    old_train, old_valid = _legacy_training_sets(pipe, tables, cfg)
    _assert_same_set(train, old_train)
    _assert_same_set(valid, old_valid)


def test_dropout_masks_training_rows_per_creator_and_never_validation(pipe, tables):
    shares = FeatureDropoutConfig(posts=0.5, audience=0.5, price=0.5, history=0.5)
    cfg = pipe.config.model_copy(update={"feature_dropout": shares})
    split = time_split(tables.briefs, cfg.split)
    train, valid = training_sets(pipe, tables, split, cfg)
    _assert_same_set(train, training_sets(pipe, tables, split, cfg)[0])  # deterministic for a seed
    off_train, off_valid = training_sets(
        pipe, tables, split, cfg.model_copy(update={"feature_dropout": OFF})
    )
    _assert_same_set(valid, off_valid)  # validation untouched, negatives included
    _assert_same_set(train, off_train, with_X=False)  # same rows and labels, only features differ

    # which creator each training row is (logged rows first, then the brief's sampled negatives)
    masks = draw_masks(len(pipe.catalogue), shares, cfg.seed)
    by_brief = {b: g for b, g in tables.outcomes.groupby(S.BRIEF_ID)}
    start, logged_rows, creators = 0, [], []
    for bid, size in zip(train.brief_ids, train.group, strict=True):
        ids = by_brief[bid][S.INFLUENCER_ID].astype(str).tolist()
        logged_rows += list(range(start, start + len(ids)))
        creators += ids
        start += int(size)
    rows = np.array(logged_rows)
    cat_rows = pipe.catalogue.rows_for(creators)
    X, X_off, names = train.X[rows], off_train.X[rows], pipe.feature_names
    col = {
        f: names.index(f)
        for f in ("sim_post_max", "has_audience_data", "price_known", "hist_shown")
    }
    no = {g: masks[g][cat_rows] for g in GROUPS}
    assert all(0 < m.mean() < 1 for m in no.values())  # both kinds of rows are there
    per_creator = [j for j, f in enumerate(names) if f not in CORPUS_LEVEL | {UPLOAD_LEVEL}]
    assert np.isnan(X[no["posts"], col["sim_post_max"]]).all()
    assert not np.isnan(X[~no["posts"], col["sim_post_max"]]).any()
    assert (X[no["audience"], col["has_audience_data"]] == 0).all()
    assert (X[~no["audience"], col["has_audience_data"]] == 1).all()
    assert (X[no["price"], col["price_known"]] == 0).all()
    _assert_same(X[~no["price"], col["price_known"]], X_off[~no["price"], col["price_known"]])
    assert (X[no["history"], col["hist_shown"]] == 0).all()
    assert (X_off[no["history"], col["hist_shown"]] > 0).any()
    untouched = ~(no["posts"] | no["audience"] | no["price"] | no["history"])
    _assert_same(X[untouched][:, per_creator], X_off[untouched][:, per_creator])
    shift = X[untouched, names.index(UPLOAD_LEVEL)] - X_off[untouched, names.index(UPLOAD_LEVEL)]
    np.testing.assert_allclose(shift, shift[0], atol=1e-4)


def test_fit_with_dropout_trains_on_the_same_rows(tables, fitted):
    shares = FeatureDropoutConfig(posts=0.3, audience=0.3, price=0.3, history=0.3)
    pipe, report = fit_pipeline(
        tables, tiny_config(feature_dropout=shares), encoder=HashingEncoder(), progress=False
    )
    off_pipe, off = fitted
    assert (report.n_train_rows, report.n_valid_rows, report.n_engagement_rows) == (
        off.n_train_rows,
        off.n_valid_rows,
        off.n_engagement_rows,
    )
    assert pipe.config.feature_dropout == shares  # saved with the pipeline, logged with the run
    X, _ = off_pipe.features_for(
        BRIEF, np.arange(len(off_pipe.catalogue)), off_pipe.embed_briefs([BRIEF])[0]
    )
    assert not np.array_equal(
        pipe.ranker.decision_function(X), off_pipe.ranker.decision_function(X)
    )
