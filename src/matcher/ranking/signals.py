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
from matcher.ranking.text import brief_text
from matcher.ranking.topic_index import MIN_INTEREST, SAFETY_THRESHOLD, TopicIndex
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

EXCLUDED_TOP = 3  # an excluded interest counts when it is among a creator's 3 best topics
QUOTE_CHARS = 120
MAX_QUOTED = 10  # dropped creators quoted per brief, the closest to the brief first


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


@dataclass
class BriefSignals:
    brief: Brief
    query: NDArray[np.float32]
    catalogue: Catalogue
    topics: TopicIndex
    lexical: LexicalIndex | None = None
    exclusions: list[Exclusion] = field(default_factory=list)

    @cached_property
    def brief_topic_scores(self) -> NDArray[np.float32]:
        """Cosine of the brief to every Content Taxonomy topic."""
        return (self.topics.content @ self.query).astype(np.float32)

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
        post_hit = (owner[cat.post_ad_idx] >= 0) & (cat.post_ad_score >= SAFETY_THRESHOLD)
        bio_hit = (owner[cat.bio_ad_idx] >= 0) & (cat.bio_ad_score >= SAFETY_THRESHOLD)
        creator_of_post = np.repeat(np.arange(len(cat)), np.diff(cat.post_offsets))
        unsafe = bio_hit.copy()
        unsafe[creator_of_post[post_hit]] = True
        rows = np.flatnonzero(unsafe)
        # quote only the creators the brand would most likely have seen: bounded work per request
        rows = rows[np.argsort(-(cat.profile[rows] @ self.query), kind="stable")[:MAX_QUOTED]]
        for r in rows:
            posts = np.arange(cat.post_offsets[r], cat.post_offsets[r + 1])
            hits = posts[post_hit[posts]]
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
            out["interest_sim"] = (cat.profile[rows] @ labels.T).max(axis=1).astype(float)
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
        brief_top = set(np.argsort(-self.brief_topic_scores)[:5].tolist())
        keep = [
            int(t)
            for t, s in zip(cat.topic_idx[row], cat.topic_score[row], strict=True)
            if int(t) in brief_top and s >= MIN_INTEREST
        ]
        return self.topics.content_names(np.asarray(keep, dtype=np.int64))
