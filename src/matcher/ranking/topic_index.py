"""The pipeline's view of the IAB taxonomies: the label vectors of both, embedded once by the
pipeline's encoder and saved with it, and the brief-independent lookups the catalogue and the
features need (a creator's top interests, each post's ad-product category).

The zero-shot scoring rules (label texts, the brand-safety margin) are ``ranking.interests``;
this module only stores its label matrices so serving never re-embeds 1,287 labels at start-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.iab.taxonomy import Taxonomy, taxonomy
from matcher.ranking.embeddings import TextEncoder
from matcher.ranking.interests import LabelCache, TopicClassifier

logger = logging.getLogger(__name__)

TOP_TOPICS = 5  # interests kept per creator
MIN_INTEREST = (
    0.30  # cosine below which a topic is not shown as an interest (TopicClassifier's floor)
)
SAFETY_THRESHOLD = (
    0.40  # BrandSafety's threshold for all-MiniLM-L6-v2 (measured in ranking.interests)
)


@dataclass
class TopicIndex:
    content: NDArray[np.float32]  # (704, d) label vectors of the Content Taxonomy
    ad_product: NDArray[np.float32]  # (583, d) label vectors of the Ad Product Taxonomy

    @classmethod
    def fit(cls, encoder: TextEncoder, cache: LabelCache | None = None) -> TopicIndex:
        cache = cache or LabelCache()
        return cls(
            TopicClassifier(taxonomy("content"), encoder, cache=cache).fit().topic_vectors,
            TopicClassifier(taxonomy("ad_product"), encoder, cache=cache).fit().topic_vectors,
        )

    @property
    def content_taxonomy(self) -> Taxonomy:
        return taxonomy("content")

    @property
    def ad_taxonomy(self) -> Taxonomy:
        return taxonomy("ad_product")

    def top_interests(
        self, vectors: NDArray[np.float32], k: int = TOP_TOPICS
    ) -> tuple[NDArray[np.int16], NDArray[np.float32]]:
        """Per row, its ``k`` best content topics (indexes into the taxonomy) and cosines."""
        if len(vectors) == 0:
            return np.zeros((0, k), np.int16), np.zeros((0, k), np.float32)
        s = vectors @ self.content.T
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        sc = np.take_along_axis(s, top, 1)
        order = np.argsort(-sc, axis=1, kind="stable")
        return np.take_along_axis(top, order, 1).astype(np.int16), np.take_along_axis(
            sc, order, 1
        ).astype(np.float32)

    def best_ad_topic(
        self, vectors: NDArray[np.float32], batch: int = 20_000
    ) -> tuple[NDArray[np.int16], NDArray[np.float32]]:
        """Per text, its best ad-product topic and cosine (brand safety checks these per post)."""
        idx = np.zeros(len(vectors), np.int16)
        score = np.zeros(len(vectors), np.float32)
        for i in range(0, len(vectors), batch):
            s = vectors[i : i + batch] @ self.ad_product.T
            idx[i : i + batch] = s.argmax(axis=1)
            score[i : i + batch] = s.max(axis=1)
        return idx, score

    def subtree_mask(self, kind: str, topic_ids: list[str]) -> NDArray[np.bool_]:
        """Boolean over the taxonomy's rows: the topics and all their descendants."""
        tax = self.content_taxonomy if kind == "content" else self.ad_taxonomy
        mask = np.zeros(len(tax), bool)
        for t in topic_ids:
            mask[[tax.index(x) for x in tax.subtree(tax.resolve(t))]] = True
        return mask

    def content_names(self, idx: NDArray[np.integer[Any]]) -> list[str]:
        return [self.content_taxonomy.topics[int(i)].name for i in idx]

    def ad_name(self, i: int) -> str:
        return self.ad_taxonomy.topics[int(i)].name

    def state(self) -> dict[str, NDArray[np.float32]]:
        return {"content": self.content, "ad_product": self.ad_product}

    @classmethod
    def from_state(cls, state: dict[str, NDArray[Any]]) -> TopicIndex:
        return cls(
            np.asarray(state["content"], np.float32), np.asarray(state["ad_product"], np.float32)
        )
