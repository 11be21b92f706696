"""Hard filters and vector candidate search over the catalogue.

Filters are the brand's non-negotiables (platform, follower range, countries, exclusions,
budget). Candidate search keeps the ``n`` creators whose profile vector is closest to the
brief; ``VectorIndex`` is the interface another index (FAISS, a vector DB) can implement.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.config import RetrievalConfig
from matcher.ranking.budget import check
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.keywords import KeywordMatcher
from matcher.ranking.lexical import LexicalIndex, fuse
from matcher.ranking.text import brief_text
from matcher.schemas import COUNTRIES, COUNTRY_INDEX, PLATFORM_INDEX, PLATFORMS, Brief
from matcher.vectors import to_float32

logger = logging.getLogger(__name__)

T = TypeVar("T")
_DERIVED: dict[int, dict[str, Any]] = {}


def derived(cat: Catalogue, key: str, build: Callable[[Catalogue], T], *sources: object) -> T:
    """A brief-independent structure over ``cat`` (lookup tables the per-request filters use
    instead of scanning every creator), built on first use and dropped with the catalogue;
    rebuilt when one of ``sources`` (the arrays it is built from) is replaced. A catalogue is
    not modified in place once searched; if it is, call ``forget_derived(cat)``."""
    slot = _DERIVED.get(id(cat))
    if slot is None:
        slot = _DERIVED[id(cat)] = {}
        weakref.finalize(cat, _DERIVED.pop, id(cat), None)
    cached = slot.get(key)
    if (
        cached is None
        or len(cached[0]) != len(sources)
        or any(a is not b for a, b in zip(cached[0], sources, strict=True))
    ):
        cached = slot[key] = (sources, build(cat))
    return cached[1]  # type: ignore[no-any-return]


def forget_derived(cat: Catalogue) -> None:
    """Drop what ``derived`` built over ``cat`` (after changing its arrays in place)."""
    _DERIVED.pop(id(cat), None)


def _lookup(size: int, codes: Iterable[int]) -> NDArray[np.bool_]:
    """A table t with t[code] True for ``codes``; t[-1] (unknown code -1) stays False."""
    table = np.zeros(size + 1, bool)
    table[list(codes)] = True
    return table


# Up to this many wanted codes, one vectorised comparison each beats a table gather: at 1M
# creators two comparisons took 0.6 ms, a gather 2.4 ms (int8 and int16 codes alike).
EQ_CODES = 6


def in_codes(values: NDArray[np.integer], size: int, codes: Iterable[int]) -> NDArray[np.bool_]:
    """``values`` in ``codes`` (integer codes below ``size``; -1 = unknown, never in)."""
    wanted = sorted(set(codes))
    if len(wanted) > EQ_CODES:
        return _lookup(size, wanted)[values]
    out = np.zeros(len(values), bool)
    for c in wanted:
        out |= values == c
    return out


@dataclass(frozen=True)
class CountryShares:
    """The audience-country matrix by column, non-zero shares only (a creator's audience sits in
    ~3 of 45 countries): a brief's share per creator costs its countries' entries, not a pass over
    the whole (n, 45) matrix."""

    offsets: NDArray[np.int64]  # column c: rows[offsets[c]:offsets[c + 1]]
    rows: NDArray[np.int64]
    shares: NDArray[np.float32]

    @classmethod
    def build(cls, cat: Catalogue) -> CountryShares:
        aud = np.asarray(cat.aud_countries, dtype=np.float32)
        rows, cols = np.nonzero(aud > 0)  # NaN (unknown) and 0 add nothing to a sum
        order = np.argsort(cols, kind="stable")  # by column, rows ascending within one
        counts = np.bincount(cols, minlength=aud.shape[1])
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(offsets, rows[order].astype(np.int64), aud[rows[order], cols[order]])

    def share(self, cols: list[int], n: int) -> NDArray[np.float32]:
        """Sum of each creator's audience shares in ``cols``, added in the order of ``cols``
        (as numpy sums a row of fewer than 8 values: the same float32 result)."""
        out = np.zeros(n, np.float32)
        for c in cols:  # a column names each row once: np.add.at = the same adds, 2x faster
            lo, hi = self.offsets[c], self.offsets[c + 1]
            np.add.at(out, self.rows[lo:hi], self.shares[lo:hi])
        return out


@dataclass(frozen=True)
class HandleRows:
    """Catalogue rows by normalised handle (lower case, no '@'), as sorted utf-8 bytes: the
    rows of a brief's excluded handles by binary search, not a pass over every handle."""

    keys: NDArray[np.bytes_]
    rows: NDArray[np.int64]

    @classmethod
    def build(cls, cat: Catalogue) -> HandleRows:
        encoded = [str(h).lower().lstrip("@").encode("utf-8") for h in cat.handles]
        width = max((len(b) for b in encoded), default=1) or 1
        keys = np.array(encoded, dtype=f"S{width}")
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], order.astype(np.int64))

    def rows_of(self, handles: Iterable[str]) -> NDArray[np.int64]:
        found = []
        for h in set(handles):
            b = h.encode("utf-8")
            # longer than every key (numpy would truncate it) or ending in NUL (S strips it)
            if len(b) > self.keys.dtype.itemsize or b.endswith(b"\0") or not b:
                continue
            lo = int(np.searchsorted(self.keys, b, side="left"))
            hi = int(np.searchsorted(self.keys, b, side="right"))
            found.append(self.rows[lo:hi])
        return np.concatenate(found) if found else np.zeros(0, np.int64)


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
    mask = cat.followers >= brief.min_followers
    mask &= cat.followers <= brief.max_followers
    if brief.platforms:  # over int8 codes: no sort (np.isin), no string compare
        mask &= in_codes(
            cat.platform_codes, len(PLATFORMS), (PLATFORM_INDEX[p] for p in brief.platforms)
        )
    if brief.target_countries:
        cols = [COUNTRY_INDEX[c] for c in brief.target_countries]
        own = in_codes(cat.country_codes, len(COUNTRIES), cols)
        if len(cols) < 8:  # by column, non-zero shares only: the same float32 sums
            shares = derived(cat, "shares", CountryShares.build, cat.aud_countries)
            share = shares.share(cols, len(cat))
        else:  # numpy sums 8+ values pairwise: keep its order
            share = np.nan_to_num(cat.aud_countries[:, cols].sum(axis=1), nan=0.0)
        # location unknown (no country, no audience data: a brand's own list, a new creator):
        # kept, so a partial catalogue degrades to ranking instead of an empty answer
        own |= share >= config.min_audience_share
        own |= cat.location_unknown
        mask &= own
    if brief.excluded_handles:  # binary search per handle, not a pass over every creator
        handles = derived(cat, "handles", HandleRows.build, cat.handles)
        mask[handles.rows_of(brief.excluded_handles)] = False
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
        to_float32(cat.profile[rows]) @ query,
        lexical.scores(query_text, rows),
        weight,
        method="convex",
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
    filtered: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], int]:
    """Filtered top-n candidates (best first) and the number of creators that passed filters.
    With a ``lexical`` index and ``config.lexical_weight > 0`` the search is hybrid; ``extra_mask``
    adds the pipeline's own filters (interests, brand safety); ``filtered``: ``hard_filter``'s
    mask for this brief when it is computed already. Past ``deadline`` (monotonic)
    ``budget.DeadlineExceeded`` is raised."""
    n = n or config.n_candidates
    mask = hard_filter(brief, cat, costs, config) if filtered is None else filtered
    if extra_mask is not None:
        mask = mask & extra_mask
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
