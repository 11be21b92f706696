"""Excluded keywords, compiled once per brief: the cost per creator does not grow with the list.

Same rule as :func:`matcher.ranking.text.keyword_hit` (the reference, kept for one-off checks):
keywords are lower-cased and stripped; a keyword without a space is a hit when it is one of the
text's words (``[\\w#@']+`` tokens, also with a leading ``#``/``@`` removed: ``vegan`` hits
``#Vegan``), a keyword with a space (a phrase) when it occurs in the lower-cased text.

``keyword_hit`` tests each keyword against each text (cost keywords x text length per creator:
5,000 keywords over 3,000 creators took seconds). Here the words are one ``frozenset`` that the
text's word set is checked against (cost: the text's words), and the phrases one Aho-Corasick
automaton (``pyahocorasick``) run once over the text (cost: the text's length, whatever the
number of phrases). Verdicts are memoised per catalogue row, so a candidate search that widens
its shortlist never scans a creator twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

from matcher.ranking.budget import check

_WORD = re.compile(r"[\w#@']+", re.UNICODE)  # the tokens of ``text.keyword_hit``
CHECK_EVERY = 256  # rows between two deadline checks


class KeywordMatcher:
    """``hit(text)``: does the text contain one of the keywords (``keyword_hit`` semantics)?"""

    def __init__(self, keywords: Iterable[str]) -> None:
        kws = {k for k in (str(kw).lower().strip() for kw in keywords) if k}
        self.words: frozenset[str] = frozenset(k for k in kws if " " not in k)
        self.phrases: tuple[str, ...] = tuple(sorted(k for k in kws if " " in k))
        self._automaton: ahocorasick.Automaton | None = None
        if self.phrases:
            auto = ahocorasick.Automaton()
            for p in self.phrases:
                auto.add_word(p, p)
            auto.make_automaton()
            self._automaton = auto
        self._memo: dict[int, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def hit(self, text: str) -> bool:
        low = text.lower()
        if self.words:
            tokens = set(_WORD.findall(low))
            if not self.words.isdisjoint(tokens):
                return True
            if not self.words.isdisjoint({t.lstrip("#@") for t in tokens if t[0] in "#@"}):
                return True
        if self._automaton is not None:
            for _ in self._automaton.iter(low):  # the first match is enough
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
