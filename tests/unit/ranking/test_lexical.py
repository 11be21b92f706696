"""BM25 lexical search and its fusion with dense scores, on tiny corpora with known answers."""

import math

import numpy as np
import pytest

from matcher.ranking.lexical import LexicalIndex, competition_ranks, fuse, stopword_set, tokenize

DOCS = [
    "@run_with_ana marathon training and tempo run every sunday #running",
    "Sourdough starter, bread baking and cake frosting #bakinglife",
    "Trail running shoes review: my favourite running shoes of the year",
    "",  # a creator with no text
    "Kombucha brewing at home, plus bread baking on weekends",  # the only 'kombucha'
    "Hoy pan casero y receta fácil de tortilla de patatas #comidavegana",
    "Gaming setup tour, boss fight and esports stream tonight",
    "Running club long run, race day splits and running shoes talk",
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex().fit(DOCS)


# ---------------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Love #SourdoughLife!", ["love", "sourdoughlife"]),  # hashtag split off its '#'
        ("@trail_runs.daily", ["trail", "runs", "daily"]),  # handle words
        ("Café CRÈME, l'été", ["café", "crème", "été"]),  # casefold, accents kept, 'l' too short
        ("ＡＢＣ 10k", ["abc", "10k"]),  # NFKC folds full-width letters
        ("東京で走る", ["東京", "京で", "で走", "走る"]),  # CJK as character bigrams
        ("x", []),
        ("", []),
        (None, []),
        (float("nan"), []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_english_stop_words_are_dropped_by_default_and_others_kept():
    stop = stopword_set(("en",))
    assert tokenize("The shoes and the trail", stop) == ["shoes", "trail"]
    assert tokenize("son y hija", stop) == [
        "son",
        "hija",
    ]  # Spanish 'son' is not an English stop word
    assert tokenize("son y hija", stopword_set(("es",))) == ["hija"]
    with pytest.raises(ValueError, match="no stop-word list"):
        stopword_set(("xx",))


# ---------------------------------------------------------------------- BM25
def test_rare_exact_word_ranks_first(index):
    rows, scores = index.search("We sell kombucha and want creators into healthy drinks", k=3)
    assert rows[0] == 4
    assert scores[0] > 0
    assert np.flatnonzero(index.scores("kombucha")).tolist() == [4]


def test_bm25_equals_the_lucene_formula_by_hand():
    ix = LexicalIndex(k1=1.5, b=0.75).fit(["kombucha brew", "brew brew coffee beans", "coffee"])
    n, avgdl, df = 3, 7 / 3, 2
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))

    def tfc(tf: int, dl: int) -> float:
        return tf / (tf + 1.5 * (1 - 0.75 + 0.75 * dl / avgdl))

    np.testing.assert_allclose(
        ix.scores("brew"), [idf * tfc(1, 2), idf * tfc(2, 4), 0.0], rtol=1e-6
    )


def test_scores_of_a_subset_equal_full_scores_at_those_rows(index):
    full = index.scores("running shoes bread")
    rows = np.array([7, 1, 2, 3], dtype=np.int64)  # any order, an empty document included
    np.testing.assert_array_equal(index.scores("running shoes bread", rows), full[rows])
    assert full.shape == (len(DOCS),) and full.dtype == np.float32
    assert full[3] == 0.0


@pytest.mark.parametrize("query", ["", "   ", "the and of", "zzzz qqqq", "#!?"])
def test_empty_or_unknown_query_scores_zeros(index, query):
    np.testing.assert_array_equal(index.scores(query), np.zeros(len(DOCS), np.float32))
    assert index.scores(query, np.array([1, 2])).tolist() == [0.0, 0.0]
    rows, scores = index.search(query, k=5)
    assert len(rows) == 0 and len(scores) == 0


def test_corpus_without_words_scores_zeros(tmp_path):
    ix = LexicalIndex().fit(["", "  ", None, "the a"])
    assert len(ix) == 4 and ix.vocab_size == 0
    assert ix.scores("running").tolist() == [0.0] * 4
    loaded = LexicalIndex.load(ix.save(tmp_path / "lex"))
    assert loaded.scores("running").tolist() == [0.0] * 4


def test_search_respects_mask_order_and_only_returns_matches(index):
    rows, scores = index.search("running shoes", k=10)
    assert set(rows.tolist()) == {0, 2, 7}  # only documents sharing a word
    assert np.all(np.diff(scores) <= 0)
    mask = np.ones(len(DOCS), bool)
    mask[2] = False
    rows_m, _ = index.search("running shoes", k=10, mask=mask)
    assert rows_m.tolist() == [r for r in rows.tolist() if r != 2]
    assert index.search("running shoes", k=1)[0].tolist() == rows[:1].tolist()


def test_search_breaks_ties_by_row():
    ix = LexicalIndex().fit(["padel club", "tennis", "padel club", "padel club"])
    assert ix.search("padel", k=2)[0].tolist() == [0, 2]


def test_save_load_round_trip_scores_identically(index, tmp_path):
    folder = index.save(tmp_path / "lex")
    assert not list(folder.glob("*.pkl"))
    loaded = LexicalIndex.load(folder)
    for q in ("kombucha", "receta fácil de pan", "running shoes", ""):
        np.testing.assert_array_equal(loaded.scores(q), index.scores(q))
    assert (loaded.k1, loaded.b, loaded.stopwords, len(loaded)) == (
        index.k1,
        index.b,
        index.stopwords,
        len(DOCS),
    )


def test_load_rejects_a_folder_without_an_index(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved LexicalIndex"):
        LexicalIndex.load(tmp_path)


def test_unfitted_index_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        LexicalIndex().scores("running")


# ---------------------------------------------------------------------- fusion
def test_competition_ranks_share_the_best_rank_on_ties():
    assert competition_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [1, 4, 1, 3]


def test_rrf_of_two_known_rankings():
    dense = np.array([0.9, 0.8, 0.1, 0.5])  # ranks 1, 2, 4, 3
    lexical = np.array([0.0, 3.0, 1.0, 2.0])  # no match, ranks 1, 3, 2
    fused = fuse(dense, lexical, weight=0.5, method="rrf")
    expected = [0.5 / 61, 0.5 / 62 + 0.5 / 61, 0.5 / 64 + 0.5 / 63, 0.5 / 63 + 0.5 / 62]
    np.testing.assert_allclose(fused, expected)
    assert np.argsort(-fused).tolist() == [1, 3, 2, 0]


def test_rrf_weight_moves_between_the_two_orders():
    dense = np.array([0.9, 0.8, 0.1, 0.5])
    lexical = np.array([0.5, 3.0, 1.0, 2.0])
    assert np.argsort(-fuse(dense, lexical, 0.0, "rrf")).tolist() == [0, 1, 3, 2]
    assert np.argsort(-fuse(dense, lexical, 1.0, "rrf")).tolist() == [1, 3, 2, 0]


@pytest.mark.parametrize("norm", ["minmax", "zscore"])
def test_convex_weight_zero_and_one_give_dense_and_lexical_order(norm):
    dense = np.array([0.2, 0.9, 0.4, 0.7, 0.1])
    lexical = np.array([5.0, 0.0, 2.5, 1.0, 9.0])
    assert np.argsort(-fuse(dense, lexical, 0.0, "convex", norm=norm)).tolist() == [1, 3, 2, 0, 4]
    assert np.argsort(-fuse(dense, lexical, 1.0, "convex", norm=norm)).tolist() == [4, 0, 2, 3, 1]


def test_convex_minmax_by_hand():
    fused = fuse(np.array([0.0, 1.0, 0.5]), np.array([4.0, 0.0, 2.0]), weight=0.25, method="convex")
    np.testing.assert_allclose(fused, [0.25, 0.75, 0.5])
    # a constant side carries no information: only the other side orders the candidates
    np.testing.assert_allclose(
        fuse(np.array([0.3, 0.3]), np.array([0.0, 2.0]), 0.5, "convex"), [0.0, 0.5]
    )


def test_fuse_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        fuse(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="weight"):
        fuse(np.zeros(2), np.zeros(2), weight=1.5)
    with pytest.raises(ValueError, match="fusion method"):
        fuse(np.zeros(2), np.zeros(2), method="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="normalisation"):
        fuse(np.zeros(2), np.zeros(2), method="convex", norm="l2")  # type: ignore[arg-type]
    assert fuse(np.zeros(0), np.zeros(0)).shape == (0,)
