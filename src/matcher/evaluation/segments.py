"""Segments: which briefs (niche, language) and which creators of a ranked list (follower tier,
cold start, language, data completeness) a per-brief number belongs to, so a change that helps
one group and hurts another is visible. The paired comparison (``compare``) splits by niche,
tier and cold start; single-pipeline evaluation (``offline``) by brief language, creator
language and data completeness."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.data.io import MarketTables
from matcher.ranking.catalogue import Catalogue
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

Segment = tuple[str, str, NDArray[np.bool_]]  # segment type, segment, mask over a ranked list
CreatorSegmenter = Callable[[Sequence[str]], list[Segment]]
DEFAULT_LANGUAGE = "en"  # a brief without a language is written for English-speaking creators
BIO_ONLY, WITH_POSTS = "bio-only", "with-posts"
# the segment types of single-pipeline evaluation, in report order
PROFILE_SEGMENTS: tuple[str, ...] = ("brief_language", "creator_language", "completeness")


def brief_niches(truth: Any, brief_ids: Sequence[str]) -> dict[str, str] | None:
    """The brief's dominant niche from the simulator's truth, when it exposes one."""
    if truth is None:
        return None
    fn = getattr(truth, "brief_niche", None) or getattr(truth, "dominant_niche", None)
    if callable(fn):
        return {b: str(fn(b)) for b in brief_ids}
    briefs = getattr(truth, "briefs", None)
    names = getattr(truth, "niches", None)
    if (
        isinstance(briefs, pd.DataFrame)
        and names
        and all(f"w_{n}" in briefs.columns for n in names)
    ):
        w = briefs.set_index(briefs[S.BRIEF_ID].astype(str))[[f"w_{n}" for n in names]]  # simulator
        top = pd.Series(np.asarray(names, dtype=object)[w.to_numpy().argmax(axis=1)], index=w.index)
        return {b: str(top.get(b, "unknown")) for b in brief_ids}
    for attr in ("brief_niches", "briefs"):
        obj = getattr(truth, attr, None)
        if isinstance(obj, pd.DataFrame):
            col = next(
                (c for c in ("niche", "dominant_niche", "brief_niche") if c in obj.columns), None
            )
            if col is None:
                continue
            s = obj.set_index(S.BRIEF_ID)[col] if S.BRIEF_ID in obj.columns else obj[col]
            return {b: str(s.get(b, "unknown")) for b in brief_ids}
        if isinstance(obj, Mapping | pd.Series):
            return {b: str(obj.get(b, "unknown")) for b in brief_ids}
    return None


def brief_groups(
    tables: MarketTables, brief_ids: Sequence[str], truth: Any = None
) -> dict[str, str]:
    """The ``niche`` segment of each brief: its dominant niche from ``truth``, else its brand."""
    niche = brief_niches(truth, brief_ids)
    if niche is not None:
        return niche
    brand = tables.briefs.set_index(tables.briefs[S.BRIEF_ID].astype(str))[S.BRAND_ID].astype(str)
    return {b: f"brand {brand.get(b, '?')}" for b in brief_ids}


def creator_segmenter(catalogues: Sequence[Catalogue], known: Collection[str]) -> CreatorSegmenter:
    """Splits a ranked list by follower tier and into ``new`` / ``known`` creators (``known``:
    ids with outcomes in the reference model's training history). Follower counts come from
    the first catalogue that has the creator."""
    followers: dict[str, float] = {}
    for cat in reversed(catalogues):
        followers.update(zip((str(i) for i in cat.ids), cat.followers, strict=True))

    def segments(ids: Sequence[str]) -> list[Segment]:
        tiers = np.array([S.follower_tier(followers[i]) for i in ids])
        out: list[Segment] = [("tier", t, tiers == t) for t in S.TIERS if (tiers == t).any()]
        cold = np.array([i not in known for i in ids])
        return out + [
            ("cold_start", seg, mask)
            for seg, mask in (("new", cold), ("known", ~cold))
            if mask.any()
        ]

    return segments


def brief_language(brief: Brief) -> str:
    """The ``brief_language`` segment: the brief's language, ``en`` when it names none."""
    return brief.language or DEFAULT_LANGUAGE


def profile_segmenter(catalogues: Sequence[Catalogue]) -> CreatorSegmenter:
    """Splits a ranked list by the creator's language (``unknown`` when the catalogue has none)
    and by data completeness: ``bio-only`` (no posts) or ``with-posts``. Each creator's values
    come from the first catalogue that has it: pass the evaluated pipeline's own catalogue first,
    so a creator's completeness is what that pipeline knows of it."""
    language: dict[str, str] = {}
    has_posts: dict[str, bool] = {}
    for cat in reversed(catalogues):
        language.update(
            zip(
                (str(i) for i in cat.ids), (str(x) or "unknown" for x in cat.languages), strict=True
            )
        )
        has_posts.update(
            zip((str(i) for i in cat.ids), (np.diff(cat.post_offsets) > 0).tolist(), strict=True)
        )

    def segments(ids: Sequence[str]) -> list[Segment]:
        langs = np.array([language[i] for i in ids], dtype=object)
        out: list[Segment] = [
            ("creator_language", str(x), langs == x) for x in sorted(set(langs.tolist()))
        ]
        posts = np.array([has_posts[i] for i in ids], dtype=bool)
        return out + [
            ("completeness", seg, mask)
            for seg, mask in ((BIO_ONLY, ~posts), (WITH_POSTS, posts))
            if mask.any()
        ]

    return segments
