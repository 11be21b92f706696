"""Test helpers shared by unit and integration tests (imported, never conftest): a tiny
hand-built market whose right answers are known, its hidden truth, and small builders.

Four niches with disjoint vocabularies. A brief about niche X should rank creators of niche
X first; in the logged outcomes, creators of the brief's niche were accepted and rated well,
the others ignored. A fast deterministic hashing encoder stands in for MiniLM in unit tests.
"""

from __future__ import annotations

import importlib.util
import json
import zlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from matcher import schemas as S
from matcher.schemas import EngagementEstimate, Match

NICHES = {
    "running": [
        "marathon training",
        "trail running shoes",
        "tempo run",
        "race day splits",
        "running club",
    ],
    "baking": [
        "sourdough starter",
        "croissant lamination",
        "cake frosting",
        "bread baking",
        "pastry cream",
    ],
    "gaming": [
        "speedrun attempt",
        "gaming setup",
        "boss fight",
        "console controller",
        "esports stream",
    ],
    "gardening": [
        "tomato seedlings",
        "compost bin",
        "raised garden bed",
        "pruning roses",
        "balcony herbs",
    ],
}


def make_tiny_market(
    n_per_niche: int = 12, n_briefs_per_niche: int = 10, seed: int = 0
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    infl, posts, briefs, outcomes = [], [], [], []
    names = list(NICHES)
    for niche in names:
        for j in range(n_per_niche):
            iid = f"{niche[:3]}{j:02d}"
            followers = int(rng.integers(2_000, 90_000))
            er = float(rng.uniform(0.01, 0.05))
            infl.append(
                {
                    S.INFLUENCER_ID: iid,
                    S.HANDLE: f"@{iid}",
                    S.PLATFORM: ["instagram", "tiktok"][j % 2],
                    S.FOLLOWERS: followers,
                    S.FOLLOWING: int(rng.integers(100, 1500)),
                    S.BIO: f"I love {NICHES[niche][j % 5]} and {NICHES[niche][(j + 1) % 5]}",
                    S.COUNTRY: ["US", "GB"][j % 2],
                    S.LANGUAGE: "en",
                    S.AUDIENCE_COUNTRIES: json.dumps(
                        {"US": 0.6, "GB": 0.3} if j % 2 == 0 else {"GB": 0.7, "US": 0.2}
                    ),
                    S.AUDIENCE_AGES: json.dumps({"18-24": 0.4, "25-34": 0.4, "35-44": 0.2}),
                    S.AUDIENCE_FEMALE: 0.5,
                    S.PRICE_USD: float(followers / 200) if j % 2 else np.nan,
                }
            )
            for p in range(4):
                likes = int(followers * er * rng.uniform(0.7, 1.3))
                posts.append(
                    {
                        S.POST_ID: f"{iid}-p{p}",
                        S.INFLUENCER_ID: iid,
                        S.POSTED_AT: pd.Timestamp("2025-06-01") - pd.Timedelta(days=7 * p + j),
                        S.TEXT: f"Today: {NICHES[niche][(j + p) % 5]} #{niche}life",
                        S.LIKES: likes,
                        S.COMMENTS: likes // 20,
                        S.VIEWS: np.nan,
                        S.IS_SPONSORED: p == 3,
                    }
                )
    bi = 0
    for _k in range(n_briefs_per_niche):
        for ni, niche in enumerate(names):
            bid = f"b{bi:03d}"
            created = pd.Timestamp("2025-01-01") + pd.Timedelta(days=3 * bi)
            briefs.append(
                {
                    S.BRIEF_ID: bid,
                    S.BRAND_ID: f"brand{ni}",
                    S.BRAND: f"Brand {niche}",
                    S.CREATED_AT: created,
                    S.TEXT: f"We sell gear for {NICHES[niche][bi % 5]} and want creators into {NICHES[niche][(bi + 2) % 5]}",
                    S.PLATFORMS_COL: "instagram|tiktok",
                    S.TARGET_COUNTRIES: "",
                    S.TARGET_AGES: "",
                    S.TARGET_GENDER: "any",
                    S.MIN_FOLLOWERS: 1000,
                    S.MAX_FOLLOWERS: 100000,
                    S.BUDGET_USD: np.nan,
                    S.EXCLUDED_HANDLES: "",
                    S.EXCLUDED_KEYWORDS: "",
                    S.BRIEF_LANGUAGE: "en",
                }
            )
            # the legacy tool showed 3 creators of each niche; the brief's own niche did well
            pos = 1
            for other in names:
                for j in rng.choice(n_per_niche, size=3, replace=False):
                    iid = f"{other[:3]}{j:02d}"
                    good = other == niche
                    fol = next(r[S.FOLLOWERS] for r in infl if r[S.INFLUENCER_ID] == iid)
                    outcomes.append(
                        {
                            S.BRIEF_ID: bid,
                            S.INFLUENCER_ID: iid,
                            S.SHOWN_POSITION: pos,
                            S.CONTACTED: good or rng.random() < 0.1,
                            S.ACCEPTED: good,
                            S.POST_ENGAGEMENTS: int(fol * 0.03) if good else None,
                            S.CLICKS: 10 if good else None,
                            S.CONVERSIONS: 1 if good else None,
                            S.BRAND_RATING: 5.0 if good else np.nan,
                        }
                    )
                    pos += 1
            bi += 1
    o = pd.DataFrame(outcomes)
    o.loc[~o[S.ACCEPTED], S.CONTACTED] = o.loc[~o[S.ACCEPTED], S.CONTACTED].astype(bool)
    return {
        "influencers": pd.DataFrame(infl),
        "posts": pd.DataFrame(posts),
        "briefs": pd.DataFrame(briefs),
        "outcomes": o,
    }


def tiny_config(**kw):
    """Training config sized for the tiny market (small leaves so the ranker learns from ~300 rows)."""
    from matcher.config import LGBMParams, TrainConfig

    small = LGBMParams(
        n_estimators=100, num_leaves=7, min_child_samples=5, early_stopping_rounds=20
    )
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
    return MarketTables(
        inf,
        validate_posts(market["posts"], inf),
        briefs,
        validate_outcomes(market["outcomes"], briefs, inf),
    )


NICHE_NAMES = list(NICHES)


class TinyTruth:
    """Hidden utility of the tiny market: a creator of the brief's niche is worth a lot, the
    others little; acceptance falls with the position shown (1/log2(1+position)). Brief ids
    ``<id>@<brand>`` (a brief reused by many simulated brands) scale the utility by a brand
    propensity ``exp(brand_sd * z_brand)``: brands differ in how much they contact."""

    def __init__(
        self, briefs: pd.DataFrame, good: float = 0.5, bad: float = 0.03, brand_sd: float = 0.0
    ) -> None:
        self.niche = {
            str(b): NICHE_NAMES[int(str(brand).removeprefix("brand"))]
            for b, brand in zip(briefs["brief_id"], briefs["brand_id"], strict=True)
        }
        self.good, self.bad, self.brand_sd = good, bad, brand_sd

    def brief_niche(self, brief_id: str) -> str:
        return self.niche[brief_id.split("@")[0]]

    def _same(self, brief_id: str, ids) -> np.ndarray:
        prefix = self.brief_niche(brief_id)[:3]
        return np.array([str(i).startswith(prefix) for i in ids])

    def expected_utility(self, brief_id: str, influencer_ids) -> np.ndarray:
        u = np.where(self._same(brief_id, influencer_ids), self.good, self.bad)
        if "@" in brief_id and self.brand_sd:
            z = np.random.default_rng(zlib.crc32(brief_id.split("@")[1].encode())).normal()
            u = u * np.exp(self.brand_sd * z - self.brand_sd**2 / 2)
        return u

    def relevance_grades(self, brief_id: str, influencer_ids) -> np.ndarray:
        return np.where(self._same(brief_id, influencer_ids), 3, 0).astype(np.int64)

    def draw_outcomes(self, brief_id: str, influencer_ids, positions, rng) -> pd.DataFrame:
        u = self.expected_utility(brief_id, influencer_ids) / np.log2(
            1 + np.asarray(positions, float)
        )
        contacted = rng.random(len(u)) < np.minimum(1.0, 1.6 * u)
        accepted = contacted & (rng.random(len(u)) < 0.6)
        eng = np.where(accepted, rng.poisson(200, len(u)), np.nan)
        return pd.DataFrame(
            {
                "influencer_id": list(influencer_ids),
                "contacted": contacted,
                "accepted": accepted,
                "post_engagements": eng,
                "clicks": np.where(accepted, 5.0, np.nan),
                "conversions": np.where(accepted, 1.0, np.nan),
                "brand_rating": np.where(accepted, 4.0, np.nan),
            }
        )


def match(rank: int, iid: str, score: float = 1.0) -> Match:
    return Match(
        rank=rank,
        influencer_id=iid,
        handle=f"@{iid}",
        platform="instagram",
        followers=10_000,
        score=score,
        fit_score=0.5,
        expected_engagement=EngagementEstimate(
            rate=0.03, rate_low=0.02, rate_high=0.04, engagements=300.0
        ),
        estimated_cost_usd=120.0,
        cost_is_estimate=True,
        reasons=["fits"],
    )


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(script: str, name: str) -> ModuleType:
    """``benchmarks/<script>`` loaded as module ``name`` (benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
