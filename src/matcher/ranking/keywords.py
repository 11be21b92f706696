"""Excluded keywords, compiled once per brief: the cost per creator does not grow with the list.

Same rule as :func:`matcher.ranking.text.keyword_hit` (the reference, kept for one-off checks):
keywords are lower-cased and stripped; a keyword without a space is a hit when it is one of the
text's words (``[\\w#@']+`` tokens, also with a leading ``#``/``@`` removed: ``vegan`` hits
``#Vegan``), a keyword with a space (a phrase) when it occurs in the lower-cased text.

``keyword_hit`` tests each keyword against each text (cost keywords x text length per creator:
5,000 keywords over 3,000 creators took seconds). Here every keyword is in one Aho-Corasick
automaton (``pyahocorasick``) run once over the text (cost: the text's length, whatever the
number of keywords): a phrase is a hit where it occurs; a word where the whole token around
the occurrence is the word, or the word behind leading ``#``/``@`` (no tokenising of the text:
a regex pass over bio and posts cost ~40 us per creator, most of a brief's exclusion work).
Verdicts are memoised per catalogue row, so a candidate search that widens its shortlist never
scans a creator twice.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from matcher.ranking.budget import check

_TOKEN_PUNCT = "_#@'"  # with str.isalnum(): the characters of ``text.keyword_hit``'s tokens


def _in_token(ch: str) -> bool:
    """``ch`` matches ``[\\w#@']`` (re's \\w is str.isalnum() or '_')."""
    return ch.isalnum() or ch in _TOKEN_PUNCT


def _is_token(low: str, start: int, end: int, word: str) -> bool:
    """Is the word found at ``low[start:end]`` a token of ``low``, or one behind '#'/'@'? The
    token is the longest run of token characters around it."""
    if not all(_in_token(c) for c in word):
        return False  # never inside one token (e.g. "e-bike")
    a, b = start, end
    while a > 0 and _in_token(low[a - 1]):
        a -= 1
    while b < len(low) and _in_token(low[b]):
        b += 1
    token = low[a:b]
    return token == word or (token[0] in "#@" and token.lstrip("#@") == word)


CHECK_EVERY = 256  # rows between two deadline checks


class KeywordMatcher:
    """``hit(text)``: does the text contain one of the keywords (``keyword_hit`` semantics)?"""

    def __init__(self, keywords: Iterable[str]) -> None:
        kws = {k for k in (str(kw).lower().strip() for kw in keywords) if k}
        self.words: frozenset[str] = frozenset(k for k in kws if " " not in k)
        self.phrases: tuple[str, ...] = tuple(sorted(k for k in kws if " " in k))
        self._automaton: ahocorasick.Automaton | None = None
        if kws:
            auto = ahocorasick.Automaton()
            for k in sorted(kws):
                auto.add_word(k, (" " in k, k))
            auto.make_automaton()
            self._automaton = auto
        self._memo: dict[int, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def hit(self, text: str) -> bool:
        if self._automaton is None:
            return False
        low = text.lower()
        for end, (phrase, kw) in self._automaton.iter(low):
            if phrase or _is_token(low, end + 1 - len(kw), end + 1, kw):
                return True
        return False

    def hit_row(self, row: int, text: str) -> bool:
        """``hit`` memoised by catalogue row (one matcher serves one brief over one catalogue)."""
        v = self._memo.get(row)
        if v is None:
            v = self._memo[row] = self.hit(text)
        return v

    def keep(self, rows: Iterable[int], texts: object, deadline: float | None = None) -> list[int]:
        """The rows whose text (``texts[row]``) has none of the keywords, in order; checks the
        deadline every ``CHECK_EVERY`` rows."""
        out = []
        for i, r in enumerate(rows):
            if i % CHECK_EVERY == CHECK_EVERY - 1:
                check(deadline, "keyword exclusion")
            if not self.hit_row(int(r), texts[r]):  # type: ignore[index]
                out.append(r)
        return out
