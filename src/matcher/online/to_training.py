"""Turn the service's request log into training rows: logged briefs + what happened to each
creator they were shown, merged into the historical tables for the next retraining.

One outcome row per impression (a creator shown at a position for a brief):
``contacted`` is true when the brand contacted *or* accepted the creator (accepted implies
contacted), ``accepted`` from the accepted event, the counts and ``brand_rating`` from their
events (missing when not reported). A request whose list received no feedback at all is
skipped by default: "the brand ignored every creator" and "the feedback has not arrived yet"
look the same, and counting the second as negatives would teach the ranker the wrong thing.
``shortlisted`` has no outcome column yet and is not used.

Rows are deduplicated on (brief_id, influencer_id), the newest kept: a logged row replaces a
historical one, a later request of the same brief an earlier one. A brief without a
``brief_id`` gets its request id; one without a ``brand_id`` becomes its own brand
(``anon:<request_id>``) so brand-based splits cannot pool unrelated anonymous briefs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from matcher import schemas as S
from matcher.data.briefs import brief_to_row
from matcher.data.io import MarketTables, load_market, validate_briefs, validate_outcomes
from matcher.online.requestlog import read_request_log
from matcher.schemas import BINARY_FEEDBACK_EVENTS, Brief

logger = logging.getLogger(__name__)

KEY = [S.BRIEF_ID, S.INFLUENCER_ID]
# the outcome column each feedback event fills (``shortlisted`` has none yet): yes/no events and
# counts share their column's name, the rating fills ``brand_rating``
EVENT_OUTCOME_COLUMNS: dict[str, str] = {
    **{e: e for e in S.FEEDBACK_EVENTS if e in (*S.OUTCOME_REQUIRED, *S.OUTCOME_OPTIONAL)},
    "rating": S.BRAND_RATING,
}


def logged_tables(
    db_path: str | Path, require_feedback: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw (unvalidated) briefs and outcomes rows from the log, oldest request first."""
    log = read_request_log(db_path)
    req, imp, fb = log.requests[log.requests["status"] == "ok"], log.impressions, log.feedback
    if require_feedback:
        req = req[req["request_id"].isin(set(fb["request_id"]))]
    brief_rows: list[dict[str, Any]] = []
    order: dict[str, int] = {}
    skipped = 0
    for r in req.itertuples(index=False):
        try:
            brief = Brief.model_validate_json(r.brief_json)
        except ValidationError:  # logged by an older version with looser limits (issue 10)
            skipped += 1
            continue
        i = len(brief_rows)
        row = brief_to_row(brief)
        row[S.BRIEF_ID] = brief.brief_id or r.request_id
        row[S.BRAND_ID] = brief.brand_id or f"anon:{r.request_id}"
        created = brief.created_at.isoformat() if brief.created_at is not None else r.created_at
        row[S.CREATED_AT] = created
        row["request_id"] = r.request_id
        brief_rows.append(row)
        order[r.request_id] = i
    if skipped:
        logger.warning(
            "%s: skipped %d logged brief(s) that no longer pass the brief's limits",
            db_path,
            skipped,
        )
    briefs = pd.DataFrame(
        brief_rows, columns=[*S.BRIEF_REQUIRED, *S.BRIEF_OPTIONAL, *S.BRIEF_TOPICS, "request_id"]
    )
    imp = imp[imp["request_id"].isin(order)].copy()
    if imp.empty:
        out = pd.DataFrame(columns=[*S.OUTCOME_REQUIRED, *S.OUTCOME_OPTIONAL])
        return briefs.drop(columns="request_id"), out
    if not fb.empty:
        wide = fb.pivot_table(
            index=["request_id", "influencer_id"], columns="event", values="value", aggfunc="last"
        )
        imp = imp.join(wide, on=["request_id", "influencer_id"])
    for event in EVENT_OUTCOME_COLUMNS:
        if event not in imp.columns:
            imp[event] = float("nan")
    accepted = imp["accepted"].fillna(0) > 0
    out = pd.DataFrame(
        {
            S.BRIEF_ID: imp["request_id"].map(briefs.set_index("request_id")[S.BRIEF_ID]),
            S.INFLUENCER_ID: imp["influencer_id"].astype(str),
            S.SHOWN_POSITION: imp["position"].astype(int),
            S.CONTACTED: (imp["contacted"].fillna(0) > 0) | accepted,
            S.ACCEPTED: accepted,
            **{
                col: imp[e]
                for e, col in EVENT_OUTCOME_COLUMNS.items()
                if e not in BINARY_FEEDBACK_EVENTS
            },
        }
    )
    out["_order"] = imp["request_id"].map(order).to_numpy()
    out = out.sort_values(["_order", S.SHOWN_POSITION], kind="stable").drop(columns="_order")
    return briefs.drop(columns="request_id"), out.reset_index(drop=True)


def merge_feedback(
    tables: MarketTables, db_path: str | Path, require_feedback: bool = True
) -> tuple[MarketTables, int]:
    """Historical tables plus the logged briefs and outcomes; returns them and the number of
    outcome rows whose (brief_id, influencer_id) the historical outcomes did not have."""
    raw_briefs, raw_out = logged_tables(db_path, require_feedback)
    if raw_out.empty:
        logger.info("request log %s: no logged outcomes to merge", db_path)
        return tables, 0
    raw_briefs = raw_briefs.drop_duplicates(S.BRIEF_ID, keep="last")
    raw_out = raw_out.drop_duplicates(KEY, keep="last")
    known = set(tables.influencers[S.INFLUENCER_ID].astype(str))
    unknown = ~raw_out[S.INFLUENCER_ID].isin(known)
    if unknown.any():
        logger.warning(
            "request log %s: %d outcome row(s) name creators missing from the influencers "
            "table (catalogue changed since serving); dropped",
            db_path,
            int(unknown.sum()),
        )
        raw_out = raw_out[~unknown]
    raw_briefs = raw_briefs[raw_briefs[S.BRIEF_ID].isin(set(raw_out[S.BRIEF_ID]))]
    new_briefs = validate_briefs(
        raw_briefs.reset_index(drop=True), source=f"{Path(db_path).name} (briefs)"
    )
    new_out = validate_outcomes(
        raw_out.reset_index(drop=True),
        new_briefs,
        tables.influencers,
        source=f"{Path(db_path).name} (outcomes)",
    )

    hist_keys = pd.MultiIndex.from_frame(tables.outcomes[KEY].astype(str))
    new_keys = pd.MultiIndex.from_frame(new_out[KEY].astype(str))
    n_new = int((~new_keys.isin(hist_keys)).sum())
    kept_out = tables.outcomes[~hist_keys.isin(new_keys)]
    kept_briefs = tables.briefs[
        ~tables.briefs[S.BRIEF_ID].astype(str).isin(set(new_briefs[S.BRIEF_ID]))
    ]
    briefs = pd.concat([kept_briefs, new_briefs], ignore_index=True)
    outcomes = pd.concat([kept_out, new_out], ignore_index=True)
    logger.info(
        "request log %s: merged %d brief(s) and %d outcome row(s) (%d new, %d replaced)",
        db_path,
        len(new_briefs),
        len(new_out),
        n_new,
        len(new_out) - n_new,
    )
    return MarketTables(tables.influencers, tables.posts, briefs, outcomes), n_new


def load_training_tables(
    data_dir: str | Path, feedback_db: str | Path | None = None
) -> tuple[MarketTables, dict[str, int]]:
    """The market in ``data_dir``, with the request log's feedback merged when one is given;
    the counts are logged with the training run (``data.n_outcomes_new``)."""
    tables = load_market(data_dir)
    stats = {"n_outcomes_base": len(tables.outcomes), "n_outcomes_new": 0}
    if feedback_db is not None:
        tables, stats["n_outcomes_new"] = merge_feedback(tables, feedback_db)
    return tables, stats
