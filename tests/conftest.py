"""Shared fixtures: a tiny hand-built market whose right answers are known.

Four niches with disjoint vocabularies. A brief about niche X should rank creators of niche
X first; in the logged outcomes, creators of the brief's niche were accepted and rated well,
the others ignored. A fast deterministic hashing encoder stands in for MiniLM in unit tests.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S

NICHES = {
    "running": ["marathon training", "trail running shoes", "tempo run", "race day splits", "running club"],
    "baking": ["sourdough starter", "croissant lamination", "cake frosting", "bread baking", "pastry cream"],
    "gaming": ["speedrun attempt", "gaming setup", "boss fight", "console controller", "esports stream"],
    "gardening": ["tomato seedlings", "compost bin", "raised garden bed", "pruning roses", "balcony herbs"],
}


def make_tiny_market(n_per_niche: int = 12, n_briefs_per_niche: int = 10, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    infl, posts, briefs, outcomes = [], [], [], []
    names = list(NICHES)
    for niche in names:
        for j in range(n_per_niche):
            iid = f"{niche[:3]}{j:02d}"
            followers = int(rng.integers(2_000, 90_000))
            er = float(rng.uniform(0.01, 0.05))
            infl.append({
                S.INFLUENCER_ID: iid, S.HANDLE: f"@{iid}", S.PLATFORM: ["instagram", "tiktok"][j % 2],
                S.FOLLOWERS: followers, S.FOLLOWING: int(rng.integers(100, 1500)),
                S.BIO: f"I love {NICHES[niche][j % 5]} and {NICHES[niche][(j + 1) % 5]}",
                S.COUNTRY: ["US", "GB"][j % 2], S.LANGUAGE: "en",
                S.AUDIENCE_COUNTRIES: json.dumps({"US": 0.6, "GB": 0.3} if j % 2 == 0 else {"GB": 0.7, "US": 0.2}),
                S.AUDIENCE_AGES: json.dumps({"18-24": 0.4, "25-34": 0.4, "35-44": 0.2}),
                S.AUDIENCE_FEMALE: 0.5, S.PRICE_USD: float(followers / 200) if j % 2 else np.nan,
            })
            for p in range(4):
                likes = int(followers * er * rng.uniform(0.7, 1.3))
                posts.append({
                    S.POST_ID: f"{iid}-p{p}", S.INFLUENCER_ID: iid,
                    S.POSTED_AT: pd.Timestamp("2025-06-01") - pd.Timedelta(days=7 * p + j),
                    S.TEXT: f"Today: {NICHES[niche][(j + p) % 5]} #{niche}life",
                    S.LIKES: likes, S.COMMENTS: likes // 20, S.VIEWS: np.nan, S.IS_SPONSORED: p == 3,
                })
    bi = 0
    for _k in range(n_briefs_per_niche):
        for ni, niche in enumerate(names):
            bid = f"b{bi:03d}"
            created = pd.Timestamp("2025-01-01") + pd.Timedelta(days=3 * bi)
            briefs.append({
                S.BRIEF_ID: bid, S.BRAND_ID: f"brand{ni}", S.BRAND: f"Brand {niche}", S.CREATED_AT: created,
                S.TEXT: f"We sell gear for {NICHES[niche][bi % 5]} and want creators into {NICHES[niche][(bi + 2) % 5]}",
                S.PLATFORMS_COL: "instagram|tiktok", S.TARGET_COUNTRIES: "", S.TARGET_AGES: "",
                S.TARGET_GENDER: "any", S.MIN_FOLLOWERS: 1000, S.MAX_FOLLOWERS: 100000,
                S.BUDGET_USD: np.nan, S.EXCLUDED_HANDLES: "", S.EXCLUDED_KEYWORDS: "", S.BRIEF_LANGUAGE: "en",
            })
            # the legacy tool showed 3 creators of each niche; the brief's own niche did well
            pos = 1
            for other in names:
                for j in rng.choice(n_per_niche, size=3, replace=False):
                    iid = f"{other[:3]}{j:02d}"
                    good = other == niche
                    fol = next(r[S.FOLLOWERS] for r in infl if r[S.INFLUENCER_ID] == iid)
                    outcomes.append({
                        S.BRIEF_ID: bid, S.INFLUENCER_ID: iid, S.SHOWN_POSITION: pos,
                        S.CONTACTED: good or rng.random() < 0.1, S.ACCEPTED: good,
                        S.POST_ENGAGEMENTS: int(fol * 0.03) if good else None,
                        S.CLICKS: 10 if good else None, S.CONVERSIONS: 1 if good else None,
                        S.BRAND_RATING: 5.0 if good else np.nan,
                    })
                    pos += 1
            bi += 1
    o = pd.DataFrame(outcomes)
    o.loc[~o[S.ACCEPTED], S.CONTACTED] = o.loc[~o[S.ACCEPTED], S.CONTACTED].astype(bool)
    return {"influencers": pd.DataFrame(infl), "posts": pd.DataFrame(posts), "briefs": pd.DataFrame(briefs),
            "outcomes": o}


@pytest.fixture
def tiny_market() -> dict[str, pd.DataFrame]:
    return make_tiny_market()


@pytest.fixture
def tiny_market_dir(tmp_path, tiny_market):
    d = tmp_path / "market"
    d.mkdir()
    for name, df in tiny_market.items():
        df.to_csv(d / f"{name}.csv", index=False)
    return d


def tiny_config(**kw):
    """Training config sized for the tiny market (small leaves so the ranker learns from ~300 rows)."""
    from matcher.config import LGBMParams, TrainConfig

    small = LGBMParams(n_estimators=100, num_leaves=7, min_child_samples=5, early_stopping_rounds=20)
    return TrainConfig(negatives_per_brief=5, ranker=small, engagement=small, **kw)


def tiny_tables_from(market: dict[str, pd.DataFrame]):
    from matcher.data.io import (
        MarketTables,
        validate_briefs,
        validate_influencers,
        validate_outcomes,
        validate_posts,
    )

    inf = validate_influencers(market["influencers"])
    briefs = validate_briefs(market["briefs"])
    return MarketTables(inf, validate_posts(market["posts"], inf), briefs,
                        validate_outcomes(market["outcomes"], briefs, inf))


@pytest.fixture
def tiny_tables(tiny_market):
    return tiny_tables_from(tiny_market)


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory):
    """A pipeline trained on the tiny market with the fast hashing encoder, saved once per session."""
    from matcher.ranking.embeddings import HashingEncoder
    from matcher.training.trainer import fit_pipeline

    tables = tiny_tables_from(make_tiny_market())
    pipe, _ = fit_pipeline(tables, tiny_config(), encoder=HashingEncoder(), progress=False)
    return pipe.save(tmp_path_factory.mktemp("tiny_pipeline"))


@pytest.fixture
def tiny_pipeline(tiny_pipeline_dir):
    from matcher.ranking.pipeline import MatchPipeline

    return MatchPipeline.load(tiny_pipeline_dir)
