"""``content_hashes``: one digest per creator that changes exactly when what the catalogue
embeds for that creator changes (its row, its ``max_posts`` most recent posts, the settings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.config import CatalogueConfig
from matcher.data.io import load_catalogue
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.content_hash import (
    content_hashes,
    hashes_frame,
    hashes_series,
    post_order,
)
from matcher.ranking.embeddings import HashingEncoder


def _changed(a: pd.Series, b: pd.Series) -> list[str]:
    b = b.reindex(a.index)
    return sorted(a.index[(a != b).to_numpy()].tolist())


@pytest.fixture
def base(tiny_tables):
    return (
        tiny_tables.influencers,
        tiny_tables.posts,
        content_hashes(tiny_tables.influencers, tiny_tables.posts),
    )


def test_one_hex_digest_per_creator_in_table_order(base):
    inf, _, h = base
    assert h.index.tolist() == inf[S.INFLUENCER_ID].tolist()
    assert all(len(d) == 16 and int(d, 16) >= 0 for d in h)
    assert h.nunique() == len(inf)  # the tiny creators all differ


def test_the_same_tables_in_any_row_order_or_file_format_give_the_same_digests(
    base, tiny_market, tmp_path
):
    inf, posts, h = base
    shuffled = content_hashes(
        inf.sample(frac=1, random_state=1), posts.sample(frac=1, random_state=2)
    )
    assert _changed(h, shuffled) == []
    for fmt in ("csv", "parquet"):
        d = tmp_path / fmt
        d.mkdir()
        for name in ("influencers", "posts"):
            df = tiny_market[name]
            if fmt == "csv":
                df.to_csv(d / f"{name}.csv", index=False)
            else:
                df.to_parquet(d / f"{name}.parquet", index=False)
        assert _changed(h, content_hashes(*load_catalogue(d))) == [], fmt


@pytest.mark.parametrize(
    ("column", "value"),
    [(S.BIO, "now baking bread"), (S.FOLLOWERS, 123), (S.PRICE_USD, 9.5), (S.COUNTRY, "DE")],
)
def test_a_changed_row_changes_only_that_creator(base, column, value):
    inf, posts, h = base
    inf = inf.copy()
    inf.loc[inf[S.INFLUENCER_ID] == "bak03", column] = value
    assert _changed(h, content_hashes(inf, posts)) == ["bak03"]


def test_recent_posts_count_older_ones_do_not(base):
    inf, posts, h = base
    cfg = CatalogueConfig(max_posts=3)  # each tiny creator has 4 posts: p3 is the oldest
    h3 = content_hashes(inf, posts, cfg)
    assert _changed(h, h3) == sorted(h.index)  # the setting is part of every digest
    for post_id, expected in (("run02-p0", ["run02"]), ("run02-p3", [])):
        p = posts.copy()
        p.loc[p[S.POST_ID] == post_id, S.LIKES] += 1
        assert _changed(h3, content_hashes(inf, p, cfg)) == expected, post_id
    p = posts.copy()
    p.loc[p[S.POST_ID] == "gar01-p1", S.TEXT] = "a new caption"
    assert _changed(h, content_hashes(inf, p)) == ["gar01"]
    p = posts[posts[S.POST_ID] != "gam07-p2"]  # a deleted post
    assert _changed(h, content_hashes(inf, p)) == ["gam07"]


def test_recent_posts_are_the_ones_the_catalogue_embeds(tiny_tables):
    inf, posts = tiny_tables.influencers, tiny_tables.posts
    cfg = CatalogueConfig(max_posts=2)
    cat = Catalogue.build(inf, posts, HashingEncoder(), cfg)
    pos, rows, rank = post_order(inf, posts)
    keep = rank < cfg.max_posts
    from matcher.ranking.profile_text import caption_text

    captions = [caption_text(t) for t in posts[S.TEXT].to_numpy()[pos[keep]]]
    assert captions == list(cat.post_texts)
    assert np.array_equal(np.bincount(rows[keep], minlength=len(inf)), np.diff(cat.post_offsets))


def test_creators_without_posts_and_empty_tables(base):
    inf, posts, h = base
    alone = content_hashes(inf, None)
    assert len(alone) == len(inf) and _changed(h, alone) == sorted(h.index)
    assert content_hashes(inf.iloc[:0], posts).empty


def test_hash_table_round_trip_and_validation(base):
    _, _, h = base
    frame = hashes_frame(h)
    assert list(frame.columns) == [S.INFLUENCER_ID, "content_hash"]
    assert hashes_series(frame).equals(h)
    with pytest.raises(ValueError, match="content_hash"):
        hashes_series(frame.drop(columns="content_hash"))
