"""What each shown list earned: the request log's feedback joined to its impressions, per
impression and per request (the table the A/B rates are ratios of sums over). Binary events
count once per impression (retries are harmless), counts add up, ratings average; feedback on
a creator the list did not show is ignored.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from matcher.online.requestlog import COST_COLUMN, RequestLogFrames
from matcher.schemas import BINARY_FEEDBACK_EVENTS, COUNT_FEEDBACK_EVENTS, FEEDBACK_EVENTS

logger = logging.getLogger(__name__)


def event_table(frames: RequestLogFrames) -> pd.DataFrame:
    """Impressions with one column per feedback event, plus ``rating_sum``/``rating_n`` and,
    when the log has costs, ``spend_usd`` (the cost of accepted creators)."""
    imp = frames.impressions[
        ["request_id", "position", "influencer_id", "variant"]
        + ([COST_COLUMN] if COST_COLUMN in frames.impressions.columns else [])
    ].copy()
    fb = frames.feedback
    fb = fb[fb["event"].isin(FEEDBACK_EVENTS)]
    if len(fb):
        fb = fb.assign(value=pd.to_numeric(fb["value"], errors="coerce").fillna(1.0))
        g = fb.groupby(["request_id", "influencer_id", "event"])["value"]
        agg = pd.concat(
            [g.max().rename("max"), g.sum().rename("sum"), g.mean().rename("mean")], axis=1
        )
        agg = agg.reset_index()
        agg["v"] = np.where(
            agg["event"].isin(BINARY_FEEDBACK_EVENTS),
            (agg["max"] > 0).astype(float),
            np.where(agg["event"].isin(COUNT_FEEDBACK_EVENTS), agg["sum"], agg["mean"]),
        )
        wide = agg.pivot_table(
            index=["request_id", "influencer_id"], columns="event", values="v"
        ).reset_index()
        n_orphan = len(
            wide.merge(imp[["request_id", "influencer_id"]], how="left", indicator=True).query(
                "_merge == 'left_only'"
            )
        )
        if n_orphan:
            logger.warning(
                "%d feedback (request, creator) pairs match no impression; ignored", n_orphan
            )
        imp = imp.merge(wide, on=["request_id", "influencer_id"], how="left")
    for e in FEEDBACK_EVENTS:
        if e not in imp.columns:
            imp[e] = np.nan
    imp["rating_n"] = imp["rating"].notna().astype(float)
    imp["rating_sum"] = imp["rating"].fillna(0.0)
    for e in FEEDBACK_EVENTS:
        if e != "rating":
            imp[e] = imp[e].fillna(0.0)
    if COST_COLUMN in imp.columns:
        imp["spend_usd"] = np.where(
            imp["accepted"] > 0, pd.to_numeric(imp[COST_COLUMN], errors="coerce"), 0.0
        )
    return imp


def clusters(req: pd.DataFrame) -> pd.Series:
    """The brand (the unit of assignment); requests without one fall back to their brief
    (hashed on text when routed), then to the request."""
    brand = req["brand_id"].where(req["brand_id"].notna() & (req["brand_id"] != ""), None)
    return brand.fillna(req["brief_id"]).fillna(req["request_id"]).astype(str)


def per_request(frames: RequestLogFrames) -> pd.DataFrame:
    """One row per request: cluster (brand), variant, status, latency and event totals."""
    req = frames.requests.copy()
    req["cluster"] = clusters(req)
    ev = event_table(frames)
    cols = [
        c
        for c in (*FEEDBACK_EVENTS, "rating_sum", "rating_n", "spend_usd")
        if c in ev.columns and c != "rating"
    ]
    sums = ev.groupby("request_id")[cols].sum()
    sums["impressions"] = ev.groupby("request_id").size()
    req = req.merge(sums, left_on="request_id", right_index=True, how="left")
    for c in [*cols, "impressions"]:
        req[c] = req[c].fillna(0.0)
    return req
