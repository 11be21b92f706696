"""Hard filters and vector candidate search over the catalogue.

Filters are the brand's non-negotiables (platform, follower range, countries, exclusions,
budget). Candidate search keeps the ``n`` creators whose profile vector is closest to the
brief; ``VectorIndex`` is the interface another index (FAISS, a vector DB) can implement.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from matcher.config import RetrievalConfig
from matcher.ranking.budget import check
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.keywords import KeywordMatcher
from matcher.ranking.lexical import LexicalIndex, fuse
from matcher.ranking.text import brief_text
from matcher.schemas import COUNTRY_INDEX, PLATFORM_INDEX, Brief

logger = logging.getLogger(__name__)


class VectorIndex(Protocol):
    def search(
        self, query: NDArray[np.float32], k: int, mask: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Top-k rows by cosine similarity among rows where ``mask`` is True, best first."""
        ...


GATHER_BELOW = 4  # gather the surviving rows before the mat-vec when fewer than 1/4 survive


class ExactIndex:
    """Brute-force inner product over L2-normalised vectors: exact, and fast enough for 100k
    rows (one 100k x 384 mat-vec is ~10 ms on 2 cores)."""

    def __init__(self, vectors: NDArray[np.float32]) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def search(
        self, query: NDArray[np.float32], k: int, mask: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        rows = np.arange(len(self.vectors)) if mask is None else np.flatnonzero(mask)
        if len(rows) == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = query.astype(np.float32)
        if mask is None or len(rows) * GATHER_BELOW > len(self.vectors):
            # many survivors: one mat-vec over all rows reads less memory than copying them out
            sims = self.vectors @ q if mask is None else (self.vectors @ q)[rows]
        else:
            sims = self.vectors[rows] @ q
        k = min(k, len(rows))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -sims[top]))]
        return rows[top].astype(np.int64), sims[top].astype(np.float32)


def hard_filter(
    brief: Brief, cat: Catalogue, costs: NDArray[np.float64], config: RetrievalConfig
) -> NDArray[np.bool_]:
    """Boolean mask of creators that satisfy the brief's targeting (keywords excepted: see
    ``exclude_keywords``, applied to the shortlist because it scans text)."""
    mask = (cat.followers >= brief.min_followers) & (cat.followers <= brief.max_followers)
    if brief.platforms:
        mask &= np.isin(cat.platform_codes, [PLATFORM_INDEX[p] for p in brief.platforms])
    if brief.target_countries:
        cols = [COUNTRY_INDEX[c] for c in brief.target_countries]
        own = np.isin(cat.country_codes, cols)
        share = np.nan_to_num(cat.aud_countries[:, cols].sum(axis=1), nan=0.0)
        # location unknown (no country, no audience data: a brand's own list, a new creator):
        # kept, so a partial catalogue degrades to ranking instead of an empty answer
        mask &= own | (share >= config.min_audience_share) | cat.location_unknown
    if brief.excluded_handles:  # a set: O(creators + handles), unlike np.isin on object arrays
        excluded = set(brief.excluded_handles)
        mask &= ~np.fromiter((h in excluded for h in cat.handles_normalised), bool, len(cat))
    if brief.budget_usd is not None:
        mask &= ~(costs > brief.budget_usd * config.budget_slack)
    return mask


def exclude_keywords(
    brief: Brief,
    cat: Catalogue,
    rows: NDArray[np.int64],
    matcher: KeywordMatcher | None = None,
    deadline: float | None = None,
) -> NDArray[np.int64]:
    """``rows`` without the creators whose bio or posts contain an excluded keyword. Pass the
    brief's ``matcher`` when calling more than once (it is compiled once and remembers rows)."""
    if not brief.excluded_keywords or len(rows) == 0:
        return rows
    m = matcher if matcher is not None else KeywordMatcher(brief.excluded_keywords)
    return np.asarray(m.keep(rows, cat.search_text, deadline), dtype=np.int64)


def hybrid_search(
    query: NDArray[np.float32],
    query_text: str,
    cat: Catalogue,
    index: VectorIndex,
    lexical: LexicalIndex,
    mask: NDArray[np.bool_],
    k: int,
    weight: float,
) -> NDArray[np.int64]:
    """Top-k rows by dense and BM25 scores fused (convex combination of min-max normalised
    scores, ``weight`` on the lexical side) over the union of each side's top-k among ``mask``:
    exact product, brand and place words count, and an ANN index behind ``index`` still works."""
    dense_rows, _ = index.search(query, k, mask)
    lex_rows, _ = lexical.search(query_text, k, mask)
    rows = np.union1d(dense_rows, lex_rows).astype(np.int64)
    if len(rows) == 0:
        return rows
    fused = fuse(
        cat.profile[rows] @ query, lexical.scores(query_text, rows), weight, method="convex"
    )
    return rows[np.lexsort((rows, -fused))][:k]


def retrieve(
    brief: Brief,
    query: NDArray[np.float32],
    cat: Catalogue,
    index: VectorIndex,
    costs: NDArray[np.float64],
    config: RetrievalConfig,
    n: int | None = None,
    lexical: LexicalIndex | None = None,
    extra_mask: NDArray[np.bool_] | None = None,
    deadline: float | None = None,
) -> tuple[NDArray[np.int64], int]:
    """Filtered top-n candidates (best first) and the number of creators that passed filters.
    With a ``lexical`` index and ``config.lexical_weight > 0`` the search is hybrid; ``extra_mask``
    adds the pipeline's own filters (interests, brand safety). Past ``deadline`` (monotonic)
    ``budget.DeadlineExceeded`` is raised."""
    n = n or config.n_candidates
    mask = hard_filter(brief, cat, costs, config)
    if extra_mask is not None:
        mask &= extra_mask
    check(deadline, "filters")
    n_pass = int(mask.sum())
    want = n
    text = brief_text(brief)
    matcher = KeywordMatcher(brief.excluded_keywords) if brief.excluded_keywords else None
    while True:
        if lexical is not None and config.lexical_weight > 0:
            rows = hybrid_search(
                query, text, cat, index, lexical, mask, want, config.lexical_weight
            )
        else:
            rows, _ = index.search(query, want, mask)
        check(deadline, "candidate search")
        kept = exclude_keywords(brief, cat, rows, matcher, deadline)
        if len(kept) >= n or len(rows) >= n_pass:
            break
        want *= 2
    return kept[:n], n_pass
