"""The hidden audience-overlap truth (issue 11): its own RNG stream, known values on hand-set
creators, saved and read back (or rebuilt from the seed for an older market)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from matcher import schemas as S
from matcher.simulator.audience import AudienceTruth
from matcher.simulator.market import simulate_market, write_market
from matcher.simulator.params import SPONSORED_ER, MarketConfig
from matcher.simulator.truth import Truth


@pytest.fixture(scope="module")
def market():
    return simulate_market(MarketConfig(n_influencers=200, n_briefs=20, seed=5), progress=False)


def _digest(d: Path) -> dict[str, str]:
    return {
        str(f.relative_to(d)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(d.rglob("*"))
        if f.is_file()
    }


def test_audience_truth_changes_no_other_file(market, tmp_path):
    write_market(market, tmp_path / "with")
    write_market(replace(market, audience=None), tmp_path / "without")
    a, b = _digest(tmp_path / "with"), _digest(tmp_path / "without")
    assert set(a) - set(b) == {"truth/audience.parquet", "truth/audience.json"}
    assert {k: a[k] for k in b} == b
    # its draws come from the stream [seed, 11]: the market's own streams are untouched
    assert np.array_equal(AudienceTruth.build(market.truth, 5).kappa, market.audience.kappa)
    assert not np.array_equal(AudienceTruth.build(market.truth, 6).kappa, market.audience.kappa)


def test_saved_and_rebuilt_truth_agree(market, tmp_path):
    write_market(market, tmp_path)
    back = AudienceTruth.from_dir(tmp_path)
    np.testing.assert_allclose(back.size, market.audience.size)
    (tmp_path / "truth" / "audience.parquet").unlink()  # a market written before issue 11
    np.testing.assert_allclose(AudienceTruth.from_dir(tmp_path).size, market.audience.size)


def _hand_truth() -> Truth:
    """Three authentic creators: a and b identical (same platform, niche, country), c on TikTok."""
    import pandas as pd

    from matcher.simulator.params import niche_latent, niche_names

    niches = niche_names()
    rows = []
    for iid, platform in (("a", "instagram"), ("b", "instagram"), ("c", "tiktok")):
        r = {
            "influencer_id": iid,
            "handle": iid,
            "platform": platform,
            "followers": 1000.0,
            "following": 10,
            "country": "US",
            "language": "en",
            "quality": 0.0,
            "fake_severity": 0.0,
            "true_er": 0.04,
            "true_price": 50.0,
            "female": 0.5,
            "generalist": False,
            "flags": "",
        }
        r.update({f"w_{n}": float(n == niches[0]) for n in niches})
        r.update({f"ac_{x}": float(x == "US") for x in S.COUNTRIES})
        r.update({f"age_{x}": 1.0 / len(S.AGE_BUCKETS) for x in S.AGE_BUCKETS})
        rows.append(r)
    brief = {
        "brief_id": "b1",
        "brand_id": "x",
        "platforms": "",
        "target_countries": "",
        "target_ages": "",
        "target_gender": "any",
        "min_followers": 1,
        "max_followers": 10**6,
        "budget_usd": 50.0,
        "excluded_handles": "",
        "excluded_keywords": "",
        "language": "en",
    }
    brief.update({f"w_{n}": float(n == niches[0]) for n in niches})
    return Truth(pd.DataFrame(rows), pd.DataFrame([brief]), niche_latent())


def test_known_values_on_hand_set_creators():
    t = _hand_truth()
    kappa = np.full((len(S.PLATFORMS), len(t.niches), len(S.COUNTRIES)), 2.0)
    aud = AudienceTruth(t, kappa)
    # a and b: their community has 2000 / kappa = 1000 members, each follows each with p = 1000 / 1000 -> capped
    # at 0.9: N = max(1000, 1000 / 0.9) = 1111.1, p = 0.9
    assert aud.value("b1", ["a"], "reach") == pytest.approx(
        1000.0
    )  # alone: all its authentic followers
    assert aud.value("b1", ["a", "b"], "reach") == pytest.approx(
        1000 / 0.9 * (1 - 0.1**2)
    )  # 1100, not 2000
    assert aud.value("b1", ["a", "c"], "reach") == pytest.approx(2000.0)  # other platform: disjoint
    # engagements alone = the outcome model's expected engagements (fit 1, audience 1)
    assert aud.value("b1", ["a"], "engagements") == pytest.approx(1000 * 0.04 * SPONSORED_ER * 1.3)
    assert aud.value("b1", ["a", "b"], "engagements") < 2 * aud.value("b1", ["a"], "engagements")
    acc = aud.accept_probability("b1", ["a", "b", "c"])
    assert aud.value("b1", ["a", "b", "c"], "accepts") == pytest.approx(acc.sum())  # no overlap
    assert np.all((acc > 0.5) & (acc < 1))  # on-niche, fairly paid: likely to accept
    with pytest.raises(ValueError, match="goal"):
        aud.value("b1", ["a"], "likes")
