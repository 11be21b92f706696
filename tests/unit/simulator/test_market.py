"""Known-answer tests for the market simulator: calibration, structure, truth and outcomes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.data.io import load_market
from matcher.simulator.creators import sample_followers
from matcher.simulator.market import Market, MarketConfig, simulate_market, write_market
from matcher.simulator.params import niche_affinity, niche_names
from matcher.simulator.truth import GRADES, Truth


@pytest.fixture(scope="module")
def market() -> Market:
    return simulate_market(MarketConfig(n_influencers=2500, n_briefs=100, seed=7), progress=False)


def _creator_stats(m: Market) -> pd.DataFrame:
    p = m.posts.merge(m.influencers[[S.INFLUENCER_ID, S.FOLLOWERS, S.PLATFORM]], on=S.INFLUENCER_ID)
    p["er"] = (p[S.LIKES] + p[S.COMMENTS]) / p[S.FOLLOWERS]
    g = p.groupby(S.INFLUENCER_ID).agg(
        er=("er", "mean"),
        log_sd=("er", lambda x: float(np.std(np.log(x + 1e-6)))),
        comments=(S.COMMENTS, "sum"),
        likes=(S.LIKES, "sum"),
        followers=(S.FOLLOWERS, "first"),
        platform=(S.PLATFORM, "first"),
    )
    hidden = m.truth.creators.set_index("influencer_id")
    g["fake"] = hidden.loc[g.index, "fake_severity"].to_numpy() > 0
    g["tier"] = [S.follower_tier(f) for f in g["followers"]]
    return g


def _pure(m: Market, niche: str) -> list[str]:
    """Authentic, single-niche creators of ``niche`` that the brief's targeting would not hurt."""
    c = m.truth.creators
    return c.loc[(c[f"w_{niche}"] > 0.99) & (c["fake_severity"] == 0), "influencer_id"].tolist()


# --------------------------------------------------------------------------- structure
def test_same_config_gives_identical_tables() -> None:
    cfg = MarketConfig(n_influencers=300, n_briefs=30, seed=3)
    a, b = simulate_market(cfg, progress=False), simulate_market(cfg, progress=False)
    for name in ("influencers", "posts", "briefs", "outcomes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = simulate_market(MarketConfig(n_influencers=300, n_briefs=30, seed=4), progress=False)
    assert not a.influencers[S.BIO].equals(c.influencers[S.BIO])


def test_columns_follow_the_schema(market: Market) -> None:
    assert list(market.influencers.columns) == list(S.INFLUENCER_REQUIRED + S.INFLUENCER_OPTIONAL)
    assert list(market.posts.columns) == list(S.POST_REQUIRED + S.POST_OPTIONAL)
    assert list(market.briefs.columns) == list(S.BRIEF_REQUIRED + S.BRIEF_OPTIONAL)
    assert list(market.outcomes.columns) == list(S.OUTCOME_REQUIRED + S.OUTCOME_OPTIONAL)


def test_no_hidden_variable_leaks_into_public_tables(market: Market) -> None:
    hidden = {
        "niche",
        "category",
        "quality",
        "fake",
        "fake_severity",
        "true_er",
        "true_price",
        "flags",
    }
    for df in (market.influencers, market.posts, market.briefs, market.outcomes):
        assert not hidden & set(df.columns)
        assert not any(c.startswith(("w_", "ac_", "age_")) for c in df.columns)
    # niche ids never appear as tokens (underscored labels would be a giveaway)
    text = " ".join(market.posts[S.TEXT].head(5000)) + " ".join(market.influencers[S.BIO])
    for label in ("home_cooking", "personal_finance", "home_decor"):
        assert label not in text


def test_write_and_load_round_trip(market: Market, tmp_path) -> None:
    write_market(market, tmp_path)
    tables = load_market(tmp_path, require_outcomes=True)  # the contract's own validator
    assert len(tables.influencers) == len(market.influencers)
    assert len(tables.outcomes) == len(market.outcomes)
    truth = Truth.from_dir(tmp_path)
    ids = market.influencers[S.INFLUENCER_ID].tolist()
    for bid in market.briefs[S.BRIEF_ID].head(5):
        np.testing.assert_allclose(
            truth.expected_utility(bid, ids), market.truth.expected_utility(bid, ids)
        )
    assert (tmp_path / "market.json").is_file()


# --------------------------------------------------------------------------- calibration
def test_follower_quantiles_match_kim_et_al(market: Market) -> None:
    f = np.concatenate(
        [
            market.influencers[S.FOLLOWERS].to_numpy(),
            sample_followers(np.random.default_rng(1), 5000),
        ]
    )
    inside = f[(f >= 1_000) & (f <= 100_000)]
    p10, p50, p90 = np.percentile(inside, [10, 50, 90])
    assert 1_400 <= p10 <= 2_100
    assert 9_500 <= p50 <= 14_000
    assert 45_000 <= p90 <= 62_000
    outside = 1 - len(inside) / len(f)
    assert 0.04 <= outside <= 0.09


def test_engagement_rates_in_calibrated_bands(market: Market) -> None:
    g = _creator_stats(market)
    med = g.groupby(["platform", "tier"])["er"].median()
    assert 0.015 <= med[("instagram", "nano")] <= 0.03  # HypeAuditor 1.78-2.78%
    assert 0.005 <= med[("instagram", "micro")] <= 0.012  # HypeAuditor 0.54%, Social Cat 0.84-1.11%
    assert 0.07 <= med[("tiktok", "nano")] <= 0.13  # IMH 10.3%, HypeAuditor 12.6%
    assert med[("tiktok", "nano")] > 3 * med[("instagram", "nano")]


def test_fake_accounts_have_low_and_erratic_engagement(market: Market) -> None:
    g = _creator_stats(market)
    assert 0.18 <= g["fake"].mean() <= 0.32
    fake, real = g[g["fake"]], g[~g["fake"]]
    for tier in ("nano", "micro"):
        assert (
            fake.loc[fake["tier"] == tier, "er"].median()
            < real.loc[real["tier"] == tier, "er"].median()
        )
    assert fake["log_sd"].median() > 1.5 * real["log_sd"].median()
    assert (
        fake["comments"].sum() / fake["likes"].sum()
        < 0.8 * real["comments"].sum() / real["likes"].sum()
    )


def test_public_table_shares(market: Market) -> None:
    inf, posts = market.influencers, market.posts
    assert 0.10 <= (inf[S.LANGUAGE] != "en").mean() <= 0.26
    assert 0.10 <= inf[S.AUDIENCE_AGES].isna().mean() <= 0.20
    assert 0.42 <= inf[S.PRICE_USD].isna().mean() <= 0.58
    assert 0.10 <= posts[S.IS_SPONSORED].mean() <= 0.22
    sp = posts.loc[posts[S.IS_SPONSORED], S.TEXT].str.lower()
    assert (
        sp.str.contains("#ad|sponsored|partner|#publi|#werbung|#anzeige|#partenariat").mean() > 0.95
    )
    assert inf[S.BIO].nunique() > 0.8 * len(inf)
    assert inf[S.PLATFORM].value_counts().index[0] == "instagram"
    # views only where the platform has them
    has_views = posts.merge(inf[[S.INFLUENCER_ID, S.PLATFORM]], on=S.INFLUENCER_ID)
    assert has_views.loc[has_views[S.PLATFORM] == "instagram", S.VIEWS].isna().all()
    assert has_views.loc[has_views[S.PLATFORM] == "tiktok", S.VIEWS].notna().all()


def test_profiles_look_like_real_ones(market: Market) -> None:
    """Bios and handles follow the figures measured on ~500 real TikTok creators (docs/simulator.md)."""
    inf = market.influencers
    bio = inf[S.BIO].fillna("")
    tiktok = inf[S.PLATFORM] == "tiktok"
    assert 0.02 <= (bio.str.strip() == "").mean() <= 0.07
    assert (
        0.6 <= bio.map(lambda b: any(ord(ch) > 0x2190 for ch in b)).mean() <= 0.9
    )  # emoji and arrows
    promo = bio.str.contains(
        r"@\w+\.\w|\bcode\b|c[oó]digo|cupom|\bDM\b|link|⬇️|👇|📩|collab|shop", case=False
    )
    assert 0.3 <= promo.mean() <= 0.6
    assert (
        bio.str.contains(r"\\n|\\u002F", regex=True).mean() >= 0.03
    )  # scraping escapes, literally
    assert bio[tiktok].str.len().max() <= 80
    assert 6 <= bio[tiktok].str.split().str.len().median() <= 10
    lang = inf.loc[tiktok, S.LANGUAGE]
    assert 0.28 <= (lang != "en").mean() <= 0.45 and 0.18 <= (lang == "es").mean() <= 0.35
    decorated = inf[S.HANDLE].map(
        lambda h: re.search(r"(\w)\1\1|\d\.\d|zilla|hub|_$", h) is not None
    )
    assert 0.1 <= decorated.mean() <= 0.5


def test_prices_follow_platform_rate_cards(market: Market) -> None:
    inf = market.influencers.dropna(subset=[S.PRICE_USD])
    tier = inf[S.FOLLOWERS].map(S.follower_tier)
    med = inf.groupby([inf[S.PLATFORM], tier])[S.PRICE_USD].median()
    assert 10 <= med[("instagram", "nano")] <= 100
    assert 100 <= med[("instagram", "micro")] <= 500
    assert 5 <= med[("tiktok", "nano")] <= 25
    assert 25 <= med[("tiktok", "micro")] <= 125
    assert med[("youtube", "micro")] > med[("instagram", "micro")]


# --------------------------------------------------------------------------- truth
def test_related_niches_are_closer_than_unrelated() -> None:
    a = niche_affinity()
    ix = {n: i for i, n in enumerate(niche_names())}
    assert len(ix) >= 22
    for near, far in [
        (("running", "cycling"), ("running", "makeup")),
        (("vegan", "sustainability"), ("vegan", "gaming")),
        (("vegan", "home_cooking"), ("vegan", "tech")),
        (("hiking", "travel"), ("hiking", "personal_finance")),
        (("skincare", "makeup"), ("skincare", "gaming")),
        (("personal_finance", "tech"), ("personal_finance", "fashion")),
    ]:
        assert a[ix[near[0]], ix[near[1]]] > a[ix[far[0]], ix[far[1]]] + 0.25
    np.testing.assert_allclose(np.diag(a), 1.0)


def test_same_niche_creator_beats_unrelated_niche(market: Market) -> None:
    tr = market.truth
    a = niche_affinity()
    names = niche_names()
    pure = {n: _pure(market, n) for n in names}
    weights = tr.briefs[[f"w_{n}" for n in names]].to_numpy()
    checked = 0
    for bid, w in zip(tr.briefs["brief_id"], weights, strict=True):
        top = int(np.argmax(w))
        far = [names[j] for j in range(len(names)) if a[top, j] < 0.02 and w[j] == 0]
        same = pure[names[top]]
        other = [i for n in far[:5] for i in pure[n]]
        if len(same) < 5 or len(other) < 5:
            continue
        assert tr.expected_utility(bid, same).mean() > tr.expected_utility(bid, other).mean() + 2.0
        checked += 1
        if checked == 25:
            break
    assert checked == 25


def test_over_budget_lowers_utility(market: Market) -> None:
    tr = market.truth
    b = tr.briefs[tr.briefs["budget_usd"].notna()].iloc[0]
    ids = market.influencers[S.INFLUENCER_ID].head(50).tolist()
    rows = tr.rows(ids)

    def utility_at(ratio: float) -> np.ndarray:
        c = tr.creators.copy()
        c.loc[rows, "true_price"] = ratio * b["budget_usd"]
        return Truth(c, tr.briefs, tr.latent, tr.params).expected_utility(b["brief_id"], ids)

    at_budget = utility_at(1.0)
    assert np.all(utility_at(0.5) >= at_budget)  # cheaper never hurts
    assert np.all(at_budget - utility_at(1.5) > 1.0)  # 50% over budget costs a grade or so
    assert np.all(at_budget - utility_at(3.0) > 3.0)  # 3x over budget is a non-starter


def test_grades_are_monotone_in_utility_with_fixed_thresholds(market: Market) -> None:
    tr = market.truth
    ids = market.influencers[S.INFLUENCER_ID].tolist()
    for bid in market.briefs[S.BRIEF_ID].head(10):
        u = tr.expected_utility(bid, ids)
        g = tr.relevance_grades(bid, ids)
        order = np.argsort(u)
        assert np.all(np.diff(g[order]) >= 0)
        assert set(np.unique(g)) <= {0, 1, 2, 3}
        np.testing.assert_array_equal(
            g, (u >= GRADES[0]).astype(int) + (u >= GRADES[1]) + (u >= GRADES[2])
        )


def test_unknown_ids_raise_key_error(market: Market) -> None:
    bid = market.briefs[S.BRIEF_ID].iloc[0]
    with pytest.raises(KeyError):
        market.truth.expected_utility(bid, ["no-such-creator"])
    with pytest.raises(KeyError):
        market.truth.expected_utility(
            "no-such-brief", market.influencers[S.INFLUENCER_ID].head(2).tolist()
        )


# --------------------------------------------------------------------------- outcomes
def test_draw_outcomes_contract(market: Market) -> None:
    tr = market.truth
    bid = market.briefs[S.BRIEF_ID].iloc[0]
    ids = market.influencers[S.INFLUENCER_ID].head(40).tolist()
    out = tr.draw_outcomes(bid, ids, list(range(1, 41)), np.random.default_rng(0))
    assert list(out.columns) == list(S.OUTCOME_REQUIRED + S.OUTCOME_OPTIONAL)
    assert out[S.INFLUENCER_ID].tolist() == ids
    assert not (out[S.ACCEPTED] & ~out[S.CONTACTED]).any()
    na = ~out[S.ACCEPTED]
    for col in (S.POST_ENGAGEMENTS, S.CLICKS, S.CONVERSIONS, S.BRAND_RATING):
        assert out.loc[na, col].isna().all()
        assert out.loc[~na, col].notna().all()
    again = tr.draw_outcomes(bid, ids, list(range(1, 41)), np.random.default_rng(0))
    pd.testing.assert_frame_equal(out, again)
    assert len(tr.draw_outcomes(bid, [], [], np.random.default_rng(0))) == 0


def test_outcomes_follow_utility_and_position(market: Market) -> None:
    tr = market.truth
    rng = np.random.default_rng(1)
    ids = market.influencers[S.INFLUENCER_ID].tolist()
    hi_c = lo_c = hi_a = lo_a = top_c = deep_c = 0
    n_draw = 0
    for bid in market.briefs[S.BRIEF_ID].head(25):
        u = tr.expected_utility(bid, ids)
        order = np.argsort(-u)
        best, worst = [ids[i] for i in order[:5]], [ids[i] for i in order[-200:-195]]
        for _ in range(8):
            o = tr.draw_outcomes(bid, best + worst, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5], rng)
            hi_c += o[S.CONTACTED][:5].sum()
            lo_c += o[S.CONTACTED][5:].sum()
            hi_a += o[S.ACCEPTED][:5].sum()
            lo_a += o[S.ACCEPTED][5:].sum()
            top = tr.draw_outcomes(bid, best, [1, 1, 1, 1, 1], rng)
            deep = tr.draw_outcomes(bid, best, [25, 25, 25, 25, 25], rng)
            top_c += top[S.CONTACTED].sum()
            deep_c += deep[S.CONTACTED].sum()
            n_draw += 5
    assert hi_c > 5 * max(lo_c, 1) and hi_c / n_draw > 0.3
    assert hi_a > 5 * max(lo_a, 1)
    assert top_c > 1.4 * deep_c  # position bias


def test_historical_labels_track_true_utility(market: Market) -> None:
    o = market.outcomes
    assert o.groupby(S.BRIEF_ID)[S.SHOWN_POSITION].max().between(1, 30).all()
    u = np.concatenate(
        [
            market.truth.expected_utility(b, g[S.INFLUENCER_ID].tolist())
            for b, g in o.groupby(S.BRIEF_ID, sort=False)
        ]
    )
    label = (
        o[S.CONTACTED].astype(int)
        + o[S.ACCEPTED].astype(int)
        + (o[S.ACCEPTED] & (o[S.BRAND_RATING].fillna(0) >= 4)).astype(int)
    ).to_numpy()
    assert 0.04 <= o[S.CONTACTED].mean() <= 0.3
    assert u[label >= 2].mean() > u[label == 0].mean() + 2.0
    assert np.corrcoef(u, label)[0, 1] > 0.3
