"""The public creator table: what a listing shows of each simulated creator (handle, bio,
followers, a listed price for some, noisy audience estimates for most), drawn from the hidden
creators of ``creators``."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.simulator.creators import Creators
from matcher.simulator.params import MarketConfig, nice_price, niche_names
from matcher.simulator.phrases.banks import bank
from matcher.simulator.phrases.dice import Dice
from matcher.simulator.phrases.profiles import make_handle, write_bio

LISTED_PRICE_SHARE = 0.5  # ~50% of creators list a price
LISTED_PRICE_NOISE = 0.15
MISSING_AUDIENCE_SHARE = 0.15


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


def public_influencers(
    cfg: MarketConfig, cr: Creators, rng: np.random.Generator, dice: Dice, progress: bool
) -> pd.DataFrame:
    h = cr.hidden
    n = len(h)
    names = niche_names()
    width = max(6, len(str(n)))
    ids = [f"I{i:0{width}d}" for i in range(1, n + 1)]
    # handles (unique) and bios
    handles: list[str] = []
    seen: set[str] = set()
    bios: list[str] = []
    fam = [bank(names[j]).family for j in cr.W.argmax(1)]
    order = np.argsort(-cr.W, axis=1)[:, :4]
    wsorted = np.take_along_axis(cr.W, order, 1)
    plat, lang, ctry = h["platform"].tolist(), h["language"].tolist(), h["country"].tolist()
    pro = (h["quality"].to_numpy() > 0.5).tolist()
    fake = (h["fake_severity"].to_numpy() > 0.3).tolist()
    for i in tqdm(range(n), desc="creators", disable=not progress, mininterval=1.0):
        hd = make_handle(dice, fam[i], names[order[i, 0]])
        while hd in seen:
            hd = f"{hd}{dice.randint(0, 10)}"
        seen.add(hd)
        handles.append(hd)
        mix = [names[j] for j, w in zip(order[i], wsorted[i], strict=True) if w > 0.1]
        bios.append(
            write_bio(
                dice,
                mix,
                plat[i],
                lang[i],
                ctry[i],
                generalist=bool(cr.generalist[i]),
                pro=pro[i],
                fake=fake[i],
            )
        )
    listed = rng.random(n) < LISTED_PRICE_SHARE
    price = np.where(
        listed,
        nice_price(
            h["true_price"].to_numpy() * np.exp(LISTED_PRICE_NOISE * rng.standard_normal(n))
        ),
        np.nan,
    )
    # public audience: noisy estimates of the truth, ~15% missing altogether
    ac = h[[f"ac_{c}" for c in S.COUNTRIES]].to_numpy() * np.exp(
        0.1 * rng.standard_normal((n, len(S.COUNTRIES)))
    )
    ages = h[[f"age_{a}" for a in S.AGE_BUCKETS]].to_numpy() * np.exp(
        0.08 * rng.standard_normal((n, 6))
    )
    ages /= ages.sum(1, keepdims=True)
    fem = np.round(np.clip(h["female"].to_numpy() + rng.normal(0, 0.02, n), 0, 1), 2)
    missing = rng.random(n) < MISSING_AUDIENCE_SHARE
    aud_c = np.asarray(_json_shares(S.COUNTRIES, np.minimum(ac, 1), 5), dtype=object)
    aud_c[missing] = None
    aud_a = np.asarray(_json_shares(S.AGE_BUCKETS, ages, 6), dtype=object)
    aud_a[missing] = None
    country = np.where(rng.random(n) < 0.03, None, h["country"].to_numpy(dtype=object))
    end = pd.Timestamp(cfg.start) + pd.Timedelta(days=cfg.days)
    age_days = 365 * (
        1 + rng.gamma(2.0, 1.0 + 0.6 * np.log10(np.maximum(h["followers"].to_numpy(), 300) / 1000))
    )
    joined = end - pd.to_timedelta(np.round(age_days), unit="D")
    joined = pd.Series(joined).where(rng.random(n) < 0.85)
    return pd.DataFrame(
        {
            S.INFLUENCER_ID: ids,
            S.HANDLE: handles,
            S.PLATFORM: h["platform"].to_numpy(),
            S.FOLLOWERS: h["followers"].to_numpy(),
            S.BIO: bios,
            S.FOLLOWING: h["following"].to_numpy(),
            S.COUNTRY: country,
            S.LANGUAGE: h["language"].to_numpy(),
            S.AUDIENCE_COUNTRIES: aud_c,
            S.AUDIENCE_AGES: aud_a,
            S.AUDIENCE_FEMALE: np.where(missing, np.nan, fem),
            S.PRICE_USD: price,
            S.JOINED_AT: joined.dt.normalize(),
        }
    )
