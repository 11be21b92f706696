"""``PairFeaturizer.typical_er`` (a table lookup) against its definition, row by row: the
fitted median of the row's ``platform/follower_tier``, else the global median."""

from __future__ import annotations

import copy

import numpy as np

from matcher import schemas as S
from matcher.ranking.features import follower_tier_codes


def _by_definition(f, cat, rows) -> np.ndarray:
    return np.array(
        [
            f.typical_er_.get(
                f"{cat.platforms[r]}/{S.follower_tier(cat.followers[r])}", f.global_er_
            )
            for r in rows
        ]
    )


def test_tier_codes_agree_with_follower_tier_at_every_edge():
    counts = np.array(
        [0, 999, 999.5, 1_000, 9_999, 10_000, 49_999, 50_000, 99_999, 100_000, 1e9, np.nan]
    )
    want = [S.TIERS.index(S.follower_tier(c)) for c in counts]
    assert follower_tier_codes(counts).tolist() == want
    assert S.follower_tier(1_000) == "nano" and follower_tier_codes(np.array([1_000]))[0] == 1


def test_typical_er_is_the_fitted_median_of_platform_and_tier(tiny_pipeline):
    f, cat = tiny_pipeline.featurizer, copy.copy(tiny_pipeline.catalogue)
    n = len(cat)
    # every tier edge, a NaN count, a platform outside PLATFORMS and a pair never fitted
    cat.followers = np.resize(np.array([999, 1_000, 10_000, 49_999, 50_000, 100_000, np.nan]), n)
    cat.platforms = cat.platforms.copy()
    cat.platforms[0] = "snapchat"
    cat.__dict__.pop("platform_codes", None)  # the cached codes of the original platforms
    f = copy.copy(f)
    f.typical_er_ = {**f.typical_er_, "snapchat/sub1k": 0.5}
    f.typical_er_.pop(f"{cat.platforms[1]}/nano", None)
    rows = np.concatenate([np.arange(n), [0, 0, n - 1]])
    got = f.typical_er(cat, rows)
    assert np.array_equal(got, _by_definition(f, cat, rows))
    assert got[0] == 0.5  # the unknown platform found by its name
    assert got[1] == f.global_er_  # the pair that was never fitted
