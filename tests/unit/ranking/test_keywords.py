"""The compiled keyword matcher gives exactly ``keyword_hit``'s answers, at a cost that does not
grow with the number of keywords."""

from __future__ import annotations

import time

import numpy as np
import pytest

from matcher.ranking.keywords import KeywordMatcher
from matcher.ranking.retrieval import exclude_keywords
from matcher.ranking.text import keyword_hit
from matcher.schemas import Brief
from tests.unit.ranking.test_text import TEXT

CASES = [
    (["vegan"], True),
    (["#vegan"], True),
    (["oatlyuk"], True),
    (["energy drinks"], True),
    (["ENERGY"], True),
    (["run"], True),
    (["runner"], False),
    (["un"], False),
    (["drink"], False),
    (["alcohol", "  ", ""], False),
    ([], False),
    (["gambling", "bowl"], True),
    (["@oatlyuk"], True),
    (["rinks? nev"], True),  # a phrase is a substring
    (["big #vegan"], True),
    (["#"], False),
    (["'"], False),
    (["done 🏃"], True),
]


@pytest.mark.parametrize(("keywords", "hit"), CASES)
def test_same_answers_as_keyword_hit(keywords, hit) -> None:
    assert keyword_hit(TEXT, keywords) is hit
    assert KeywordMatcher(keywords).hit(TEXT) is hit


def test_random_texts_and_keywords_agree_with_the_reference() -> None:
    rng = np.random.default_rng(0)
    vocab = [
        "vegan",
        "#vegan",
        "@vegan",
        "run",
        "runner",
        "it's",
        "its",
        "wine",
        "red",
        "hatred",
        "#ad",
        "ad",
        "Café",
        "café",
        "ÉTÉ",
        "e-bike",
        "bike",
        "x",
        "#",
        "@",
        "'",
        "!",
        "?",
        ".",
        "über",
        "beer",
        "pong",
        "beer pong",
        "#Beer",
        "red wine",
        "a",
        "the",
        "İstanbul",  # lower-cases to one more character
        "istanbul",
        "don't",
        "don",
        "t",
        "_x",
        "2x",
        "#2x",
        "🏃",
        "straße",
        "@@ad",
    ]
    seps = [" ", "  ", "\n", ", ", ". ", "#", "@", "-", ""]
    n = 0
    for _ in range(6000):
        words = rng.choice(vocab, size=int(rng.integers(0, 15)))
        text = "".join(str(w) + str(rng.choice(seps)) for w in words)
        kws = [
            str(k) if rng.random() < 0.7 else str(k).upper() + " "
            for k in rng.choice(vocab, size=int(rng.integers(0, 5)))
        ]
        if rng.random() < 0.3:  # phrases made of two words
            kws.append(f"{rng.choice(vocab)} {rng.choice(vocab)}")
        want = keyword_hit(text, kws)
        assert KeywordMatcher(kws).hit(text) is want, (text, kws)
        n += want
    assert 800 < n < 5000  # both answers well represented


def test_matcher_is_falsy_without_keywords() -> None:
    assert not KeywordMatcher(["", "  "]) and KeywordMatcher(["x"]) and KeywordMatcher(["x y"])


def test_exclude_keywords_on_the_catalogue(tiny_pipeline) -> None:
    cat = tiny_pipeline.catalogue
    rows = np.arange(len(cat))
    for kws in (
        ["bread"],
        ["sourdough", "marathon"],
        ["home bakers"],
        ["#vegan"],
        ["nothing-like-this"],
    ):
        brief = Brief(text="t", excluded_keywords=kws)
        want = [r for r in rows if not keyword_hit(cat.search_text[r], brief.excluded_keywords)]
        got = exclude_keywords(brief, cat, rows)
        assert got.tolist() == want and got.dtype == np.int64
    assert (
        0
        < len(exclude_keywords(Brief(text="t", excluded_keywords=["bread"]), cat, rows))
        < len(rows)
    )


def test_cost_does_not_grow_with_the_keyword_list() -> None:
    """5,000 nonsense keywords and phrases plus common words: per text, about as fast as 3 keywords
    (the reference scans every keyword: hundreds of times slower)."""
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    junk = ["".join(rng.choice(letters, 12)) for _ in range(4000)] + [
        " ".join("".join(rng.choice(letters, 6)) for _ in range(2)) for _ in range(1000)
    ]
    texts = [
        " ".join("".join(rng.choice(letters, int(rng.integers(2, 9)))) for _ in range(300))
        for _ in range(200)
    ]

    def per_text(m: KeywordMatcher) -> float:
        t0 = time.perf_counter()
        for t in texts:
            m.hit(t)
        return (time.perf_counter() - t0) / len(texts)

    small, big = per_text(KeywordMatcher(junk[:3])), per_text(KeywordMatcher(junk))
    assert big < 5 * small + 1e-4
    kws = [*junk, "the", texts[3].split()[5], f"{texts[7].split()[0]} {texts[7].split()[1]}"]
    m = KeywordMatcher(kws)
    got = [m.hit(t) for t in texts[:10]]
    assert got == [keyword_hit(t, kws) for t in texts[:10]] and got[3] and got[7] and not all(got)
