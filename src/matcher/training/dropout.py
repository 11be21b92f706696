"""Feature dropout: train as if part of the catalogue arrived without posts, audience data,
prices or outcome history, so the ranker learns the paths a real partial upload takes.

Masking never writes NaN into a feature matrix. It empties the masked creators' cells of the
uploaded tables (their posts, audience columns, price) and drops their past outcomes, then
builds the catalogue from those tables exactly as any other catalogue is built
(``MatchPipeline.with_catalogue``: same fitted featurizer, cost model and taxonomy; the
embedding cache makes the re-embedding a lookup). What a missing group becomes (no post
vectors, profile = bio vector, unknown statistics, estimated cost, cold start) is therefore
decided by the one owner of that knowledge, ``Catalogue.build``, never restated here. As in a
real partial upload, what is computed over the whole upload follows it too: BM25 statistics,
and the snapshot time when the latest post was a masked creator's (``days_since_last_post``
then moves by the same amount for every creator).

Which rows are trained on (filters, sampled negatives) never depends on the masks; the ranker
and the engagement model both learn from the masked training rows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.config import FeatureDropoutConfig
from matcher.ranking.history import History
from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

GROUPS: tuple[str, ...] = tuple(FeatureDropoutConfig().shares())
# the influencer columns a creator without audience data / without a price has empty
AUDIENCE_COLUMNS: tuple[str, ...] = (S.AUDIENCE_COUNTRIES, S.AUDIENCE_AGES, S.AUDIENCE_FEMALE)
PRICE_COLUMNS: tuple[str, ...] = (S.PRICE_USD,)
# a stream of its own, so the masks never share random numbers with the sampled negatives
_STREAM = 0xD20


def draw_masks(n: int, config: FeatureDropoutConfig, seed: int) -> dict[str, NDArray[np.bool_]]:
    """Per group, which of ``n`` catalogue rows lack it. One uniform per creator and group:
    groups are independent, the same seed gives the same masks, and a larger share masks a
    superset of the creators a smaller one does."""
    u = np.random.default_rng([_STREAM, seed]).random((len(GROUPS), n))
    shares = config.shares()
    return {g: u[i] < shares[g] for i, g in enumerate(GROUPS)}


def masked_influencers(
    influencers: pd.DataFrame, no_audience: NDArray[np.object_], no_price: NDArray[np.object_]
) -> pd.DataFrame:
    """The validated influencers table with these creators' audience / price cells empty
    (what validation makes of a blank cell)."""
    out = influencers.copy()
    ids = out[S.INFLUENCER_ID].astype(str)
    for who, columns in ((no_audience, AUDIENCE_COLUMNS), (no_price, PRICE_COLUMNS)):
        rows = ids.isin(np.asarray(who).astype(str)).to_numpy()
        for c in columns:
            if c in out.columns and rows.any():
                out.loc[rows, c] = np.nan
    return out


def masked_posts(posts: pd.DataFrame, no_posts: NDArray[np.object_]) -> pd.DataFrame:
    """The posts table without any post of these creators."""
    return posts[~posts[S.INFLUENCER_ID].astype(str).isin(np.asarray(no_posts).astype(str))]


def masked_history(history: History, no_history: NDArray[np.object_]) -> History:
    """``history`` without any outcome of these creators (cold starts)."""
    keep = ~np.isin(history.ids.astype(str), np.asarray(no_history).astype(str))
    return History(
        ids=history.ids[keep],
        days=history.days[keep],
        contacted=history.contacted[keep],
        accepted=history.accepted[keep],
        rating=history.rating[keep],
    )


def dropout_view(
    pipe: MatchPipeline,
    influencers: pd.DataFrame,
    posts: pd.DataFrame,
    masks: dict[str, NDArray[np.bool_]],
) -> MatchPipeline:
    """``pipe``'s fitted parts over the catalogue built from tables in which the masked
    creators truly lack their groups. ``influencers``/``posts`` are the validated tables
    ``pipe``'s catalogue was built from; rows stay aligned with ``pipe.catalogue``."""
    ids = {g: pipe.catalogue.ids[m] for g, m in masks.items()}
    view = pipe.with_catalogue(
        masked_influencers(influencers, ids["audience"], ids["price"]),
        masked_posts(posts, ids["posts"]),
        history=masked_history(pipe.history, ids["history"]),
    )
    if not np.array_equal(view.catalogue.ids, pipe.catalogue.ids):
        raise ValueError(
            "the tables given are not the ones the pipeline's catalogue was built from"
        )
    return view


def training_view(
    pipe: MatchPipeline,
    influencers: pd.DataFrame,
    posts: pd.DataFrame,
    config: FeatureDropoutConfig,
    seed: int,
) -> tuple[MatchPipeline, dict[str, NDArray[np.bool_]]]:
    """The pipeline that featurizes training rows and the masks it applies: ``pipe`` itself
    (and no masks) when dropout is off, so training is then exactly as without dropout."""
    if not config.active:
        return pipe, {}
    masks = draw_masks(len(pipe.catalogue), config, seed)
    logger.info(
        "feature dropout: creators without %s",
        ", ".join(f"{g} {int(m.sum())}/{len(m)}" for g, m in masks.items()),
    )
    return dropout_view(pipe, influencers, posts, masks), masks
