"""Interleaving analysis: per interleaved request, the team whose creators earned more of the
credited event wins (``impressions.variant`` names the team that placed each creator); the
preference share of the decided requests is tested against 1/2 with a two-sided sign test.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from matcher.evaluation.stats import cluster_bootstrap_ratio
from matcher.online.events import clusters, event_table
from matcher.online.experiments import INTERLEAVED
from matcher.online.requestlog import RequestLogFrames

logger = logging.getLogger(__name__)


def interleaving_credit(frames: RequestLogFrames, event: str = "accepted") -> pd.DataFrame:
    """Per interleaved request: credited ``event`` per team (the team that placed the creator,
    ``impressions.variant``), the winner (``None`` on a tie, including no events) and brand."""
    ev = event_table(frames)
    req = frames.requests[frames.requests["variant"] == INTERLEAVED]
    ev = ev[ev["request_id"].isin(set(req["request_id"]))]
    credit = ev.pivot_table(
        index="request_id", columns="variant", values=event, aggfunc="sum", fill_value=0.0
    )
    credit = credit.reindex(req["request_id"]).fillna(0.0)
    teams = list(credit.columns)
    out = credit.copy()
    vals = credit.to_numpy()
    best = vals.max(axis=1) if len(teams) else np.zeros(len(credit))
    n_best = (vals == best[:, None]).sum(axis=1) if len(teams) else np.zeros(len(credit))
    winner = [
        teams[int(np.argmax(v))] if nb == 1 else None for v, nb in zip(vals, n_best, strict=True)
    ]
    out["winner"] = winner
    out["cluster"] = clusters(req).set_axis(req["request_id"]).reindex(out.index)
    return out.reset_index()


def preference_block(
    frames: RequestLogFrames,
    teams: Sequence[str] | None,
    event: str,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Wins, ties and credited events per team; the second team's preference share with an
    exact binomial CI and a brand-cluster bootstrap CI; the sign test's p-value. ``teams``
    defaults to the two the log names, sorted."""
    c = interleaving_credit(frames, event)
    names = (
        list(teams)
        if teams
        else sorted(t for t in c.columns if t not in ("request_id", "winner", "cluster"))
    )
    if len(names) != 2:
        raise ValueError(f"interleaving compares two teams; the log has {names}")
    a, b = names
    for t in (a, b):
        if t not in c.columns:
            c[t] = 0.0
    decided = c[c["winner"].isin([a, b])]
    wins_a, wins_b = int((decided["winner"] == a).sum()), int((decided["winner"] == b).sum())
    n = wins_a + wins_b
    block: dict[str, Any] = {
        "event": event,
        "teams": [a, b],
        "requests": len(c),
        "decided": n,
        "ties": len(c) - n,
        "wins": {a: wins_a, b: wins_b},
        "credited": {a: float(c[a].sum()), b: float(c[b].sum())},
    }
    imp = frames.impressions[frames.impressions["request_id"].isin(set(c["request_id"]))]
    block["impressions_per_team"] = {t: int((imp["variant"] == t).sum()) for t in (a, b)}
    if n == 0:
        block.update(
            preference=dict.fromkeys(("estimate", "ci_low", "ci_high"), math.nan),
            preference_cluster_ci=None,
            p_value=math.nan,
        )
        return block
    test = sps.binomtest(wins_b, n, 0.5)
    ci = test.proportion_ci(confidence_level=1 - alpha)
    cl = cluster_bootstrap_ratio(
        (decided["winner"] == b).astype(float), np.ones(n), decided["cluster"], n_boot, alpha, seed
    )
    block.update(
        preference={"team": b, "estimate": wins_b / n, "ci_low": ci.low, "ci_high": ci.high},
        preference_cluster_ci={"ci_low": cl[1], "ci_high": cl[2]},
        p_value=float(test.pvalue),
    )
    return block
