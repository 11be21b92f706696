"""Synthetic influencer market: brands, their briefs and creators' posts, assembled with the
creators (``data.creators``), the hidden truth (``data.truth``) and the legacy tool's exposure
history (``data.history``) into one ``Market``; written to disk by ``write_market``.

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
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.simulator.creators import (
    Creators,
    make_creators,
    nice_price,
    public_influencers,
    weighted_choice,
)
from matcher.simulator.exposure import legacy_outcomes
from matcher.simulator.params import (
    AGE_BASE,
    AGE_TILT,
    FORMAT_VERSION,
    NATIVE_LANGUAGE,
    NEIGHBOURS,
    PRICE_PER_1K,
    SPONSORED_ER,
    niche_affinity,
    niche_latent,
    niche_names,
)
from matcher.simulator.phrases import compose as P
from matcher.simulator.phrases.niches import NICHES
from matcher.simulator.truth import Truth

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- calibration
COMMENT_RATIO = {"instagram": 0.035, "tiktok": 0.012, "youtube": 0.05}  # comments per like
POST_SIGMA = {"instagram": 0.35, "tiktok": 0.6, "youtube": 0.5}  # post-to-post lognormal sigma
ENG_PER_VIEW = {"tiktok": 0.065, "youtube": 0.045}
BRAND_COUNTRY_SHARES = {"US": 45, "GB": 12, "DE": 7, "FR": 5, "ES": 5, "CA": 4, "AU": 4, "BR": 4, "MX": 3,
                        "IT": 3, "NL": 2, "IN": 2, "SE": 1, "PT": 1, "IE": 1, "AR": 1}
FOLLOWER_RANGES = ((1_000, 20_000), (5_000, 50_000), (10_000, 100_000), (2_000, 30_000),
                   (20_000, 100_000), (1_000, 50_000), (5_000, 100_000))
PLATFORM_SETS = ((("instagram",), 0.44), (("tiktok",), 0.15), (("instagram", "tiktok"), 0.26),
                 (("youtube",), 0.06), (("instagram", "youtube"), 0.06), (("tiktok", "youtube"), 0.03))
GOAL_SHARES = (0.35, 0.25, 0.25, 0.15)  # phrases.GOALS: awareness, launch, conversions, ugc


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
    country = weighted_choice(rng, list(BRAND_COUNTRY_SHARES), list(BRAND_COUNTRY_SHARES.values()), nb)
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


def _make_posts(cfg: MarketConfig, cr: Creators, inf: pd.DataFrame, brands: _Brands,
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
def _make_briefs(cfg: MarketConfig, cr: Creators, inf: pd.DataFrame, brands: _Brands,
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
            budget = float(nice_price(np.array([max(budget, 15.0)]))[0])
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
    cr = make_creators(cfg, streams[2], aff)
    inf = public_influencers(cfg, cr, streams[3], P.Dice(streams[4]), progress)
    posts, flags = _make_posts(cfg, cr, inf, brands, streams[5], P.Dice(streams[6]), aff, progress)
    briefs, hidden_briefs = _make_briefs(cfg, cr, inf, brands, streams[7], P.Dice(streams[8]), aff, progress)
    hc = cr.hidden.copy()
    hc.insert(0, "influencer_id", inf[S.INFLUENCER_ID].to_numpy())
    hc.insert(1, "handle", inf[S.HANDLE].to_numpy())
    hc["flags"] = flags
    truth = Truth(hc, hidden_briefs, niche_latent())
    legacy_rng, outcome_rng = (np.random.default_rng(s) for s in np.random.SeedSequence([cfg.seed, 1]).spawn(2))
    outcomes = legacy_outcomes(cfg, inf, posts, briefs, truth, legacy_rng, outcome_rng, progress)
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
