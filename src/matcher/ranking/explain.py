"""Reasons in words, from the ranker's TreeSHAP contributions of the returned rows only.

Features are grouped (all semantic similarities are one "content" reason); the groups that
pushed a creator up the most are phrased with the creator's actual values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matcher.schemas import Brief

GROUPS: dict[str, tuple[str, ...]] = {
    "content": ("sim_profile", "sim_bio", "sim_post_max", "sim_post_mean", "sim_post_topk"),
    "audience_country": ("aud_country_match", "country_match"),
    "audience_age": ("aud_age_match",),
    "audience_gender": ("aud_gender_match",),
    "language": ("language_match",),
    "engagement": ("engagement_rate", "er_vs_typical"),
    "authenticity": ("er_cv", "comment_like_ratio", "log_follower_following", "sponsored_er_ratio"),
    "activity": ("posts_per_week", "days_since_last_post", "sponsored_share"),
    "price": ("log_cost", "cost_to_budget", "price_known"),
    "history": ("hist_shown", "hist_contact_rate", "hist_accept_rate", "hist_mean_rating"),
    "size": ("log_followers", "platform", "has_audience_data"),
}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _fmt(x: float, nd: int = 1) -> str:
    return f"{x:.{nd}f}"


def phrase(group: str, v: dict[str, float], brief: Brief, platform: str, tier: str) -> str | None:
    """One sentence for a reason group given the creator's feature values (NaN = unknown)."""

    def ok(name: str) -> bool:
        return name in v and np.isfinite(v[name])

    if group == "content" and ok("sim_post_max"):
        return f"Content matches the brief (best post similarity {_fmt(v['sim_post_max'], 2)}, profile {_fmt(v.get('sim_profile', np.nan), 2)})"
    if group == "content" and ok("sim_profile"):
        return f"Profile matches the brief (similarity {_fmt(v['sim_profile'], 2)})"
    if group == "audience_country" and brief.target_countries and ok("aud_country_match"):
        return f"{_pct(v['aud_country_match'])} of the audience is in {', '.join(brief.target_countries)}"
    if group == "audience_country" and brief.target_countries and v.get("country_match") == 1.0:
        return f"Based in a target country ({', '.join(brief.target_countries)})"
    if group == "audience_age" and brief.target_ages and ok("aud_age_match"):
        return f"{_pct(v['aud_age_match'])} of the audience is aged {', '.join(brief.target_ages)}"
    if group == "audience_gender" and brief.target_gender != "any" and ok("aud_gender_match"):
        return f"{_pct(v['aud_gender_match'])} {brief.target_gender} audience"
    if group == "language" and brief.language and v.get("language_match") == 1.0:
        return f"Posts in the brief's language ({brief.language})"
    if group == "engagement" and ok("engagement_rate"):
        rel = (
            f", {_fmt(v['er_vs_typical'])}x typical for {platform} {tier} creators"
            if ok("er_vs_typical")
            else ""
        )
        return f"Engagement rate {_fmt(100 * v['engagement_rate'], 2)}% per follower{rel}"
    if group == "authenticity":
        bits = []
        if ok("er_cv"):
            bits.append(f"engagement varies {_fmt(v['er_cv'], 2)} (CV) across posts")
        if ok("comment_like_ratio"):
            bits.append(f"{_fmt(100 * v['comment_like_ratio'])} comments per 100 likes")
        return "Audience looks authentic: " + ", ".join(bits) if bits else None
    if group == "activity" and ok("posts_per_week"):
        last = ""
        if ok("days_since_last_post"):
            days = round(v["days_since_last_post"])
            when = {0: "on the snapshot day", 1: "1 day before the snapshot"}.get(
                days, f"{days} days before the snapshot"
            )
            last = f", last post {when}"
        return f"Active: {_fmt(v['posts_per_week'])} posts per week{last}"
    if group == "price" and ok("log_cost"):
        cost = 10 ** v["log_cost"]
        known = "Asks" if v.get("price_known") == 1.0 else "Fee estimated at"
        budget = f", {_pct(v['cost_to_budget'])} of the budget" if ok("cost_to_budget") else ""
        return f"{known} ${cost:,.0f} per post{budget}"
    if group == "history" and v.get("hist_shown", 0) > 0:
        bits = [f"shown to brands {int(v['hist_shown'])} times before"]
        if ok("hist_accept_rate"):
            bits.append(f"accepted {_pct(v['hist_accept_rate'])} of contacts")
        if ok("hist_mean_rating"):
            bits.append(f"rated {_fmt(v['hist_mean_rating'])}/5 by brands")
        return "Track record: " + ", ".join(bits)
    if group == "size" and ok("log_followers"):
        return f"{10 ** v['log_followers']:,.0f} followers on {platform} ({tier} tier)"
    return None


def reasons(
    contrib: NDArray[np.float64],
    values: NDArray[np.float32],
    names: list[str],
    brief: Brief,
    platform: str,
    tier: str,
    top_n: int = 3,
) -> list[str]:
    """Top reasons for one creator: groups ordered by their summed positive contribution."""
    pos = {n: i for i, n in enumerate(names)}
    c = contrib.tolist()  # Python floats: the same sums as over numpy scalars, ~3x faster
    score = {g: float(sum(c[pos[f]] for f in fs if f in pos)) for g, fs in GROUPS.items()}
    vals = dict(zip(names, values.tolist(), strict=True))
    ordered = sorted(
        (g for g in score if any(f in pos for f in GROUPS[g])), key=lambda g: -score[g]
    )
    out: list[str] = []
    for g in ordered:
        if score[g] <= 0 and out:
            break
        text = phrase(g, vals, brief, platform, tier)
        if text:
            out.append(text)
        if len(out) >= top_n:
            break
    return out
