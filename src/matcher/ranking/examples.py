"""Example creators in a brief (``Brief.like``): "find creators like the ones I already like".

A brand names creators it likes (``like: ["@oatsandmiles"]``); each example's profile (what the
encoder saw of its bio, plus its most recent captions) joins the brief's own text, and that
text is embedded as the query. The examples thus pull the query towards their content without
a second retrieval path: filters, features and the ranker are unchanged, and the brief cache
keys on the joined text. Unknown handles are an ``UnknownExampleError`` (a ``ValueError``: the
service and the web app answer 400 and name the handles).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from matcher.ranking.catalogue import Catalogue
from matcher.ranking.text import clean
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

EXAMPLE_POSTS = 3  # recent captions per example creator
EXAMPLE_CHARS = 400  # per example: the brief's own words keep most of the encoder's 256 word pieces
QUERY_CHARS = 4_000  # brief text + examples, before the encoder truncates


class UnknownExampleError(ValueError):
    """Handles in ``like`` that are not in the catalogue; ``handles`` lists them."""

    def __init__(self, handles: Sequence[str]) -> None:
        self.handles = list(handles)
        super().__init__(
            f"like: unknown creator handle(s) {['@' + h for h in self.handles]}; "
            "name creators of the catalogue (as shown in the matches)"
        )


def example_rows(catalogue: Catalogue, handles: Sequence[str]) -> list[int]:
    """Catalogue rows of ``handles`` (``@`` and case ignored), in order; raises
    ``UnknownExampleError`` naming every handle that is not in the catalogue."""
    wanted = [str(h).strip().lower().lstrip("@") for h in handles]
    wanted = [h for h in dict.fromkeys(wanted) if h]
    if not wanted:
        return []
    lookup: dict[str, int] = {}
    for i, h in enumerate(catalogue.handles_normalised):
        lookup.setdefault(str(h), i)
    missing = [h for h in wanted if h not in lookup]
    if missing:
        raise UnknownExampleError(missing)
    return [lookup[h] for h in wanted]


def example_text(catalogue: Catalogue, row: int, n_posts: int = EXAMPLE_POSTS) -> str:
    """One creator's profile as query text: the encoder's bio text and its recent captions."""
    bio = catalogue.bio_texts[row] if catalogue.bio_texts is not None else catalogue.handles[row]
    lo, hi = int(catalogue.post_offsets[row]), int(catalogue.post_offsets[row + 1])
    posts = [str(t) for t in catalogue.post_texts[lo : min(hi, lo + n_posts)]]
    return clean(" ".join([str(bio), *posts]))[:EXAMPLE_CHARS]


def query_text(brief: Brief, base: str, catalogue: Catalogue) -> str:
    """``base`` (the brief's own encoder text) followed by its examples' profiles."""
    like = getattr(brief, "like", None)
    if not like:
        return base
    parts = [base, *(example_text(catalogue, r) for r in example_rows(catalogue, like))]
    return " ".join(p for p in parts if p)[:QUERY_CHARS]
