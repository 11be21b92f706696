"""``update_catalogue`` on a saved model: a new version next to the model whose parent is the
old one, published atomically, serving the new creators with the same models."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.ranking.catalogue_files import current_version, list_versions, version_dir
from matcher.ranking.catalogue_update import (
    CatalogueUpdateError,
    describe_versions,
    load_version,
    update_catalogue,
    update_lock,
)
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief

TEA_BRIEF = Brief(text="matcha and oolong tea tasting", min_followers=0, max_followers=10**9)


@pytest.fixture
def model_dir(tiny_pipeline_dir, tmp_path):
    return shutil.copytree(tiny_pipeline_dir, tmp_path / "model")


def with_tea_creator(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tiny market with bak05 gone and a tea creator (with two posts) added."""
    inf, posts = tables.influencers, tables.posts
    tea = inf[inf[S.INFLUENCER_ID] == "run01"].assign(
        **{S.INFLUENCER_ID: "tea01", S.HANDLE: "@tea01", S.BIO: "Matcha and oolong tea tasting"}
    )
    tea_posts = posts.iloc[:2].assign(
        **{
            S.POST_ID: ["tea01-p0", "tea01-p1"],
            S.INFLUENCER_ID: "tea01",
            S.TEXT: ["Gongfu oolong tea session", "Whisking ceremonial matcha tea"],
        }
    )
    return (
        pd.concat([inf[inf[S.INFLUENCER_ID] != "bak05"], tea], ignore_index=True),
        pd.concat([posts[posts[S.INFLUENCER_ID] != "bak05"], tea_posts], ignore_index=True),
    )


def test_training_saved_content_hashes(model_dir):
    pipe = MatchPipeline.load(model_dir)
    assert pipe.catalogue_hashes is not None and len(pipe.catalogue_hashes) == 48


def test_update_publishes_a_child_version_the_pipeline_then_serves(model_dir, tiny_tables):
    parent = current_version(model_dir)
    old = MatchPipeline.load(model_dir)
    inf, posts = with_tea_creator(tiny_tables)

    dry = update_catalogue(model_dir, inf, posts, dry_run=True)
    assert (dry.added, dry.changed, dry.removed, dry.unchanged) == (1, 0, 1, 47)
    assert dry.texts_to_embed == 3 and dry.texts_embedded == 0 and dry.version is None
    assert list_versions(model_dir) == [parent]  # a dry run writes nothing

    rep = update_catalogue(model_dir, inf, posts)
    assert rep.version is not None and rep.parent == parent and rep.texts_embedded == 3
    assert current_version(model_dir) == rep.version
    rows = {r["version"]: r for r in describe_versions(model_dir)}
    assert rows[rep.version]["parent"] == parent and rows[rep.version]["current"]
    assert rows[rep.version]["n_creators"] == 48 and not rows[parent]["current"]

    new = MatchPipeline.load(model_dir)
    assert new.catalogue_version == rep.version and "bak05" not in new.catalogue.index
    top = new.recommend(TEA_BRIEF, k=3).matches
    assert top[0].influencer_id == "tea01"
    assert "tea01" not in [m.influencer_id for m in old.recommend(TEA_BRIEF, k=48).matches]
    # the same models: the other bakers keep their places (BM25 statistics move a little)
    brief = Brief(text="sourdough starter and bread baking")
    before = [m.influencer_id for m in old.recommend(brief, k=5).matches]
    after = [m.influencer_id for m in new.recommend(brief, k=5).matches]
    assert "bak05" in before and [i for i in before if i != "bak05"] == after[:4]
    assert np.array_equal(
        new.catalogue.profile[new.catalogue.rows_for(after)],
        old.catalogue.profile[old.catalogue.rows_for(after)],
    )

    again = update_catalogue(model_dir, inf, posts)  # no change: no new version
    assert again.version is None and again.unchanged == 48 and again.texts_embedded == 0
    assert len(list_versions(model_dir)) == 2


def test_load_version_shares_the_models(model_dir, tiny_tables):
    pipe = MatchPipeline.load(model_dir)
    rep = update_catalogue(model_dir, *with_tea_creator(tiny_tables))
    assert rep.version is not None
    swapped = load_version(pipe, model_dir, rep.version)
    assert swapped.ranker is pipe.ranker and swapped.encoder is pipe.encoder
    assert swapped.catalogue_version == rep.version and "tea01" in swapped.catalogue.index
    assert pipe.catalogue_version != rep.version  # the old pipeline is untouched


def test_one_update_at_a_time_and_format_2_models_refused(model_dir, tiny_tables, tmp_path):
    with update_lock(model_dir), pytest.raises(CatalogueUpdateError, match="another"):
        update_catalogue(model_dir, tiny_tables.influencers, tiny_tables.posts)
    (model_dir / "CATALOGUE").unlink()
    with pytest.raises(CatalogueUpdateError, match="no catalogue versions"):
        update_catalogue(model_dir, tiny_tables.influencers, tiny_tables.posts)


def test_a_model_without_hashes_rebuilds_everyone_once(model_dir, tiny_tables, caplog):
    version = current_version(model_dir)
    assert version is not None
    hashes = version_dir(model_dir, version) / "hashes.parquet"
    # an older version saved without hashes (its manifest then lists no such file)
    pipe = MatchPipeline.load(model_dir)
    pipe.catalogue_hashes = None
    pipe.catalogue_version = None
    shutil.rmtree(model_dir / "catalogues")
    pipe.save(model_dir)
    assert not (version_dir(model_dir, current_version(model_dir) or "") / hashes.name).exists()
    rep = update_catalogue(model_dir, tiny_tables.influencers, tiny_tables.posts)
    assert rep.changed == 48 and rep.version is not None
    assert "no content hashes" in caplog.text
    again = update_catalogue(model_dir, tiny_tables.influencers, tiny_tables.posts)
    assert again.version is None and again.unchanged == 48  # the new version has them
