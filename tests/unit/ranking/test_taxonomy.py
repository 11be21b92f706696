"""IAB taxonomies: loading, tier paths, validation errors, label caching and the zero-shot scores,
with the fast hashing encoder (a text equal to a label text has cosine 1 with that label)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.iab.taxonomy import SENSITIVE_AD_CATEGORIES, Taxonomy, validate_topics
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.interests import BrandSafety, LabelCache, TopicClassifier
from matcher.vectors import unit_rows


@pytest.fixture(scope="module")
def content() -> Taxonomy:
    return Taxonomy.load("content")


@pytest.fixture(scope="module")
def ad() -> Taxonomy:
    return Taxonomy.load("ad_product")


class CountingEncoder(HashingEncoder):
    """Counts how many texts reach ``encode`` (no cache of its own)."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__(dim=dim)
        self.calls: list[int] = []

    def encode(self, texts, desc="embedding"):
        self.calls.append(len(texts))
        return super().encode(texts, desc)


# --- loading and paths --------------------------------------------------------------------------


def test_packaged_taxonomies_have_the_published_sizes(content, ad):
    assert (len(content), len(ad)) == (704, 583)
    assert len(set(content.ids)) == 704 and len(set(ad.ids)) == 583
    assert max(t.tier for t in content) == 4 and max(t.tier for t in ad) == 3
    assert [t.name for t in content.children(None)][:3] == [
        "Attractions",
        "Automotive",
        "Books and Literature",
    ]


@pytest.mark.parametrize("kind", ["content", "ad_product"])
def test_every_parent_sits_at_the_parent_tier_path(kind):
    tax = Taxonomy.load(kind)
    for t in tax:
        if t.tier == 1:
            assert t.parent_id is None
        else:
            assert tax[t.parent_id].path == t.path[:-1], t


def test_parents_follow_the_tiers_where_the_parent_column_is_wrong(content, ad):
    horse = content["497"]
    assert horse.name == "Horse Racing" and horse.parent_id == "496"
    assert horse.path_text == "Sports > Equine Sports > Horse Racing" and horse.tier == 3
    assert ad["1000"].parent_id is None  # listed as its own parent
    assert ad["1037"].parent_id == "1036"  # Aerospace and Defense under Industrials
    assert ad["1038"].parent_id == "1036"  # not under Aerospace and Defense
    assert ad["1426"].parent_id == "1425"  # Core Gaming Apps under Core Gaming


def test_ids_are_strings_and_alphanumeric_ids_work(content):
    assert content["JLBCU7"].name == "Entertainment"
    assert (
        content["324"].parent_id == "JLBCU7"
        and content["324"].path_text == "Entertainment > Movies"
    )
    assert content["212"].extension == "SCD" and content["213"].extension == ""
    with pytest.raises(KeyError, match="no topic with id 'nope' in the content taxonomy"):
        content["nope"]


def test_subtree_holds_the_topic_and_its_descendants_in_file_order(ad, content):
    assert ad.subtree("1002") == ["1002", "1003", "1004", "1005", "1006", "1007"]
    assert [t.name for t in ad.children("1002")] == [
        "Bars",
        "Beer",
        "Hard Sodas, Seltzers, Alco Pops",
        "Spirits",
        "Wine",
    ]
    assert content.subtree("212") == ["212"]


def test_label_text_is_name_parent_path_and_description(content, ad):
    assert content["150"].label_text == "Attractions"
    assert content["604"].label_text == (
        "Photo Editing Software (Technology & Computing > Computing > "
        "Computer Software and Applications)"
    )
    assert (
        ad["1003"].label_text
        == "Bars (Alcohol): pubs, bars and cocktail lounges serving alcoholic drinks"
    )


def test_description_file_is_checked_against_the_taxonomy():
    rows = [["1", "", "Food", "Food"], ["2", "1", "Vegan", "Food", "Vegan"]]
    tax = Taxonomy.from_rows("t", rows, 2, {"2": ("Vegan", "plant-based")})
    assert tax["2"].label_text == "Vegan (Food): plant-based" and tax["2"].parent_id == "1"
    with pytest.raises(ValueError, match="description of t topic 2 is for 'Vegetarian'"):
        Taxonomy.from_rows("t", rows, 2, {"2": ("Vegetarian", "x")})
    with pytest.raises(ValueError, match=r"descriptions for unknown t topics: \['9'\]"):
        Taxonomy.from_rows("t", rows, 2, {"9": ("Vegan", "x")})
    with pytest.raises(ValueError, match="no topic at the parent path"):
        Taxonomy.from_rows("t", [["2", "1", "Vegan", "Food", "Vegan"]], 2)
    with pytest.raises(ValueError, match="duplicate ids"):
        Taxonomy.from_rows("t", [["1", "", "A", "A"], ["1", "", "B", "B"]], 1)


# --- validation ---------------------------------------------------------------------------------


def test_validate_accepts_ids_names_and_paths_in_any_case(content, ad):
    refs = ["212", "vegan diets", "Food & Drink>Vegan Diets", "JLBCU7", "  Cooking "]
    assert content.validate(refs) == ["212", "JLBCU7", "216"]
    assert validate_topics(["Soccer", "Vegan Diets"]) == ["533", "212"]  # content by default
    assert validate_topics(["Beer"], ad) == ["1004"]
    assert (
        ad.resolve("Personal/Consumer Telecom") == ad.resolve("Personal/Consumer Telcom") == "1467"
    )


def test_unknown_topic_is_named_with_a_suggestion(content):
    with pytest.raises(
        ValueError,
        match=r"unknown content topic 'Vegan'; did you mean 'Food & Drink > Vegan Diets'",
    ):
        content.validate(["Cooking", "Vegan", "Crypto"])
    with pytest.raises(ValueError, match=r"^unknown content topic 'Crypto'$"):
        content.validate(["Crypto"])


def test_ambiguous_name_lists_the_candidates(ad):
    with pytest.raises(ValueError, match="'skin care' names several ad_product topics") as err:
        ad.resolve("skin care")
    assert "1244 = 'Consumer Packaged Goods > Skin Care'" in str(err.value)
    assert ad.resolve("Consumer Packaged Goods > Skin Care > Skin Care") == "1246"


def test_sensitive_categories_are_named_as_in_the_ad_product_taxonomy(ad):
    ids = ad.validate(SENSITIVE_AD_CATEGORIES)
    assert [ad[i].name for i in ids] == list(SENSITIVE_AD_CATEGORIES)
    assert {"1001", "1002", "1049", "1361", "1544", "1576"} <= set(ids)


# --- classifier ---------------------------------------------------------------------------------


def test_unfitted_classifier_refuses(content):
    clf = TopicClassifier(content, HashingEncoder())
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.classify(np.zeros((1, 128), dtype=np.float32))


def test_topic_vectors_are_unit_rows_in_taxonomy_order(content):
    enc = HashingEncoder()
    clf = TopicClassifier(content, enc).fit()
    assert clf.topic_vectors.shape == (704, 128)
    np.testing.assert_allclose(np.linalg.norm(clf.topic_vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        clf.topic_vectors[content.index("212")], enc.encode([content["212"].label_text])[0]
    )


def test_a_label_text_classifies_as_its_own_topic(content):
    enc = HashingEncoder()
    clf = TopicClassifier(content, enc).fit()
    texts = [content[t].label_text for t in ("212", "533", "JLBCU7")]
    got = clf.classify(enc.encode(texts), top_k=3, min_score=0.0)
    assert [r[0].topic_id for r in got] == ["212", "533", "JLBCU7"]
    assert got[0][0].name == "Vegan Diets" and got[0][0].score == pytest.approx(1.0, abs=1e-5)
    assert all(len(r) == 3 and r[0].score >= r[1].score >= r[2].score for r in got)


def test_min_score_top_k_and_topic_subset(content):
    enc = HashingEncoder()
    clf = TopicClassifier(content, enc, min_score=0.99).fit()
    v = enc.encode([content["212"].label_text])
    assert [t.topic_id for t in clf.classify(v, top_k=5)[0]] == ["212"]  # the classifier's floor
    assert clf.classify(v, top_k=5, min_score=1.01) == [[]]
    assert len(clf.classify(v, top_k=5, min_score=-1.0)[0]) == 5
    sub = clf.classify(v, top_k=5, min_score=-1.0, topics=["533", "212"])[0]
    assert [t.topic_id for t in sub] == ["212", "533"]


def test_softmax_calibration_sums_to_one_and_keeps_the_order(content):
    enc = HashingEncoder()
    v = enc.encode(["vegan recipes", "premier league football"])
    raw = TopicClassifier(content, enc).fit().scores(v)
    cal = TopicClassifier(content, enc, calibration="softmax", temperature=0.1).fit().scores(v)
    np.testing.assert_allclose(cal.sum(axis=1), 1.0, atol=1e-5)
    assert (np.argsort(-raw, axis=1)[:, :10] == np.argsort(-cal, axis=1)[:, :10]).all()
    with pytest.raises(ValueError, match="bad calibration"):
        TopicClassifier(content, enc, calibration="platt").fit()


def test_dimension_mismatch_is_explained(content):
    clf = TopicClassifier(content, HashingEncoder(dim=64)).fit()
    with pytest.raises(
        ValueError, match="text vectors are 128-d, the topic vectors of hashing-64 64-d"
    ):
        clf.classify(HashingEncoder().encode(["x"]))


def test_label_cache_embeds_each_taxonomy_once_per_encoder_spec(content, ad):
    cache, enc = LabelCache(), CountingEncoder()
    first = TopicClassifier(content, enc, cache=cache).fit()
    second = TopicClassifier(content, enc, calibration="softmax", cache=cache).fit()
    assert enc.calls == [704] and second.topic_vectors is first.topic_vectors
    TopicClassifier(content, CountingEncoder(), cache=cache).fit()  # same spec: a hit
    assert len(cache) == 1
    other = CountingEncoder(dim=64)
    TopicClassifier(content, other, cache=cache).fit()  # another spec
    TopicClassifier(ad, enc, cache=cache).fit()  # other labels
    assert other.calls == [704] and enc.calls == [704, 583] and len(cache) == 3
    TopicClassifier(content, enc).fit()  # no shared cache: embeds again
    assert enc.calls == [704, 583, 704]


# --- brand safety -------------------------------------------------------------------------------


def test_text_matching_a_subcategory_is_caught_by_its_excluded_parent(ad):
    enc = HashingEncoder()
    safety = BrandSafety(TopicClassifier(ad, enc).fit())
    v = enc.encode([ad["1004"].label_text, ad["1365"].label_text, ad["1133"].label_text])
    hits = safety.sensitive_hits(v, ["Alcohol", "gambling"])
    assert hits[0] is not None and hits[0][:4] == ("1002", "Alcohol", "1004", "Beer")
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[1] is not None and (hits[1].category, hits[1].topic) == ("Gambling", "Lottery")
    assert hits[2] is None  # Coffee and Tea
    assert safety.sensitive_hits(v, ["Tobacco"]) == [None, None, None]
    assert safety.sensitive_hits(v, []) == [None, None, None]
    with pytest.raises(ValueError, match="unknown ad_product topic 'Booze'"):
        safety.sensitive_hits(v, ["Booze"])


def test_margin_keeps_a_text_whose_best_category_is_not_excluded(ad):
    clf = TopicClassifier(ad, HashingEncoder()).fit()
    beer, beverages = clf.topic_vectors[ad.index("1004")], clf.topic_vectors[ad.index("1131")]
    v = unit_rows((0.6 * beer + 0.8 * beverages)[None, :])
    cos = clf.cosines(v)[0]
    assert cos[ad.index("1131")] > cos[ad.index("1004")] >= 0.4  # Beer passes the threshold...
    assert BrandSafety(clf, threshold=0.4).sensitive_hits(v, ["Alcohol"]) == [None]  # ...but loses
    hit = BrandSafety(clf, threshold=0.4, margin=-1.0).sensitive_hits(v, ["Alcohol"])[0]
    best_in_alcohol = max(cos[ad.index(t)] for t in ad.subtree("1002"))
    assert (
        hit is not None
        and hit.category_id == "1002"
        and hit.score == pytest.approx(best_in_alcohol)
    )
    assert BrandSafety(clf, threshold=0.99, margin=-1.0).sensitive_hits(v, ["Alcohol"]) == [None]


def test_product_categories_map_a_product_text_onto_ad_products(ad):
    enc = HashingEncoder()
    safety = BrandSafety(TopicClassifier(ad, enc).fit())
    got = safety.product_categories(enc.encode([ad["1449"].label_text]), top_k=2, min_score=0.0)
    assert (
        len(got[0]) == 2
        and got[0][0].topic_id == "1449"
        and got[0][0].name == "Cryptocurrency Exchanges"
    )
