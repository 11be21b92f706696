"""Creator generation for the simulated market: hidden variables (niche mixture, quality,
fake-follower severity, true engagement rate, true price, true audience) and the public
influencer table that shows noisy or partial views of them (followers, bio, audience estimates,
a listed price for about half). The calibration constants only creators use, with their
sources, are here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

from matcher import schemas as S
from matcher.simulator.params import (
    AGE_BASE,
    AGE_TILT,
    NATIVE_LANGUAGE,
    NEIGHBOURS,
    PRICE_PER_1K,
    MarketConfig,
    niche_names,
    weighted_choice,
)
from matcher.simulator.phrases.niches import NICHES

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- calibration
PLATFORM_SHARES = {"instagram": 0.65, "tiktok": 0.25, "youtube": 0.10}
# Niche shares are Kim et al. (WWW 2020) Instagram category shares (phrases_niches). TikTok and
# YouTube lean towards gaming/tech/beauty; these multipliers are our assumption.
PLATFORM_NICHE_TILT = {
    "tiktok": {"gaming": 1.6, "makeup": 1.6, "fashion": 0.8, "books": 1.5, "fitness": 1.4},
    "youtube": {
        "tech": 3.0,
        "gaming": 3.0,
        "personal_finance": 2.5,
        "diy": 1.8,
        "fashion": 0.4,
        "jewelry": 0.4,
        "travel": 1.2,
    },
}
GENERALIST_SHARE = 0.08  # lifestyle generalists: 3-4 niches with comparable weights
SECONDARY_SHARE = 0.40  # creators with a secondary niche

# Followers among 1k-100k accounts: Kim et al. (WWW 2020): median ~11.7k, p10 1.7k, p90 55k.
# Monotone (PCHIP) inverse CDF in log10 space through those quantiles.
# Tier shares (37% / 36% / 10% of all accounts -> 44% / 43% / 12% of 1k-100k) add two knots.
FOLLOWER_QUANTILES = (
    (0.0, 3.0),
    (0.10, np.log10(1_700)),
    (0.44, 4.0),
    (0.50, np.log10(11_700)),
    (0.88, np.log10(50_000)),
    (0.90, np.log10(55_000)),
    (1.0, 5.0),
)
SHARE_SUB1K = 0.025  # 300-1k accounts (outside the product's default range)
SHARE_OVER100K = 0.04  # 100k-400k accounts

# Organic engagement rate per follower, median at 4,000 followers and slope in log followers.
# Instagram: HypeAuditor 2026 nano 1.78% / micro 0.54%, HypeAuditor 2023 nano 2.78%,
# Influencer Marketing Hub 2025 nano 1.73%, The Social Cat 1-5k 3.4-4.4%, 10-50k 0.84-1.11%.
# TikTok: Influencer Marketing Hub 2025 nano 10.3%, micro 8.7% (HypeAuditor 2023 nano 12.6%).
# YouTube (no figure in REFERENCE.md, our assumption): views ~15-30% of subscribers per video
# and (likes+comments) ~4-5% of views give ~1.2% per subscriber at 4k, ~0.8% at 25k.
ER_ANCHOR = {"instagram": (0.025, -0.45), "tiktok": (0.135, -0.11), "youtube": (0.012, -0.2)}
ER_SPREAD = 0.35  # lognormal sigma of a creator's ER around the curve
ER_QUALITY = 0.25  # log-ER per SD of quality

# Fake followers: HypeAuditor 2023, 36% of Instagram accounts affected (about 60% over 1M);
# Modash treats < 75% real followers as a warning sign. We flag ~25% (20% at 1k rising to 30%
# at 100k) with severity = share of fake followers in [0.08, 0.85].
FAKE_BASE, FAKE_SLOPE = 0.20, 0.05  # P(fake) = base + slope * (log10 followers - 3)

# A creator's price: PRICE_PER_1K (market_params) adjusted for ER (Upfluence-style "suggested
# price" uses followers, ER and location), quality and country.
PRICE_ER_ELASTICITY = 0.35
PRICE_SPREAD = 0.25

COUNTRY_SHARES = {
    "US": 32,
    "GB": 9,
    "CA": 4,
    "AU": 3,
    "IE": 1,
    "NZ": 0.5,
    "DE": 5,
    "AT": 0.5,
    "CH": 0.5,
    "FR": 4,
    "BE": 0.5,
    "NL": 2,
    "ES": 4,
    "IT": 3.5,
    "PT": 1,
    "SE": 1,
    "NO": 0.5,
    "DK": 0.5,
    "FI": 0.3,
    "PL": 1,
    "BR": 6,
    "MX": 3,
    "AR": 1,
    "CO": 1,
    "CL": 0.5,
    "IN": 4,
    "ID": 2,
    "PH": 2,
    "SG": 0.5,
    "MY": 0.5,
    "ZA": 1,
    "NG": 1,
    "AE": 0.5,
    "TR": 1,
    "JP": 0.5,
    "KR": 0.5,
}
# TikTok's creator base is more Latin American than Instagram's, and writes in its own language
# more often: ~30% of real TikTok bios were Spanish, ~4% Portuguese (docs/simulator.md)
TIKTOK_COUNTRY_BOOST = {"ES": 2.0, "MX": 4.0, "AR": 4.0, "CO": 4.0, "CL": 3.0, "BR": 1.2}
P_WRITES_NATIVE = {"instagram": 0.45, "tiktok": 0.9, "youtube": 0.45}
US_WRITES_SPANISH = {"instagram": 0.03, "tiktok": 0.12, "youtube": 0.03}  # US Hispanic creators
# relative price level by market (our assumption; platforms price by location)
COUNTRY_PRICE = {
    "US": 1.1,
    "GB": 1.0,
    "CA": 1.0,
    "AU": 1.0,
    "IE": 0.95,
    "NZ": 0.9,
    "DE": 1.0,
    "AT": 0.95,
    "CH": 1.2,
    "FR": 0.9,
    "BE": 0.9,
    "NL": 0.95,
    "ES": 0.8,
    "IT": 0.8,
    "PT": 0.65,
    "SE": 1.0,
    "NO": 1.1,
    "DK": 1.0,
    "FI": 0.95,
    "PL": 0.6,
    "BR": 0.5,
    "MX": 0.5,
    "AR": 0.45,
    "CO": 0.45,
    "CL": 0.5,
    "IN": 0.35,
    "ID": 0.35,
    "PH": 0.35,
    "SG": 0.9,
    "MY": 0.5,
    "ZA": 0.5,
    "NG": 0.35,
    "AE": 0.9,
    "TR": 0.5,
    "JP": 0.9,
    "KR": 0.9,
}
SENSITIVE_P = {  # P(creator's content touches a topic brands exclude), by niche (default first)
    "alcohol": {"_": 0.03, "foodie": 0.35, "travel": 0.15, "home_cooking": 0.10, "fashion": 0.05},
    "gambling": {"_": 0.005, "gaming": 0.12, "personal_finance": 0.05, "streetwear": 0.03},
    "crypto": {"_": 0.005, "personal_finance": 0.2, "tech": 0.15, "gaming": 0.05},
    "vape": {"_": 0.003, "streetwear": 0.05, "gaming": 0.05},
}


def sample_followers(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    """Displayed followers: Kim et al. quantiles inside 1k-100k, plus small tails outside."""
    q, lg = zip(*FOLLOWER_QUANTILES, strict=True)
    inv = PchipInterpolator(np.asarray(q), np.asarray(lg))
    u = rng.random(n)
    out = 10 ** inv(rng.random(n))
    low = u < SHARE_SUB1K
    high = (u >= SHARE_SUB1K) & (u < SHARE_SUB1K + SHARE_OVER100K)
    out[low] = 10 ** rng.uniform(np.log10(300), 3.0, int(low.sum()))
    out[high] = 10 ** (5 + np.log10(4) * rng.beta(1.0, 2.5, int(high.sum())))
    return np.round(out).astype(np.int64)


def base_er(platform: NDArray[Any], followers: NDArray[np.float64]) -> NDArray[np.float64]:
    """Median organic ER per follower for a platform and size (see ER_ANCHOR)."""
    out = np.empty(len(followers))
    for p, (a, s) in ER_ANCHOR.items():
        m = platform == p
        out[m] = a * (np.maximum(followers[m], 100) / 4000.0) ** s
    return out


def _niche_mixtures(
    rng: np.random.Generator, platform: NDArray[Any], aff: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    names = niche_names()
    k = len(names)
    share = np.array([n.share for n in NICHES])
    n = len(platform)
    primary = np.empty(n, dtype=np.int64)
    for p in PLATFORM_SHARES:
        m = platform == p
        tilt = np.array([PLATFORM_NICHE_TILT.get(p, {}).get(x, 1.0) for x in names])
        w = share * tilt
        primary[m] = rng.choice(k, size=int(m.sum()), p=w / w.sum())
    kind = rng.random(n)
    generalist = kind < GENERALIST_SHARE
    secondary = (~generalist) & (kind < GENERALIST_SHARE + SECONDARY_SHARE)
    W = np.zeros((n, k))
    W[np.arange(n), primary] = 1.0
    u = rng.random((n, 4))
    g = rng.gamma(2.0, 1.0, (n, 4))
    for i in np.flatnonzero(secondary | generalist):
        pr = primary[i]
        pw = share * (0.3 + 3.0 * aff[pr])
        pw[pr] = 0.0
        cum = np.cumsum(pw / pw.sum())
        if secondary[i]:
            j = min(int(np.searchsorted(cum, u[i, 0])), k - 1)
            w2 = 0.15 + 0.30 * u[i, 1]
            W[i, pr], W[i, j] = 1 - w2, w2
        else:
            m = 2 + int(u[i, 1] < 0.5)
            others = {min(int(np.searchsorted(cum, x)), k - 1) for x in rng.random(m)}
            gi = np.sort(g[i, : len(others) + 1])[::-1]
            W[i, pr] = gi[0]
            for j, gj in zip(sorted(others), gi[1:], strict=False):
                W[i, j] += gj
            W[i] /= W[i].sum()
    return W, generalist


def _audience(
    rng: np.random.Generator, platform: NDArray[Any], country: NDArray[Any], W: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    n = len(country)
    cidx = {c: i for i, c in enumerate(S.COUNTRIES)}
    ci = np.array([cidx[c] for c in country])
    nb = np.array([[cidx[x] for x in NEIGHBOURS.get(c, ("US", "GB", "CA"))] for c in country])
    ac = np.zeros((n, len(S.COUNTRIES)))
    is_us = country == "US"
    own = rng.beta(np.where(is_us, 7.0, 5.0), np.where(is_us, 2.0, 2.5))
    listed = (1 - own) * rng.uniform(0.6, 0.9, n)
    d = rng.gamma(np.array([2.5, 1.5, 1.0]), 1.0, (n, 3))
    d /= d.sum(1, keepdims=True)
    rows = np.arange(n)
    ac[rows, ci] += own
    for j in range(3):
        ac[rows, nb[:, j]] += listed * d[:, j]
    # ages: platform baseline tilted by the niche mix and a per-creator offset
    shift = W @ np.array([x.age_shift for x in NICHES]) + rng.normal(0, 0.5, n)
    base = np.array([AGE_BASE[p] for p in platform])
    ck = np.arange(6) - 2.5
    p = base * np.exp(AGE_TILT * shift[:, None] * ck[None, :])
    p /= p.sum(1, keepdims=True)
    ages = rng.gamma(60 * p + 1e-3, 1.0)
    ages /= ages.sum(1, keepdims=True)
    female = np.clip(W @ np.array([x.female for x in NICHES]) + rng.normal(0, 0.08, n), 0.03, 0.97)
    return ac, ages, female


@dataclass
class Creators:
    hidden: pd.DataFrame  # everything, truth included
    W: NDArray[np.float64]
    generalist: NDArray[np.bool_]
    sensitive: NDArray[Any]  # category or ""


def make_creators(
    cfg: MarketConfig, rng: np.random.Generator, aff: NDArray[np.float64]
) -> Creators:
    n = cfg.n_influencers
    platform = weighted_choice(rng, list(PLATFORM_SHARES), list(PLATFORM_SHARES.values()), n)
    W, generalist = _niche_mixtures(rng, platform, aff)
    country = np.empty(n, dtype=object)
    for p in PLATFORM_SHARES:
        m = platform == p
        boost = TIKTOK_COUNTRY_BOOST if p == "tiktok" else {}
        country[m] = weighted_choice(
            rng,
            list(COUNTRY_SHARES),
            [w * boost.get(c, 1.0) for c, w in COUNTRY_SHARES.items()],
            int(m.sum()),
        )
    native = np.array([NATIVE_LANGUAGE.get(c, "en") for c in country], dtype=object)
    u_lang = rng.random(n)
    writes_native = u_lang < np.array([P_WRITES_NATIVE[p] for p in platform])
    native = np.where(
        (country == "US") & (u_lang < np.array([US_WRITES_SPANISH[p] for p in platform])),
        "es",
        native,
    )
    language = np.where(
        (native != "en") & (writes_native | (country == "US")), native, "en"
    ).astype(object)
    followers = sample_followers(rng, n)
    lf = np.log10(np.maximum(followers, 1))
    quality = rng.standard_normal(n)
    fake = rng.random(n) < (FAKE_BASE + FAKE_SLOPE * np.clip(lf - 3, 0, 2.5))
    severity = np.where(fake, 0.08 + 0.77 * rng.beta(1.6, 3.0, n), 0.0)
    quality = quality - 0.4 * fake
    er = (
        base_er(platform, followers.astype(float))
        * np.exp(ER_QUALITY * quality + ER_SPREAD * rng.standard_normal(n) - ER_SPREAD**2 / 2)
        * (1 - severity)
    )
    cmult = np.array([COUNTRY_PRICE.get(c, 0.6) for c in country])
    rate = np.array([PRICE_PER_1K[p] for p in platform])
    er_rel = er / base_er(platform, followers.astype(float))
    price = np.maximum(
        5.0,
        rate
        * followers
        / 1000
        * cmult
        * np.clip(er_rel, 0.2, 5) ** PRICE_ER_ELASTICITY
        * np.exp(0.12 * quality + PRICE_SPREAD * rng.standard_normal(n)),
    )
    ac, ages, female = _audience(rng, platform, country, W)
    # sensitive content category (at most one per creator)
    names = niche_names()
    primary = W.argmax(1)
    sensitive = np.full(n, "", dtype=object)
    for cat, table in SENSITIVE_P.items():
        p_cat = np.array([table.get(names[j], table["_"]) for j in primary])
        sensitive[(sensitive == "") & (rng.random(n) < p_cat)] = cat
    following = np.clip(
        np.exp(np.log(450) + 0.15 * (lf - 4) * np.log(10) + 0.8 * rng.standard_normal(n)), 10, 7500
    )
    f4f = fake & (rng.random(n) < 0.6)
    following = np.where(f4f, np.clip(followers * rng.uniform(0.4, 1.3, n), 300, 7500), following)
    hidden = pd.DataFrame(
        {
            "platform": platform.astype(str),
            "followers": followers,
            "following": np.round(following).astype(np.int64),
            "country": country.astype(str),
            "language": language.astype(str),
            "quality": quality,
            "fake_severity": severity,
            "true_er": er,
            "true_price": price,
            "female": female,
            "generalist": generalist,
        }
    )
    for j, nm in enumerate(names):
        hidden[f"w_{nm}"] = W[:, j]
    for j, c in enumerate(S.COUNTRIES):
        hidden[f"ac_{c}"] = ac[:, j]
    for j, a in enumerate(S.AGE_BUCKETS):
        hidden[f"age_{a}"] = ages[:, j]
    return Creators(hidden=hidden, W=W, generalist=generalist, sensitive=sensitive)
