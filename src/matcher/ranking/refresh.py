"""Incremental catalogue refresh: a new catalogue version from new tables, embedding only the
creators whose content changed (``ranking.content_hash``), without retraining.

What is recomputed, per creator (the content hash decides):
- unchanged (same digest): the row is kept bit for bit (vectors, texts, interests, ...);
- changed or new: ``Catalogue.build`` for just those creators (the encoder's embedding cache
  skips texts it has embedded before), then their brief-independent lookups (interests, each
  post's ad-product topic) with the pipeline's ``TopicIndex``;
- removed (not in the new influencers table): dropped.
For every creator, always: post statistics and the snapshot date, from the whole new tables
(no embedding: a second or so per million posts). They read older posts than the ``max_posts``
the digest covers, and ``days_since_last_post`` moves with the snapshot (the latest post of the
new tables), so recomputing them all is both cheap and the only way to stay equal to a full
rebuild. For the whole version: the lexical index, the vector index and the pipeline's derived
arrays (costs, typical engagement), built by a ``MatchPipeline`` over the merged catalogue.

Row order of the result: kept rows in their old order, then the rebuilt rows in table order
(rows are looked up by id everywhere, and kept rows are copied in long sequential runs).

An update that changes nothing (no creator added, changed or removed, same statistics and
snapshot) writes no version: ``RefreshPlan.nothing_to_do``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import CatalogueConfig
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.catalogue_rows import take_and_append
from matcher.ranking.content_hash import PostOrder, content_hashes, hashes_series, post_order
from matcher.ranking.embeddings import TextEncoder
from matcher.ranking.post_stats import post_stats
from matcher.ranking.topic_index import TopicIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogueDiff:
    """Influencer ids by fate, each in the new table's order (``removed``: the old one's)."""

    added: NDArray[np.object_]
    changed: NDArray[np.object_]
    removed: NDArray[np.object_]
    unchanged: NDArray[np.object_]

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
        }

    @property
    def creators_changed(self) -> bool:
        return bool(len(self.added) or len(self.changed) or len(self.removed))


def diff_hashes(old_ids: Any, old_hashes: pd.Series | None, new_hashes: pd.Series) -> CatalogueDiff:
    """Compare the old catalogue (its ids and digests; ``None``: not known, every creator
    counts as changed) with the new digests (index = influencer_id, in table order)."""
    old_index = pd.Index(np.asarray(old_ids, dtype=object)).astype(str)
    new_ids = new_hashes.index.astype(str)
    in_old = new_ids.isin(old_index)
    same = np.zeros(len(new_ids), dtype=bool)
    if old_hashes is not None and len(old_hashes):
        known = old_hashes.reindex(new_ids[in_old])
        same[np.flatnonzero(in_old)] = (
            known.to_numpy(dtype=object) == new_hashes.to_numpy(dtype=object)[in_old]
        )
    ids = new_ids.to_numpy(dtype=object)
    return CatalogueDiff(
        added=ids[~in_old],
        changed=ids[in_old & ~same],
        removed=old_index[~old_index.isin(new_ids)].to_numpy(dtype=object),
        unchanged=ids[same],
    )


def table_stats(
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    default_snapshot: pd.Timestamp,
    order: PostOrder | None = None,
) -> tuple[dict[str, NDArray[np.float64]], pd.Timestamp]:
    """Post statistics of every creator (rows in table order) and the snapshot date, exactly
    as ``Catalogue.build`` computes them (same post order, so the same floating-point sums);
    ``default_snapshot`` when there are no posts."""
    inf = influencers.reset_index(drop=True)
    followers = pd.to_numeric(inf[S.FOLLOWERS], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    pos, rows, _ = order if order is not None else post_order(inf, posts)
    if posts is None or len(pos) == 0:
        return post_stats(pd.DataFrame(), len(inf), followers, default_snapshot), default_snapshot
    cols = [c for c in (S.POSTED_AT, S.LIKES, S.COMMENTS, S.IS_SPONSORED) if c in posts.columns]
    p = posts[cols].iloc[pos].reset_index(drop=True)
    p[S.POSTED_AT] = pd.to_datetime(p[S.POSTED_AT])
    p["_row"] = rows
    snapshot = pd.Timestamp(p[S.POSTED_AT].max())
    return post_stats(p, len(inf), followers, snapshot), snapshot


def _same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


@dataclass
class RefreshPlan:
    """What an update would do (computed without embedding anything)."""

    diff: CatalogueDiff
    hashes: pd.Series  # the new digests, index influencer_id (table order)
    stats: dict[str, NDArray[np.float64]]  # per creator, table order
    snapshot_at: pd.Timestamp
    keep_old_rows: NDArray[np.int64]  # rows of the old catalogue kept (ascending)
    keep_table_rows: NDArray[np.int64]  # their rows in the new table
    rebuild_table_rows: NDArray[np.int64]  # rows of the new table built anew (ascending)
    stats_changed: bool
    snapshot_moved: bool
    texts_to_embed: int  # bios + recent posts of the creators rebuilt (before the cache)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.diff.creators_changed or self.stats_changed or self.snapshot_moved)


def plan_refresh(
    old: Catalogue,
    old_hashes: pd.Series | pd.DataFrame | None,
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    config: CatalogueConfig,
) -> RefreshPlan:
    """Digests, diff and post statistics of the new tables against ``old`` (validated tables:
    ``matcher.data.io.load_catalogue``)."""
    inf = influencers.reset_index(drop=True)
    if isinstance(old_hashes, pd.DataFrame):
        old_hashes = hashes_series(old_hashes)
    order = post_order(inf, posts)  # once for the digests, the statistics and the counts
    hashes = content_hashes(inf, posts, config, order)
    old_ids = pd.Index(np.asarray(old.ids[:], dtype=object)).astype(str).to_numpy(dtype=object)
    diff = diff_hashes(old_ids, old_hashes, hashes)
    stats, snapshot = table_stats(inf, posts, old.snapshot_at, order)

    table_row = pd.Series(np.arange(len(inf), dtype=np.int64), index=hashes.index)
    old_row = pd.Series(np.arange(len(old_ids), dtype=np.int64), index=pd.Index(old_ids))
    keep_old = np.sort(old_row.reindex(diff.unchanged).to_numpy(dtype=np.int64))
    keep_table = table_row.reindex(old_ids[keep_old]).to_numpy(dtype=np.int64)
    rebuild = np.ones(len(inf), dtype=bool)
    rebuild[keep_table] = False
    rebuild_rows = np.flatnonzero(rebuild).astype(np.int64)

    stats_changed = set(stats) != set(old.stats) or not all(
        _same(stats[k][keep_table], np.asarray(old.stats[k])[keep_old]) for k in stats
    )
    _, post_rows, rank = order
    embedded = (rank < config.max_posts) & rebuild[post_rows]
    texts = len(rebuild_rows) + int(embedded.sum())
    return RefreshPlan(
        diff=diff,
        hashes=hashes,
        stats=stats,
        snapshot_at=snapshot,
        keep_old_rows=keep_old,
        keep_table_rows=keep_table,
        rebuild_table_rows=rebuild_rows,
        stats_changed=stats_changed,
        snapshot_moved=snapshot != old.snapshot_at,
        texts_to_embed=texts,
    )


@dataclass
class Refreshed:
    catalogue: Catalogue
    plan: RefreshPlan
    texts_embedded: int  # texts handed to the encoder (its cache may have held some)
    seconds: dict[str, float] = field(default_factory=dict)


def apply_refresh(
    old: Catalogue,
    plan: RefreshPlan,
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    encoder: TextEncoder,
    config: CatalogueConfig,
    topics: TopicIndex | None = None,
    scratch: Path | None = None,
) -> Refreshed:
    """Build the changed and new creators and merge them with the kept rows of ``old``.
    ``topics``: the pipeline's taxonomy vectors, for the new rows' lookups (when ``old`` has
    them; without, the pipeline computes them for all rows when it takes the catalogue).
    ``scratch``: a folder for the big merged arrays (``catalogue_rows.take_and_append``)."""
    t0 = time.perf_counter()
    inf = influencers.reset_index(drop=True)
    sub = inf.iloc[plan.rebuild_table_rows].reset_index(drop=True)
    sub_posts = None
    if posts is not None and len(posts):
        sub_posts = posts[posts[S.INFLUENCER_ID].astype(str).isin(sub[S.INFLUENCER_ID].astype(str))]
    counted = [0]

    def embed(texts: list[str], desc: str) -> NDArray[np.float32]:
        counted[0] += len(texts)
        return encoder.encode(texts, desc=desc)

    built = Catalogue.build(sub, sub_posts, encoder, config, embed=embed)
    t1 = time.perf_counter()
    if topics is not None and old.topic_idx is not None:
        f32 = np.float32  # a fresh build is float32 already: no copy
        built.topic_idx, built.topic_score = topics.top_interests(np.asarray(built.profile, f32))
        built.post_ad_idx, built.post_ad_score = topics.best_ad_topic(
            np.asarray(built.post_emb, f32)
        )
        built.bio_ad_idx, built.bio_ad_score = topics.best_ad_topic(np.asarray(built.bio_emb, f32))
    order = np.concatenate([plan.keep_table_rows, plan.rebuild_table_rows])
    stats = {k: v[order] for k, v in plan.stats.items()}
    merged = take_and_append(old, plan.keep_old_rows, built, stats, scratch)
    merged.snapshot_at = plan.snapshot_at
    t2 = time.perf_counter()
    logger.info(
        "catalogue refresh: %s, %d texts embedded, built in %.1fs, merged in %.1fs",
        plan.diff.counts(),
        counted[0],
        t1 - t0,
        t2 - t1,
    )
    return Refreshed(merged, plan, counted[0], {"build": t1 - t0, "merge": t2 - t1})
