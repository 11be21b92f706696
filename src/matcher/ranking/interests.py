"""Interests and brand safety, zero-shot with the text encoder: texts are scored by cosine to
each IAB topic's label text (name, parent path, and a description from ``matcher/iab/descriptions.tsv``
where the name alone is ambiguous), so a brewery tour is near "Alcohol > Beer" without sharing a
word with it. The vocabularies themselves are ``matcher.iab.taxonomy``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from matcher.iab.taxonomy import Taxonomy
from matcher.ranking.embeddings import TextEncoder

logger = logging.getLogger(__name__)


class TopicScore(NamedTuple):
    topic_id: str
    name: str
    score: float


class LabelCache:
    """Label matrices keyed by encoder spec and label texts, so each encoder embeds a taxonomy
    once per process however many classifiers are built. Thread-safe; hand one to every
    ``TopicClassifier`` that should share it."""

    def __init__(self) -> None:
        self._items: dict[str, NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_encode(self, encoder: TextEncoder, texts: Sequence[str]) -> NDArray[np.float32]:
        h = hashlib.blake2b(
            json.dumps(encoder.spec(), sort_keys=True, default=str).encode(), digest_size=16
        )
        h.update("\0".join(texts).encode("utf-8"))
        key = h.hexdigest()
        with self._lock:  # held while encoding: two threads never embed the same labels twice
            if key not in self._items:
                self._items[key] = encoder.encode(list(texts), desc="taxonomy labels")
            return self._items[key]


class TopicClassifier:
    """Zero-shot topics for text vectors: cosine to each topic's label vector.

    ``calibration="softmax"`` turns a text's cosines over the candidate topics into shares summing
    to one (``temperature``: how peaked), readable as probabilities, in the same order. ``min_score``
    is on that scale: 0.3 suits raw MiniLM cosines (the right topic of a bio scored 0.37-0.84 on 30
    test bios; chit-chat such as "happy monday!" stays under 0.3)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: TextEncoder,
        *,
        calibration: Literal["none", "softmax"] = "none",
        temperature: float = 0.05,
        min_score: float = 0.3,
        cache: LabelCache | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.encoder = encoder
        self.calibration = calibration
        self.temperature = temperature
        self.min_score = min_score
        self.cache = cache

    def fit(self) -> TopicClassifier:
        """Embed every label text (once per encoder and process when a ``LabelCache`` is shared)."""
        if self.calibration not in ("none", "softmax") or self.temperature <= 0:
            raise ValueError(
                f"bad calibration {self.calibration!r} / temperature {self.temperature}"
            )
        cache = self.cache if self.cache is not None else LabelCache()
        self.topic_vectors_ = cache.get_or_encode(
            self.encoder, [t.label_text for t in self.taxonomy]
        )
        return self

    @property
    def topic_vectors(self) -> NDArray[np.float32]:
        """Unit label vectors, one row per topic in ``taxonomy.ids`` order (for overlap features)."""
        if not hasattr(self, "topic_vectors_"):
            raise RuntimeError("TopicClassifier is not fitted: call fit() first")
        return self.topic_vectors_

    def cosines(self, vectors: NDArray[np.floating]) -> NDArray[np.float32]:
        """(texts x topics) cosine similarities of unit text vectors to the label vectors."""
        labels = self.topic_vectors
        v32: NDArray[np.float32] = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if v32.shape[1] != labels.shape[1]:
            raise ValueError(
                f"text vectors are {v32.shape[1]}-d, the topic vectors of "
                f"{self.encoder.name} {labels.shape[1]}-d"
            )
        return v32 @ labels.T

    def scores(
        self, vectors: NDArray[np.floating], topics: Sequence[str] | None = None
    ) -> NDArray[np.float32]:
        """Scores over all topics or over the given ids (columns in that order), calibrated."""
        s = self.cosines(vectors)
        if topics is not None:
            s = s[:, [self.taxonomy.index(t) for t in topics]]
        if self.calibration == "softmax":
            s = np.exp((s - s.max(axis=1, keepdims=True)) / self.temperature)
            s /= s.sum(axis=1, keepdims=True)
        return s.astype(np.float32, copy=False)

    def classify(
        self,
        vectors: NDArray[np.floating],
        top_k: int = 5,
        min_score: float | None = None,
        topics: Sequence[str] | None = None,
    ) -> list[list[TopicScore]]:
        """Per text, its best ``top_k`` topics (of all, or of ``topics``) scoring at least
        ``min_score`` (default: the classifier's), best first."""
        ids = list(self.taxonomy.ids if topics is None else topics)
        s = self.scores(vectors, topics)
        floor = self.min_score if min_score is None else min_score
        top = np.argsort(-s, axis=1, kind="stable")[:, :top_k]
        return [
            [
                TopicScore(ids[j], self.taxonomy[ids[j]].name, float(row[j]))
                for j in idx
                if row[j] >= floor
            ]
            for row, idx in zip(s, top, strict=True)
        ]


class SensitiveHit(NamedTuple):
    category_id: str  # the excluded category the text falls under
    category: str
    topic_id: str  # the node of its subtree that matched best (Beer under Alcohol)
    topic: str
    score: float  # cosine


class BrandSafety:
    """Which excluded categories (with their subtrees) texts fall under, by meaning, not keywords.

    Caught: the best topic inside the excluded subtrees has cosine >= ``threshold`` and beats every
    other topic by ``margin`` (0: the text's best category is an excluded one, so "non-alcoholic
    kombucha" stays with Beverages). 0.40 / 0.0 were chosen for all-MiniLM-L6-v2 on the labelled
    posts of tests/integration/test_taxonomy_model.py."""

    def __init__(
        self, classifier: TopicClassifier, threshold: float = 0.40, margin: float = 0.0
    ) -> None:
        self.classifier = classifier
        self.threshold = threshold
        self.margin = margin

    def product_categories(
        self, vectors: NDArray[np.floating], top_k: int = 3, min_score: float | None = None
    ) -> list[list[TopicScore]]:
        """What a brief's product text is, on the classifier's taxonomy (the Ad Product one)."""
        return self.classifier.classify(vectors, top_k, min_score)

    def sensitive_hits(
        self, vectors: NDArray[np.floating], excluded_categories: Iterable[str]
    ) -> list[SensitiveHit | None]:
        """Per text, the excluded category it falls under (ids, names or paths), or None."""
        tax = self.classifier.taxonomy
        owner: dict[int, str] = {}
        for root in tax.validate(excluded_categories):
            for tid in tax.subtree(root):
                owner.setdefault(tax.index(tid), root)
        s = self.classifier.cosines(vectors)
        if not owner:
            return [None] * len(s)
        cols = np.fromiter(owner, dtype=np.int64, count=len(owner))
        rest = np.setdiff1d(np.arange(len(tax)), cols)
        best = s[:, cols].argmax(axis=1)
        top = s[np.arange(len(s)), cols[best]]
        other = s[:, rest].max(axis=1) if len(rest) else np.full(len(s), -np.inf)
        caught = (top >= self.threshold) & (top - other >= self.margin)
        return [
            SensitiveHit(owner[j], tax[owner[j]].name, tax.ids[j], tax.topics[j].name, float(t))
            if c
            else None
            for j, t, c in zip(cols[best].tolist(), top, caught, strict=True)
        ]
