"""Brands and their campaign briefs: public targeting plus each brief's hidden niche mixture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.simulator.creators import Creators
from matcher.simulator.params import (
    AGE_BASE,
    AGE_TILT,
    NATIVE_LANGUAGE,
    NEIGHBOURS,
    PRICE_PER_1K,
    MarketConfig,
    nice_price,
    niche_names,
    weighted_choice,
)
from matcher.simulator.phrases.banks import GOALS
from matcher.simulator.phrases.briefs import write_brief
from matcher.simulator.phrases.dice import Dice
from matcher.simulator.phrases.niches import NICHES
from matcher.simulator.phrases.profiles import brand_handle, brand_name

BRAND_COUNTRY_SHARES = {
    "US": 45,
    "GB": 12,
    "DE": 7,
    "FR": 5,
    "ES": 5,
    "CA": 4,
    "AU": 4,
    "BR": 4,
    "MX": 3,
    "IT": 3,
    "NL": 2,
    "IN": 2,
    "SE": 1,
    "PT": 1,
    "IE": 1,
    "AR": 1,
}
FOLLOWER_RANGES = (
    (1_000, 20_000),
    (5_000, 50_000),
    (10_000, 100_000),
    (2_000, 30_000),
    (20_000, 100_000),
    (1_000, 50_000),
    (5_000, 100_000),
)
PLATFORM_SETS = (
    (("instagram",), 0.44),
    (("tiktok",), 0.15),
    (("instagram", "tiktok"), 0.26),
    (("youtube",), 0.06),
    (("instagram", "youtube"), 0.06),
    (("tiktok", "youtube"), 0.03),
)
GOAL_SHARES = (0.35, 0.25, 0.25, 0.15)  # phrases.GOALS: awareness, launch, conversions, ugc


@dataclass
class Brands:
    table: pd.DataFrame  # brand_id, brand, handle, country, language, niche, niche2, budget_mult
    by_niche: dict[int, list[str]]  # primary niche -> brand handles


def make_brands(
    cfg: MarketConfig, rng: np.random.Generator, dice: Dice, aff: NDArray[np.float64]
) -> Brands:
    nb = max(1, cfg.n_briefs // 3)
    names = niche_names()
    k = len(names)
    share = np.array([x.share for x in NICHES]) ** 0.6  # brands spread flatter than creators
    primary = rng.choice(k, size=nb, p=share / share.sum())
    second = np.full(nb, -1)
    for b in np.flatnonzero(rng.random(nb) < 0.35):
        pw = np.where(aff[primary[b]] >= 0.1, aff[primary[b]], 0.0)
        pw[primary[b]] = 0
        second[b] = rng.choice(k, p=pw / pw.sum())
    country = weighted_choice(
        rng, list(BRAND_COUNTRY_SHARES), list(BRAND_COUNTRY_SHARES.values()), nb
    )
    lang = np.array(
        [
            NATIVE_LANGUAGE.get(c, "en") if u < 0.35 else "en"
            for c, u in zip(country, rng.random(nb), strict=True)
        ],
        dtype=object,
    )
    taken: set[str] = set()
    bnames, bhandles = [], []
    for i in range(nb):
        nm = brand_name(dice, names[primary[i]])
        while brand_handle(nm) in taken:
            nm = (
                brand_name(dice, names[primary[i]])
                if dice.chance(0.7)
                else f"{nm} {dice.randint(2, 99)}"
            )
        taken.add(brand_handle(nm))
        bnames.append(nm)
        bhandles.append(brand_handle(nm))
    table = pd.DataFrame(
        {
            "brand_id": [f"B{i:05d}" for i in range(1, nb + 1)],
            "brand": bnames,
            "handle": bhandles,
            "country": country.astype(str),
            "language": lang.astype(str),
            "niche": primary,
            "niche2": second,
            "budget_mult": np.exp(0.3 * rng.standard_normal(nb)),
        }
    )
    by_niche: dict[int, list[str]] = {}
    for h, j in zip(bhandles, primary, strict=True):
        by_niche.setdefault(int(j), []).append(h)
    return Brands(table=table, by_niche=by_niche)


def make_briefs(
    cfg: MarketConfig,
    cr: Creators,
    inf: pd.DataFrame,
    brands: Brands,
    rng: np.random.Generator,
    dice: Dice,
    aff: NDArray[np.float64],
    progress: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Public briefs and their hidden niche mixtures."""
    nb = cfg.n_briefs
    names = niche_names()
    k = len(names)
    bt = brands.table
    weights = np.exp(0.6 * rng.standard_normal(len(bt)))  # some brands brief more often
    which = rng.choice(len(bt), size=nb, p=weights / weights.sum())
    start = pd.Timestamp(cfg.start)
    created = start + pd.to_timedelta(
        np.sort(rng.uniform(0, cfg.days * 86400, nb)).round(), unit="s"
    )
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
            p = np.array(AGE_BASE[plats[0]]) * np.exp(
                AGE_TILT * float(w @ shift_n) * (np.arange(6) - 2.5)
            )
            mode = int(np.argmax(p * np.exp(0.3 * rng.standard_normal(6))))
            width = rng.choice(3, p=[0.35, 0.45, 0.2]) + 1
            lo = int(np.clip(mode - rng.integers(0, width), 0, 6 - width))
            ages = list(S.AGE_BUCKETS[lo : lo + width])
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
            budget = (
                rate
                * target
                / 1000
                * br["budget_mult"]
                * np.exp(0.15 + 0.35 * rng.standard_normal())
            )
            if rng.random() < 0.2:
                budget *= 0.45  # a tight budget
            budget = float(nice_price(np.array([max(budget, 15.0)]))[0])
        excl_h: list[str] = []
        if rng.random() < 0.07:
            pool = np.flatnonzero(np.isin(primary_c, [names.index(x) for x in mix]))
            if len(pool):
                excl_h = sorted(
                    {str(handles[j]) for j in rng.choice(pool, size=int(rng.integers(1, 5)))}
                )
        excl_k: list[str] = []
        if rng.random() < 0.15:
            comp = [x for x in brands.by_niche.get(int(br["niche"]), []) if x != br["handle"]]
            opts = ["alcohol", "gambling", "crypto", "vape"] + (
                [dice.pick(comp)] * 3 if comp else []
            )
            excl_k = sorted(set(dice.sample(opts, int(rng.integers(1, 3)))))
        goal = GOALS[rng.choice(4, p=GOAL_SHARES)]
        lang = br["language"] if rng.random() < 0.7 else "en"
        text = write_brief(
            dice,
            br["brand"],
            mix,
            goal,
            plats,
            lang=lang,
            ages=ages,
            gender=gender,
            countries=countries,
            excluded=excl_k,
        )
        row = {
            S.BRIEF_ID: "",
            S.BRAND_ID: br["brand_id"],
            S.BRAND: br["brand"],
            S.CREATED_AT: created[i],
            S.TEXT: text,
            S.PLATFORMS_COL: S.LIST_SEP.join(sorted(plats)),
            S.TARGET_COUNTRIES: S.LIST_SEP.join(countries) or None,
            S.TARGET_AGES: S.LIST_SEP.join(ages) or None,
            S.TARGET_GENDER: gender,
            S.MIN_FOLLOWERS: lo_f,
            S.MAX_FOLLOWERS: hi_f,
            S.BUDGET_USD: budget,
            S.EXCLUDED_HANDLES: S.LIST_SEP.join(excl_h) or None,
            S.EXCLUDED_KEYWORDS: S.LIST_SEP.join(excl_k) or None,
            S.BRIEF_LANGUAGE: lang,
        }
        rows.append(row)
        hidden.append(w)
    briefs = pd.DataFrame(rows)
    width = max(5, len(str(nb)))
    briefs[S.BRIEF_ID] = [f"R{i:0{width}d}" for i in range(1, nb + 1)]
    briefs = briefs[list(S.BRIEF_REQUIRED + S.BRIEF_OPTIONAL)]
    hb = pd.DataFrame(
        {
            "brief_id": briefs[S.BRIEF_ID],
            "brand_id": briefs[S.BRAND_ID],
            "platforms": briefs[S.PLATFORMS_COL],
            "target_countries": briefs[S.TARGET_COUNTRIES],
            "target_ages": briefs[S.TARGET_AGES],
            "target_gender": briefs[S.TARGET_GENDER],
            "min_followers": briefs[S.MIN_FOLLOWERS],
            "max_followers": briefs[S.MAX_FOLLOWERS],
            "budget_usd": briefs[S.BUDGET_USD],
            "excluded_handles": briefs[S.EXCLUDED_HANDLES],
            "excluded_keywords": briefs[S.EXCLUDED_KEYWORDS],
            "language": briefs[S.BRIEF_LANGUAGE],
        }
    )
    hw = np.vstack(hidden) if hidden else np.zeros((0, k))
    for j, nm in enumerate(names):
        hb[f"w_{nm}"] = hw[:, j]
    return briefs, hb
