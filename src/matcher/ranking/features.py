"""(brief, influencer) pairs -> feature matrix. One featurizer for training, evaluation and serving.

Feature names are stable: models, explanations and MLflow logs refer to them. Missing
information (no audience data, no posts, no price, no history: a cold-start creator) becomes
NaN, which LightGBM routes natively, so a partial catalogue degrades instead of failing.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.estimator import check_fitted
from matcher.ranking.helper_threads import helper
from matcher.ranking.history import AlignedHistory
from matcher.schemas import AGE_INDEX, COUNTRY_INDEX, PLATFORM_INDEX, Brief
from matcher.vectors import to_float32

logger = logging.getLogger(__name__)

FEATURES: tuple[str, ...] = (
    # semantic fit
    "sim_profile",
    "sim_bio",
    "sim_post_max",
    "sim_post_mean",
    "sim_post_topk",
    # audience and targeting
    "aud_country_match",
    "aud_age_match",
    "aud_gender_match",
    "country_match",
    "language_match",
    "has_audience_data",
    # size and engagement
    "log_followers",
    "platform",
    "engagement_rate",
    "er_vs_typical",
    "er_cv",
    "comment_like_ratio",
    # authenticity and activity
    "log_follower_following",
    "posts_per_week",
    "days_since_last_post",
    "sponsored_share",
    "sponsored_er_ratio",
    # price
    "log_cost",
    "cost_to_budget",
    "price_known",
    # history (outcomes of earlier briefs only)
    "hist_shown",
    "hist_contact_rate",
    "hist_accept_rate",
    "hist_mean_rating",
    # what the brief asks beyond its filters (ranking.signals): exact words, IAB interests
    "lexical_score",
    "topic_overlap",
    "interest_sim",
)
CATEGORICAL: tuple[str, ...] = ("platform",)
# what a real catalogue may lack as a whole, per creator: the features that need it (feature
# dropout in training masks a group at once; evaluation's profile-only view has none of them)
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "posts": (
        "sim_post_max",
        "sim_post_mean",
        "sim_post_topk",
        "engagement_rate",
        "er_vs_typical",
        "er_cv",
        "comment_like_ratio",
        "posts_per_week",
        "days_since_last_post",
        "sponsored_share",
        "sponsored_er_ratio",
    ),
    "audience": ("aud_country_match", "aud_age_match", "aud_gender_match"),
    "price": ("price_known",),
    "history": ("hist_shown", "hist_contact_rate", "hist_accept_rate", "hist_mean_rating"),
}


class PairFeaturizer:
    """Computes ``FEATURES`` for one brief and many catalogue rows.

    Fitted state (``typical_er_``: median engagement rate per platform x tier on the training
    catalogue) is saved with the pipeline, so serving computes exactly what training did.
    """

    def __init__(self, top_posts: int = 3, features: list[str] | None = None) -> None:
        self.top_posts = top_posts
        self.features = features

    def fit(self, cat: Catalogue) -> PairFeaturizer:
        names = list(self.features) if self.features else list(FEATURES)
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown feature(s) {sorted(unknown)}; known: {list(FEATURES)}")
        tiers = np.array([S.follower_tier(f) for f in cat.followers], dtype=object)
        er = cat.stats["engagement_rate"]
        df = pd.DataFrame({"p": cat.platforms, "t": tiers, "er": er}).dropna()
        self.typical_er_ = {
            f"{p}/{t}": float(v) for (p, t), v in df.groupby(["p", "t"])["er"].median().items()
        }
        self.global_er_ = float(np.nanmedian(er)) if np.isfinite(er).any() else 0.01
        self.feature_names_ = names
        return self

    def state(self) -> dict[str, Any]:
        """Parameters and fitted state, as saved in ``pipeline.json`` under ``featurizer``."""
        check_fitted(self, "typical_er_")
        return {
            "top_posts": self.top_posts,
            "features": list(self.feature_names_),
            "typical_er": dict(self.typical_er_),
            "global_er": self.global_er_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PairFeaturizer:
        obj = cls(top_posts=state["top_posts"], features=state["features"])
        obj.feature_names_ = list(state["features"])
        obj.typical_er_ = {k: float(v) for k, v in state["typical_er"].items()}
        obj.global_er_ = float(state["global_er"])
        return obj

    def typical_er(self, cat: Catalogue, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """The fitted typical engagement rate of each row's platform and follower tier (the
        global rate for a pair never fitted): a (platform, tier) table, no Python per row."""
        check_fitted(self, "typical_er_")
        table = np.array(
            [
                [self.typical_er_.get(f"{p}/{t}", self.global_er_) for t in S.TIERS]
                for p in S.PLATFORMS
            ]
            + [[self.global_er_] * len(S.TIERS)],  # code -1, see below
            dtype=float,
        )
        codes = cat.platform_codes[rows]
        tiers = follower_tier_codes(cat.followers[rows])
        out = table[codes, tiers]
        other = codes < 0  # a platform outside PLATFORMS (code -1): looked up by its name
        if other.any():
            out[other] = [
                self.typical_er_.get(f"{p}/{S.TIERS[t]}", self.global_er_)
                for p, t in zip(cat.platforms[rows][other], tiers[other], strict=True)
            ]
        return out

    def transform(
        self,
        brief: Brief,
        query: NDArray[np.float32],
        rows: NDArray[np.int64],
        cat: Catalogue,
        costs: NDArray[np.float64],
        price_known: NDArray[np.bool_],
        history: AlignedHistory | None,
        day: float,
        context: dict[str, NDArray[np.float64]] | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Feature matrix (len(rows), n_features) and, per row, the index of its post most
        similar to the brief (-1 when the creator has no posts). ``context``: features computed
        per brief elsewhere (``ranking.signals``); a feature nobody computed is NaN."""
        check_fitted(self, "typical_er_")
        n = len(rows)
        f: dict[str, NDArray[np.floating[Any]]] = {}
        q = query.astype(np.float32)
        # the posts' similarities on a helper thread (the cast and the product release the GIL)
        # while this one computes the rest; the same numbers
        job = helper().submit(_post_sims, cat, rows, q, self.top_posts)
        try:
            self._rest(f, brief, q, rows, cat, costs, price_known, history, day)
        finally:
            post_max, post_mean, post_topk, best = job.result()  # waited for even on an error
        f["sim_post_max"], f["sim_post_mean"], f["sim_post_topk"] = post_max, post_mean, post_topk
        f.update(context or {})
        missing = np.full(n, np.nan)
        X = (
            np.column_stack(
                [np.asarray(f.get(name, missing), dtype=np.float64) for name in self.feature_names_]
            )
            if n
            else np.zeros((0, len(self.feature_names_)))
        )
        return X.astype(np.float32), best

    def _rest(
        self,
        f: dict[str, NDArray[np.floating[Any]]],
        brief: Brief,
        q: NDArray[np.float32],
        rows: NDArray[np.int64],
        cat: Catalogue,
        costs: NDArray[np.float64],
        price_known: NDArray[np.bool_],
        history: AlignedHistory | None,
        day: float,
    ) -> None:
        """Every feature but the posts' similarities, into ``f``."""
        n = len(rows)
        # vectors may be float16 (a memory-mapped catalogue): cast the gathered rows only
        f["sim_profile"] = to_float32(cat.profile[rows]) @ q
        f["sim_bio"] = to_float32(cat.bio_emb[rows]) @ q
        has_aud = ~np.isnan(cat.aud_countries[rows, 0])
        f["has_audience_data"] = has_aud.astype(float)
        if brief.target_countries:
            cols = [COUNTRY_INDEX[c] for c in brief.target_countries]
            f["aud_country_match"] = cat.aud_countries[rows][:, cols].sum(axis=1)
            f["country_match"] = np.isin(cat.countries[rows], brief.target_countries).astype(float)
        else:
            f["aud_country_match"] = np.where(has_aud, 1.0, np.nan)
            f["country_match"] = np.ones(n)
        if brief.target_ages:
            cols = [AGE_INDEX[a] for a in brief.target_ages]
            f["aud_age_match"] = cat.aud_ages[rows][:, cols].sum(axis=1)
        else:
            f["aud_age_match"] = np.where(~np.isnan(cat.aud_ages[rows, 0]), 1.0, np.nan)
        fem = cat.aud_female[rows]
        f["aud_gender_match"] = {"female": fem, "male": 1.0 - fem}.get(
            brief.target_gender, np.where(np.isnan(fem), np.nan, 1.0)
        )
        if brief.language:
            langs = cat.languages[rows]
            f["language_match"] = np.where(
                langs == "", np.nan, (langs == brief.language).astype(float)
            )
        else:
            f["language_match"] = np.full(n, np.nan)

        fol = cat.followers[rows]
        f["log_followers"] = np.log10(np.maximum(fol, 1.0))
        f["platform"] = np.array(
            [PLATFORM_INDEX.get(p, -1) for p in cat.platforms[rows]], dtype=float
        )
        er = cat.stats["engagement_rate"][rows]
        f["engagement_rate"] = er
        f["er_vs_typical"] = er / self.typical_er(cat, rows)
        f["er_cv"] = cat.stats["er_cv"][rows]
        f["comment_like_ratio"] = cat.stats["comment_like_ratio"][rows]
        following = cat.following[rows]
        f["log_follower_following"] = np.log10(np.maximum(fol, 1.0) / np.maximum(following, 1.0))
        f["posts_per_week"] = cat.stats["posts_per_week"][rows]
        f["days_since_last_post"] = cat.stats["days_since_last_post"][rows]
        f["sponsored_share"] = cat.stats["sponsored_share"][rows]
        f["sponsored_er_ratio"] = cat.stats["sponsored_er_ratio"][rows]

        cost = costs[rows]
        f["log_cost"] = np.log10(np.maximum(cost, 1.0))
        f["cost_to_budget"] = cost / brief.budget_usd if brief.budget_usd else np.full(n, np.nan)
        f["price_known"] = price_known[rows].astype(float)

        if history is not None and len(history.rows):
            f.update(history.before(rows, day))
        else:
            f["hist_shown"] = np.zeros(n)
            for k in ("hist_contact_rate", "hist_accept_rate", "hist_mean_rating"):
                f[k] = np.full(n, np.nan)


def follower_tier_codes(followers: NDArray[np.floating]) -> NDArray[np.intp]:
    """``schemas.follower_tier`` of many counts at once, as indices into ``schemas.TIERS``
    (NaN: macro, as ``follower_tier`` says)."""
    return np.searchsorted(S.TIER_EDGES, np.asarray(followers, dtype=float), side="right")


def _post_sims(
    cat: Catalogue, rows: NDArray[np.int64], q: NDArray[np.float32], top: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    n = len(rows)
    starts, ends = cat.post_offsets[rows], cat.post_offsets[rows + 1]
    counts = ends - starts
    out_max = np.full(n, np.nan)
    out_mean = np.full(n, np.nan)
    out_top = np.full(n, np.nan)
    best = np.full(n, -1, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return out_max, out_mean, out_top, best
    # gather the posts of all requested rows into one block, then one mat-vec
    idx = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(
        total
    )
    sims = to_float32(cat.post_emb[idx]) @ q
    owner = np.repeat(np.arange(n), counts)
    order = np.lexsort((-sims, owner))  # per owner, best first
    sims_sorted, idx_sorted = sims[order], idx[order]
    seg = np.concatenate([[0], np.cumsum(counts)])
    has = counts > 0
    firsts = seg[:-1][has]
    out_max[has] = sims_sorted[firsts]
    best[has] = idx_sorted[firsts]
    out_mean[has] = (
        np.add.reduceat(sims, np.concatenate([[0], np.cumsum(counts)[:-1]])[has]) / counts[has]
    )
    rank_in_owner = np.arange(total) - np.repeat(seg[:-1], counts)
    keep = rank_in_owner < top
    topsum = np.bincount(owner[order][keep], weights=sims_sorted[keep], minlength=n)
    out_top[has] = topsum[has] / np.minimum(counts[has], top)
    return out_max, out_mean, out_top, best
