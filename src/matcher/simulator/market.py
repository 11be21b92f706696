"""Synthetic influencer market: brands, their briefs and creators' posts, assembled with the
creators (``creators``), posts (``posts``), brands and briefs (``briefs``), the hidden truth
(``truth``) and the legacy tool's exposure history (``exposure``) into one ``Market``; written to disk by ``write_market``.

The generative story, every calibration figure and its source are in ``docs/simulator.md``.
In short: each creator has a hidden niche mixture (28 niches with related-niche structure),
quality, fake-follower severity, true engagement rate, true price and true audience; public
tables show noisy or partial views of these (followers, bio, posts, audience estimates, a
listed price for half of them). A brief has a hidden niche mixture and public targeting.
``Truth.expected_utility`` combines semantic fit, audience match, authenticity, quality and
price vs budget; ``Truth.draw_outcomes`` turns it into contacted / accepted / engagement /
clicks / conversions / rating through position bias and noise. The historical outcomes come
from a popularity-biased legacy tool calling the same ``draw_outcomes``.

Randomness: one ``SeedSequence(cfg.seed)`` spawns an independent stream per stage, so the
same config gives identical tables.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matcher import schemas as S
from matcher.simulator.audience import AudienceTruth
from matcher.simulator.briefs import make_brands, make_briefs
from matcher.simulator.creators import make_creators
from matcher.simulator.exposure import legacy_outcomes
from matcher.simulator.params import FORMAT_VERSION, MarketConfig, niche_affinity, niche_latent
from matcher.simulator.phrases.dice import Dice
from matcher.simulator.posts import make_posts
from matcher.simulator.public import public_influencers
from matcher.simulator.truth import Truth

logger = logging.getLogger(__name__)


@dataclass
class Market:
    """Public tables (schema columns only) plus the hidden truth and the config that made them."""

    influencers: pd.DataFrame
    posts: pd.DataFrame
    briefs: pd.DataFrame
    outcomes: pd.DataFrame
    truth: Truth
    config: MarketConfig = field(default_factory=MarketConfig)
    audience: AudienceTruth | None = None  # hidden audience overlap (issue 11), its own RNG stream


# --------------------------------------------------------------------------- entry points
def simulate_market(cfg: MarketConfig, progress: bool = True) -> Market:
    """Generate a market; the same config always gives the same tables."""
    if cfg.n_influencers < 1 or cfg.n_briefs < 1:
        raise ValueError("n_influencers and n_briefs must be positive")
    if not 1 <= cfg.posts_per_influencer[0] <= cfg.posts_per_influencer[1]:
        raise ValueError(
            f"posts_per_influencer must be (min, max) with 1 <= min <= max, got {cfg.posts_per_influencer}"
        )
    if not 1 <= cfg.shown_per_brief[0] <= cfg.shown_per_brief[1]:
        raise ValueError(
            f"shown_per_brief must be (min, max) with 1 <= min <= max, got {cfg.shown_per_brief}"
        )
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(9)]
    aff = niche_affinity()
    logger.info(
        "simulating %d creators and %d briefs (seed %d)", cfg.n_influencers, cfg.n_briefs, cfg.seed
    )
    brands = make_brands(cfg, streams[0], Dice(streams[1]), aff)
    cr = make_creators(cfg, streams[2], aff)
    inf = public_influencers(cfg, cr, streams[3], Dice(streams[4]), progress)
    posts, flags = make_posts(cfg, cr, inf, brands, streams[5], Dice(streams[6]), aff, progress)
    briefs, hidden_briefs = make_briefs(
        cfg, cr, inf, brands, streams[7], Dice(streams[8]), aff, progress
    )
    hc = cr.hidden.copy()
    hc.insert(0, "influencer_id", inf[S.INFLUENCER_ID].to_numpy())
    hc.insert(1, "handle", inf[S.HANDLE].to_numpy())
    hc["flags"] = flags
    truth = Truth(hc, hidden_briefs, niche_latent())
    legacy_rng, outcome_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([cfg.seed, 1]).spawn(2)
    )
    outcomes = legacy_outcomes(cfg, inf, posts, briefs, truth, legacy_rng, outcome_rng, progress)
    logger.info(
        "market: %d creators, %d posts, %d briefs, %d outcome rows",
        len(inf),
        len(posts),
        len(briefs),
        len(outcomes),
    )
    audience = AudienceTruth.build(
        truth, cfg.seed
    )  # stream [seed, 11]: the tables above are unchanged
    return Market(
        influencers=inf,
        posts=posts,
        briefs=briefs,
        outcomes=outcomes,
        truth=truth,
        config=cfg,
        audience=audience,
    )


def write_market(market: Market, out_dir: str | Path) -> None:
    """CSV tables, the hidden truth under ``truth/`` and the config in ``market.json``."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%dT%H:%M:%S"
    market.influencers.to_csv(d / "influencers.csv", index=False, date_format="%Y-%m-%d")
    market.posts.to_csv(d / "posts.csv", index=False, date_format=fmt)
    market.briefs.to_csv(d / "briefs.csv", index=False, date_format=fmt)
    market.outcomes.to_csv(d / "outcomes.csv", index=False)
    market.truth.save(d)
    if market.audience is not None:
        market.audience.save(d)  # truth/audience.parquet + truth/audience.json
    meta = {
        "format_version": FORMAT_VERSION,
        "config": asdict(market.config),
        "counts": {
            "influencers": len(market.influencers),
            "posts": len(market.posts),
            "briefs": len(market.briefs),
            "outcomes": len(market.outcomes),
        },
    }
    (d / "market.json").write_text(json.dumps(meta, indent=1))
    logger.info("wrote market to %s", d)
