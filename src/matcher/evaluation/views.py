"""The ranked lists of one brief that offline evaluation scores, and the model's score for them.

Three views:
- ``logged``: the creators that have outcomes for the brief; relevance graded from the
  observed outcome (0 shown, 1 contacted, 2 accepted, 3 accepted and rated >= 4). This is what
  a real deployment can measure.
- ``catalogue``: every creator that passes the brief's filters; relevance graded from the
  simulator's true utility (needs the hidden truth). The model ranks its retrieved candidates
  first; creators retrieval did not return follow in cosine order, so retrieval misses count.
- ``profile-only``: the catalogue view of ``profile_only(pipe, tables)``, the same models over
  a copy of the catalogue stripped to what a bios-only listing has (``PROFILE_COLUMNS``; no
  posts, audience, price or outcome history): how the model does on real catalogues that
  arrive like that. Its filters are that pipeline's (a creator without price passes a budget by
  its estimated fee, as the product does).

Written once here: single-pipeline evaluation (``offline.evaluate``) and the paired comparison
of two pipelines (``compare``) rank exactly these lists.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.data.briefs import briefs_to_models
from matcher.data.io import MarketTables
from matcher.data.labels import relevance_from_outcomes
from matcher.ranking.history import History
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.retrieval import exclude_keywords, hard_filter
from matcher.schemas import Brief

logger = logging.getLogger(__name__)

PROFILE_ONLY = "profile-only"
VIEWS: tuple[str, ...] = ("logged", "catalogue", PROFILE_ONLY)
# what a catalogue of bios only still has: everything else of a creator is stripped
PROFILE_COLUMNS: tuple[str, ...] = (
    S.INFLUENCER_ID,
    S.HANDLE,
    S.PLATFORM,
    S.FOLLOWERS,
    S.BIO,
    S.COUNTRY,
    S.LANGUAGE,
)
NOT_RETRIEVED = (
    -1e6
)  # base score of catalogue creators retrieval did not return (plus their cosine)


class TruthLike(Protocol):
    def expected_utility(self, brief_id: str, influencer_ids: Any) -> NDArray[np.float64]: ...

    def relevance_grades(self, brief_id: str, influencer_ids: Any) -> NDArray[np.int64]: ...


@dataclass(frozen=True)
class RankedView:
    """One brief in one view: the creators to rank (catalogue ids, in list order) and their grades."""

    view: str
    brief_id: str
    brief: Brief
    ids: list[str]
    y: NDArray[np.int64]


def held_out_briefs(tables: MarketTables, brief_ids: Sequence[str]) -> list[tuple[str, Brief]]:
    """``(brief_id, Brief)`` for the ids found in ``tables``, in the order asked."""
    df = tables.briefs[tables.briefs[S.BRIEF_ID].astype(str).isin(brief_ids)]
    briefs = dict(zip(df[S.BRIEF_ID].astype(str), briefs_to_models(df), strict=True))
    return [(b, briefs[b]) for b in brief_ids if b in briefs]


def brief_queries(
    pipe: MatchPipeline, briefs: Sequence[tuple[str, Brief]]
) -> dict[str, NDArray[np.float32]]:
    """The pipeline's query embedding of each brief, embedded in one batch."""
    return dict(
        zip([b for b, _ in briefs], pipe.embed_briefs([brief for _, brief in briefs]), strict=True)
    )


def profile_only(pipe: MatchPipeline, tables: MarketTables) -> MatchPipeline:
    """The pipeline's models over ``tables.influencers`` stripped to ``PROFILE_COLUMNS``, with
    no posts and no history: the pipeline whose catalogue view is the ``profile-only`` view."""
    inf = tables.influencers
    stripped = inf[[c for c in PROFILE_COLUMNS if c in inf.columns]].copy()
    return pipe.with_catalogue(stripped, posts=None, history=History.empty())


def ranked_views(
    pipe: MatchPipeline,
    tables: MarketTables,
    briefs: Iterable[tuple[str, Brief]],
    truth: TruthLike | None = None,
    views: Collection[str] = VIEWS,
    among: Collection[str] | None = None,
) -> Iterator[RankedView]:
    """Per brief in order, its logged list then its catalogue list (empty lists are skipped).

    Creators come from ``pipe``'s catalogue (the catalogue view also from its filters);
    ``among`` keeps only those ids (e.g. the creators two pipelines both know). The catalogue
    view needs ``truth``. The profile-only view is not built here: it is the catalogue view of
    ``profile_only(pipe, tables)`` (see ``offline.evaluate``).
    """
    cat = pipe.catalogue
    outcomes = {k: g for k, g in tables.outcomes.groupby(S.BRIEF_ID, sort=False)}
    for bid, brief in briefs:
        if "logged" in views and bid in outcomes:
            g = outcomes[bid]
            g = g[g[S.INFLUENCER_ID].astype(str).isin(cat.index if among is None else among)]
            if len(g):
                yield RankedView(
                    "logged",
                    bid,
                    brief,
                    g[S.INFLUENCER_ID].astype(str).tolist(),
                    relevance_from_outcomes(g),
                )
        if "catalogue" in views and truth is not None:
            rows = exclude_keywords(
                brief,
                cat,
                np.flatnonzero(hard_filter(brief, cat, pipe.costs, pipe.config.retrieval)),
            )
            ids = [str(cat.ids[r]) for r in rows]
            if among is not None:
                ids = [i for i in ids if i in among]
            if ids:
                yield RankedView(
                    "catalogue", bid, brief, ids, np.asarray(truth.relevance_grades(bid, ids))
                )


def model_scores(
    pipe: MatchPipeline, v: RankedView, query: NDArray[np.float32]
) -> NDArray[np.float64]:
    """The pipeline's score for each creator of the view (any pipeline whose catalogue has them).

    Logged view: the final score of every listed creator. Catalogue view: only what the
    pipeline's retrieval returns is scored; the rest rank after it, in cosine order
    (``NOT_RETRIEVED + cosine``), so a creator retrieval loses is charged to the model.
    """
    cat = pipe.catalogue
    rows = cat.rows_for(v.ids)
    if v.view == "logged":
        return pipe.score_rows(v.brief, rows, query).score.astype(float)
    out = NOT_RETRIEVED + (cat.profile[rows] @ query).astype(float)
    cand, _ = pipe.candidates(v.brief, query)
    pos = {int(r): i for i, r in enumerate(rows)}
    cand = np.array([r for r in cand if int(r) in pos], dtype=np.int64)
    if len(cand):
        out[[pos[int(r)] for r in cand]] = pipe.score_rows(v.brief, cand, query).score
    return out
