"""Fit a MatchPipeline from validated tables: split by time, embed, featurize, fit models.

Splits respect the problem: briefs are ordered by ``created_at``; the latest are the test
set, the ones before them the validation set (early stopping), the rest train. History
features only ever see outcomes of briefs created strictly before the brief being featurized.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.config import TrainConfig
from matcher.data.briefs import briefs_to_models
from matcher.data.io import MarketTables
from matcher.data.labels import Split, relevance_from_outcomes, time_split
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.content_hash import content_hashes, hashes_frame
from matcher.ranking.embeddings import SentenceEncoder, TextEncoder
from matcher.ranking.features import PairFeaturizer
from matcher.ranking.history import History
from matcher.ranking.models import CostModel, EngagementModel
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.ranker import FitRanker
from matcher.ranking.retrieval import hard_filter
from matcher.schemas import Brief
from matcher.training.dropout import training_view
from matcher.training.small_data import load_warm_start, make_ranker

logger = logging.getLogger(__name__)


@dataclass
class TrainingSet:
    X: NDArray[np.float32]
    y: NDArray[np.int64]
    group: NDArray[np.int64]
    brief_ids: list[str]
    er_X: NDArray[np.float32]
    er_y: NDArray[np.float64]
    position: NDArray[np.int64]  # shown position; sampled negatives count as seen at the top


@dataclass
class TrainReport:
    split: Split
    n_train_rows: int
    n_valid_rows: int
    n_engagement_rows: int
    seconds: dict[str, float] = field(default_factory=dict)
    ranker_curve: dict[str, Any] = field(default_factory=dict)


def build_training_set(
    pipe: MatchPipeline,
    briefs: dict[str, Brief],
    queries: dict[str, NDArray[np.float32]],
    outcomes: pd.DataFrame,
    brief_ids: list[str],
    negatives: int,
    rng: np.random.Generator,
    progress: bool = False,
    view: MatchPipeline | None = None,
) -> TrainingSet:
    """Rows of one brief stay contiguous (LightGBM groups): its logged outcomes plus
    ``negatives`` random unexposed creators that pass its filters (relevance 0).

    ``view`` (a feature-dropout view of ``pipe``, same catalogue rows) featurizes the rows;
    which rows there are (filters, sampled negatives) is always decided on ``pipe``."""
    cat = pipe.catalogue
    featurize = view or pipe
    by_brief = {k: g for k, g in outcomes.groupby(S.BRIEF_ID, sort=False)}
    Xs, ys, groups, kept, erX, ery, pos = [], [], [], [], [], [], []
    for bid in tqdm(brief_ids, desc="features", disable=not progress, mininterval=1.0):
        g = by_brief.get(bid)
        if g is None or len(g) == 0:
            continue
        g = g[g[S.INFLUENCER_ID].astype(str).isin(cat.index)]
        rows = cat.rows_for(g[S.INFLUENCER_ID].astype(str).tolist())
        y = relevance_from_outcomes(g)
        p = g[S.SHOWN_POSITION].to_numpy(np.int64)
        brief = briefs[bid]
        if negatives:
            mask = hard_filter(brief, cat, pipe.costs, pipe.config.retrieval)
            mask[rows] = False
            pool = np.flatnonzero(mask)
            if len(pool):
                neg = rng.choice(pool, size=min(negatives, len(pool)), replace=False)
                rows = np.concatenate([rows, np.sort(neg)])
                y = np.concatenate([y, np.zeros(len(neg), np.int64)])
                p = np.concatenate([p, np.ones(len(neg), np.int64)])
        X, _ = featurize.features_for(brief, rows, queries[bid])
        Xs.append(X)
        ys.append(y)
        pos.append(p)
        groups.append(len(rows))
        kept.append(bid)
        acc = (
            g[S.ACCEPTED].astype(bool).to_numpy()
            & pd.to_numeric(g[S.POST_ENGAGEMENTS], errors="coerce").notna().to_numpy()
        )
        if acc.any():
            n_logged = len(g)
            erX.append(X[:n_logged][acc])
            fol = np.maximum(cat.followers[rows[:n_logged][acc]], 1.0)
            ery.append(
                pd.to_numeric(g[S.POST_ENGAGEMENTS], errors="coerce").to_numpy(float)[acc] / fol
            )
    d = len(pipe.feature_names)
    return TrainingSet(
        X=np.vstack(Xs) if Xs else np.zeros((0, d), np.float32),
        y=np.concatenate(ys) if ys else np.zeros(0, np.int64),
        group=np.asarray(groups, dtype=np.int64),
        brief_ids=kept,
        er_X=np.vstack(erX) if erX else np.zeros((0, d), np.float32),
        er_y=np.concatenate(ery) if ery else np.zeros(0),
        position=np.concatenate(pos) if pos else np.zeros(0, np.int64),
    )


def training_sets(
    pipe: MatchPipeline,
    tables: MarketTables,
    split: Split,
    config: TrainConfig,
    progress: bool = False,
) -> tuple[TrainingSet, TrainingSet]:
    """Train and validation matrices from the outcomes of the split's train + valid briefs
    (seeded: the same config gives the same sampled negatives). Training rows are featurized
    with ``config.feature_dropout`` applied; validation rows never are."""
    fitted = set(split.train) | set(split.valid)
    outcomes = tables.outcomes[tables.outcomes[S.BRIEF_ID].astype(str).isin(fitted)]
    brief_models = dict(
        zip(tables.briefs[S.BRIEF_ID].astype(str), briefs_to_models(tables.briefs), strict=True)
    )
    fit_ids = [b for b in split.train + split.valid if b in brief_models]
    queries = dict(zip(fit_ids, pipe.embed_briefs([brief_models[b] for b in fit_ids]), strict=True))
    rng = np.random.default_rng(config.seed)
    view, _ = training_view(
        pipe, tables.influencers, tables.posts, config.feature_dropout, config.seed
    )
    train = build_training_set(
        pipe,
        brief_models,
        queries,
        outcomes,
        split.train,
        config.negatives_per_brief,
        rng,
        progress,
        view=view,
    )
    valid = build_training_set(
        pipe,
        brief_models,
        queries,
        outcomes,
        split.valid,
        config.negatives_per_brief,
        rng,
        progress,
    )
    return train, valid


def fit_pipeline(
    tables: MarketTables,
    config: TrainConfig,
    encoder: TextEncoder | None = None,
    split: Split | None = None,
    progress: bool = True,
    metadata: dict[str, Any] | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[MatchPipeline, TrainReport]:
    """``catalogue``: one already built from ``tables`` with ``config.catalogue`` (a benchmark
    that trains many times on one market builds it once)."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    encoder = encoder or SentenceEncoder(
        config.encoder.model_copy(update={"show_progress": progress})
    )
    split = split or time_split(tables.briefs, config.split)
    fitted_briefs = set(split.train) | set(split.valid)

    catalogue = catalogue or Catalogue.build(
        tables.influencers, tables.posts, encoder, config.catalogue
    )
    timings["catalogue"] = time.perf_counter() - t0

    featurizer = PairFeaturizer(top_posts=config.catalogue.top_posts, features=config.features).fit(
        catalogue
    )
    cost_model = CostModel(random_state=config.seed).fit(
        CostModel.design(
            catalogue.followers,
            catalogue.stats["engagement_rate"],
            catalogue.platforms,
            catalogue.countries,
        ),
        catalogue.price_usd,
    )
    outcomes = tables.outcomes[tables.outcomes[S.BRIEF_ID].astype(str).isin(fitted_briefs)]
    history = History.from_outcomes(outcomes, tables.briefs)
    pipe = MatchPipeline(
        config=config,
        encoder=encoder,
        catalogue=catalogue,
        featurizer=featurizer,
        ranker=FitRanker(config.ranker, config.seed),
        cost_model=cost_model,
        engagement=EngagementModel(config.engagement, config.seed),
        history=history,
        metadata=dict(metadata or {}),
    )
    # saved with the catalogue version, so `matcher catalogue update` embeds only what changed
    pipe.catalogue_hashes = hashes_frame(
        content_hashes(tables.influencers, tables.posts, config.catalogue)
    )

    t1 = time.perf_counter()
    train, valid = training_sets(pipe, tables, split, config, progress)
    timings["features"] = time.perf_counter() - t1
    if len(train.group) == 0:
        raise ValueError("no training brief has outcomes: cannot fit the ranker")

    t2 = time.perf_counter()
    names = pipe.feature_names
    debias = config.debias_position
    n_briefs = len(train.group) + len(valid.group)
    init = load_warm_start(config.small_data.warm_start) if config.small_data.warm_start else None
    pipe.ranker = make_ranker(config, n_briefs)
    pipe.ranker.fit(
        train.X,
        train.y,
        train.group,
        names,
        valid.X,
        valid.y,
        valid.group,
        position=train.position if debias else None,
        position_valid=valid.position if debias else None,
        init_model=init,
    )
    if config.refit_on_valid and len(valid.group):
        # early stopping chose the number of trees; refit with that many on train + valid so
        # the briefs closest in time to the test period are learned from too
        curve = pipe.ranker.evals_result_
        start = init.current_iteration() if init is not None else 0
        rounds = max(1, pipe.ranker.booster_.current_iteration() - start)
        params = pipe.ranker.params.model_copy(update={"n_estimators": rounds})
        pipe.ranker = make_ranker(config, n_briefs, params).fit(
            np.vstack([train.X, valid.X]),
            np.concatenate([train.y, valid.y]),
            np.concatenate([train.group, valid.group]),
            names,
            position=np.concatenate([train.position, valid.position]) if debias else None,
            init_model=init,
        )
        pipe.ranker.evals_result_ = curve
    if len(train.er_y) < 20:
        raise ValueError(
            f"only {len(train.er_y)} accepted campaigns with engagement: too few to fit "
            "the engagement model"
        )
    pipe.engagement.fit(train.er_X, train.er_y, names, valid.er_X, valid.er_y)
    timings["fit"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    pipe.metadata.update(
        {
            "trained_at": pd.Timestamp.now("UTC").isoformat(),
            "seed": config.seed,
            "n_train_briefs": len(train.group),
            "n_valid_briefs": len(valid.group),
            "ranker_params": pipe.ranker.params.model_dump(),
            "warm_start": config.small_data.warm_start,
            "n_test_briefs": len(split.test),
            "train_period_end": str(
                pd.to_datetime(
                    tables.briefs.set_index(S.BRIEF_ID).loc[split.train + split.valid, S.CREATED_AT]
                ).max()
            ),
        }
    )
    report = TrainReport(
        split=split,
        n_train_rows=len(train.y),
        n_valid_rows=len(valid.y),
        n_engagement_rows=len(train.er_y),
        seconds=timings,
        ranker_curve=pipe.ranker.evals_result_,
    )
    logger.info(
        "trained on %d briefs (%d rows) in %.1fs", len(train.group), len(train.y), timings["total"]
    )
    return pipe, report
