"""Reasons in words: groups ordered by their positive contribution, phrased with real values."""

import numpy as np

from matcher.ranking.explain import phrase, reasons
from matcher.schemas import Brief

NAMES = [
    "sim_post_max",
    "sim_profile",
    "aud_country_match",
    "engagement_rate",
    "er_vs_typical",
    "posts_per_week",
    "days_since_last_post",
    "log_cost",
    "price_known",
    "cost_to_budget",
]
VALUES = np.array([0.61, 0.48, 0.72, 0.031, 1.4, 3.0, 1.0, 2.0, 1.0, 0.25], dtype=np.float32)
BRIEF = Brief(
    text="vegan protein snacks for runners", target_countries=["US", "GB"], budget_usd=400
)


def test_reasons_follow_the_largest_positive_contributions() -> None:
    contrib = np.array([0.1, 0.2, 0.9, -0.3, -0.1, 0.05, 0.0, 0.4, 0.0, 0.0])
    out = reasons(contrib, VALUES, NAMES, BRIEF, "instagram", "micro", top_n=3)
    assert out == [
        "72% of the audience is in GB, US",
        "Asks $100 per post, 25% of the budget",
        "Content matches the brief (best post similarity 0.61, profile 0.48)",
    ]


def test_negative_groups_are_not_reasons_once_one_positive_was_given() -> None:
    contrib = np.array([0.0, 0.0, 0.5, -0.3, -0.1, -0.2, 0.0, -0.4, 0.0, 0.0])
    assert reasons(contrib, VALUES, NAMES, BRIEF, "instagram", "micro") == [
        "72% of the audience is in GB, US"
    ]


def test_activity_phrase_pluralises_days_and_skips_unknown_values() -> None:
    v = dict(zip(NAMES, VALUES.tolist(), strict=True))
    assert (
        phrase("activity", v, BRIEF, "tiktok", "nano")
        == "Active: 3.0 posts per week, last post 1 day before the snapshot"
    )
    v["days_since_last_post"] = 12.4
    assert phrase("activity", v, BRIEF, "tiktok", "nano").endswith(
        "last post 12 days before the snapshot"
    )
    v["days_since_last_post"] = 0.2
    assert phrase("activity", v, BRIEF, "tiktok", "nano").endswith("last post on the snapshot day")
    v["days_since_last_post"] = float("nan")
    assert phrase("activity", v, BRIEF, "tiktok", "nano") == "Active: 3.0 posts per week"
