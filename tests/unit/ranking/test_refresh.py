"""Incremental refresh against in-memory catalogues: only changed and new creators are embedded,
kept rows are bit-identical, and the result equals a full rebuild of the new tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.config import CatalogueConfig
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.catalogue_rows import CREATOR_FIELDS, POST_FIELDS, runs
from matcher.ranking.content_hash import content_hashes
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.refresh import apply_refresh, diff_hashes, plan_refresh
from matcher.ranking.text_column import TextColumn

CFG = CatalogueConfig()


class CountingEncoder(HashingEncoder):
    """The hashing encoder, remembering every text it actually encodes."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def _encode_batch(self, texts: list[str]):
        self.seen.extend(texts)
        return super()._encode_batch(texts)


def _posts_of(cat: Catalogue, row: int, name: str = "post_emb"):
    a, b = cat.post_offsets[row], cat.post_offsets[row + 1]
    return np.asarray(getattr(cat, name)[a:b])


def assert_same_rows(a: Catalogue, b: Catalogue, ids, *, exact_lookups: bool = True) -> None:
    """Creators ``ids`` have the same row in ``a`` and ``b`` (by id; bit for bit)."""
    ra, rb = a.rows_for(list(ids)), b.rows_for(list(ids))
    for name in CREATOR_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        x, y = np.asarray(x[ra]), np.asarray(y[rb])
        if not exact_lookups and name.endswith("_score"):
            np.testing.assert_allclose(x, y, atol=1e-6, err_msg=name)
        else:
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    for k in b.stats:
        assert np.array_equal(a.stats[k][ra], b.stats[k][rb], equal_nan=True), k
    for i, j in zip(ra, rb, strict=True):
        for name in POST_FIELDS:
            if getattr(a, name) is not None:
                assert np.array_equal(_posts_of(a, i, name), _posts_of(b, j, name)), name


@pytest.fixture
def old(tiny_tables):
    cat = Catalogue.build(tiny_tables.influencers, tiny_tables.posts, HashingEncoder(), CFG)
    return cat, content_hashes(tiny_tables.influencers, tiny_tables.posts, CFG)


def _refresh(old_cat, old_hashes, inf, posts, enc=None):
    enc = enc or CountingEncoder()
    plan = plan_refresh(old_cat, old_hashes, inf, posts, CFG)
    return plan, apply_refresh(old_cat, plan, inf, posts, enc, CFG), enc


def test_a_changed_bio_embeds_exactly_that_creator(old, tiny_tables):
    cat, h = old
    inf = tiny_tables.influencers.copy()
    inf.loc[inf[S.INFLUENCER_ID] == "gar04", S.BIO] = "Kombucha brewing and fermentation"
    plan, done, enc = _refresh(cat, h, inf, tiny_tables.posts)
    assert plan.diff.counts() == {"added": 0, "changed": 1, "removed": 0, "unchanged": 47}
    r = done.catalogue.rows_for(["gar04"])[0]
    own = {done.catalogue.bio_texts[r], *_posts_of(done.catalogue, r, "post_texts")}
    assert set(enc.seen) == own and len(enc.seen) == len(own)  # its bio and its captions only
    assert done.texts_embedded == plan.texts_to_embed == 1 + 4
    assert "kombucha" in done.catalogue.search_text[r]
    unchanged = [i for i in inf[S.INFLUENCER_ID] if i != "gar04"]
    assert_same_rows(done.catalogue, cat, unchanged)


def test_added_and_removed_creators_and_equality_with_a_full_rebuild(old, tiny_tables):
    cat, h = old
    inf, posts = tiny_tables.influencers, tiny_tables.posts
    new = inf[inf[S.INFLUENCER_ID] == "run01"].assign(
        **{S.INFLUENCER_ID: "tea01", S.HANDLE: "@tea01", S.BIO: "Matcha and oolong tea tasting"}
    )
    tea_post = posts.iloc[:1].assign(
        **{S.POST_ID: "tea01-p0", S.INFLUENCER_ID: "tea01", S.TEXT: "Gongfu tea session"}
    )
    inf2 = pd.concat([inf[inf[S.INFLUENCER_ID] != "bak05"], new], ignore_index=True)
    posts2 = pd.concat([posts[posts[S.INFLUENCER_ID] != "bak05"], tea_post], ignore_index=True)
    plan, done, enc = _refresh(cat, h, inf2, posts2)
    assert plan.diff.counts() == {"added": 1, "changed": 0, "removed": 1, "unchanged": 47}
    assert plan.diff.added.tolist() == ["tea01"] and plan.diff.removed.tolist() == ["bak05"]
    m = done.catalogue
    assert "bak05" not in m.index and len(m) == 48
    r = m.rows_for(["tea01"])[0]
    assert sorted(enc.seen) == sorted([m.bio_texts[r], *_posts_of(m, r, "post_texts")])
    assert "matcha" in m.bio_texts[r].lower() and len(enc.seen) == 2
    full = Catalogue.build(inf2, posts2, HashingEncoder(), CFG)
    assert_same_rows(m, full, full.ids)
    assert m.snapshot_at == full.snapshot_at


def test_the_snapshot_moving_recomputes_statistics_for_every_creator(old, tiny_tables):
    cat, h = old
    inf, posts = tiny_tables.influencers, tiny_tables.posts
    later = posts[posts[S.POST_ID] == "run00-p0"].assign(
        **{S.POST_ID: "run00-new", S.POSTED_AT: pd.Timestamp("2025-06-11")}
    )
    posts2 = pd.concat([posts, later], ignore_index=True)
    plan, done, enc = _refresh(cat, h, inf, posts2)
    assert plan.snapshot_moved and plan.diff.changed.tolist() == ["run00"]
    m = done.catalogue
    r = m.rows_for(["run00"])[0]  # its new post is among its recent ones: it alone is embedded
    assert sorted(enc.seen) == sorted({m.bio_texts[r], *_posts_of(m, r, "post_texts")})
    r_old, r_new = cat.rows_for(["gar02"])[0], m.rows_for(["gar02"])[0]
    # ten days later for a creator whose content did not change (not embedded again)
    assert m.stats["days_since_last_post"][r_new] == cat.stats["days_since_last_post"][r_old] + 10
    assert np.array_equal(m.profile[r_new], cat.profile[r_old])
    full = Catalogue.build(inf, posts2, HashingEncoder(), CFG)
    assert_same_rows(m, full, full.ids)


def test_an_older_post_changing_updates_statistics_without_embedding(old, tiny_tables):
    cfg = CatalogueConfig(max_posts=3)
    inf, posts = tiny_tables.influencers, tiny_tables.posts
    cat = Catalogue.build(inf, posts, HashingEncoder(), cfg)
    h = content_hashes(inf, posts, cfg)
    posts2 = posts.copy()
    posts2.loc[posts2[S.POST_ID] == "gam04-p3", S.LIKES] = 10**6  # the 4th, not embedded
    plan = plan_refresh(cat, h, inf, posts2, cfg)
    assert plan.diff.counts()["unchanged"] == 48 and plan.stats_changed and not plan.nothing_to_do
    enc = CountingEncoder()
    done = apply_refresh(cat, plan, inf, posts2, enc, cfg)
    assert enc.seen == [] and done.texts_embedded == 0
    r = done.catalogue.rows_for(["gam04"])[0]
    ratio = "comment_like_ratio"  # comments / likes over all its posts
    assert done.catalogue.stats[ratio][r] < cat.stats[ratio][r] / 10


def test_no_change_is_nothing_to_do(old, tiny_tables):
    cat, h = old
    plan = plan_refresh(cat, h, tiny_tables.influencers, tiny_tables.posts, CFG)
    assert plan.nothing_to_do and plan.texts_to_embed == 0
    assert plan.diff.counts() == {"added": 0, "changed": 0, "removed": 0, "unchanged": 48}


def test_without_old_hashes_every_creator_is_rebuilt(old, tiny_tables):
    cat, _ = old
    plan = plan_refresh(cat, None, tiny_tables.influencers, tiny_tables.posts, CFG)
    assert plan.diff.counts() == {"added": 0, "changed": 48, "removed": 0, "unchanged": 0}
    done = apply_refresh(
        cat, plan, tiny_tables.influencers, tiny_tables.posts, HashingEncoder(), CFG
    )
    assert_same_rows(done.catalogue, cat, cat.ids)  # the same content gives the same rows


def test_kept_rows_of_a_loaded_catalogue_stay_float16_and_text_columns(old, tiny_tables):
    """A catalogue read from disk (float16 vectors, ``TextColumn`` strings) keeps its kept rows
    byte for byte; new rows are cast to float16 as saving them would."""
    cat, h = old
    disk = Catalogue(
        **{
            **{f: getattr(cat, f) for f in cat.__dataclass_fields__ if f != "index"},
            "bio_emb": cat.bio_emb.astype(np.float16),
            "profile": cat.profile.astype(np.float16),
            "post_emb": cat.post_emb.astype(np.float16),
            "post_texts": TextColumn.from_strings(cat.post_texts),
            "search_text": TextColumn.from_strings(cat.search_text),
            "ids": TextColumn.from_strings(cat.ids),
        }
    )
    inf = tiny_tables.influencers.copy()
    inf.loc[inf[S.INFLUENCER_ID] == "run05", S.BIO] = "Ultramarathon coach"
    _, done, _ = _refresh(disk, h, inf, tiny_tables.posts)
    m = done.catalogue
    assert m.post_emb.dtype == np.float16 and isinstance(m.post_texts, TextColumn)
    assert_same_rows(m, disk, [i for i in inf[S.INFLUENCER_ID] if i != "run05"])
    full = Catalogue.build(inf, tiny_tables.posts, HashingEncoder(), CFG)
    r = m.rows_for(["run05"])[0]
    assert np.array_equal(
        m.profile[r], full.profile[full.rows_for(["run05"])[0]].astype(np.float16)
    )


def test_diff_and_runs_known_answers():
    old_ids = np.array(["a", "b", "c", "d"], dtype=object)
    old_h = pd.Series(["1", "2", "3", "4"], index=old_ids)
    new_h = pd.Series(["1", "9", "4", "5"], index=["a", "b", "d", "e"])
    d = diff_hashes(old_ids, old_h, new_h)
    assert (d.added.tolist(), d.changed.tolist(), d.removed.tolist(), d.unchanged.tolist()) == (
        ["e"],
        ["b"],
        ["c"],
        ["a", "d"],
    )
    assert runs(np.array([0, 1, 2, 5, 7, 8])) == [(0, 3), (5, 6), (7, 9)]
    assert runs(np.array([], dtype=np.int64)) == []


def test_big_merged_arrays_go_to_a_scratch_file(old, tiny_tables, tmp_path, monkeypatch):
    from matcher.ranking import catalogue_rows

    cat, h = old
    inf = tiny_tables.influencers.copy()
    inf.loc[inf[S.INFLUENCER_ID] == "run05", S.BIO] = "Ultramarathon coach"
    plan = plan_refresh(cat, h, inf, tiny_tables.posts, CFG)
    in_heap = apply_refresh(cat, plan, inf, tiny_tables.posts, HashingEncoder(), CFG).catalogue
    monkeypatch.setattr(catalogue_rows, "SCRATCH_BYTES", 0)
    mapped = apply_refresh(
        cat, plan, inf, tiny_tables.posts, HashingEncoder(), CFG, scratch=tmp_path / "s"
    ).catalogue
    assert isinstance(mapped.post_emb, np.memmap) and (tmp_path / "s" / "post_emb.npy").is_file()
    assert_same_rows(mapped, in_heap, in_heap.ids)
