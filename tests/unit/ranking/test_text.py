"""Excluded keywords match whole words, hashtags and phrases, never parts of words."""

import pytest

from matcher.ranking.text import keyword_hit

TEXT = "Sunday long run done 🏃 then a big #Vegan bowl with @OatlyUK. Energy drinks? Never."


@pytest.mark.parametrize(
    ("keywords", "hit"),
    [
        (["vegan"], True),  # as a hashtag
        (["#vegan"], True),
        (["oatlyuk"], True),  # as a mention
        (["energy drinks"], True),  # a phrase
        (["ENERGY"], True),  # case-insensitive
        (["run"], True),
        (["runner"], False),  # a longer word is not a hit
        (["un"], False),  # nor a part of one
        (["drink"], False),
        (["alcohol", "  ", ""], False),
        ([], False),
        (["gambling", "bowl"], True),
    ],
)
def test_keyword_hit(keywords, hit):
    assert keyword_hit(TEXT, keywords) is hit
