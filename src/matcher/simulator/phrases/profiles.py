"""Creators' and brands' public identity text: bios, handles and brand names."""

from __future__ import annotations

from collections.abc import Sequence

from matcher.simulator.phrases.banks import (
    BIO_FAKE,
    BRAND_PREFIX,
    BRAND_SUFFIX,
    BRAND_SUFFIX_NICHE,
    CITIES,
    COUNTRY_NAMES,
    FIRST_NAMES,
    GENERALIST_BIO,
    GENERIC_BIO,
    HANDLE_ADJ,
    HANDLE_SUFFIX,
    HANDLE_WORDS,
    PROMO,
    PROMO_LANG,
    SURNAMES,
    bank,
    lang_bank,
)
from matcher.simulator.phrases.compose import some_emojis, vary_case
from matcher.simulator.phrases.dice import Dice

# bios of real creators (~500 TikTok profiles): median 60 characters, 70% with emoji, 38% mostly
# contact or promo lines, 4% empty, scraped text with literal escapes (docs/simulator.md)
EMPTY_BIO = 0.04
PROMO_HEAVY, PROMO_HEAVY_PRO = 0.30, 0.55  # bios that are mostly contact / promo lines
TOPICAL, TOPICAL_PROMO = 0.55, 0.3  # the niche named in words (else only emoji and handle carry it)
EMOJI_RUN = 0.5
SCRAPE_ESCAPED = 0.12  # "\\n" and "\\u002F" left in the text by the scraper
BIO_MAX_CHARS = {"tiktok": 80, "instagram": 150, "youtube": 150}


def write_bio(
    d: Dice,
    niches: Sequence[str],
    platform: str,
    lang: str,
    country: str | None,
    *,
    generalist: bool = False,
    pro: bool = False,
    fake: bool = False,
) -> str:
    """A profile bio as real ones read (calibration in docs/simulator.md): short, emoji-rich,
    often mostly contact or promo lines, the niche word often absent (carried by an emoji or the
    handle instead), written in the creator's language, sometimes with scraping escapes."""
    if d.chance(EMPTY_BIO):
        return ""
    L = lang_bank(lang) if lang != "en" else None
    b0 = bank(niches[0])
    promo_heavy = d.chance(PROMO_HEAVY_PRO if pro else PROMO_HEAVY)
    parts: list[str] = []
    if generalist and d.chance(0.6):
        parts.append(d.pick(GENERALIST_BIO))
    if d.chance(TOPICAL_PROMO if promo_heavy else TOPICAL):  # the niche in words
        parts.append(d.pick(L[b0.family]) if L is not None and d.chance(0.75) else d.pick(b0.bio))
        if d.chance(0.5):
            nb = bank(niches[1] if len(niches) > 1 and d.chance(0.5) else niches[0])
            parts.append(d.pick(nb.bio) if d.chance(0.5) else d.pick(nb.topics))
    if not parts or d.chance(0.6):  # who they are, with no niche word
        parts.append(d.pick(L["bio"]) if L is not None and d.chance(0.8) else d.pick(GENERIC_BIO))
    if country is not None and d.chance(0.5):
        city = d.pick(CITIES.get(country, (COUNTRY_NAMES.get(country, country),)))
        parts.append(d.pick((f"📍 {city}", f"📍{city}", f"{city} 🌎", city)))
    if fake and d.chance(0.6):
        parts.append(d.pick(BIO_FAKE))
    n_promo = (1 + int(d.chance(0.4))) if promo_heavy else int(d.chance(0.12))
    for _ in range(n_promo):
        parts.append(_promo_line(d, lang))
    if d.chance(EMOJI_RUN):
        parts.insert(d.randint(0, len(parts) + 1), some_emojis(d, b0))
    escaped = d.chance(SCRAPE_ESCAPED)
    sep = (
        "\\n"
        if escaped and d.chance(0.6)
        else d.pick((" | ", " • ", " ✦ ", " · ", ". ", " / ", " "))
    )
    text = vary_case(d, sep.join(p for p in parts if p), lower_p=0.35)
    text = _shorten(text, BIO_MAX_CHARS.get(platform, 150))
    return text.replace("/", "\\u002F") if escaped and d.chance(0.5) else text


def _promo_line(d: Dice, lang: str) -> str:
    """One contact or promo line (email, code, link, collab call) in the bio's language."""
    name = _slug(d.pick(FIRST_NAMES))
    email = d.pick(
        (
            f"{name}{d.randint(1, 99)}@gmail.com",
            f"hello@{name}{d.pick(('studio', 'media', 'mgmt'))}.com",
            f"{name}.collabs@gmail.com",
            f"{name}@{d.pick(('talent', 'creators', 'agency'))}.co",
        )
    )
    code = (
        f"{d.pick((name, 'TIKTOK', 'SAVE', 'VIP', name[:4])).upper()}{d.pick((10, 15, 20, 25, 30))}"
    )
    bank_ = PROMO_LANG.get(lang) if lang != "en" and d.chance(0.8) else None
    return d.pick(bank_ or PROMO).format(email=email, code=code)


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary to the platform's bio limit (TikTok: 80 characters)."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut if cut else text[:limit]


def _slug(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def make_handle(d: Dice, family: str, niche: str | None = None) -> str:
    """A plausible handle; more than half carry a topical word, often the niche itself and often
    decorated (``tradezilla39``, ``jaxon.techhh``, ``danicryptooo7.7``), as real ones are."""
    name = d.pick(FIRST_NAMES)
    word = d.pick(HANDLE_WORDS.get(family, HANDLE_WORDS["home"]))
    if niche is not None and d.chance(0.5):
        word = d.pick(bank(niche).tags[:3])
    stretched = word + word[-1] * d.randint(1, 4)
    k = d.randint(0, 16)
    pats = (
        f"{name}.{word}",
        f"{name}_{word}",
        f"{word}with{name}",
        f"{name}{d.pick(SURNAMES)}",
        f"the{name}{word}",
        f"{name}{d.randint(1, 99)}",
        f"{name}.{d.pick(SURNAMES)}",
        f"itsme{name}",
        f"{d.pick(HANDLE_ADJ)}{name}",
        f"{name}s{word}",
        f"{name}_x",
        f"{d.pick(HANDLE_ADJ)}{word}",
        f"{word}{d.pick(HANDLE_SUFFIX)}{d.randint(1, 99)}",
        f"{name}.{stretched}",
        f"{name}{stretched}{d.randint(1, 9)}.{d.randint(1, 9)}",
        f"{word}with{name}_",
    )
    return pats[k]


def brand_name(d: Dice, niche: str) -> str:
    suffixes = BRAND_SUFFIX_NICHE.get(niche) or BRAND_SUFFIX.get(
        bank(niche).family, BRAND_SUFFIX["home"]
    )
    return f"{d.pick(BRAND_PREFIX)} {d.pick(suffixes)}"


def brand_handle(name: str) -> str:
    return _slug(name)
