"""The one place that turns briefs, bios and posts into encoder input.

Training, evaluation and serving all call these functions, so a template change here reaches
every path at once (no training/serving skew).
"""

from __future__ import annotations

import re

from matcher.schemas import Brief

_WS = re.compile(r"\s+")
_URL = re.compile(r"https?://\S+")
# MiniLM truncates at 256 word pieces anyway; cutting early keeps long captions cheap.
MAX_CHARS = 1_000


def clean(text: object) -> str:
    """Collapse whitespace, drop URLs, cap length. Emojis, hashtags and mentions are kept:
    they carry topic signal and the tokenizer handles them."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = _URL.sub(" ", str(text))
    return _WS.sub(" ", s).strip()[:MAX_CHARS]


def brief_text(brief: Brief) -> str:
    """A brief is represented by its free text only: targeting fields are hard filters and
    features, not words, so they cannot blur the topical match."""
    return clean(brief.text)


def bio_text(bio: object) -> str:
    return clean(bio)


def post_text(text: object) -> str:
    return clean(text)


_WORD = re.compile(r"[\w#@']+", re.UNICODE)


def keyword_hit(haystack: str, keywords: list[str]) -> bool:
    """True when any excluded keyword appears as a whole word (or hashtag) in the text."""
    low = haystack.lower()
    keywords = [k for k in (kw.lower().strip() for kw in keywords) if k]
    # a whole-word hit is also a substring hit: most texts are ruled out without tokenising
    if not any(kw.lstrip("#@") in low for kw in keywords):
        return False
    words = set(_WORD.findall(low))
    words |= {w.lstrip("#@") for w in words}
    for kw in keywords:
        if " " in kw:
            if kw in low:
                return True
        elif kw in words:
            return True
    return False
