"""The influencer catalogue: everything about a creator that does not depend on a brief.

Built once (training, or service start-up) from the ``influencers`` and ``posts`` tables:
embeddings of the bio and of the most recent posts, a profile vector, audience matrices and
post statistics. Per request only the brief is embedded.

How a creator is represented: the bio as real ones are written (``ranking.profile_text``:
escapes decoded, emoji as words, the handle's words in front, contact/promo lines left out) and
each of the ``max_posts`` most recent captions (escapes decoded, emoji as words) are embedded
separately; the profile vector is the normalised mean of the bio vector and the mean post vector
(bio and content weigh the same). Post vectors are kept (CSR layout) so features can use the
best-matching post, and reasons can quote it. A creator whose language is not given gets the one
detected in its bio and captions. Interests and each post's ad-product category are added by the
pipeline (``ranking.topic_index``), which owns the taxonomy's label vectors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import CatalogueConfig
from matcher.ranking.embeddings import TextEncoder
from matcher.ranking.post_stats import post_stats
from matcher.ranking.profile_text import caption_text, detect_language, profile_text
from matcher.ranking.text import clean
from matcher.ranking.text_column import TextColumn
from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)

# the catalogue's per-creator/per-post columns by kind (persistence: to_arrays, catalogue_files)
TEXT_FIELDS: tuple[str, ...] = (
    "ids",
    "handles",
    "platforms",
    "countries",
    "languages",
    "post_texts",
    "search_text",
)
NUMERIC_FIELDS: tuple[str, ...] = (
    "followers",
    "following",
    "aud_countries",
    "aud_ages",
    "aud_female",
    "price_usd",
    "post_offsets",
)
VECTOR_FIELDS: tuple[str, ...] = ("bio_emb", "profile", "post_emb")
_OPTIONAL_ARRAYS = (
    "topic_idx",
    "topic_score",
    "post_ad_idx",
    "post_ad_score",
    "bio_ad_idx",
    "bio_ad_score",
)


def _json_shares(cell: Any, index: dict[str, int]) -> NDArray[np.float32] | None:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    if isinstance(cell, dict):
        d = cell
    else:
        s = str(cell).strip()
        if not s:
            return None
        d = json.loads(s)
    out = np.zeros(len(index), dtype=np.float32)
    for k, v in d.items():
        i = index.get(str(k))
        if i is not None:
            out[i] = float(v)
    return out


def _matrix(col: pd.Series | None, n: int, index: dict[str, int]) -> NDArray[np.float32]:
    m = np.full((n, len(index)), np.nan, dtype=np.float32)
    if col is None:
        return m
    for i, cell in enumerate(col.tolist()):
        v = _json_shares(cell, index)
        if v is not None:
            m[i] = v
    return m


def _num(df: pd.DataFrame, col: str, default: float = np.nan) -> NDArray[np.float64]:
    if col not in df.columns:
        return np.full(len(df), default, dtype=np.float64)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _str(df: pd.DataFrame, col: str) -> NDArray[np.object_]:
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    return df[col].fillna("").astype(str).to_numpy(dtype=object)


# a string column: an object array (built in memory) or a ``TextColumn`` (a saved catalogue,
# memory-mapped). Both answer col[i] -> str and col[rows] / col[a:b] -> object array.
Strings = NDArray[np.object_] | TextColumn
# vectors: float32 when built, float16 (memory-mapped) when loaded: cast gathered rows to float32
Vectors = NDArray[np.floating[Any]]


@dataclass
class Catalogue:
    ids: Strings
    handles: Strings
    platforms: NDArray[np.object_]
    followers: NDArray[np.float64]
    following: NDArray[np.float64]
    countries: NDArray[np.object_]
    languages: NDArray[np.object_]
    aud_countries: NDArray[np.float32]  # (n, len(COUNTRIES)), NaN rows = unknown
    aud_ages: NDArray[np.float32]  # (n, len(AGE_BUCKETS))
    aud_female: NDArray[np.float64]
    price_usd: NDArray[np.float64]  # NaN = unknown
    bio_emb: Vectors
    profile: Vectors
    post_emb: Vectors  # (m, d), posts of creator i at post_offsets[i]:post_offsets[i+1]
    post_offsets: NDArray[np.int64]
    post_texts: Strings
    search_text: Strings  # lower-cased bio + posts, for keyword exclusions
    stats: dict[str, NDArray[np.float64]]
    snapshot_at: pd.Timestamp
    bio_texts: Strings | None = None  # what the encoder saw of each bio (handle words + content)
    # brief-independent taxonomy lookups (``ranking.topic_index``); None until the pipeline adds them
    topic_idx: NDArray[np.int16] | None = None  # (n, k) best content topics
    topic_score: NDArray[np.float32] | None = None
    post_ad_idx: NDArray[np.int16] | None = None  # (m,) best ad-product topic of each post
    post_ad_score: NDArray[np.float32] | None = None
    bio_ad_idx: NDArray[np.int16] | None = None  # (n,) best ad-product topic of each bio
    bio_ad_score: NDArray[np.float32] | None = None
    index: Mapping[str, int] = field(default_factory=dict)  # id -> row (``IdIndex`` when loaded)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {str(x): i for i, x in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    # integer codes, computed once, so per-request filters compare ints, not Python strings
    @cached_property
    def platform_codes(self) -> NDArray[np.int8]:
        return np.array([S.PLATFORM_INDEX.get(p, -1) for p in self.platforms], dtype=np.int8)

    @cached_property
    def country_codes(self) -> NDArray[np.int16]:
        return np.array([S.COUNTRY_INDEX.get(c, -1) for c in self.countries], dtype=np.int16)

    @cached_property
    def location_unknown(self) -> NDArray[np.bool_]:
        return (self.countries == "") & np.isnan(self.aud_countries[:, 0])

    @cached_property
    def handles_normalised(self) -> NDArray[np.object_]:
        return np.array([str(h).lower().lstrip("@") for h in self.handles], dtype=object)

    def rows_for(self, influencer_ids: list[str] | NDArray[Any]) -> NDArray[np.int64]:
        missing = [i for i in influencer_ids if str(i) not in self.index]
        if missing:
            raise KeyError(
                f"{len(missing)} influencer ids not in the catalogue, e.g. {missing[:3]}"
            )
        return np.array([self.index[str(i)] for i in influencer_ids], dtype=np.int64)

    @classmethod
    def build(
        cls,
        influencers: pd.DataFrame,
        posts: pd.DataFrame | None,
        encoder: TextEncoder,
        config: CatalogueConfig | None = None,
        embed: Callable[[list[str], str], NDArray[np.float32]] | None = None,
    ) -> Catalogue:
        """Embed and summarise a validated catalogue (see ``matcher.data.io``).

        ``embed(texts, desc)`` replaces ``encoder.encode`` for the two big embedding calls (e.g.
        ``matcher.training.distributed`` runs them on a Dask cluster); it must return the same vectors.
        """
        config = config or CatalogueConfig()
        embed = embed or encoder.encode
        inf = influencers.reset_index(drop=True)
        n = len(inf)
        ids = inf[S.INFLUENCER_ID].astype(str).to_numpy(dtype=object)
        index = {x: i for i, x in enumerate(ids)}
        followers = _num(inf, S.FOLLOWERS)

        if posts is None or len(posts) == 0:
            posts = pd.DataFrame(
                columns=[S.POST_ID, S.INFLUENCER_ID, S.POSTED_AT, S.TEXT, S.LIKES, S.COMMENTS]
            )
        p = posts[
            [
                c
                for c in posts.columns
                if c in (S.INFLUENCER_ID, S.POSTED_AT, S.TEXT, S.LIKES, S.COMMENTS, S.IS_SPONSORED)
            ]
        ].copy()
        p["_row"] = p[S.INFLUENCER_ID].astype(str).map(index)
        p = p[p["_row"].notna()]
        p["_row"] = p["_row"].astype(np.int64)
        p[S.POSTED_AT] = pd.to_datetime(p[S.POSTED_AT])
        p = p.sort_values(["_row", S.POSTED_AT], ascending=[True, False], kind="stable")
        snapshot = p[S.POSTED_AT].max() if len(p) else pd.Timestamp.now().normalize()
        stats = post_stats(p, n, followers, snapshot)

        recent = p.groupby("_row", sort=True).head(config.max_posts)
        counts = np.bincount(recent["_row"].to_numpy(), minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        caption = caption_text if config.profile_text else clean
        post_texts = np.array([caption(t) for t in recent[S.TEXT].tolist()], dtype=object)
        raw_bios = _str(inf, S.BIO)
        profiles = [profile_text(b, h) for b, h in zip(raw_bios, _str(inf, S.HANDLE), strict=True)]
        bios = [
            pt.encoder_text if config.profile_text else clean(b)
            for pt, b in zip(profiles, raw_bios, strict=True)
        ]

        bio_emb = embed(bios, "embedding bios")
        post_emb = embed(list(post_texts), "embedding posts")
        profile = _profile(bio_emb, post_emb, offsets, np.array([bool(b) for b in bios]))

        search = np.empty(n, dtype=object)
        languages = np.array([str(x).lower() for x in _str(inf, S.LANGUAGE)], dtype=object)
        for i in range(n):
            captions = " ".join(post_texts[offsets[i] : offsets[i + 1]])
            search[i] = (profiles[i].decoded + " " + captions).lower()
            if not languages[i]:
                languages[i] = profiles[i].language or detect_language(captions[:500]) or ""

        return cls(
            ids=ids,
            handles=_str(inf, S.HANDLE),
            platforms=np.array([str(x).lower() for x in _str(inf, S.PLATFORM)], dtype=object),
            followers=followers,
            following=_num(inf, S.FOLLOWING),
            countries=np.array([str(x).upper() for x in _str(inf, S.COUNTRY)], dtype=object),
            languages=languages,
            aud_countries=_matrix(inf.get(S.AUDIENCE_COUNTRIES), n, S.COUNTRY_INDEX),
            aud_ages=_matrix(inf.get(S.AUDIENCE_AGES), n, S.AGE_INDEX),
            aud_female=_num(inf, S.AUDIENCE_FEMALE),
            price_usd=_num(inf, S.PRICE_USD),
            bio_emb=bio_emb,
            profile=profile,
            post_emb=post_emb,
            post_offsets=offsets,
            post_texts=post_texts,
            search_text=search,
            stats=stats,
            snapshot_at=pd.Timestamp(snapshot),
            bio_texts=np.asarray(bios, dtype=object),
            index=index,
        )

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {}
        for name in TEXT_FIELDS:
            out[name] = np.asarray(getattr(self, name)).astype(str)
        for name in (*NUMERIC_FIELDS, *VECTOR_FIELDS):
            out[name] = getattr(self, name)
        for k, v in self.stats.items():
            out[f"stat__{k}"] = v
        out["snapshot_at"] = np.array([self.snapshot_at.isoformat()])
        if self.bio_texts is not None:
            out["bio_texts"] = np.asarray(self.bio_texts).astype(str)
        for name in _OPTIONAL_ARRAYS:
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_arrays(cls, arrs: dict[str, NDArray[Any]]) -> Catalogue:
        kw: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            kw[name] = np.asarray(arrs[name]).astype(object)
        for name in (*NUMERIC_FIELDS, *VECTOR_FIELDS):
            kw[name] = np.asarray(arrs[name])
        kw["stats"] = {
            k[len("stat__") :]: np.asarray(v) for k, v in arrs.items() if k.startswith("stat__")
        }
        kw["snapshot_at"] = pd.Timestamp(str(np.asarray(arrs["snapshot_at"])[0]))
        if "bio_texts" in arrs:  # absent in catalogues saved before real-profile text handling
            kw["bio_texts"] = np.asarray(arrs["bio_texts"]).astype(object)
        for name in _OPTIONAL_ARRAYS:
            if name in arrs:
                kw[name] = np.asarray(arrs[name])
        return cls(**kw)

    def lexical_documents(self) -> list[str]:
        """One document per creator for lexical search: handle words + bio content + captions."""
        bios = self.bio_texts if self.bio_texts is not None else self.search_text
        return [
            f"{b} {' '.join(self.post_texts[self.post_offsets[i] : self.post_offsets[i + 1]])}"
            for i, b in enumerate(bios)
        ]


def _profile(
    bio: NDArray[np.float32],
    posts: NDArray[np.float32],
    offsets: NDArray[np.int64],
    has_bio: NDArray[np.bool_],
) -> NDArray[np.float32]:
    n, d = bio.shape
    counts = np.diff(offsets)
    post_mean = np.zeros((n, d), dtype=np.float32)
    nz = counts > 0
    if len(posts):
        sums = np.add.reduceat(posts, offsets[:-1][nz], axis=0) if nz.any() else np.zeros((0, d))
        post_mean[nz] = sums / counts[nz, None]
    w_bio = has_bio.astype(np.float32)[:, None]
    w_post = nz.astype(np.float32)[:, None]
    prof = w_bio * bio + w_post * unit_rows(post_mean)
    return unit_rows(prof)
