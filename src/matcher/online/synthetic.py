"""Request logs drawn from a known statistical model (brand propensities, position bias, a
chosen lift), no pipelines at all: fast enough to check the A/B analysis' error rates over many
seeded runs. Traffic through real pipelines is ``matcher.online.traffic``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from matcher.online.experiments import INTERLEAVED, ExperimentConfig, assign
from matcher.online.requestlog import RequestLogFrames

logger = logging.getLogger(__name__)


def synthetic_log(
    n_requests: int,
    shares: Mapping[str, float],
    *,
    mode: str = "ab",
    n_brands: int = 200,
    k: int = 10,
    base_rate: float = 0.05,
    lift: Mapping[str, float] | None = None,
    concentration: float = 20.0,
    experiment: str = "synthetic",
    seed: int = 0,
) -> RequestLogFrames:
    """A log from a known model: brand b accepts a creator at position j with probability
    ``p_b * d_j * (1 + lift[variant])`` where ``p_b ~ Beta`` (mean ``base_rate``, brands differ:
    lower ``concentration`` = more heterogeneity), ``d_j`` a 1/log2 position discount (mean 1
    over the list), brand activity log-normal (a few brands send many requests). A/B assigns
    brands with the real hash; interleaving splits every list between the two teams by team
    draft over disjoint rankings, each team's creators carrying that team's lift."""
    rng = np.random.default_rng(seed)
    names = list(shares)
    lift = dict(lift or {})
    p_brand = rng.beta(base_rate * concentration, (1 - base_rate) * concentration, size=n_brands)
    activity = rng.lognormal(0.0, 1.0, size=n_brands)
    brands = rng.choice(n_brands, size=n_requests, p=activity / activity.sum())
    brand_ids = np.array([f"brand{b:05d}" for b in range(n_brands)], dtype=object)
    d = 1.0 / np.log2(np.arange(2, k + 2))
    d = d / d.mean()
    if mode == "ab":
        cfg = ExperimentConfig(
            name=experiment, variants={n: n for n in names}, traffic=dict(shares)
        )
        arm = {b: assign(cfg, b) for b in brand_ids[np.unique(brands)]}
        variant = np.array([arm[b] for b in brand_ids[brands]], dtype=object)
        teams = np.repeat(variant[:, None], k, axis=1)
    else:  # team draft over disjoint rankings: each pair of slots is (A, B) or (B, A) by a coin
        variant = np.full(n_requests, INTERLEAVED, dtype=object)
        first = rng.integers(2, size=(n_requests, (k + 1) // 2))
        order = np.stack([first, 1 - first], axis=2).reshape(n_requests, -1)[:, :k]
        teams = np.asarray(names[:2], dtype=object)[order]
    mult = np.vectorize(lambda t: 1.0 + lift.get(t, 0.0), otypes=[float])(teams)
    q = np.minimum(1.0, p_brand[brands][:, None] * d[None, :] * mult)
    c = np.minimum(1.0, 2.5 * q)
    contacted = rng.random(q.shape) < c
    accepted = contacted & (
        rng.random(q.shape) < np.divide(q, c, out=np.zeros_like(q), where=c > 0)
    )
    start = pd.Timestamp("2025-01-01", tz="UTC")
    rid = np.array([f"syn{seed}-{i:07d}" for i in range(n_requests)], dtype=object)
    ts = np.array(
        [(start + pd.Timedelta(seconds=i)).isoformat() for i in range(n_requests)], dtype=object
    )
    requests = pd.DataFrame(
        {
            "request_id": rid,
            "created_at": ts,
            "brand_id": brand_ids[brands],
            "brief_id": np.char.add("brief-", brands.astype(str)).astype(object),
            "brief_json": None,
            "k": k,
            "model_name": "matcher",
            "model_version": "1",
            "experiment": experiment,
            "variant": variant,
            "latency_ms": rng.lognormal(3.5, 0.3, size=n_requests),
            "n_candidates": 300,
            "n_results": k,
            "status": "ok",
            "error": None,
        }
    )
    iid = np.array([f"inf{j}" for j in range(k)], dtype=object)
    impressions = pd.DataFrame(
        {
            "request_id": np.repeat(rid, k),
            "position": np.tile(np.arange(1, k + 1), n_requests),
            "influencer_id": np.tile(iid, n_requests),
            "score": np.tile(np.arange(k, 0, -1.0), n_requests),
            "fit_score": 0.5,
            "variant": teams.ravel(),
        }
    )
    fb = []
    for event, hit in (("contacted", contacted), ("accepted", accepted)):
        r, j = np.nonzero(hit)
        fb.append(
            pd.DataFrame(
                {
                    "request_id": rid[r],
                    "influencer_id": iid[j],
                    "event": event,
                    "value": 1.0,
                    "created_at": ts[r],
                }
            )
        )
    return RequestLogFrames(requests, impressions, pd.concat(fb, ignore_index=True))
