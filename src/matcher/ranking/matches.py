"""From scored candidates to the matches a brand sees.

``Scored`` holds the models' outputs for one brief's candidates, ``Recommendation`` the answer,
and ``assemble_matches`` turns the top k into ``schemas.Match`` objects: fit and engagement
with its 80% interval (computed for the shown creators only), cost, best post, interests and
the reasons (TreeSHAP, on a helper thread while the other fields are gathered).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.ranking.budget import check
from matcher.ranking.explain import reasons
from matcher.ranking.helper_threads import helper
from matcher.ranking.models import EngagementModel
from matcher.ranking.signals import BriefSignals, Exclusion
from matcher.schemas import Brief, EngagementEstimate, Match

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline


@dataclass
class Scored:
    """Model outputs for a set of catalogue rows (one brief), in the order given. The
    engagement interval is computed on demand (``interval`` for the rows shown, ``er_low`` /
    ``er_high`` for all): ranking needs only the expected rate."""

    rows: NDArray[np.int64]
    raw: NDArray[np.float64]
    fit: NDArray[np.float64]
    er: NDArray[np.float64]
    score: NDArray[np.float64]
    X: NDArray[np.float32]
    best_post: NDArray[np.int64]
    engagement: EngagementModel

    def interval(self, idx: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(10th, 90th percentile) of the engagement rate at positions ``idx``."""
        return self.engagement.interval(self.X[idx], self.er[idx])

    @cached_property
    def _all_intervals(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.interval(np.arange(len(self.rows)))

    @property
    def er_low(self) -> NDArray[np.float64]:
        return self._all_intervals[0]

    @property
    def er_high(self) -> NDArray[np.float64]:
        return self._all_intervals[1]


@dataclass
class Recommendation:
    matches: list[Match]
    n_candidates: int
    reason: str | None = None
    excluded: list[Exclusion] = field(
        default_factory=list
    )  # dropped for brand safety, with the post


def assemble_matches(
    pipe: MatchPipeline,
    brief: Brief,
    s: Scored,
    order: NDArray[np.int64],
    sig: BriefSignals,
    deadline: float | None = None,
) -> list[Match]:
    """The matches at positions ``order`` of ``s`` (best first), with their reasons."""
    cat = pipe.catalogue
    # TreeSHAP (LightGBM, GIL released) on a helper thread while this one gathers the rest
    job = helper().submit(pipe.ranker.contributions, s.X[order])
    er_low, er_high = s.interval(order)
    shown = []
    for rank, (j, low, high) in enumerate(zip(order, er_low, er_high, strict=True), start=1):
        check(deadline, "explaining")
        r = int(s.rows[j])
        followers = float(cat.followers[r])
        bp = int(s.best_post[j])
        shared = sig.shared_interests(r)
        shown.append(
            (
                j,
                str(cat.platforms[r]),
                S.follower_tier(followers),
                [f"Shares the brief's interests: {', '.join(shared)}"] if shared else [],
                functools.partial(
                    Match,
                    rank=rank,
                    influencer_id=str(cat.ids[r]),
                    handle=str(cat.handles[r]),
                    platform=str(cat.platforms[r]),
                    followers=int(followers),
                    country=str(cat.countries[r]) or None,
                    score=round(float(s.score[j]), 6),
                    fit_score=round(float(s.fit[j]), 4),
                    expected_engagement=EngagementEstimate(
                        rate=round(float(s.er[j]), 6),
                        rate_low=round(float(low), 6),
                        rate_high=round(float(high), 6),
                        engagements=round(float(s.er[j]) * followers, 1),
                    ),
                    estimated_cost_usd=round(float(pipe.costs[r]), 2),
                    cost_is_estimate=not bool(pipe.price_known[r]),
                    best_post=str(cat.post_texts[bp]) if bp >= 0 else None,
                    interests=sig.creator_interests(r),
                ),
            )
        )
    contrib = job.result()
    n_top = pipe.config.scoring.explain_top_n_features
    out = []
    for c, (j, platform, tier, shared_reason, match) in zip(contrib, shown, strict=True):
        why = reasons(c, s.X[j], pipe.feature_names, brief, platform, tier, n_top)
        out.append(match(reasons=why + shared_reason))
    return out
