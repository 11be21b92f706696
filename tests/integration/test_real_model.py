"""End to end with the real all-MiniLM-L6-v2 on a small simulated market: simulate -> train ->
evaluate -> match, through the library and through the ``matcher`` CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.config import EncoderConfig, TrainConfig
from matcher.data.briefs import briefs_to_models
from matcher.data.io import load_market
from matcher.evaluation.offline import evaluate
from matcher.ranking.embeddings import SentenceEncoder
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief
from matcher.simulator.market import MarketConfig, simulate_market, write_market
from matcher.simulator.truth import Truth
from matcher.training.trainer import fit_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("market")
    write_market(
        simulate_market(MarketConfig(n_influencers=600, n_briefs=160, seed=5), progress=False), d
    )
    return d


@pytest.fixture(scope="module")
def trained(market_dir, tmp_path_factory):
    tables = load_market(market_dir)
    cache = tmp_path_factory.mktemp("cache")
    cfg = TrainConfig(
        data_dir=str(market_dir), encoder=EncoderConfig(cache_dir=str(cache), show_progress=False)
    )
    pipe, report = fit_pipeline(tables, cfg, encoder=SentenceEncoder(cfg.encoder), progress=False)
    return tables, cfg, pipe, report


def test_real_encoder_is_minilm(trained):
    _, _, pipe, _ = trained
    spec = pipe.encoder.spec()
    assert spec["kind"] == "sentence-transformers" and spec["dim"] == 384
    assert pipe.catalogue.profile.shape[1] == 384


def test_model_beats_baselines_on_held_out_briefs(trained, market_dir):
    tables, cfg, pipe, report = trained
    result = evaluate(
        pipe, tables, report.split.test, truth=Truth.from_dir(market_dir), progress=False
    )
    m = result.metrics()
    for view in ("logged", "catalogue"):
        model = m[view]["model"]["ndcg@10"]
        assert model > m[view]["random"]["ndcg@10"] + 0.05
        assert model > m[view]["followers"]["ndcg@10"]
        assert m[view]["oracle"]["ndcg@10"] >= model - 1e-9 or view == "logged"
    assert m["catalogue"]["oracle"]["ndcg@10"] == pytest.approx(1.0)


def test_saved_pipeline_ranks_identically_and_semantically(trained, tmp_path):
    tables, _, pipe, _ = trained
    brief = briefs_to_models(tables.briefs)[-1]
    a = pipe.recommend(brief, k=10)
    loaded = MatchPipeline.load(pipe.save(tmp_path / "p"))
    b = loaded.recommend(brief, k=10)
    assert [m.model_dump() for m in a.matches] == [m.model_dump() for m in b.matches]
    # brief embedding is the real model: a paraphrase lands close to the original
    q = loaded.embed_briefs(
        [
            Brief(text="running shoes for marathon training"),
            Brief(text="sneakers for people preparing a marathon"),
            Brief(text="quarterly tax filing for small businesses"),
        ]
    )
    assert float(q[0] @ q[1]) > float(q[0] @ q[2]) + 0.2


def test_cli_train_evaluate_match(market_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    model_dir = tmp_path / "model"
    r = runner.invoke(
        app, ["train", "--data", str(market_dir), "--out", str(model_dir), "--no-track"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["evaluate", "--data", str(market_dir), "--model", str(model_dir), "--json"]
    )
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.stdout)["metrics"]
    assert set(metrics) == {"logged", "catalogue", "profile-only"}
    assert {"model", "cosine", "engagement", "followers", "random", "oracle"} <= set(
        metrics["logged"]
    )
    assert 0.0 <= metrics["logged"]["model"]["ndcg@10"] <= 1.0
    brief = tmp_path / "brief.json"
    brief.write_text(
        json.dumps(
            {
                "text": "Vegan snack brand looking for plant-based food creators",
                "platforms": ["instagram", "tiktok"],
                "budget_usd": 500,
            }
        )
    )
    r = runner.invoke(
        app, ["match", "--model", str(model_dir), "--brief-file", str(brief), "--k", "5", "--json"]
    )
    assert r.exit_code == 0, r.output
    matches = json.loads(r.stdout)
    assert len(matches) == 5 and [m["rank"] for m in matches] == [1, 2, 3, 4, 5]
    assert all(m["platform"] in ("instagram", "tiktok") for m in matches)
    r = runner.invoke(app, ["match", "--model", str(model_dir), "--text", "x", "--k", "500"])
    assert r.exit_code != 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"text": "ok", "platforms": ["myspace"]}))
    r = runner.invoke(app, ["match", "--model", str(model_dir), "--brief-file", str(bad)])
    assert r.exit_code == 2 and "platforms" in r.output and "myspace" in r.output


def test_catalogue_option_ranks_another_table(trained, market_dir, tmp_path):
    tables, _, pipe, _ = trained
    inf = tables.influencers.iloc[:100][["influencer_id", "handle", "platform", "followers", "bio"]]
    posts = tables.posts[tables.posts["influencer_id"].isin(inf["influencer_id"])]
    other = pipe.with_catalogue(inf, posts)
    rec = other.recommend(Brief(text="skincare routine for sensitive skin"), k=5)
    assert len(rec.matches) == 5
    assert set(m.influencer_id for m in rec.matches) <= set(inf["influencer_id"])
    assert np.isfinite([m.score for m in rec.matches]).all()


def _own_catalogue(pipe: MatchPipeline) -> MatchPipeline:
    """A brand's own list as real ones arrive: bios with emoji, promo lines, escapes, no posts."""
    import pandas as pd

    rows = [
        (
            "c1",
            "danicryptooo7.7",
            "📈 Bitcoin & altcoin trading signals daily\\nDM for collabs 💌 dani@gmail.com",
        ),
        ("c2", "jaxon.techhh", "Reviewing phones, laptops and earbuds 🎧 | Code JAX15 ⬇️"),
        (
            "c3",
            "fitwithmaria_",
            "Entrenadora personal 💪 rutinas en casa | colaboraciones: maria@gmail.com",
        ),
        ("c4", "hops.and.trails", "Craft beer tasting notes and brewery tours 🍺 every weekend"),
        ("c5", "plantbasedpaula", "Vegan recipes for busy weeknights 🌱🥑"),
    ]
    inf = pd.DataFrame(
        {
            "influencer_id": [r[0] for r in rows],
            "handle": [r[1] for r in rows],
            "platform": "tiktok",
            "followers": 20_000,
            "bio": [r[2] for r in rows],
        }
    )
    return pipe.with_catalogue(inf, posts=None)


def test_real_profiles_interests_language_and_brand_safety(trained):
    _, _, pipe, _ = trained
    own = _own_catalogue(pipe)
    cat = own.catalogue
    # the scraper's literal "\n" is decoded, the promo line is kept out of what the encoder sees,
    # the handle's words are in, the language of a Spanish bio is detected
    c1 = cat.index["c1"]
    assert (
        "\\n" not in cat.bio_texts[c1]
        and "gmail" not in cat.bio_texts[c1]
        and "crypto" in cat.bio_texts[c1]
    )
    assert cat.languages[cat.index["c3"]] == "es"
    crypto = own.recommend(
        Brief(
            text="Launching a crypto wallet app for Bitcoin traders",
            min_followers=0,
            max_followers=10**7,
        ),
        k=5,
    )
    assert crypto.matches[0].influencer_id == "c1"
    assert crypto.matches[0].interests  # IAB topics shown on the match
    vegan = own.recommend(Brief(text="vegan meal kit", min_followers=0, max_followers=10**7), k=5)
    top = next(m for m in vegan.matches if m.influencer_id == "c5")
    assert any(
        "Vegan" in t or "Vegetarian" in t or "Food" in t or "Cooking" in t for t in top.interests
    )
    # brand safety by meaning: no word "alcohol" in the bio, caught by the Alcohol category
    brief = Brief(text="summer hiking gear", min_followers=0, max_followers=10**7).model_copy(
        update={"excluded_categories": ["Alcohol"]}
    )
    safe = own.recommend(brief, k=5)
    assert "c4" not in {m.influencer_id for m in safe.matches}
    (ex,) = [e for e in safe.excluded if e.influencer_id == "c4"]
    assert ex.category == "Alcohol" and "brewery" in ex.quote
