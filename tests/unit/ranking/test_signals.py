"""What a brief asks beyond its filters: hybrid search, interests, brand safety (known answers on
the tiny market; taxonomy lookups are set by hand so the hashing encoder's topics do not matter)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.iab.taxonomy import Taxonomy
from matcher.ranking.retrieval import forget_derived, hybrid_search
from matcher.ranking.topic_index import SAFETY_THRESHOLD
from matcher.schemas import Brief

OPEN = {"min_followers": 0, "max_followers": 10**9}


def brief(text: str = "sourdough bread baking", **extra) -> Brief:
    b = Brief(text=text, **OPEN)
    return b.model_copy(update=extra) if extra else b


def test_hybrid_search_weights(tiny_pipeline):
    pipe = tiny_pipeline
    cat = pipe.catalogue
    q = pipe.embed_briefs([brief("tomato seedlings compost")])[0]
    mask = np.ones(len(cat), bool)
    dense_rows, _ = pipe.index.search(q, 10, mask)
    # weight 0: the dense order; weight 1: the BM25 order (ties by row)
    assert (
        hybrid_search(q, "tomato seedlings compost", cat, pipe.index, pipe.lexical, mask, 10, 0.0)[
            :5
        ].tolist()
        == dense_rows[:5].tolist()
    )
    lex = pipe.lexical.scores("tomato seedlings compost")
    top_lex = np.lexsort((np.arange(len(cat)), -lex))[:5]
    got = hybrid_search(q, "tomato seedlings compost", cat, pipe.index, pipe.lexical, mask, 10, 1.0)
    assert got[:5].tolist() == top_lex.tolist()
    assert all(str(cat.ids[r]).startswith("gar") for r in got[:5])  # the gardening creators
    # the mask is honoured
    only = np.zeros(len(cat), bool)
    only[[0, 1, 2]] = True
    assert set(
        hybrid_search(q, "tomato", cat, pipe.index, pipe.lexical, only, 10, 0.3).tolist()
    ) <= {0, 1, 2}


def test_lexical_feature_finds_an_exact_word(tiny_pipeline):
    pipe = tiny_pipeline
    sig = pipe.signals(
        brief("croissant lamination"), pipe.embed_briefs([brief("croissant lamination")])[0]
    )
    f = sig.features(np.arange(len(pipe.catalogue)))
    has_word = np.array(["croissant" in d for d in pipe.catalogue.lexical_documents()])
    assert (
        has_word.any()
        and (f["lexical_score"][has_word] > 0).all()
        and (f["lexical_score"][~has_word] == 0).all()
    )
    assert np.isnan(f["interest_sim"]).all()  # the brief names no interest
    assert np.isfinite(f["topic_overlap"]).all()


def test_interests_filter_and_feature(tiny_pipeline):
    pipe = tiny_pipeline
    cat = pipe.catalogue
    tax = Taxonomy.load("content")
    vegan = tax.index(tax.resolve("Vegan Diets"))
    other = tax.index(tax.resolve("Video Gaming"))
    cat.topic_idx = np.full((len(cat), 5), other, np.int16)
    cat.topic_score = np.full((len(cat), 5), 0.5, np.float32)
    cat.topic_idx[[3, 7], 0] = vegan  # two creators are about vegan diets
    q = pipe.embed_briefs([brief()])[0]
    strict = pipe.signals(brief(interests=["Vegan Diets"], strict_interests=True), q).mask()
    assert strict is not None and np.flatnonzero(strict).tolist() == [3, 7]
    assert pipe.signals(brief(interests=["Vegan Diets"]), q).mask() is None  # soft by default
    excl = pipe.signals(
        brief(excluded_interests=["Food & Drink"]), q
    ).mask()  # a parent excludes its subtree
    assert excl is not None and not excl[[3, 7]].any() and excl.sum() == len(cat) - 2
    sig = pipe.signals(brief(interests=["Vegan Diets"]), q)
    f = sig.features(np.arange(len(cat)))
    label = pipe.topics.content[vegan]
    assert np.allclose(f["interest_sim"], cat.profile @ label, atol=1e-6)
    assert sig.creator_interests(3)[0] == "Vegan Diets"


def test_brand_safety_drops_a_creator_and_quotes_the_post(tiny_pipeline):
    pipe = tiny_pipeline
    cat = pipe.catalogue
    tax = Taxonomy.load("ad_product")
    beer = tax.index(tax.resolve("Alcohol > Beer"))
    juice = tax.index(tax.resolve("Beverages"))
    cat.post_ad_idx = np.full(len(cat.post_texts), juice, np.int16)
    cat.post_ad_score = np.full(len(cat.post_texts), 0.9, np.float32)
    cat.bio_ad_idx = np.full(len(cat), juice, np.int16)
    cat.bio_ad_score = np.full(len(cat), 0.9, np.float32)
    p = int(cat.post_offsets[5]) + 1  # the second post of creator 5 is about beer
    cat.post_ad_idx[p] = beer
    cat.post_ad_score[p] = SAFETY_THRESHOLD + 0.05
    q = pipe.embed_briefs([brief()])[0]
    sig = pipe.signals(brief(excluded_categories=["Alcohol"]), q)
    mask = sig.mask()
    assert mask is not None and np.flatnonzero(~mask).tolist() == [5]
    (ex,) = sig.exclusions
    assert ex.influencer_id == str(cat.ids[5]) and ex.category == "Alcohol" and ex.topic == "Beer"
    assert ex.quote == str(cat.post_texts[p])[:120] and ex.quote in ex.reason()
    rec = pipe.recommend(brief(excluded_categories=["Alcohol"]), k=48)
    assert str(cat.ids[5]) not in {m.influencer_id for m in rec.matches}
    assert [e.influencer_id for e in rec.excluded] == [str(cat.ids[5])]
    # below the threshold the post does not count
    cat.post_ad_score[p] = SAFETY_THRESHOLD - 0.05
    forget_derived(cat)  # changed in place: drop the precomputed flagged posts
    assert pipe.signals(brief(excluded_categories=["Alcohol"]), q).mask() is None


@pytest.mark.parametrize("field", ["interests", "excluded_interests"])
def test_unknown_topics_are_refused(tiny_pipeline, field):
    q = tiny_pipeline.embed_briefs([brief()])[0]
    with pytest.raises(ValueError, match="Underwater Basketweaving"):
        sig = tiny_pipeline.signals(
            brief(**{field: ["Underwater Basketweaving"], "strict_interests": True}), q
        )
        sig.mask()
        sig.features(np.arange(3))


def test_quoted_exclusions_found_through_the_index_are_the_same(tiny_pipeline, monkeypatch):
    import matcher.ranking.signals as signals_module
    from matcher.ranking.retrieval import ExactIndex
    from matcher.ranking.signals import MAX_QUOTED, BriefSignals

    pipe = tiny_pipeline
    cat = pipe.catalogue
    tax = Taxonomy.load("ad_product")
    beer = tax.index(tax.resolve("Alcohol > Beer"))
    cat.bio_ad_idx = np.full(len(cat), beer, np.int16)  # every creator's bio is about beer
    cat.bio_ad_score = np.full(len(cat), SAFETY_THRESHOLD + 0.05, np.float32)
    b = brief(excluded_categories=["Alcohol"])
    q = pipe.embed_briefs([b])[0]
    plain = BriefSignals(b, q, cat, pipe.topics, pipe.lexical)
    plain.mask()
    monkeypatch.setattr(signals_module, "QUOTE_GATHER_MAX", 0)
    indexed = BriefSignals(b, q, cat, pipe.topics, pipe.lexical, index=ExactIndex(cat.profile))
    indexed.mask()
    assert len(plain.exclusions) == MAX_QUOTED == len(indexed.exclusions)

    def sims(exclusions):
        rows = cat.rows_for([e.influencer_id for e in exclusions])
        return cat.profile[rows].astype(np.float32) @ q

    # the same closest creators (up to exact ties, which a different mat-vec may order apart)
    np.testing.assert_allclose(sims(indexed.exclusions), sims(plain.exclusions), atol=1e-6)
    assert indexed.exclusions[:5] == plain.exclusions[:5]
