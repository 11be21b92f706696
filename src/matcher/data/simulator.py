"""Synthetic influencer market: creators, posts, brands' briefs, a legacy tool's exposure log and
its outcomes, plus the hidden truth that generated them.

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
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.interpolate import PchipInterpolator
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.data import phrases as P
from matcher.data.phrases_niches import NICHES, RELATED

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1

# --------------------------------------------------------------------------- calibration
PLATFORM_SHARES = {"instagram": 0.65, "tiktok": 0.25, "youtube": 0.10}
# Niche shares are Kim et al. (WWW 2020) Instagram category shares (phrases_niches). TikTok and
# YouTube lean towards gaming/tech/beauty; these multipliers are our assumption.
PLATFORM_NICHE_TILT = {
    "tiktok": {"gaming": 1.6, "makeup": 1.6, "fashion": 0.8, "books": 1.5, "fitness": 1.4},
    "youtube": {"tech": 3.0, "gaming": 3.0, "personal_finance": 2.5, "diy": 1.8, "fashion": 0.4,
                "jewelry": 0.4, "travel": 1.2},
}
GENERALIST_SHARE = 0.08  # lifestyle generalists: 3-4 niches with comparable weights
SECONDARY_SHARE = 0.40  # creators with a secondary niche

# Followers among 1k-100k accounts: Kim et al. (WWW 2020): median ~11.7k, p10 1.7k, p90 55k.
# Monotone (PCHIP) inverse CDF in log10 space through those quantiles.
# Tier shares (37% / 36% / 10% of all accounts -> 44% / 43% / 12% of 1k-100k) add two knots.
FOLLOWER_QUANTILES = ((0.0, 3.0), (0.10, np.log10(1_700)), (0.44, 4.0), (0.50, np.log10(11_700)),
                      (0.88, np.log10(50_000)), (0.90, np.log10(55_000)), (1.0, 5.0))
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
COMMENT_RATIO = {"instagram": 0.035, "tiktok": 0.012, "youtube": 0.05}  # comments per like
POST_SIGMA = {"instagram": 0.35, "tiktok": 0.6, "youtube": 0.5}  # post-to-post lognormal sigma
SPONSORED_ER = 0.75  # sponsored posts engage less than organic ones
ENG_PER_VIEW = {"tiktok": 0.065, "youtube": 0.045}

# Fake followers: HypeAuditor 2023, 36% of Instagram accounts affected (about 60% over 1M);
# Modash treats < 75% real followers as a warning sign. We flag ~25% (20% at 1k rising to 30%
# at 100k) with severity = share of fake followers in [0.08, 0.85].
FAKE_BASE, FAKE_SLOPE = 0.20, 0.05  # P(fake) = base + slope * (log10 followers - 3)

# Price per sponsored post (REFERENCE.md "Prices"): Instagram nano $10-100 / micro $100-500
# and TikTok nano $5-25 / micro $25-125 are both linear in followers, i.e. a rate per 1,000
# followers of $10 and $2.50 (inside the $5-15 CPM band). YouTube: CPM $15-30 applied per
# 1,000 subscribers (the usual rate-card convention) -> $20. Adjusted for ER (Upfluence-style
# "suggested price" uses followers, ER and location), quality and country.
PRICE_PER_1K = {"instagram": 10.0, "tiktok": 2.5, "youtube": 20.0}
PRICE_ER_ELASTICITY = 0.35
PRICE_SPREAD = 0.25
LISTED_PRICE_SHARE = 0.5  # ~50% of creators list a price
LISTED_PRICE_NOISE = 0.15
MISSING_AUDIENCE_SHARE = 0.15

COUNTRY_SHARES = {
    "US": 32, "GB": 9, "CA": 4, "AU": 3, "IE": 1, "NZ": 0.5, "DE": 5, "AT": 0.5, "CH": 0.5, "FR": 4,
    "BE": 0.5, "NL": 2, "ES": 4, "IT": 3.5, "PT": 1, "SE": 1, "NO": 0.5, "DK": 0.5, "FI": 0.3, "PL": 1,
    "BR": 6, "MX": 3, "AR": 1, "CO": 1, "CL": 0.5, "IN": 4, "ID": 2, "PH": 2, "SG": 0.5, "MY": 0.5,
    "ZA": 1, "NG": 1, "AE": 0.5, "TR": 1, "JP": 0.5, "KR": 0.5,
}
NEIGHBOURS = {
    "US": ("CA", "GB", "MX"), "GB": ("IE", "US", "AU"), "CA": ("US", "GB", "FR"), "AU": ("NZ", "GB", "US"),
    "IE": ("GB", "US", "AU"), "NZ": ("AU", "GB", "US"), "DE": ("AT", "CH", "NL"), "AT": ("DE", "CH", "IT"),
    "CH": ("DE", "FR", "AT"), "FR": ("BE", "CH", "CA"), "BE": ("FR", "NL", "DE"), "NL": ("BE", "DE", "GB"),
    "ES": ("MX", "AR", "PT"), "IT": ("CH", "FR", "ES"), "PT": ("BR", "ES", "FR"), "SE": ("NO", "DK", "FI"),
    "NO": ("SE", "DK", "GB"), "DK": ("SE", "NO", "DE"), "FI": ("SE", "NO", "DE"), "PL": ("DE", "GB", "CZ"),
    "BR": ("PT", "AR", "US"), "MX": ("US", "CO", "ES"), "AR": ("CL", "ES", "MX"), "CO": ("MX", "ES", "US"),
    "CL": ("AR", "ES", "MX"), "IN": ("AE", "US", "GB"), "ID": ("MY", "SG", "PH"), "PH": ("US", "SG", "MY"),
    "SG": ("MY", "ID", "AU"), "MY": ("SG", "ID", "PH"), "ZA": ("GB", "NG", "US"), "NG": ("GB", "US", "ZA"),
    "AE": ("IN", "SA", "GB"), "TR": ("DE", "GB", "AE"), "JP": ("KR", "US", "SG"), "KR": ("JP", "US", "SG"),
}
NATIVE_LANGUAGE = {"ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "BR": "pt", "PT": "pt",
                   "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr"}
P_WRITES_NATIVE = 0.45  # -> ~12% of creators write mostly in es/pt/de/fr
# relative price level by market (our assumption; platforms price by location)
COUNTRY_PRICE = {"US": 1.1, "GB": 1.0, "CA": 1.0, "AU": 1.0, "IE": 0.95, "NZ": 0.9, "DE": 1.0, "AT": 0.95,
                 "CH": 1.2, "FR": 0.9, "BE": 0.9, "NL": 0.95, "ES": 0.8, "IT": 0.8, "PT": 0.65, "SE": 1.0,
                 "NO": 1.1, "DK": 1.0, "FI": 0.95, "PL": 0.6, "BR": 0.5, "MX": 0.5, "AR": 0.45, "CO": 0.45,
                 "CL": 0.5, "IN": 0.35, "ID": 0.35, "PH": 0.35, "SG": 0.9, "MY": 0.5, "ZA": 0.5, "NG": 0.35,
                 "AE": 0.9, "TR": 0.5, "JP": 0.9, "KR": 0.9}
BRAND_COUNTRY_SHARES = {"US": 45, "GB": 12, "DE": 7, "FR": 5, "ES": 5, "CA": 4, "AU": 4, "BR": 4, "MX": 3,
                        "IT": 3, "NL": 2, "IN": 2, "SE": 1, "PT": 1, "IE": 1, "AR": 1}
# audience age shares by platform (TikTok younger, YouTube older); niche age_shift tilts these
AGE_BASE = {"instagram": (0.05, 0.30, 0.34, 0.17, 0.08, 0.06), "tiktok": (0.16, 0.40, 0.25, 0.10, 0.06, 0.03),
            "youtube": (0.07, 0.25, 0.29, 0.19, 0.11, 0.09)}
AGE_TILT = 0.35
SENSITIVE_P = {  # P(creator's content touches a topic brands exclude), by niche (default first)
    "alcohol": {"_": 0.03, "foodie": 0.35, "travel": 0.15, "home_cooking": 0.10, "fashion": 0.05},
    "gambling": {"_": 0.005, "gaming": 0.12, "personal_finance": 0.05, "streetwear": 0.03},
    "crypto": {"_": 0.005, "personal_finance": 0.2, "tech": 0.15, "gaming": 0.05},
    "vape": {"_": 0.003, "streetwear": 0.05, "gaming": 0.05},
}
FOLLOWER_RANGES = ((1_000, 20_000), (5_000, 50_000), (10_000, 100_000), (2_000, 30_000),
                   (20_000, 100_000), (1_000, 50_000), (5_000, 100_000))
PLATFORM_SETS = ((("instagram",), 0.44), (("tiktok",), 0.15), (("instagram", "tiktok"), 0.26),
                 (("youtube",), 0.06), (("instagram", "youtube"), 0.06), (("tiktok", "youtube"), 0.03))
GOAL_SHARES = (0.35, 0.25, 0.25, 0.15)  # phrases.GOALS: awareness, launch, conversions, ugc

# --------------------------------------------------------------------------- utility model
# U = fit_w * fit + fit_b + aud_w * (aud - 1) + auth_w * (auth - 1) + q_w * quality
#     - over_w * clip(ln(price/budget), 0, over_cap) + under_w * clip(-ln(price/budget), 0, 1)
#     + penalties (language, platform, follower range, excluded handle/keyword)
UTILITY = {"fit_w": 5.0, "fit_b": -2.5, "aud_w": 2.0, "auth_w": 2.5, "q_w": 0.5, "over_w": 3.0,
           "under_w": 0.3, "over_cap": 1.5, "lang": -1.2, "platform": -2.0, "range": -1.5, "excluded": -3.0}
# Graded relevance from U with fixed absolute thresholds: grade g if U >= GRADES[g-1].
GRADES = (0.5, 1.3, 2.0)
# Outcome model (draw_outcomes)
OUTCOME = {"perceive_sd": 0.8, "contact_slope": 1.5, "contact_mid": 0.2, "position_exp": 0.3,
           "accept_b": 0.6, "accept_fit": 2.0, "accept_q": 0.25, "accept_fake": 1.0,
           "accept_size": -0.35, "accept_over": 2.5, "accept_sd": 0.6, "perf_sd": 0.4,
           "rating_perf": 0.35, "rating_sd": 0.6, "ctr": 0.02, "cvr": 0.04}
RATING_CUTS = (-0.4, 0.5, 1.3, 1.9)  # latent -> 1..5


# --------------------------------------------------------------------------- public types
@dataclass(frozen=True)
class MarketConfig:
    n_influencers: int = 3000
    n_briefs: int = 600
    seed: int = 0
    start: str = "2025-01-01"  # historical campaigns span [start, start+days)
    days: int = 540
    posts_per_influencer: tuple[int, int] = (6, 12)  # min, max recent posts
    shown_per_brief: tuple[int, int] = (15, 30)  # how many creators the legacy tool showed per brief


@dataclass
class Market:
    """Public tables (schema columns only) plus the hidden truth and the config that made them."""

    influencers: pd.DataFrame
    posts: pd.DataFrame
    briefs: pd.DataFrame
    outcomes: pd.DataFrame
    truth: Truth
    config: MarketConfig = field(default_factory=MarketConfig)


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def niche_names() -> list[str]:
    return [n.name for n in NICHES]


def niche_latent() -> NDArray[np.float64]:
    """Latent niche positions (rows unit-norm): the nearest positive semi-definite matrix to
    the related-niche table (1 on the diagonal, ``RELATED`` strengths off it), factorised.
    ``latent @ latent.T`` is the affinity; a mixture's position is the weighted sum of rows."""
    names = niche_names()
    ix = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for a, b, s in RELATED:
        m[ix[a], ix[b]] = m[ix[b], ix[a]] = s
    w, q = np.linalg.eigh(m)
    v = q * np.sqrt(np.clip(w, 1e-3, None))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def niche_affinity() -> NDArray[np.float64]:
    v = niche_latent()
    return np.clip(v @ v.T, 0.0, 1.0)


# --------------------------------------------------------------------------- truth
_LIST_COLS = ("platforms", "target_countries", "target_ages", "excluded_handles", "excluded_keywords")


def _split_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    return [x for x in str(v).split(S.LIST_SEP) if x]


class Truth:
    """The hidden variables of a simulated market and the outcome model. Only the oracle,
    the offline evaluation and the A/B traffic simulator use it; models never see it."""

    def __init__(self, creators: pd.DataFrame, briefs: pd.DataFrame, latent: NDArray[np.float64],
                 params: dict[str, Any] | None = None) -> None:
        self.creators = creators.reset_index(drop=True)
        self.briefs = briefs.reset_index(drop=True)
        self.latent = np.asarray(latent, dtype=np.float64)
        default = {"utility": UTILITY, "grades": list(GRADES), "outcome": OUTCOME,
                   "rating_cuts": list(RATING_CUTS)}
        self.params: dict[str, Any] = json.loads(json.dumps(params or default))  # private copy
        self.niches = niche_names()
        c = self.creators
        self._row = {iid: i for i, iid in enumerate(c["influencer_id"].astype(str))}
        self._brief_row = {bid: i for i, bid in enumerate(self.briefs["brief_id"].astype(str))}
        self._brief_info: list[dict[str, Any]] = []
        for i, row in enumerate(self.briefs.drop(columns=[f"w_{n}" for n in self.niches]).to_dict("records")):
            for k in _LIST_COLS:
                row[k] = _split_list(row[k])
            row["_i"] = i
            self._brief_info.append(row)
        w = c[[f"w_{n}" for n in self.niches]].to_numpy(np.float64)
        self._pos = _unit(w @ self.latent)
        self._aud_c = c[[f"ac_{x}" for x in S.COUNTRIES]].to_numpy(np.float64)
        self._aud_a = c[[f"age_{x}" for x in S.AGE_BUCKETS]].to_numpy(np.float64)
        self._female = c["female"].to_numpy(np.float64)
        self._quality = c["quality"].to_numpy(np.float64)
        self._fake = c["fake_severity"].to_numpy(np.float64)
        self._er = c["true_er"].to_numpy(np.float64)
        self._price = c["true_price"].to_numpy(np.float64)
        self._followers = c["followers"].to_numpy(np.float64)
        self._platform = c["platform"].astype(str).to_numpy()
        self._language = c["language"].astype(str).to_numpy()
        self._handle = c["handle"].astype(str).str.lower().to_numpy()
        self._native = np.array([NATIVE_LANGUAGE.get(x, "en") for x in c["country"].astype(str)], dtype=object)
        self._flags = [set(_split_list(f)) for f in c["flags"].tolist()]
        self._bpos = _unit(self.briefs[[f"w_{n}" for n in self.niches]].to_numpy(np.float64) @ self.latent)
        self._cidx = {x: i for i, x in enumerate(S.COUNTRIES)}
        self._aidx = {x: i for i, x in enumerate(S.AGE_BUCKETS)}

    # ----------------------------------------------------------------- io
    def save(self, out_dir: str | Path) -> None:
        d = Path(out_dir) / "truth"
        d.mkdir(parents=True, exist_ok=True)
        self.creators.to_parquet(d / "creators.parquet", index=False)
        self.briefs.to_parquet(d / "briefs.parquet", index=False)
        np.save(d / "niche_latent.npy", self.latent)
        meta = {"format_version": FORMAT_VERSION, "niches": self.niches, "params": self.params,
                "affinity": np.round(np.clip(self.latent @ self.latent.T, 0, 1), 4).tolist()}
        (d / "truth.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def from_dir(cls, data_dir: str | Path) -> Truth:
        d = Path(data_dir) / "truth"
        if not d.is_dir():
            raise FileNotFoundError(f"no truth/ folder in {data_dir}: not a simulated market")
        meta = json.loads((d / "truth.json").read_text())
        if meta["niches"] != niche_names():
            raise ValueError(f"{d}: niche list differs from this simulator version")
        return cls(pd.read_parquet(d / "creators.parquet"), pd.read_parquet(d / "briefs.parquet"),
                   np.load(d / "niche_latent.npy"), meta["params"])

    # ----------------------------------------------------------------- lookups
    def rows(self, influencer_ids: Sequence[str]) -> NDArray[np.int64]:
        try:
            return np.fromiter((self._row[str(i)] for i in influencer_ids), dtype=np.int64,
                               count=len(influencer_ids))
        except KeyError as e:
            raise KeyError(f"unknown influencer id {e.args[0]!r}") from None

    def _brief(self, brief_id: str) -> dict[str, Any]:
        try:
            return self._brief_info[self._brief_row[str(brief_id)]]
        except KeyError:
            raise KeyError(f"unknown brief id {brief_id!r}") from None

    def components(self, brief_id: str, influencer_ids: Sequence[str]) -> dict[str, NDArray[np.float64]]:
        """The terms of the utility for each pair (fit, audience match, price ratio...)."""
        b = self._brief(brief_id)
        r = self.rows(influencer_ids)
        n = len(r)
        fit = np.clip(self._pos[r] @ self._bpos[b["_i"]], 0.0, 1.0)
        parts: list[NDArray[np.float64]] = []
        if b["target_countries"]:
            cols = [self._cidx[c] for c in b["target_countries"] if c in self._cidx]
            parts.append(np.clip(self._aud_c[r][:, cols].sum(1) / 0.6, 0, 1))
        if b["target_ages"]:
            cols = [self._aidx[a] for a in b["target_ages"]]
            need = min(0.8, 0.4 + 0.2 * (len(cols) - 1))
            parts.append(np.clip(self._aud_a[r][:, cols].sum(1) / need, 0, 1))
        if b["target_gender"] in ("female", "male"):
            share = self._female[r] if b["target_gender"] == "female" else 1 - self._female[r]
            parts.append(np.clip((share - 0.3) / 0.45, 0, 1))
        aud = np.mean(parts, axis=0) if parts else np.ones(n)
        budget = b["budget_usd"]
        ratio = self._price[r] / budget if budget and np.isfinite(budget) else np.ones(n)
        excl_kw = {x.lower().replace(" ", "") for x in b["excluded_keywords"]}
        excl_h = {x.lower().lstrip("@") for x in b["excluded_handles"]}
        excluded = np.zeros(n)
        if excl_kw or excl_h:
            excluded = np.array([bool(excl_kw & self._flags[i]) or self._handle[i] in excl_h for i in r], float)
        blang = b["language"] if isinstance(b["language"], str) and b["language"] else "en"
        lang_mis = np.where(self._language[r] == blang, 0.0, np.where(self._native[r] == blang, 0.4, 1.0))
        return {
            "fit": fit, "audience": aud, "authenticity": 1.0 - self._fake[r], "quality": self._quality[r],
            "price_ratio": ratio, "fake_severity": self._fake[r], "followers": self._followers[r],
            "true_er": self._er[r],
            "lang_mismatch": lang_mis,
            "platform_mismatch": (~np.isin(self._platform[r], b["platforms"])).astype(float)
            if b["platforms"] else np.zeros(n),
            "range_mismatch": ((self._followers[r] < b["min_followers"])
                               | (self._followers[r] > b["max_followers"])).astype(float),
            "excluded": excluded,
        }

    def _utility(self, c: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        u = self.params["utility"]
        lr = np.log(c["price_ratio"])
        return (u["fit_w"] * c["fit"] + u["fit_b"] + u["aud_w"] * (c["audience"] - 1)
                + u["auth_w"] * (c["authenticity"] - 1) + u["q_w"] * c["quality"]
                - u["over_w"] * np.clip(lr, 0, u["over_cap"]) + u["under_w"] * np.clip(-lr, 0, 1)
                + u["lang"] * c["lang_mismatch"] + u["platform"] * c["platform_mismatch"]
                + u["range"] * c["range_mismatch"] + u["excluded"] * c["excluded"])

    # ----------------------------------------------------------------- public API
    def expected_utility(self, brief_id: str, influencer_ids: Sequence[str]) -> NDArray[np.float64]:
        """True expected utility of each (brief, influencer) pair; no noise."""
        if len(influencer_ids) == 0:
            return np.zeros(0)
        return self._utility(self.components(brief_id, influencer_ids)).astype(np.float64)

    def relevance_grades(self, brief_id: str, influencer_ids: Sequence[str]) -> NDArray[np.int64]:
        """0..3 from the true utility with fixed thresholds (``GRADES``: 0.5, 1.3, 2.0)."""
        u = self.expected_utility(brief_id, influencer_ids)
        return np.searchsorted(np.asarray(self.params["grades"]), u, side="right").astype(np.int64)

    def draw_outcomes(self, brief_id: str, influencer_ids: Sequence[str], positions: Sequence[int],
                      rng: np.random.Generator) -> pd.DataFrame:
        """What happens when the brand sees these creators at these 1-based positions.

        contacted ~ examination(position) x sigmoid(utility as the brand perceives it);
        accepted | contacted ~ creator interest (fit, price vs budget, size, eagerness of fake
        accounts); engagement, clicks, conversions and a 1-5 rating only when accepted.
        Every random number is drawn for every row, so one row's outcome never shifts the
        others' draws."""
        ids = [str(i) for i in influencer_ids]
        pos = np.asarray(positions, dtype=np.int64)
        if len(pos) != len(ids):
            raise ValueError("influencer_ids and positions differ in length")
        if len(ids) and pos.min() < 1:
            raise ValueError("positions are 1-based")
        n = len(ids)
        o = self.params["outcome"]
        c = self.components(brief_id, ids) if n else None
        util = self._utility(c) if c is not None else np.zeros(0)
        z = rng.standard_normal((5, n))
        u_contact, u_accept = rng.random(n), rng.random(n)
        perceived = util + o["perceive_sd"] * z[0]
        examine = pos.astype(float) ** -o["position_exp"]
        contacted = u_contact < examine * _sigmoid(o["contact_slope"] * (perceived - o["contact_mid"]))
        if c is not None:
            lr = np.log(c["price_ratio"])
            interest = (o["accept_b"] + o["accept_fit"] * (c["fit"] - 0.5) + o["accept_q"] * c["quality"]
                        + o["accept_fake"] * c["fake_severity"]
                        + o["accept_size"] * (np.log10(np.maximum(c["followers"], 1)) - 4)
                        - o["accept_over"] * np.clip(lr, 0, 2) + o["accept_sd"] * z[1])
            accepted = contacted & (u_accept < _sigmoid(interest))
            perf = z[2]
            eng_mean = (c["followers"] * c["true_er"] * SPONSORED_ER * (0.5 + 0.8 * c["fit"])
                        * (0.6 + 0.4 * c["audience"]))
            eng = eng_mean * np.exp(o["perf_sd"] * perf - o["perf_sd"] ** 2 / 2)
            ctr = o["ctr"] * (0.4 + c["fit"]) * (0.5 + c["audience"]) * c["authenticity"]
            clicks = rng.poisson(np.maximum(eng * ctr, 0))
            cvr = o["cvr"] * (0.5 + c["audience"]) * (0.5 + 0.5 * c["fit"])
            conv = rng.binomial(clicks, np.clip(cvr, 0, 1))
            latent = util + o["rating_perf"] * perf + o["rating_sd"] * z[3]
            rating = 1 + np.searchsorted(np.asarray(self.params["rating_cuts"]), latent, side="right")
        else:
            accepted = np.zeros(0, bool)
            eng = clicks = conv = rating = np.zeros(0)

        def masked(x: NDArray[Any]) -> pd.arrays.IntegerArray:
            return pd.arrays.IntegerArray(np.where(accepted, np.round(x), 0).astype(np.int64), ~accepted)

        return pd.DataFrame({
            S.BRIEF_ID: np.full(n, str(brief_id), dtype=object),
            S.INFLUENCER_ID: np.asarray(ids, dtype=object),
            S.SHOWN_POSITION: pos,
            S.CONTACTED: contacted.astype(bool),
            S.ACCEPTED: accepted.astype(bool),
            S.POST_ENGAGEMENTS: masked(eng),
            S.CLICKS: masked(clicks),
            S.CONVERSIONS: masked(conv),
            S.BRAND_RATING: np.where(accepted, rating, np.nan).astype(np.float64),
        })


def _unit(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------- creators
def _choice(rng: np.random.Generator, items: Sequence[Any], p: Sequence[float], size: int) -> NDArray[Any]:
    pp = np.asarray(p, dtype=float)
    idx = rng.choice(len(items), size=size, p=pp / pp.sum())
    return np.asarray(items, dtype=object)[idx]


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


def _niche_mixtures(rng: np.random.Generator, platform: NDArray[Any],
                    aff: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
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


def _audience(rng: np.random.Generator, platform: NDArray[Any], country: NDArray[Any],
              W: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
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


def _json_shares(keys: Sequence[str], m: NDArray[np.float64], top: int) -> list[str]:
    out = []
    for row in m:
        idx = np.argsort(-row)[:top]
        obj = {keys[i]: round(float(row[i]), 3) for i in idx if row[i] >= 0.01}
        total = sum(obj.values())
        if total > 1.0:
            obj = {k: round(v / total - 0.0005, 3) for k, v in obj.items()}
        out.append(json.dumps(obj))
    return out


def _nice(x: NDArray[np.float64]) -> NDArray[np.float64]:
    step = np.where(x < 100, 5.0, np.where(x < 500, 10.0, 25.0))
    return np.maximum(step, np.round(x / step) * step)


@dataclass
class _Creators:
    hidden: pd.DataFrame  # everything, truth included
    W: NDArray[np.float64]
    generalist: NDArray[np.bool_]
    sensitive: NDArray[Any]  # category or ""


def _make_creators(cfg: MarketConfig, rng: np.random.Generator, aff: NDArray[np.float64]) -> _Creators:
    n = cfg.n_influencers
    platform = _choice(rng, list(PLATFORM_SHARES), list(PLATFORM_SHARES.values()), n)
    W, generalist = _niche_mixtures(rng, platform, aff)
    country = _choice(rng, list(COUNTRY_SHARES), list(COUNTRY_SHARES.values()), n)
    native = np.array([NATIVE_LANGUAGE.get(c, "en") for c in country], dtype=object)
    language = np.where((native != "en") & (rng.random(n) < P_WRITES_NATIVE), native, "en").astype(object)
    followers = sample_followers(rng, n)
    lf = np.log10(np.maximum(followers, 1))
    quality = rng.standard_normal(n)
    fake = rng.random(n) < (FAKE_BASE + FAKE_SLOPE * np.clip(lf - 3, 0, 2.5))
    severity = np.where(fake, 0.08 + 0.77 * rng.beta(1.6, 3.0, n), 0.0)
    quality = quality - 0.4 * fake
    er = base_er(platform, followers.astype(float)) * np.exp(
        ER_QUALITY * quality + ER_SPREAD * rng.standard_normal(n) - ER_SPREAD ** 2 / 2) * (1 - severity)
    cmult = np.array([COUNTRY_PRICE.get(c, 0.6) for c in country])
    rate = np.array([PRICE_PER_1K[p] for p in platform])
    er_rel = er / base_er(platform, followers.astype(float))
    price = np.maximum(5.0, rate * followers / 1000 * cmult * np.clip(er_rel, 0.2, 5) ** PRICE_ER_ELASTICITY
                       * np.exp(0.12 * quality + PRICE_SPREAD * rng.standard_normal(n)))
    ac, ages, female = _audience(rng, platform, country, W)
    # sensitive content category (at most one per creator)
    names = niche_names()
    primary = W.argmax(1)
    sensitive = np.full(n, "", dtype=object)
    for cat, table in SENSITIVE_P.items():
        p = np.array([table.get(names[j], table["_"]) for j in primary])
        sensitive[(sensitive == "") & (rng.random(n) < p)] = cat
    following = np.clip(np.exp(np.log(450) + 0.15 * (lf - 4) * np.log(10) + 0.8 * rng.standard_normal(n)), 10, 7500)
    f4f = fake & (rng.random(n) < 0.6)
    following = np.where(f4f, np.clip(followers * rng.uniform(0.4, 1.3, n), 300, 7500), following)
    hidden = pd.DataFrame({
        "platform": platform.astype(str), "followers": followers, "following": np.round(following).astype(np.int64),
        "country": country.astype(str), "language": language.astype(str), "quality": quality,
        "fake_severity": severity, "true_er": er, "true_price": price, "female": female,
        "generalist": generalist,
    })
    for j, nm in enumerate(names):
        hidden[f"w_{nm}"] = W[:, j]
    for j, c in enumerate(S.COUNTRIES):
        hidden[f"ac_{c}"] = ac[:, j]
    for j, a in enumerate(S.AGE_BUCKETS):
        hidden[f"age_{a}"] = ages[:, j]
    return _Creators(hidden=hidden, W=W, generalist=generalist, sensitive=sensitive)


def _public_influencers(cfg: MarketConfig, cr: _Creators, rng: np.random.Generator,
                        dice: P.Dice, progress: bool) -> pd.DataFrame:
    h = cr.hidden
    n = len(h)
    names = niche_names()
    width = max(6, len(str(n)))
    ids = [f"I{i:0{width}d}" for i in range(1, n + 1)]
    # handles (unique) and bios
    handles: list[str] = []
    seen: set[str] = set()
    bios: list[str] = []
    fam = [P.bank(names[j]).family for j in cr.W.argmax(1)]
    order = np.argsort(-cr.W, axis=1)[:, :4]
    wsorted = np.take_along_axis(cr.W, order, 1)
    plat, lang, ctry = h["platform"].tolist(), h["language"].tolist(), h["country"].tolist()
    pro = (h["quality"].to_numpy() > 0.5).tolist()
    fake = (h["fake_severity"].to_numpy() > 0.3).tolist()
    for i in tqdm(range(n), desc="creators", disable=not progress, mininterval=1.0):
        hd = P.make_handle(dice, fam[i])
        while hd in seen:
            hd = f"{hd}{dice.randint(0, 10)}"
        seen.add(hd)
        handles.append(hd)
        mix = [names[j] for j, w in zip(order[i], wsorted[i], strict=True) if w > 0.1]
        bios.append(P.write_bio(dice, mix, plat[i], lang[i], ctry[i], generalist=bool(cr.generalist[i]),
                                pro=pro[i], fake=fake[i]))
    listed = rng.random(n) < LISTED_PRICE_SHARE
    price = np.where(listed, _nice(h["true_price"].to_numpy() * np.exp(LISTED_PRICE_NOISE * rng.standard_normal(n))),
                     np.nan)
    # public audience: noisy estimates of the truth, ~15% missing altogether
    ac = h[[f"ac_{c}" for c in S.COUNTRIES]].to_numpy() * np.exp(0.1 * rng.standard_normal((n, len(S.COUNTRIES))))
    ages = h[[f"age_{a}" for a in S.AGE_BUCKETS]].to_numpy() * np.exp(0.08 * rng.standard_normal((n, 6)))
    ages /= ages.sum(1, keepdims=True)
    fem = np.round(np.clip(h["female"].to_numpy() + rng.normal(0, 0.02, n), 0, 1), 2)
    missing = rng.random(n) < MISSING_AUDIENCE_SHARE
    aud_c = np.where(missing, None, np.asarray(_json_shares(S.COUNTRIES, np.minimum(ac, 1), 5), dtype=object))
    aud_a = np.where(missing, None, np.asarray(_json_shares(S.AGE_BUCKETS, ages, 6), dtype=object))
    country = np.where(rng.random(n) < 0.03, None, h["country"].to_numpy(dtype=object))
    end = pd.Timestamp(cfg.start) + pd.Timedelta(days=cfg.days)
    age_days = 365 * (1 + rng.gamma(2.0, 1.0 + 0.6 * np.log10(np.maximum(h["followers"].to_numpy(), 300) / 1000)))
    joined = end - pd.to_timedelta(np.round(age_days), unit="D")
    joined = pd.Series(joined).where(rng.random(n) < 0.85)
    return pd.DataFrame({
        S.INFLUENCER_ID: ids, S.HANDLE: handles, S.PLATFORM: h["platform"].to_numpy(),
        S.FOLLOWERS: h["followers"].to_numpy(), S.BIO: bios, S.FOLLOWING: h["following"].to_numpy(),
        S.COUNTRY: country, S.LANGUAGE: h["language"].to_numpy(), S.AUDIENCE_COUNTRIES: aud_c,
        S.AUDIENCE_AGES: aud_a, S.AUDIENCE_FEMALE: np.where(missing, np.nan, fem), S.PRICE_USD: price,
        S.JOINED_AT: joined.dt.normalize(),
    })


# --------------------------------------------------------------------------- brands and posts
@dataclass
class _Brands:
    table: pd.DataFrame  # brand_id, brand, handle, country, language, niche, niche2, budget_mult
    by_niche: dict[int, list[str]]  # primary niche -> brand handles


def _make_brands(cfg: MarketConfig, rng: np.random.Generator, dice: P.Dice,
                 aff: NDArray[np.float64]) -> _Brands:
    nb = max(1, cfg.n_briefs // 3)
    names = niche_names()
    k = len(names)
    share = np.array([x.share for x in NICHES]) ** 0.6  # brands spread flatter than creators
    primary = rng.choice(k, size=nb, p=share / share.sum())
    second = np.full(nb, -1)
    for i in np.flatnonzero(rng.random(nb) < 0.35):
        pw = np.where(aff[primary[i]] >= 0.1, aff[primary[i]], 0.0)
        pw[primary[i]] = 0
        second[i] = rng.choice(k, p=pw / pw.sum())
    country = _choice(rng, list(BRAND_COUNTRY_SHARES), list(BRAND_COUNTRY_SHARES.values()), nb)
    lang = np.array([NATIVE_LANGUAGE.get(c, "en") if u < 0.35 else "en"
                     for c, u in zip(country, rng.random(nb), strict=True)], dtype=object)
    taken: set[str] = set()
    bnames, bhandles = [], []
    for i in range(nb):
        nm = P.brand_name(dice, names[primary[i]])
        while P.brand_handle(nm) in taken:
            nm = P.brand_name(dice, names[primary[i]]) if dice.chance(0.7) else f"{nm} {dice.randint(2, 99)}"
        taken.add(P.brand_handle(nm))
        bnames.append(nm)
        bhandles.append(P.brand_handle(nm))
    table = pd.DataFrame({
        "brand_id": [f"B{i:05d}" for i in range(1, nb + 1)], "brand": bnames, "handle": bhandles,
        "country": country.astype(str), "language": lang.astype(str), "niche": primary, "niche2": second,
        "budget_mult": np.exp(0.3 * rng.standard_normal(nb)),
    })
    by_niche: dict[int, list[str]] = {}
    for h, j in zip(bhandles, primary, strict=True):
        by_niche.setdefault(int(j), []).append(h)
    return _Brands(table=table, by_niche=by_niche)


def _make_posts(cfg: MarketConfig, cr: _Creators, inf: pd.DataFrame, brands: _Brands,
                rng: np.random.Generator, dice: P.Dice, aff: NDArray[np.float64],
                progress: bool) -> tuple[pd.DataFrame, list[str]]:
    """Posts plus each creator's content flags (sensitive categories and sponsor handles)."""
    h = cr.hidden
    n = len(h)
    k = cr.W.shape[1]
    names = niche_names()
    lo, hi = cfg.posts_per_influencer
    n_posts = rng.integers(lo, hi + 1, n)
    owner = np.repeat(np.arange(n), n_posts)
    m = len(owner)
    plat = h["platform"].to_numpy()
    q = h["quality"].to_numpy()
    sev = h["fake_severity"].to_numpy()
    fol = h["followers"].to_numpy().astype(float)
    # per-creator habits
    spons = np.clip(rng.beta(2.0, 11.0, n) + 0.03 * q + 0.08 * (sev > 0), 0.0, 0.45)
    off = np.clip(0.2 - 0.05 * q + rng.normal(0, 0.05, n), 0.05, 0.4)
    noise = np.clip(0.04 + 0.06 * (sev > 0) + rng.normal(0, 0.02, n), 0.0, 0.2)
    gap_med = np.array([{"instagram": 3.5, "tiktok": 2.0, "youtube": 7.0}[p] for p in plat])
    gap = gap_med * np.exp(0.6 * rng.standard_normal(n) - 0.15 * q)
    # per-post draws
    u = rng.random(m)
    o = owner
    is_sp = u < spons[o]
    is_off = (~is_sp) & (u < spons[o] + off[o])
    is_noise = (~is_sp) & (~is_off) & (u < spons[o] + off[o] + noise[o])
    cum = np.cumsum(cr.W, axis=1)
    niche = np.minimum((cum[o] < rng.random(m)[:, None]).sum(1), k - 1)
    rel = aff.copy()
    np.fill_diagonal(rel, 0)
    relcum = np.cumsum(rel / rel.sum(1, keepdims=True), axis=1)
    related = np.minimum((relcum[niche] < rng.random(m)[:, None]).sum(1), k - 1)
    use_rel = (rng.random(m) < 0.12) & ~is_off & ~is_noise
    sens = cr.sensitive[o]
    use_sens = (sens != "") & (rng.random(m) < 0.3) & ~is_noise
    # engagement
    sigma = np.array([POST_SIGMA[p] for p in plat]) + 0.5 * (sev > 0)
    eng = fol[o] * h["true_er"].to_numpy()[o] * np.exp(sigma[o] * rng.standard_normal(m) - sigma[o] ** 2 / 2)
    eng *= np.where(is_sp, SPONSORED_ER, 1.0) * np.where(is_noise, 0.6, 1.0) * np.where(is_off, 0.9, 1.0)
    cratio = np.array([COMMENT_RATIO[p] for p in plat]) * np.exp(0.4 * rng.standard_normal(n))
    comments = rng.poisson(eng * cratio[o] / (1 + cratio[o]))
    likes = np.maximum(0, np.round(eng - comments)).astype(np.int64)
    bought = (sev[o] > 0) & (rng.random(m) < 0.25)  # bought likes: spikes without comments
    likes = likes + np.where(bought, np.round(likes * rng.uniform(1.0, 5.0, m) * sev[o] * 2), 0).astype(np.int64)
    views = np.full(m, np.nan)
    for p, epv in ENG_PER_VIEW.items():
        sel = plat[o] == p
        views[sel] = np.round((likes[sel] + comments[sel]) / (epv * np.exp(0.3 * rng.standard_normal(int(sel.sum())))))
    # timestamps: newest first, going back from the end of the period
    end = pd.Timestamp(cfg.start) + pd.Timedelta(days=cfg.days)
    gaps = rng.exponential(gap[o])
    starts = np.r_[0, np.cumsum(n_posts)[:-1]]
    cs = np.cumsum(gaps)
    offs = cs - np.repeat(cs[starts] - gaps[starts], n_posts)
    offs = offs * 0.999 + rng.uniform(0, 0.5, m)
    posted = end - pd.to_timedelta(np.round(offs * 86400), unit="s")
    # text
    ids = inf[S.INFLUENCER_ID].tolist()
    handles = inf[S.HANDLE].tolist()
    pool = [handles[i] for i in rng.choice(n, size=min(n, 2000), replace=False)]
    lang = h["language"].tolist()
    platl = plat.tolist()
    flags: list[set[str]] = [set() for _ in range(n)]
    texts: list[str] = []
    is_sp_l, is_off_l, is_noise_l = is_sp.tolist(), is_off.tolist(), is_noise.tolist()
    niche_l, rel_l, use_rel_l, use_sens_l = niche.tolist(), related.tolist(), use_rel.tolist(), use_sens.tolist()
    o_l = o.tolist()
    for j in tqdm(range(m), desc="posts", disable=not progress, mininterval=1.0):
        c = o_l[j]
        nj = niche_l[j]
        sponsor = None
        if is_sp_l[j]:
            cands = brands.by_niche.get(nj)
            if cands and dice.chance(0.6):
                sponsor = dice.pick(cands)
            else:
                sponsor = P.brand_handle(P.brand_name(dice, names[nj]))
            flags[c].add(sponsor)
        s_cat = sens[j] if use_sens_l[j] else None
        if s_cat:
            flags[c].add(s_cat)
        texts.append(P.write_caption(
            dice, None if is_off_l[j] else names[nj], platl[c], lang[c],
            related=names[rel_l[j]] if use_rel_l[j] else None, sponsor=sponsor, mentions=pool,
            sensitive=s_cat, noise=is_noise_l[j]))
    width = max(7, len(str(m)))
    posts = pd.DataFrame({
        S.POST_ID: [f"P{j:0{width}d}" for j in range(1, m + 1)],
        S.INFLUENCER_ID: [ids[c] for c in o_l], S.POSTED_AT: posted.floor("s"), S.TEXT: texts,
        S.LIKES: likes, S.COMMENTS: comments.astype(np.int64),
        S.VIEWS: pd.Series(np.nan_to_num(views).astype(np.int64), dtype="Int64").mask(np.isnan(views)),
        S.IS_SPONSORED: is_sp,
    })
    return posts, [S.LIST_SEP.join(sorted(f)) for f in flags]


# --------------------------------------------------------------------------- briefs
def _make_briefs(cfg: MarketConfig, cr: _Creators, inf: pd.DataFrame, brands: _Brands,
                 rng: np.random.Generator, dice: P.Dice, aff: NDArray[np.float64],
                 progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Public briefs and their hidden niche mixtures."""
    nb = cfg.n_briefs
    names = niche_names()
    k = len(names)
    bt = brands.table
    weights = np.exp(0.6 * rng.standard_normal(len(bt)))  # some brands brief more often
    which = rng.choice(len(bt), size=nb, p=weights / weights.sum())
    start = pd.Timestamp(cfg.start)
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, cfg.days * 86400, nb)).round(), unit="s")
    female_n = np.array([x.female for x in NICHES])
    shift_n = np.array([x.age_shift for x in NICHES])
    handles = inf[S.HANDLE].to_numpy()
    primary_c = cr.W.argmax(1)
    set_items = [s for s, _ in PLATFORM_SETS]
    set_p = np.array([p for _, p in PLATFORM_SETS])
    rows, hidden = [], []
    for i in tqdm(range(nb), desc="briefs", disable=not progress, mininterval=1.0):
        br = bt.iloc[which[i]]
        w = np.zeros(k)
        w[br["niche"]] = 1.0
        if br["niche2"] >= 0:
            w[br["niche2"]] = 0.35 + 0.25 * rng.random()
        if rng.random() < 0.3:  # campaign-specific angle: a vegan protein bar for runners
            pw = np.where(aff[br["niche"]] >= 0.1, aff[br["niche"]], 0.0)
            pw[w > 0] = 0
            if pw.sum() > 0:
                w[rng.choice(k, p=pw / pw.sum())] = 0.25 + 0.2 * rng.random()
        w /= w.sum()
        mix = [names[j] for j in np.argsort(-w) if w[j] > 0]
        plats = list(set_items[rng.choice(len(set_items), p=set_p / set_p.sum())])
        countries: list[str] = []
        if rng.random() < 0.65:
            nbrs = [c for c in NEIGHBOURS.get(br["country"], ()) if c in S.COUNTRIES]
            extra = rng.choice(3, p=[0.55, 0.3, 0.15])
            countries = [str(br["country"])] + [str(x) for x in rng.permutation(nbrs)[:extra]]
        ages: list[str] = []
        if rng.random() < 0.5:
            p = np.array(AGE_BASE[plats[0]]) * np.exp(AGE_TILT * float(w @ shift_n) * (np.arange(6) - 2.5))
            mode = int(np.argmax(p * np.exp(0.3 * rng.standard_normal(6))))
            width = rng.choice(3, p=[0.35, 0.45, 0.2]) + 1
            lo = int(np.clip(mode - rng.integers(0, width), 0, 6 - width))
            ages = list(S.AGE_BUCKETS[lo:lo + width])
        fem = float(w @ female_n)
        gender = "any"
        if fem >= 0.7 and rng.random() < 0.35:
            gender = "female"
        elif fem <= 0.35 and rng.random() < 0.3:
            gender = "male"
        lo_f, hi_f = S.DEFAULT_MIN_FOLLOWERS, S.DEFAULT_MAX_FOLLOWERS
        if rng.random() < 0.25:
            lo_f, hi_f = FOLLOWER_RANGES[rng.integers(len(FOLLOWER_RANGES))]
        budget = np.nan
        if rng.random() < 0.85:
            target = 10 ** rng.uniform(np.log10(max(lo_f, 1500)), np.log10(min(hi_f, 60_000)))
            rate = max(PRICE_PER_1K[p] for p in plats)
            budget = rate * target / 1000 * br["budget_mult"] * np.exp(0.15 + 0.35 * rng.standard_normal())
            if rng.random() < 0.2:
                budget *= 0.45  # a tight budget
            budget = float(_nice(np.array([max(budget, 15.0)]))[0])
        excl_h: list[str] = []
        if rng.random() < 0.07:
            pool = np.flatnonzero(np.isin(primary_c, [names.index(x) for x in mix]))
            if len(pool):
                excl_h = sorted({str(handles[j]) for j in rng.choice(pool, size=int(rng.integers(1, 5)))})
        excl_k: list[str] = []
        if rng.random() < 0.15:
            comp = [x for x in brands.by_niche.get(int(br["niche"]), []) if x != br["handle"]]
            opts = ["alcohol", "gambling", "crypto", "vape"] + ([dice.pick(comp)] * 3 if comp else [])
            excl_k = sorted(set(dice.sample(opts, int(rng.integers(1, 3)))))
        goal = P.GOALS[rng.choice(4, p=GOAL_SHARES)]
        lang = br["language"] if rng.random() < 0.7 else "en"
        text = P.write_brief(dice, br["brand"], mix, goal, plats, lang=lang, ages=ages, gender=gender,
                             countries=countries, excluded=excl_k)
        row = {S.BRIEF_ID: "", S.BRAND_ID: br["brand_id"], S.BRAND: br["brand"], S.CREATED_AT: created[i],
               S.TEXT: text, S.PLATFORMS_COL: S.LIST_SEP.join(sorted(plats)),
               S.TARGET_COUNTRIES: S.LIST_SEP.join(countries) or None,
               S.TARGET_AGES: S.LIST_SEP.join(ages) or None, S.TARGET_GENDER: gender,
               S.MIN_FOLLOWERS: lo_f, S.MAX_FOLLOWERS: hi_f, S.BUDGET_USD: budget,
               S.EXCLUDED_HANDLES: S.LIST_SEP.join(excl_h) or None,
               S.EXCLUDED_KEYWORDS: S.LIST_SEP.join(excl_k) or None, S.BRIEF_LANGUAGE: lang}
        rows.append(row)
        hidden.append(w)
    briefs = pd.DataFrame(rows)
    width = max(5, len(str(nb)))
    briefs[S.BRIEF_ID] = [f"R{i:0{width}d}" for i in range(1, nb + 1)]
    briefs = briefs[list(S.BRIEF_REQUIRED + S.BRIEF_OPTIONAL)]
    hb = pd.DataFrame({
        "brief_id": briefs[S.BRIEF_ID], "brand_id": briefs[S.BRAND_ID],
        "platforms": briefs[S.PLATFORMS_COL], "target_countries": briefs[S.TARGET_COUNTRIES],
        "target_ages": briefs[S.TARGET_AGES], "target_gender": briefs[S.TARGET_GENDER],
        "min_followers": briefs[S.MIN_FOLLOWERS], "max_followers": briefs[S.MAX_FOLLOWERS],
        "budget_usd": briefs[S.BUDGET_USD], "excluded_handles": briefs[S.EXCLUDED_HANDLES],
        "excluded_keywords": briefs[S.EXCLUDED_KEYWORDS], "language": briefs[S.BRIEF_LANGUAGE],
    })
    hw = np.vstack(hidden) if hidden else np.zeros((0, k))
    for j, nm in enumerate(names):
        hb[f"w_{nm}"] = hw[:, j]
    return briefs, hb


# --------------------------------------------------------------------------- legacy exposure
_TOKEN = re.compile(r"[a-zà-ÿ]{4,}")
_STOP = frozenset(("with", "that", "this", "your", "from", "have", "will", "what", "about", "more", "they",
                   "them", "their", "into", "just", "like", "love", "creators", "creator", "content",
                   "looking", "brand", "audience", "product", "people", "post", "posts", "need", "want",
                   "make", "made", "every", "also", "some", "each"))


def _bag_of_words(texts: Sequence[str], vocab: dict[str, int]) -> sparse.csc_matrix:
    indptr, indices = [0], []
    for t in texts:
        ws = {vocab.setdefault(w, len(vocab)) for w in _TOKEN.findall(t.lower()) if w not in _STOP}
        indices.extend(ws)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), max(len(vocab), 1))).tocsc()


def _legacy_outcomes(cfg: MarketConfig, inf: pd.DataFrame, posts: pd.DataFrame, briefs: pd.DataFrame,
                     truth: Truth, rng: np.random.Generator, out_rng: np.random.Generator,
                     progress: bool) -> pd.DataFrame:
    """The legacy tool: popularity, crude keyword overlap (bio + captions), a coarse category
    tag (Kim et al. categories; creators self-declared them at sign-up, 20% wrongly, and the
    tag is not in the exported tables) and randomness, among creators passing the brief's
    platform / follower / country / handle filters and not listing a price far above budget."""
    n = len(inf)
    cats = sorted({x.category for x in NICHES})
    niche_cat = np.array([cats.index(x.category) for x in NICHES])
    W = truth.creators[[f"w_{x}" for x in truth.niches]].to_numpy()
    creator_cat = np.where(rng.random(n) < 0.2, rng.integers(0, len(cats), n), niche_cat[W.argmax(1)])
    bw = truth.briefs[[f"w_{x}" for x in truth.niches]].to_numpy()
    brief_cat = dict(zip(truth.briefs["brief_id"], niche_cat[bw.argmax(1)], strict=True))
    text = posts.groupby(S.INFLUENCER_ID, sort=False)[S.TEXT].agg(" ".join)
    text = text.reindex(inf[S.INFLUENCER_ID]).fillna("")
    vocab: dict[str, int] = {}
    X = _bag_of_words([f"{b} {t}" for b, t in zip(inf[S.BIO].fillna(""), text, strict=True)], vocab)
    fol = inf[S.FOLLOWERS].to_numpy().astype(float)
    lf = np.log10(np.maximum(fol, 1))
    zf = (lf - lf.mean()) / (lf.std() + 1e-9)
    plat = pd.Categorical(inf[S.PLATFORM], categories=S.PLATFORMS).codes
    country = pd.Categorical(inf[S.COUNTRY], categories=S.COUNTRIES).codes  # -1 = unknown
    cidx = {c: i for i, c in enumerate(S.COUNTRIES)}
    aud = np.full((n, len(S.COUNTRIES)), np.nan, dtype=np.float32)
    for i, cell in enumerate(inf[S.AUDIENCE_COUNTRIES].tolist()):
        if isinstance(cell, str):
            aud[i] = 0.0
            for c, v in json.loads(cell).items():
                aud[i, cidx[c]] = v
    handles = inf[S.HANDLE].str.lower().to_numpy()
    ids = inf[S.INFLUENCER_ID].to_numpy()
    listed = inf[S.PRICE_USD].to_numpy(dtype=float)
    lo, hi = cfg.shown_per_brief
    frames = []
    for b in tqdm(briefs.itertuples(index=False), total=len(briefs), desc="legacy tool",
                  disable=not progress, mininterval=1.0):
        bd = b._asdict()
        mask = (fol >= bd[S.MIN_FOLLOWERS]) & (fol <= bd[S.MAX_FOLLOWERS])
        plats = _split_list(bd[S.PLATFORMS_COL])
        if plats:
            mask &= np.isin(np.asarray(S.PLATFORMS), plats)[plat]
        tc = _split_list(bd[S.TARGET_COUNTRIES])
        if tc:
            cols = [cidx[c] for c in tc]
            ok = np.zeros(len(S.COUNTRIES) + 1, dtype=bool)  # last slot: code -1 (unknown)
            ok[cols] = True
            mask &= ok[country] | (np.nan_to_num(aud[:, cols].sum(1), nan=0.0) >= 0.25)
        budget = bd[S.BUDGET_USD]
        if budget == budget:  # listed price far above budget: the tool hides it (unknown price kept)
            mask &= ~(listed > 2.0 * budget)
        eh = _split_list(bd[S.EXCLUDED_HANDLES])
        if eh:
            mask &= ~np.isin(handles, eh)
        cand = np.flatnonzero(mask)
        if len(cand) == 0:
            continue
        words = [vocab[w] for w in set(_TOKEN.findall(str(bd[S.TEXT]).lower())) if w in vocab]
        overlap = np.asarray(X[:, words].sum(1)).ravel()[cand] if words else np.zeros(len(cand))
        same_cat = creator_cat[cand] == brief_cat[bd[S.BRIEF_ID]]
        score = (0.6 * zf[cand] + 0.8 * np.minimum(overlap, 4) + 1.0 * same_cat
                 + rng.gumbel(0, 1.0, len(cand)))
        k = min(int(rng.integers(lo, hi + 1)), len(cand))
        top = cand[np.argsort(-score, kind="stable")[:k]]
        frames.append(truth.draw_outcomes(bd[S.BRIEF_ID], ids[top].tolist(), np.arange(1, k + 1), out_rng))
    if not frames:
        return _empty_outcomes()
    return pd.concat(frames, ignore_index=True)


def _empty_outcomes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in S.OUTCOME_REQUIRED + S.OUTCOME_OPTIONAL})


# --------------------------------------------------------------------------- entry points
def simulate_market(cfg: MarketConfig, progress: bool = True) -> Market:
    """Generate a market; the same config always gives the same tables."""
    if cfg.n_influencers < 1 or cfg.n_briefs < 1:
        raise ValueError("n_influencers and n_briefs must be positive")
    if not 1 <= cfg.posts_per_influencer[0] <= cfg.posts_per_influencer[1]:
        raise ValueError(f"posts_per_influencer must be (min, max) with 1 <= min <= max, got {cfg.posts_per_influencer}")
    if not 1 <= cfg.shown_per_brief[0] <= cfg.shown_per_brief[1]:
        raise ValueError(f"shown_per_brief must be (min, max) with 1 <= min <= max, got {cfg.shown_per_brief}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(9)]
    aff = niche_affinity()
    logger.info("simulating %d creators and %d briefs (seed %d)", cfg.n_influencers, cfg.n_briefs, cfg.seed)
    brands = _make_brands(cfg, streams[0], P.Dice(streams[1]), aff)
    cr = _make_creators(cfg, streams[2], aff)
    inf = _public_influencers(cfg, cr, streams[3], P.Dice(streams[4]), progress)
    posts, flags = _make_posts(cfg, cr, inf, brands, streams[5], P.Dice(streams[6]), aff, progress)
    briefs, hidden_briefs = _make_briefs(cfg, cr, inf, brands, streams[7], P.Dice(streams[8]), aff, progress)
    hc = cr.hidden.copy()
    hc.insert(0, "influencer_id", inf[S.INFLUENCER_ID].to_numpy())
    hc.insert(1, "handle", inf[S.HANDLE].to_numpy())
    hc["flags"] = flags
    truth = Truth(hc, hidden_briefs, niche_latent())
    legacy_rng, outcome_rng = (np.random.default_rng(s) for s in np.random.SeedSequence([cfg.seed, 1]).spawn(2))
    outcomes = _legacy_outcomes(cfg, inf, posts, briefs, truth, legacy_rng, outcome_rng, progress)
    logger.info("market: %d creators, %d posts, %d briefs, %d outcome rows", len(inf), len(posts),
                len(briefs), len(outcomes))
    return Market(influencers=inf, posts=posts, briefs=briefs, outcomes=outcomes, truth=truth, config=cfg)


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
    meta = {"format_version": FORMAT_VERSION, "config": asdict(market.config),
            "counts": {"influencers": len(market.influencers), "posts": len(market.posts),
                       "briefs": len(market.briefs), "outcomes": len(market.outcomes)}}
    (d / "market.json").write_text(json.dumps(meta, indent=1))
    logger.info("wrote market to %s", d)
