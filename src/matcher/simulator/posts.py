"""Creators' recent posts: captions in their niches and language, organic and sponsored
(sponsors drawn from the brands), with engagement around each creator's true rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.simulator.briefs import Brands
from matcher.simulator.creators import Creators
from matcher.simulator.params import (
    SPONSORED_ER,
    MarketConfig,
    niche_names,
)
from matcher.simulator.phrases.compose import write_caption
from matcher.simulator.phrases.dice import Dice
from matcher.simulator.phrases.profiles import brand_handle, brand_name

COMMENT_RATIO = {"instagram": 0.035, "tiktok": 0.012, "youtube": 0.05}  # comments per like
POST_SIGMA = {"instagram": 0.35, "tiktok": 0.6, "youtube": 0.5}  # post-to-post lognormal sigma
ENG_PER_VIEW = {"tiktok": 0.065, "youtube": 0.045}


def make_posts(
    cfg: MarketConfig,
    cr: Creators,
    inf: pd.DataFrame,
    brands: Brands,
    rng: np.random.Generator,
    dice: Dice,
    aff: NDArray[np.float64],
    progress: bool,
) -> tuple[pd.DataFrame, list[str]]:
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
    eng = (
        fol[o]
        * h["true_er"].to_numpy()[o]
        * np.exp(sigma[o] * rng.standard_normal(m) - sigma[o] ** 2 / 2)
    )
    eng *= (
        np.where(is_sp, SPONSORED_ER, 1.0)
        * np.where(is_noise, 0.6, 1.0)
        * np.where(is_off, 0.9, 1.0)
    )
    cratio = np.array([COMMENT_RATIO[p] for p in plat]) * np.exp(0.4 * rng.standard_normal(n))
    comments = rng.poisson(eng * cratio[o] / (1 + cratio[o]))
    likes = np.maximum(0, np.round(eng - comments)).astype(np.int64)
    bought = (sev[o] > 0) & (rng.random(m) < 0.25)  # bought likes: spikes without comments
    likes = likes + np.where(
        bought, np.round(likes * rng.uniform(1.0, 5.0, m) * sev[o] * 2), 0
    ).astype(np.int64)
    views = np.full(m, np.nan)
    for p, epv in ENG_PER_VIEW.items():
        sel = plat[o] == p
        views[sel] = np.round(
            (likes[sel] + comments[sel]) / (epv * np.exp(0.3 * rng.standard_normal(int(sel.sum()))))
        )
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
    niche_l, rel_l, use_rel_l, use_sens_l = (
        niche.tolist(),
        related.tolist(),
        use_rel.tolist(),
        use_sens.tolist(),
    )
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
                sponsor = brand_handle(brand_name(dice, names[nj]))
            flags[c].add(sponsor)
        s_cat = sens[j] if use_sens_l[j] else None
        if s_cat:
            flags[c].add(s_cat)
        texts.append(
            write_caption(
                dice,
                None if is_off_l[j] else names[nj],
                platl[c],
                lang[c],
                related=names[rel_l[j]] if use_rel_l[j] else None,
                sponsor=sponsor,
                mentions=pool,
                sensitive=s_cat,
                noise=is_noise_l[j],
            )
        )
    width = max(7, len(str(m)))
    posts = pd.DataFrame(
        {
            S.POST_ID: [f"P{j:0{width}d}" for j in range(1, m + 1)],
            S.INFLUENCER_ID: [ids[c] for c in o_l],
            S.POSTED_AT: posted.floor("s"),
            S.TEXT: texts,
            S.LIKES: likes,
            S.COMMENTS: comments.astype(np.int64),
            S.VIEWS: pd.Series(np.nan_to_num(views).astype(np.int64), dtype="Int64").mask(
                np.isnan(views)
            ),
            S.IS_SPONSORED: is_sp,
        }
    )
    return posts, [S.LIST_SEP.join(sorted(f)) for f in flags]


# --------------------------------------------------------------------------- briefs
