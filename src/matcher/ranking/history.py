"""Past outcomes per creator, the source of the ``hist_*`` features, without leakage.

``History`` is what the pipeline keeps (one row per logged outcome, with the day of its brief)
and saves as ``history.parquet`` (``to_frame``/``from_frame``); ``AlignedHistory`` is the same
keyed by catalogue row, answering "what happened to these creators before day t" for many
creators at once. Days are days since the Unix epoch (``brief_day``), naive UTC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.ranking.catalogue import Catalogue
from matcher.schemas import Brief

logger = logging.getLogger(__name__)


@dataclass
class History:
    """Past outcomes per creator, queryable "as of" a time without leakage.

    Rows are sorted by (creator, brief time); prefix sums answer "what happened before t"
    for many creators at once with one ``searchsorted``.
    """

    ids: NDArray[np.object_]  # influencer id per event
    days: NDArray[np.float64]  # brief created_at in days since epoch
    contacted: NDArray[np.float64]
    accepted: NDArray[np.float64]
    rating: NDArray[np.float64]  # NaN if none

    @classmethod
    def from_outcomes(cls, outcomes: pd.DataFrame, briefs: pd.DataFrame) -> History:
        if len(outcomes) == 0:
            return cls.empty()
        t = pd.to_datetime(briefs.set_index(S.BRIEF_ID)[S.CREATED_AT])
        created = outcomes[S.BRIEF_ID].map(t)
        rating = (
            pd.to_numeric(outcomes[S.BRAND_RATING], errors="coerce")
            if S.BRAND_RATING in outcomes.columns
            else pd.Series(np.nan, index=outcomes.index)
        )
        return cls(
            ids=outcomes[S.INFLUENCER_ID].astype(str).to_numpy(dtype=object),
            days=_days(created),
            contacted=outcomes[S.CONTACTED].astype(float).to_numpy(),
            accepted=outcomes[S.ACCEPTED].astype(float).to_numpy(),
            rating=rating.to_numpy(dtype=float),
        )

    @classmethod
    def empty(cls) -> History:
        z = np.zeros(0)
        return cls(np.zeros(0, dtype=object), z, z, z, z)

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome: the table saved as ``history.parquet``."""
        return pd.DataFrame(
            {
                "influencer_id": self.ids.astype(str),
                "day": self.days,
                "contacted": self.contacted,
                "accepted": self.accepted,
                "rating": self.rating,
            }
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> History:
        """The inverse of ``to_frame``."""
        return cls(
            ids=df["influencer_id"].astype(str).to_numpy(dtype=object),
            days=df["day"].to_numpy(float),
            contacted=df["contacted"].to_numpy(float),
            accepted=df["accepted"].to_numpy(float),
            rating=df["rating"].to_numpy(float),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def aligned(self, cat: Catalogue) -> AlignedHistory:
        return AlignedHistory(self, cat)


class AlignedHistory:
    """History keyed by catalogue row; creators unknown to the history have none (cold start)."""

    def __init__(self, hist: History, cat: Catalogue) -> None:
        rows = np.array([cat.index.get(str(i), -1) for i in hist.ids], dtype=np.int64)
        keep = rows >= 0
        rows, days = rows[keep], hist.days[keep]
        order = np.lexsort((days, rows))
        self.rows = rows[order]
        self.days = days[order]
        self.key = self.rows.astype(np.float64) * 1e7 + self.days
        rated = ~np.isnan(hist.rating[keep][order])

        def prefix(x: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.concatenate([[0.0], np.cumsum(x)])

        self.c_shown = prefix(np.ones(len(order)))
        self.c_contacted = prefix(hist.contacted[keep][order])
        self.c_accepted = prefix(hist.accepted[keep][order])
        self.c_rated = prefix(rated.astype(float))
        self.c_rating = prefix(np.nan_to_num(hist.rating[keep][order], nan=0.0))

    def before(self, rows: NDArray[np.int64], day: float) -> dict[str, NDArray[np.float64]]:
        lo = np.searchsorted(self.key, rows.astype(np.float64) * 1e7 - 1.0, side="left")
        hi = np.searchsorted(self.key, rows.astype(np.float64) * 1e7 + day, side="left")
        shown = self.c_shown[hi] - self.c_shown[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            contacted = self.c_contacted[hi] - self.c_contacted[lo]
            accepted = self.c_accepted[hi] - self.c_accepted[lo]
            rated = self.c_rated[hi] - self.c_rated[lo]
            rsum = self.c_rating[hi] - self.c_rating[lo]
            return {
                "hist_shown": shown,
                "hist_contact_rate": np.where(shown > 0, contacted / shown, np.nan),
                "hist_accept_rate": np.where(contacted > 0, accepted / contacted, np.nan),
                "hist_mean_rating": np.where(rated > 0, rsum / rated, np.nan),
            }


def _days(ts: pd.Series | pd.Timestamp) -> NDArray[np.float64]:
    epoch = pd.Timestamp("1970-01-01")
    if isinstance(ts, pd.Timestamp):
        return np.array([(ts.tz_localize(None) if ts.tzinfo else ts) - epoch]) / pd.Timedelta(
            days=1
        )
    s = pd.to_datetime(ts)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return ((s - epoch) / pd.Timedelta(days=1)).to_numpy(dtype=float)


def brief_day(brief: Brief, default: pd.Timestamp) -> float:
    """The brief's ``created_at`` on the history's day axis (``default`` when it has none)."""
    ts = pd.Timestamp(brief.created_at) if brief.created_at is not None else default
    return float(_days(ts)[0])
