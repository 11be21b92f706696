"""Per-creator engagement and activity statistics from its recent organic posts: the
engagement and authenticity features, the engagement model's inputs and the cost model's."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S


def post_stats(
    p: pd.DataFrame, n: int, followers: NDArray[np.float64], snapshot: pd.Timestamp
) -> dict[str, NDArray[np.float64]]:
    """Per-creator engagement and activity statistics from organic posts (no campaign outcome)."""
    nan = np.full(n, np.nan)
    stats = {
        k: nan.copy()
        for k in (
            "engagement_rate",
            "er_cv",
            "comment_like_ratio",
            "posts_per_week",
            "days_since_last_post",
            "sponsored_share",
            "sponsored_er_ratio",
        )
    }
    stats["n_posts"] = np.zeros(n)
    if len(p) == 0:
        return stats
    rows = p["_row"].to_numpy()
    fol = np.maximum(followers[rows], 1.0)
    likes = pd.to_numeric(p[S.LIKES], errors="coerce").fillna(0).to_numpy(float)
    comments = pd.to_numeric(p[S.COMMENTS], errors="coerce").fillna(0).to_numpy(float)
    spons = (
        p[S.IS_SPONSORED].fillna(False).astype(bool).to_numpy()
        if S.IS_SPONSORED in p.columns
        else np.zeros(len(p), bool)
    )
    df = pd.DataFrame(
        {
            "row": rows,
            "er": (likes + comments) / fol,
            "likes": likes,
            "comments": comments,
            "spons": spons,
            "t": p[S.POSTED_AT].to_numpy(),
        }
    )
    g = df.groupby("row")
    idx = g.size().index.to_numpy()
    organic = df[~df["spons"]].groupby("row")["er"]
    er_all = g["er"].median()
    er_org = organic.median().reindex(er_all.index)
    stats["engagement_rate"][idx] = er_org.fillna(er_all).to_numpy()
    mean = g["er"].mean().to_numpy()
    std = g["er"].std(ddof=0).to_numpy()
    stats["er_cv"][idx] = np.where(mean > 0, std / np.maximum(mean, 1e-12), np.nan)
    stats["comment_like_ratio"][idx] = (
        g["comments"].sum() / g["likes"].sum().clip(lower=1)
    ).to_numpy()
    first, last = g["t"].min(), g["t"].max()
    span_days = ((last - first).dt.total_seconds() / 86400).to_numpy()
    cnt = g.size().to_numpy().astype(float)
    stats["n_posts"][idx] = cnt
    stats["posts_per_week"][idx] = cnt / np.maximum(span_days / 7.0, 1.0)
    stats["days_since_last_post"][idx] = ((snapshot - last).dt.total_seconds() / 86400).to_numpy()
    stats["sponsored_share"][idx] = g["spons"].mean().to_numpy()
    sp_mean = df[df["spons"]].groupby("row")["er"].mean()
    org_mean = df[~df["spons"]].groupby("row")["er"].mean()
    ratio = (sp_mean / org_mean).dropna()
    stats["sponsored_er_ratio"][ratio.index.to_numpy()] = ratio.to_numpy()
    return stats
