"""Row surgery on a ``Catalogue``: keep some creators' rows as they are, append rows built
anew. What an incremental refresh (``ranking.refresh``) does instead of building everything.

Kept rows are gathered run by run (consecutive rows in one slice), so a memory-mapped float16
catalogue or a mapped ``TextColumn`` is read once, sequentially, and never turned into Python
objects: only the rows kept are copied, bit for bit. Appended rows are cast to the kept rows'
dtype (float32 vectors of a fresh build become float16 next to a loaded catalogue's, as saving
would have made them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.format import open_memmap
from numpy.typing import NDArray

from matcher.ranking.catalogue import Catalogue
from matcher.ranking.text_column import TextColumn

SCRATCH_BYTES = 256 * 2**20  # a merged array bigger than this goes to a scratch file
# fields with one row per creator (stats are handled apart: a dict of arrays)
CREATOR_FIELDS = (
    "ids",
    "handles",
    "platforms",
    "followers",
    "following",
    "countries",
    "languages",
    "aud_countries",
    "aud_ages",
    "aud_female",
    "price_usd",
    "bio_emb",
    "profile",
    "search_text",
    "bio_texts",
    "topic_idx",
    "topic_score",
    "bio_ad_idx",
    "bio_ad_score",
)
# fields with one row per post (CSR by ``post_offsets``)
POST_FIELDS = ("post_emb", "post_texts", "post_ad_idx", "post_ad_score")


def runs(rows: NDArray[np.int64]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive values in ``rows``, as half-open ``(start, stop)`` pairs."""
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = rows[np.r_[0, breaks]]
    stops = rows[np.r_[breaks - 1, len(rows) - 1]] + 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _merge_text(old: TextColumn, spans: list[tuple[int, int]], new: Any) -> TextColumn:
    new = new if isinstance(new, TextColumn) else TextColumn.from_strings(new)
    offsets = np.asarray(old.offsets)
    sizes = [int(offsets[b] - offsets[a]) for a, b in spans]
    data = np.empty(sum(sizes) + len(new.data), dtype=np.uint8)
    lengths = np.empty(sum(b - a for a, b in spans) + len(new), dtype=np.int64)
    at = row = 0
    for (a, b), size in zip(spans, sizes, strict=True):
        data[at : at + size] = old.data[offsets[a] : offsets[b]]
        lengths[row : row + b - a] = np.diff(offsets[a : b + 1])
        at, row = at + size, row + b - a
    data[at:] = new.data
    lengths[row:] = np.diff(np.asarray(new.offsets))
    out_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_offsets[1:])
    return TextColumn(data, out_offsets)


def _merge(
    old: Any, spans: list[tuple[int, int]], new: Any, scratch: Path | None = None, name: str = ""
) -> Any:
    """Rows ``spans`` of ``old``, then all of ``new`` (cast to ``old``'s type), written once
    into the result (no intermediate copies: vectors of millions of posts are large). With
    ``scratch``, a numeric result over ``SCRATCH_BYTES`` is a memory-mapped ``.npy`` file there
    instead of heap (12M float16 post vectors are 9 GB)."""
    if old is None or new is None:
        return None
    if isinstance(old, TextColumn):
        return _merge_text(old, spans, new)
    head = np.asarray(old[:0])
    new = np.asarray(new, dtype=object) if head.dtype == object else np.asarray(new)
    n_old = sum(b - a for a, b in spans)
    shape = (n_old + len(new), *head.shape[1:])
    size = int(np.prod(shape)) * head.dtype.itemsize
    out: NDArray[Any]
    if scratch is not None and head.dtype != object and size > SCRATCH_BYTES:
        scratch.mkdir(parents=True, exist_ok=True)
        out = open_memmap(scratch / f"{name}.npy", mode="w+", dtype=head.dtype, shape=shape)
    else:
        out = np.empty(shape, dtype=head.dtype)
    at = 0
    for a, b in spans:
        out[at : at + b - a] = old[a:b]
        at += b - a
    out[at:] = new  # numpy casts float32 rows to float16 as saving would
    return out


def take_and_append(
    old: Catalogue,
    keep: NDArray[np.int64],
    new: Catalogue,
    stats: dict[str, NDArray[np.float64]],
    scratch: Path | None = None,
) -> Catalogue:
    """Rows ``keep`` of ``old`` (ascending), then every row of ``new``; ``stats`` are the post
    statistics of the result's rows (recomputed by the caller for all creators); ``scratch``: a
    folder for big numeric results (memory-mapped; the caller deletes it after saving).

    A lookup (``topic_idx``, ...) missing from either side is missing from the result."""
    keep = np.asarray(keep, dtype=np.int64)
    if len(keep) and np.any(np.diff(keep) <= 0):
        raise ValueError("rows to keep must be strictly ascending")
    spans = runs(keep)
    offsets = np.asarray(old.post_offsets)
    post_spans = [(int(offsets[a]), int(offsets[b])) for a, b in spans]
    kw: dict[str, Any] = {}
    for name in CREATOR_FIELDS:
        kw[name] = _merge(getattr(old, name), spans, getattr(new, name), scratch, name)
    for name in POST_FIELDS:
        kw[name] = _merge(getattr(old, name), post_spans, getattr(new, name), scratch, name)
    counts = np.concatenate([np.diff(offsets)[keep], np.diff(np.asarray(new.post_offsets))]).astype(
        np.int64
    )
    kw["post_offsets"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    kw["stats"] = stats
    kw["snapshot_at"] = new.snapshot_at
    return Catalogue(**kw)
