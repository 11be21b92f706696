"""What one brief asks of the catalogue beyond its targeting filters: interests (IAB Content
Taxonomy), brand safety (IAB Ad Product Taxonomy, by meaning) and exact words (BM25).

Computed once per brief and used by candidate search (a mask), by the features (lexical score,
topic overlap, similarity to the requested interests) and by the reasons (shared interests, the
post that got a creator dropped). Training, evaluation and serving all go through it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.catalogue import Catalogue
from matcher.ranking.lexical import LexicalIndex
from matcher.ranking.retrieval import CountryShares, HandleRows, VectorIndex, derived
from matcher.ranking.text import brief_text
from matcher.ranking.topic_index import MIN_INTEREST, SAFETY_THRESHOLD, TopicIndex
from matcher.schemas import Brief
from matcher.vectors import to_float32

logger = logging.getLogger(__name__)

EXCLUDED_TOP = 3  # an excluded interest counts when it is among a creator's 3 best topics
QUOTE_CHARS = 120
MAX_QUOTED = 10  # dropped creators quoted per brief, the closest to the brief first
QUOTE_GATHER_MAX = 5_000  # more dropped creators than this: find the closest with ``index``


@dataclass(frozen=True)
class Exclusion:
    """A creator dropped for brand safety, with the text that got it dropped."""

    influencer_id: str
    handle: str
    category: str  # the excluded Ad Product category
    topic: str  # the topic of its subtree the text matched
    quote: str

    def reason(self) -> str:
        return f'@{self.handle.lstrip("@")} dropped: {self.category} ({self.topic}): "{self.quote}"'


@dataclass(frozen=True)
class SafetyHits:
    """The posts and bios whose best ad-product topic clears the brand-safety threshold, and
    by topic the creators that have one: a request reads the creators of its excluded topics
    (a fraction of a per cent of the catalogue), not every post."""

    topic_offsets: NDArray[np.int64]  # topic t: creators[topic_offsets[t]:topic_offsets[t + 1]]
    creators: NDArray[np.int64]

    @classmethod
    def build(cls, cat: Catalogue) -> SafetyHits:
        assert cat.post_ad_idx is not None and cat.post_ad_score is not None
        assert cat.bio_ad_idx is not None and cat.bio_ad_score is not None
        posts = np.flatnonzero(np.asarray(cat.post_ad_score) >= SAFETY_THRESHOLD)
        # creator i owns posts post_offsets[i]:post_offsets[i+1] (empty creators repeat offsets)
        creator = np.searchsorted(cat.post_offsets, posts, side="right") - 1
        bios = np.flatnonzero(np.asarray(cat.bio_ad_score) >= SAFETY_THRESHOLD)
        post_topic = np.asarray(cat.post_ad_idx)[posts].astype(np.int64)
        topic = np.concatenate([post_topic, np.asarray(cat.bio_ad_idx)[bios].astype(np.int64)])
        owner = np.concatenate([creator, bios]).astype(np.int64)
        n = max(1, len(cat))
        keys = np.unique(topic * n + owner)  # (topic, creator) pairs, sorted by topic then row
        counts = np.bincount(keys // n, minlength=int(topic.max(initial=-1)) + 1)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(offsets, (keys % n).astype(np.int64))

    def creators_of(self, topics: NDArray[np.int64]) -> NDArray[np.int64]:
        """Creators with a post or bio above the threshold whose best topic is in ``topics``."""
        topics = topics[topics < len(self.topic_offsets) - 1]
        parts = [self.creators[self.topic_offsets[t] : self.topic_offsets[t + 1]] for t in topics]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def safety_hits(cat: Catalogue) -> SafetyHits:
    """``SafetyHits`` of ``cat``, built once (rebuilt when its ad-topic arrays are replaced)."""
    sources = (cat.post_ad_idx, cat.post_ad_score, cat.bio_ad_idx, cat.bio_ad_score)
    return derived(cat, "safety", SafetyHits.build, *sources, cat.post_offsets)


def prepare_catalogue(cat: Catalogue) -> None:
    """Build the per-catalogue lookup tables the filters use (seconds at a million creators)
    now rather than in the first request that needs each: call it at start-up."""
    derived(cat, "shares", CountryShares.build, cat.aud_countries)
    derived(cat, "handles", HandleRows.build, cat.handles)
    if cat.post_ad_idx is not None and cat.bio_ad_idx is not None:
        safety_hits(cat)


@dataclass
class BriefSignals:
    brief: Brief
    query: NDArray[np.float32]
    catalogue: Catalogue
    topics: TopicIndex
    lexical: LexicalIndex | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    # the catalogue's vector index: finds the dropped creators to quote without gathering
    # every dropped creator's vector (brand safety can drop 100k of a million)
    index: VectorIndex | None = None

    @cached_property
    def brief_topic_scores(self) -> NDArray[np.float32]:
        """Cosine of the brief to every Content Taxonomy topic."""
        return (self.topics.content @ self.query).astype(np.float32)

    @cached_property
    def brief_top_topics(self) -> set[int]:
        """The brief's five best Content Taxonomy topics."""
        return set(np.argsort(-self.brief_topic_scores)[:5].tolist())

    @cached_property
    def text(self) -> str:
        return brief_text(self.brief)

    @cached_property
    def interests(self) -> list[str]:
        return list(getattr(self.brief, "interests", []) or [])

    def mask(self) -> NDArray[np.bool_] | None:
        """Creators allowed by the brief's interests and brand-safety exclusions (None: all);
        fills ``exclusions`` with the (at most ``MAX_QUOTED``) creators closest to the brief that
        brand safety dropped, and why."""
        cat, n = self.catalogue, len(self.catalogue)
        mask = np.ones(n, bool)
        idx, score = cat.topic_idx, cat.topic_score
        if idx is not None and score is not None:
            if getattr(self.brief, "strict_interests", False) and self.interests:
                want = self.topics.subtree_mask("content", self.interests)
                mask &= (want[idx] & (score >= MIN_INTEREST)).any(axis=1)
            excluded = list(getattr(self.brief, "excluded_interests", []) or [])
            if excluded:
                bad = self.topics.subtree_mask("content", excluded)
                top = slice(0, EXCLUDED_TOP)
                mask &= ~(bad[idx[:, top]] & (score[:, top] >= MIN_INTEREST)).any(axis=1)
        categories = list(getattr(self.brief, "excluded_categories", []) or [])
        if categories and cat.post_ad_idx is not None:
            mask &= ~self._unsafe(categories)
        return None if mask.all() else mask

    def _unsafe(self, categories: list[str]) -> NDArray[np.bool_]:
        """Creators with a post (or bio) whose best ad-product topic falls under an excluded
        category with a cosine >= the brand-safety threshold: the rule of
        ``ranking.interests.BrandSafety`` evaluated on precomputed per-post best topics."""
        cat, tax = self.catalogue, self.topics.ad_taxonomy
        owner = np.full(len(tax), -1)
        roots = [tax.resolve(c) for c in categories]
        for j, root in enumerate(roots):
            owner[[tax.index(t) for t in tax.subtree(root)]] = j
        assert cat.post_ad_idx is not None and cat.post_ad_score is not None
        assert cat.bio_ad_idx is not None and cat.bio_ad_score is not None
        # over the posts and bios that clear the threshold only (precomputed once per catalogue)
        hot = safety_hits(cat)
        unsafe = np.zeros(len(cat), bool)
        unsafe[hot.creators_of(np.flatnonzero(owner >= 0))] = True
        rows = np.flatnonzero(unsafe)
        # quote only the creators the brand would most likely have seen: bounded work per request
        if self.index is not None and len(rows) > QUOTE_GATHER_MAX:
            rows, _ = self.index.search(self.query, MAX_QUOTED, unsafe)
        else:
            sims = to_float32(cat.profile[rows]) @ self.query
            rows = rows[np.argsort(-sims, kind="stable")[:MAX_QUOTED]]
        for r in rows:
            posts = np.arange(cat.post_offsets[r], cat.post_offsets[r + 1])
            flagged = (owner[cat.post_ad_idx[posts]] >= 0) & (
                cat.post_ad_score[posts] >= SAFETY_THRESHOLD
            )
            hits = posts[flagged]
            if len(hits):
                p = int(hits[np.argmax(cat.post_ad_score[hits])])
                topic, text = int(cat.post_ad_idx[p]), str(cat.post_texts[p])
            else:
                topic, text = (
                    int(cat.bio_ad_idx[r]),
                    str(cat.bio_texts[r] if cat.bio_texts is not None else ""),
                )
            self.exclusions.append(
                Exclusion(
                    str(cat.ids[r]),
                    str(cat.handles[r]),
                    tax[roots[owner[topic]]].name,
                    self.topics.ad_name(topic),
                    text[:QUOTE_CHARS],
                )
            )
        return unsafe

    def features(self, rows: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        """``lexical_score`` (log1p BM25 of the brief against handle words, bio and captions),
        ``topic_overlap`` (the brief's topic cosines averaged over the creator's interests,
        weighted by their scores) and ``interest_sim`` (the creator's profile against the
        requested interests; NaN when the brief names none)."""
        cat, n = self.catalogue, len(rows)
        out: dict[str, NDArray[np.float64]] = {}
        out["lexical_score"] = (
            np.log1p(self.lexical.scores(self.text, rows)).astype(float)
            if self.lexical is not None and n
            else np.full(n, np.nan)
        )
        if cat.topic_idx is not None and cat.topic_score is not None and n:
            w = np.maximum(cat.topic_score[rows], 0.0).astype(float)
            s = self.brief_topic_scores[cat.topic_idx[rows]].astype(float)
            out["topic_overlap"] = (w * s).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)
        else:
            out["topic_overlap"] = np.full(n, np.nan)
        if self.interests and n:
            tax = self.topics.content_taxonomy
            labels = self.topics.content[[tax.index(tax.resolve(t)) for t in self.interests]]
            out["interest_sim"] = (
                (to_float32(cat.profile[rows]) @ labels.T).max(axis=1).astype(float)
            )
        else:
            out["interest_sim"] = np.full(n, np.nan)
        return out

    def creator_interests(self, row: int, k: int = 3) -> list[str]:
        """The creator's best topics (names), as shown in a match."""
        cat = self.catalogue
        if cat.topic_idx is None or cat.topic_score is None:
            return []
        keep = cat.topic_score[row] >= MIN_INTEREST
        return self.topics.content_names(cat.topic_idx[row][keep][:k])

    def shared_interests(self, row: int) -> list[str]:
        """The creator's interests that are also among the brief's five best topics."""
        cat = self.catalogue
        if cat.topic_idx is None or cat.topic_score is None:
            return []
        keep = [
            int(t)
            for t, s in zip(cat.topic_idx[row], cat.topic_score[row], strict=True)
            if int(t) in self.brief_top_topics and s >= MIN_INTEREST
        ]
        return self.topics.content_names(np.asarray(keep, dtype=np.int64))
