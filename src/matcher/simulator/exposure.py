"""The legacy tool's exposure history of a simulated market: which creators a popularity- and
keyword-driven tool showed for each past brief, and what happened (``Truth.draw_outcomes``).
These are the historical outcomes the ranker learns from, biased the way a real log would be.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.simulator.params import MarketConfig
from matcher.simulator.phrases.niches import NICHES
from matcher.simulator.truth import Truth, split_list

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-zà-ÿ]{4,}")
_STOP = frozenset(
    (
        "with",
        "that",
        "this",
        "your",
        "from",
        "have",
        "will",
        "what",
        "about",
        "more",
        "they",
        "them",
        "their",
        "into",
        "just",
        "like",
        "love",
        "creators",
        "creator",
        "content",
        "looking",
        "brand",
        "audience",
        "product",
        "people",
        "post",
        "posts",
        "need",
        "want",
        "make",
        "made",
        "every",
        "also",
        "some",
        "each",
    )
)


def _bag_of_words(texts: Sequence[str], vocab: dict[str, int]) -> sparse.csc_matrix:
    indptr: list[int] = [0]
    indices: list[int] = []
    for t in texts:
        ws = {vocab.setdefault(w, len(vocab)) for w in _TOKEN.findall(t.lower()) if w not in _STOP}
        indices.extend(ws)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix(
        (data, indices, indptr), shape=(len(texts), max(len(vocab), 1))
    ).tocsc()


def legacy_outcomes(
    cfg: MarketConfig,
    inf: pd.DataFrame,
    posts: pd.DataFrame,
    briefs: pd.DataFrame,
    truth: Truth,
    rng: np.random.Generator,
    out_rng: np.random.Generator,
    progress: bool,
) -> pd.DataFrame:
    """The legacy tool: popularity, crude keyword overlap (bio + captions), a coarse category
    tag (Kim et al. categories; creators self-declared them at sign-up, 20% wrongly, and the
    tag is not in the exported tables) and randomness, among creators passing the brief's
    platform / follower / country / handle filters and not listing a price far above budget."""
    n = len(inf)
    cats = sorted({x.category for x in NICHES})
    niche_cat = np.array([cats.index(x.category) for x in NICHES])
    W = truth.creators[[f"w_{x}" for x in truth.niches]].to_numpy()
    creator_cat = np.where(
        rng.random(n) < 0.2, rng.integers(0, len(cats), n), niche_cat[W.argmax(1)]
    )
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
    for b in tqdm(
        briefs.itertuples(index=False),
        total=len(briefs),
        desc="legacy tool",
        disable=not progress,
        mininterval=1.0,
    ):
        bd = b._asdict()
        mask = (fol >= bd[S.MIN_FOLLOWERS]) & (fol <= bd[S.MAX_FOLLOWERS])
        plats = split_list(bd[S.PLATFORMS_COL])
        if plats:
            mask &= np.isin(np.asarray(S.PLATFORMS), plats)[plat]
        tc = split_list(bd[S.TARGET_COUNTRIES])
        if tc:
            cols = [cidx[c] for c in tc]
            ok = np.zeros(len(S.COUNTRIES) + 1, dtype=bool)  # last slot: code -1 (unknown)
            ok[cols] = True
            mask &= ok[country] | (np.nan_to_num(aud[:, cols].sum(1), nan=0.0) >= 0.25)
        budget = bd[S.BUDGET_USD]
        if (
            budget == budget
        ):  # listed price far above budget: the tool hides it (unknown price kept)
            mask &= ~(listed > 2.0 * budget)
        eh = split_list(bd[S.EXCLUDED_HANDLES])
        if eh:
            mask &= ~np.isin(handles, eh)
        cand = np.flatnonzero(mask)
        if len(cand) == 0:
            continue
        words = [vocab[w] for w in set(_TOKEN.findall(str(bd[S.TEXT]).lower())) if w in vocab]
        overlap = np.asarray(X[:, words].sum(1)).ravel()[cand] if words else np.zeros(len(cand))
        same_cat = creator_cat[cand] == brief_cat[bd[S.BRIEF_ID]]
        score = (
            0.6 * zf[cand]
            + 0.8 * np.minimum(overlap, 4)
            + 1.0 * same_cat
            + rng.gumbel(0, 1.0, len(cand))
        )
        k = min(int(rng.integers(lo, hi + 1)), len(cand))
        top = cand[np.argsort(-score, kind="stable")[:k]]
        frames.append(
            truth.draw_outcomes(bd[S.BRIEF_ID], ids[top].tolist(), np.arange(1, k + 1), out_rng)
        )
    if not frames:
        return _empty_outcomes()
    return pd.concat(frames, ignore_index=True)


def _empty_outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in S.OUTCOME_REQUIRED + S.OUTCOME_OPTIONAL}
    )
