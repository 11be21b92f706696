"""MatchPipeline: filters -> candidates -> features -> models -> ranked matches.

The ONLY inference path: evaluation, the CLI, the MLflow pyfunc and the BentoML service all
call it. Everything serving needs (catalogue embeddings, fitted featurizer state, models,
encoder spec, past outcomes) is saved in one directory by ``save`` and restored by ``load``.

Final score (documented in README): ``score = ranker_raw + w * log(expected_ER / typical_ER)``
where ``typical_ER`` is the median engagement rate of the creator's platform and follower
tier on the training catalogue and ``w = scoring.engagement_weight``. The ranker orders by
fit; the second term lifts creators expected to over-deliver on engagement for their size.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import CatalogueConfig, EncoderConfig, TrainConfig
from matcher.ranking.ann import build_index
from matcher.ranking.budget import check
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.catalogue_files import (
    read_hashes,
)
from matcher.ranking.embeddings import TextEncoder
from matcher.ranking.examples import query_text
from matcher.ranking.features import PairFeaturizer
from matcher.ranking.helper_threads import helper
from matcher.ranking.history import History, brief_day
from matcher.ranking.lexical import LexicalIndex
from matcher.ranking.manifest import CorruptModelError
from matcher.ranking.matches import Recommendation, Scored, assemble_matches
from matcher.ranking.migrations import FORMAT_VERSION, UnsupportedFormatError
from matcher.ranking.models import CostModel, EngagementModel
from matcher.ranking.pipeline_store import (
    DERIVED,
    LEGACY_CATALOGUE,
    LEGACY_FILES,
    LEXICAL_DIR,
    PIPELINE_FILES,
    read_pipeline,
    write_pipeline,
)
from matcher.ranking.pipeline_store import (
    derived_key as _derived_key,  # imported from here by ranking.catalogue_update
)
from matcher.ranking.ranker import FitRanker
from matcher.ranking.retrieval import VectorIndex, hard_filter, retrieve
from matcher.ranking.signals import BriefSignals
from matcher.ranking.text import brief_text
from matcher.ranking.topic_index import TopicIndex
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

# the files of a saved folder and how they are written and read: ranking.pipeline_store
__all__ = [
    "DERIVED",
    "_derived_key",
    "FORMAT_VERSION",
    "LEGACY_CATALOGUE",
    "LEGACY_FILES",
    "LEXICAL_DIR",
    "PIPELINE_FILES",
    "CorruptModelError",
    "MatchPipeline",
    "Recommendation",
    "Scored",
    "UnsupportedFormatError",
]


class MatchPipeline:
    def __init__(
        self,
        *,
        config: TrainConfig,
        encoder: TextEncoder,
        catalogue: Catalogue,
        featurizer: PairFeaturizer,
        ranker: FitRanker,
        engagement: EngagementModel,
        cost_model: CostModel,
        history: History,
        metadata: dict[str, Any] | None = None,
        index: VectorIndex | None = None,
        topics: TopicIndex | None = None,
        lexical: LexicalIndex | None = None,
        derived: dict[str, NDArray[Any]] | None = None,
    ) -> None:
        self.config = config
        self.encoder = encoder
        self.featurizer = featurizer
        self.ranker = ranker
        self.engagement = engagement
        self.cost_model = cost_model
        self.history = history
        self.metadata = dict(metadata or {})
        self.topics = topics or TopicIndex.fit(encoder)
        # the saved catalogue version this one was loaded from (None: built in memory), and the
        # content hash per creator when known (saved with the version, for incremental updates)
        self.catalogue_version: str | None = None
        self._hashes: pd.DataFrame | None = None
        self._set_catalogue(catalogue, index, lexical, derived)

    @property
    def catalogue_hashes(self) -> pd.DataFrame | None:
        """``influencer_id, content_hash`` of the catalogue (``ranking.content_hash``), None when
        unknown; read from the saved version on first use (serving never needs them)."""
        if self._hashes is None and self._catalogue_source is not None:
            self._hashes = read_hashes(self._catalogue_source)
        return self._hashes

    @catalogue_hashes.setter
    def catalogue_hashes(self, value: pd.DataFrame | None) -> None:
        self._hashes = value

    def _set_catalogue(
        self,
        cat: Catalogue,
        index: VectorIndex | None = None,
        lexical: LexicalIndex | None = None,
        derived: dict[str, NDArray[Any]] | None = None,
    ) -> None:
        """Precompute everything that does not depend on the brief (costs, index, history,
        interests and each post's ad-product topic, the lexical index). A loaded catalogue
        version brings all but the history and the index precomputed (``derived``: the costs
        and typical engagement rates saved by ``save`` for these models)."""
        if cat.topic_idx is None:
            cat.topic_idx, cat.topic_score = self.topics.top_interests(cat.profile)
            cat.post_ad_idx, cat.post_ad_score = self.topics.best_ad_topic(cat.post_emb)
            cat.bio_ad_idx, cat.bio_ad_score = self.topics.best_ad_topic(cat.bio_emb)
        self.catalogue = cat
        self._catalogue_source: Path | None = None  # the version folder ``cat`` was loaded from
        self.lexical = lexical or LexicalIndex().fit(cat.lexical_documents())
        self.price_known = np.isfinite(cat.price_usd) & (cat.price_usd > 0)
        derived = derived or {}
        if "costs" in derived:
            self.costs = derived["costs"]
        else:
            est = self.cost_model.predict(
                CostModel.design(
                    cat.followers, cat.stats["engagement_rate"], cat.platforms, cat.countries
                )
            )
            self.costs = np.where(self.price_known, cat.price_usd, est)
        self.index = index or build_index(cat.profile, self.config.retrieval)
        self.aligned_history = self.history.aligned(cat)
        self.typical_er = (
            derived["typical_er"]
            if "typical_er" in derived
            else self.featurizer.typical_er(cat, np.arange(len(cat)))
        )

    @property
    def feature_names(self) -> list[str]:
        return list(self.featurizer.feature_names_)

    # ------------------------------------------------------------------ inference
    def embed_briefs(self, briefs: list[Brief]) -> NDArray[np.float32]:
        return self.encoder.encode([self.query_text(b) for b in briefs], desc="embedding briefs")

    def query_text(self, brief: Brief) -> str:
        """What the encoder sees of a brief: its text, plus the profiles of its example creators
        (``brief.like``, ``ranking.examples``; unknown handles raise ``UnknownExampleError``)."""
        return query_text(brief, brief_text(brief), self.catalogue)

    def _day(self, brief: Brief) -> float:
        return brief_day(brief, pd.Timestamp.now())

    def signals(self, brief: Brief, query: NDArray[np.float32]) -> BriefSignals:
        """What the brief asks beyond its filters (interests, brand safety, exact words)."""
        return BriefSignals(
            brief, query, self.catalogue, self.topics, self.lexical, index=self.index
        )

    def features_for(
        self,
        brief: Brief,
        rows: NDArray[np.int64],
        query: NDArray[np.float32],
        signals: BriefSignals | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Feature matrix for (brief, rows): the same call in training, evaluation and serving."""
        context = (signals or self.signals(brief, query)).features(rows)
        return self.featurizer.transform(
            brief,
            query,
            rows,
            self.catalogue,
            self.costs,
            self.price_known,
            self.aligned_history,
            self._day(brief),
            context,
        )

    def score_rows(
        self,
        brief: Brief,
        rows: NDArray[np.int64],
        query: NDArray[np.float32] | None = None,
        signals: BriefSignals | None = None,
    ) -> Scored:
        q = self.embed_briefs([brief])[0] if query is None else query
        X, best = self.features_for(brief, rows, q, signals)
        if len(X) < self.ranker.threads.parallel_predict_rows:  # request-sized: side by side,
            job = helper().submit(self.engagement.predict_mean, X)  # 1 thread each, GIL released
            raw = self.ranker.decision_function(X)
            er = job.result()
        else:  # bulk scoring: each prediction uses every core already
            raw, er = self.ranker.decision_function(X), self.engagement.predict_mean(X)
        w = self.config.scoring.engagement_weight
        score = (
            raw + w * np.log(np.maximum(er, 1e-6) / np.maximum(self.typical_er[rows], 1e-6))
            if len(rows)
            else raw
        )
        fit = self.ranker.fit_probability(raw)
        return Scored(rows, raw, fit, er, score, X, best, self.engagement)

    def score_pairs(self, brief: Brief, influencer_ids: list[str]) -> Scored:
        """Score given creators for a brief, bypassing filters and retrieval (logged evaluation,
        interleaving, re-scoring a brand's own shortlist)."""
        return self.score_rows(brief, self.catalogue.rows_for(influencer_ids))

    def candidates(
        self,
        brief: Brief,
        query: NDArray[np.float32],
        n: int | None = None,
        signals: BriefSignals | None = None,
        *,
        deadline: float | None = None,
        filtered: NDArray[np.bool_] | None = None,
    ) -> tuple[NDArray[np.int64], int]:
        sig = signals or self.signals(brief, query)
        extra = sig.mask()
        check(deadline, "signals")
        return retrieve(
            brief,
            query,
            self.catalogue,
            self.index,
            self.costs,
            self.config.retrieval,
            n,
            lexical=self.lexical,
            extra_mask=extra,
            deadline=deadline,
            filtered=filtered,
        )

    def embed_while_filtering(self, brief: Brief) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        """(the brief's vector, its ``hard_filter`` mask): the encoder runs on a helper thread
        (ONNX Runtime and torch release the GIL) while this one applies the filters and scores
        the brief's words with BM25, neither of which needs the vector. The same results as
        one after the other; at 1M creators the filters and BM25 take about as long as the
        embedding."""
        job = helper().submit(self.embed_briefs, [brief])
        try:
            mask = hard_filter(brief, self.catalogue, self.costs, self.config.retrieval)
            if self.lexical is not None and self.config.retrieval.lexical_weight > 0:
                self.lexical.prepare(brief_text(brief))
        finally:
            vectors = job.result()  # waited for even when the filters raised
        return vectors[0], mask

    def recommend(
        self,
        brief: Brief,
        k: int = 10,
        query: NDArray[np.float32] | None = None,
        *,
        deadline: float | None = None,
    ) -> Recommendation:
        """The top ``k`` for one brief. ``deadline`` (a ``time.monotonic()`` instant) bounds the
        work: past it, ``budget.DeadlineExceeded`` is raised naming the stage reached."""
        if not 1 <= k <= S.MAX_K:
            raise ValueError(f"k must be between 1 and {S.MAX_K}, got {k}")
        check(deadline, "start")
        filtered = None
        if query is None:
            q, filtered = self.embed_while_filtering(brief)
        else:
            q = query
        check(deadline, "embedding")
        sig = self.signals(brief, q)
        rows, n_pass = self.candidates(
            brief,
            q,
            max(self.config.retrieval.n_candidates, k),
            sig,
            deadline=deadline,
            filtered=filtered,
        )
        check(deadline, "retrieval")
        excluded = sig.exclusions
        if len(rows) == 0:
            why = (
                "no influencer in the catalogue passes the brief's filters (platforms, follower range, "
                "countries, budget, interests, brand safety, exclusions)"
            )
            return Recommendation([], n_pass, why, excluded)
        scored = self.score_rows(brief, rows, q, sig)
        check(deadline, "scoring")
        order = np.lexsort((scored.rows, -scored.score))[:k]
        return Recommendation(
            assemble_matches(self, brief, scored, order, sig, deadline), n_pass, excluded=excluded
        )

    def recommend_batch(
        self, briefs: list[Brief], k: int = 10, *, deadline: float | None = None
    ) -> list[Recommendation]:
        """``recommend`` for each brief, the briefs embedded together; ``deadline`` bounds the whole batch."""
        check(deadline, "start")
        qs = self.embed_briefs(briefs)
        check(deadline, "embedding")
        return [self.recommend(b, k, q, deadline=deadline) for b, q in zip(briefs, qs, strict=True)]

    # ------------------------------------------------------------------ other catalogues
    def with_catalogue(
        self,
        influencers: pd.DataFrame,
        posts: pd.DataFrame | None,
        catalogue_config: CatalogueConfig | None = None,
        history: History | None = None,
    ) -> MatchPipeline:
        """The same models over another catalogue (a brand's own list, new creators). Columns
        that are missing become unknown features; creators without history are cold starts
        (``history`` replaces the pipeline's past outcomes, e.g. ``History.empty()``)."""
        cat = Catalogue.build(
            influencers, posts, self.encoder, catalogue_config or self.config.catalogue
        )
        return self.over_catalogue(
            cat, history=history, metadata={**self.metadata, "catalogue": "custom"}
        )

    def over_catalogue(
        self,
        catalogue: Catalogue,
        *,
        index: VectorIndex | None = None,
        lexical: LexicalIndex | None = None,
        derived: dict[str, NDArray[Any]] | None = None,
        history: History | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> MatchPipeline:
        """A new pipeline with these models (shared, not copied) over ``catalogue``; the vector
        and BM25 indexes and the derived arrays are built unless given."""
        return MatchPipeline(
            config=self.config,
            encoder=self.encoder,
            catalogue=catalogue,
            topics=self.topics,
            featurizer=self.featurizer,
            ranker=self.ranker,
            engagement=self.engagement,
            cost_model=self.cost_model,
            history=self.history if history is None else history,
            metadata=self.metadata if metadata is None else metadata,
            index=index,
            lexical=lexical,
            derived=derived,
        )

    # ------------------------------------------------------------------ persistence
    def info(self) -> dict[str, Any]:
        return {
            **self.metadata,
            "encoder": self.encoder.spec(),
            "features": self.feature_names,
            "catalogue_size": len(self.catalogue),
            "catalogue_snapshot": self.catalogue.snapshot_at.isoformat(),
        }

    def save(self, path: str | Path) -> Path:
        """One folder (format 3): the model files and the catalogue as a version folder
        (``ranking.pipeline_store``, docs/catalogue.md)."""
        return write_pipeline(self, Path(path))

    @classmethod
    def load(
        cls,
        path: str | Path,
        encoder_config: EncoderConfig | None = None,
        encoder: TextEncoder | None = None,
        *,
        mmap: bool = True,
    ) -> MatchPipeline:
        """A folder written by ``save``, of this format or an older one (migrated in memory with
        a WARNING; ``matcher export --model DIR`` rewrites it): ``ranking.pipeline_store``.
        ``mmap``: the catalogue's arrays stay memory-mapped (shared by every worker process)."""
        return read_pipeline(cls, Path(path), encoder_config, encoder, mmap=mmap)
