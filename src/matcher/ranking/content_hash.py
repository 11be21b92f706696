"""A content hash per creator: what ``matcher catalogue update`` compares to find the creators
whose catalogue rows must be built again (embedded), and those it can keep as they are.

The digest covers every input ``Catalogue.build`` reads for one creator: the influencer row's
columns (``INFLUENCER_COLUMNS``) and its ``max_posts`` most recent posts, in the order the
catalogue keeps them, each with ``POST_COLUMNS``; plus the catalogue settings that change what is
built (``max_posts``, ``profile_text``), so a new setting changes every digest. Values are
normalised first (numbers as float64, text as str, times as ns since the epoch), so the same
table read from CSV or Parquet gives the same digests.

Vectorised: ``pd.util.hash_pandas_object`` hashes each row (one 64-bit value), a creator's posts
are salted with their position and summed (mod 2**64) with ``np.add.reduceat`` over the sorted
posts. 64 bits: the chance that a changed creator keeps its digest is 2**-64 per change. The
hash is pandas' own, so a pandas upgrade may change every digest: the next update then builds
every creator again (texts already embedded come from the encoder's cache).

Post statistics (engagement rate, posting rate, ...) read a creator's older posts too and the
snapshot date: ``ranking.refresh`` recomputes them for every creator on each update (no
embedding needed), so they are not part of the digest's job.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import CatalogueConfig

logger = logging.getLogger(__name__)

HASH_VERSION = 1  # bump when the digest's inputs change: every creator is then rebuilt once
HASH_COLUMN = "content_hash"
CHUNK = 500_000  # posts per step of the lookups and hashes (bounds the peak memory)
# posts in catalogue order: (positions in the posts table, creator rows, rank: 0 = newest)
PostOrder = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]

# influencer columns Catalogue.build reads (strings, then numbers)
_INF_TEXT = (
    S.INFLUENCER_ID,
    S.HANDLE,
    S.PLATFORM,
    S.BIO,
    S.COUNTRY,
    S.LANGUAGE,
    S.AUDIENCE_COUNTRIES,
    S.AUDIENCE_AGES,
)
_INF_NUMBERS = (S.FOLLOWERS, S.FOLLOWING, S.AUDIENCE_FEMALE, S.PRICE_USD)
INFLUENCER_COLUMNS: tuple[str, ...] = _INF_TEXT + _INF_NUMBERS
POST_COLUMNS: tuple[str, ...] = (S.POSTED_AT, S.TEXT, S.LIKES, S.COMMENTS, S.IS_SPONSORED)


def _text(df: pd.DataFrame, col: str) -> pd.Series | NDArray[np.object_]:
    """Text as pandas' string dtype (missing = ""), hashed without a copy to Python objects."""
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    return df[col].fillna("").astype("str").reset_index(drop=True)


def _number(df: pd.DataFrame, col: str) -> NDArray[np.float64]:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _flag(df: pd.DataFrame, col: str) -> NDArray[np.bool_]:
    if col not in df.columns:
        return np.zeros(len(df), bool)
    return df[col].fillna(False).astype(bool).to_numpy(dtype=bool)


def _ns(col: pd.Series) -> NDArray[np.int64]:
    """Times as int64 ns since the epoch (naive UTC), whatever unit or zone they were read with."""
    t = pd.to_datetime(col)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64)


def _row_hashes(df: pd.DataFrame) -> NDArray[np.uint64]:
    # categorize=False: texts are mostly unique, and factorizing them first costs 3-6x more
    return pd.util.hash_pandas_object(df, index=False, categorize=False).to_numpy(dtype=np.uint64)


def post_order(influencers: pd.DataFrame, posts: pd.DataFrame | None) -> PostOrder:
    """Posts in the order ``Catalogue.build`` keeps them: those of creators in ``influencers``,
    by creator row, newest first, ties in table order. Returns (positions in ``posts``, the
    creator's row in ``influencers``, rank within the creator: 0 = newest)."""
    empty = np.zeros(0, np.int64)
    if posts is None or len(posts) == 0 or len(influencers) == 0:
        return empty, empty, empty
    ids = pd.Index(influencers[S.INFLUENCER_ID].astype(str))
    col = posts[S.INFLUENCER_ID]
    rows = np.empty(len(posts), dtype=np.int64)
    for a in range(0, len(posts), CHUNK):  # in chunks: a lookup holds its strings as objects
        rows[a : a + CHUNK] = ids.get_indexer(col.iloc[a : a + CHUNK].astype(str))
    known = np.flatnonzero(rows >= 0)
    t = _ns(posts[S.POSTED_AT])[known]
    nat = t == np.iinfo(np.int64).min
    newest_first = np.where(nat, np.iinfo(np.int64).max, -t)  # NaT last, as sort_values puts it
    order = known[np.lexsort((newest_first, rows[known]))]  # lexsort is stable
    sorted_rows = rows[order]
    if len(order) == 0:
        return empty, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order), dtype=np.int64) - first
    return order.astype(np.int64), sorted_rows, rank


def config_fingerprint(config: CatalogueConfig) -> str:
    return f"v{HASH_VERSION}|max_posts={config.max_posts}|profile_text={config.profile_text}"


def content_hashes(
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    config: CatalogueConfig | None = None,
    order: PostOrder | None = None,
) -> pd.Series:
    """One hex digest (16 characters) per creator, indexed by ``influencer_id`` in table order.

    Equal digests mean ``Catalogue.build`` would build the same row for the creator (apart from
    post statistics, which depend on older posts and the snapshot date). ``influencers`` and
    ``posts`` are validated tables (``matcher.data.io``); ``order``: ``post_order`` of the same
    tables when the caller has it already (it is the slow part at millions of posts)."""
    config = config or CatalogueConfig()
    inf = influencers.reset_index(drop=True)
    n = len(inf)
    frame = pd.DataFrame(
        {
            **{c: _text(inf, c) for c in _INF_TEXT},
            **{c: _number(inf, c) for c in _INF_NUMBERS},
            "_config": np.full(n, config_fingerprint(config), dtype=object),
        }
    )
    row_hash = _row_hashes(frame) if n else np.zeros(0, np.uint64)

    post_sum = np.zeros(n, dtype=np.uint64)
    n_recent = np.zeros(n, dtype=np.int64)
    pos, rows, rank = order if order is not None else post_order(inf, posts)
    keep = rank < config.max_posts
    pos, rows, rank = pos[keep], rows[keep], rank[keep]
    if len(pos):
        assert posts is not None
        cols = [c for c in POST_COLUMNS if c in posts.columns]
        ph = np.empty(len(pos), dtype=np.uint64)
        for a in range(0, len(pos), CHUNK):  # in chunks: hashing holds the texts as objects
            recent = posts[cols].iloc[pos[a : a + CHUNK]]
            post_frame = pd.DataFrame(
                {
                    "rank": rank[a : a + CHUNK],
                    S.POSTED_AT: _ns(recent[S.POSTED_AT]),
                    S.TEXT: _text(recent, S.TEXT),
                    S.LIKES: _number(recent, S.LIKES),
                    S.COMMENTS: _number(recent, S.COMMENTS),
                    S.IS_SPONSORED: _flag(recent, S.IS_SPONSORED),
                }
            )
            ph[a : a + CHUNK] = _row_hashes(post_frame)
        starts = np.flatnonzero(rank == 0)
        with np.errstate(over="ignore"):
            post_sum[rows[starts]] = np.add.reduceat(ph, starts, dtype=np.uint64)
        n_recent[rows[starts]] = np.diff(np.r_[starts, len(rows)])
    combined = pd.DataFrame({"row": row_hash, "posts": post_sum, "n": n_recent})
    digests = _row_hashes(combined) if n else np.zeros(0, np.uint64)
    return pd.Series(
        [f"{int(d):016x}" for d in digests],
        index=pd.Index(
            inf[S.INFLUENCER_ID].astype(str).to_numpy(dtype=object), name=S.INFLUENCER_ID
        ),
        name=HASH_COLUMN,
        dtype=object,
    )


def hashes_frame(hashes: pd.Series) -> pd.DataFrame:
    """The two-column table saved next to a catalogue version (``hashes.parquet``)."""
    return pd.DataFrame(
        {
            S.INFLUENCER_ID: hashes.index.astype(str).to_numpy(dtype=object),
            HASH_COLUMN: hashes.to_numpy(dtype=object),
        }
    )


def hashes_series(frame: pd.DataFrame) -> pd.Series:
    """``hashes.parquet``'s table back to a Series indexed by influencer_id (validated)."""
    missing = [c for c in (S.INFLUENCER_ID, HASH_COLUMN) if c not in frame.columns]
    if missing:
        raise ValueError(f"content hash table: missing column(s) {', '.join(missing)}")
    return pd.Series(
        frame[HASH_COLUMN].astype(str).to_numpy(dtype=object),
        index=pd.Index(
            frame[S.INFLUENCER_ID].astype(str).to_numpy(dtype=object), name=S.INFLUENCER_ID
        ),
        name=HASH_COLUMN,
        dtype=object,
    )
