"""Creators' and brands' public identity text: bios, handles and brand names."""

from __future__ import annotations

from collections.abc import Sequence

from matcher.simulator.phrases.banks import (
    BIO_CTA,
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
    HANDLE_WORDS,
    SURNAMES,
    bank,
    lang_bank,
)
from matcher.simulator.phrases.compose import some_emojis, vary_case
from matcher.simulator.phrases.dice import Dice


def write_bio(d: Dice, niches: Sequence[str], platform: str, lang: str, country: str | None, *,
              generalist: bool = False, pro: bool = False, fake: bool = False) -> str:
    """A profile bio: identity fragments from the creator's niches, lifestyle bits, location,
    contact line (more likely for ``pro`` creators), follow-for-follow lines for fake ones."""
    if d.chance(0.02):
        return ""
    parts: list[str] = []
    L = lang_bank(lang) if lang != "en" else None
    b0 = bank(niches[0])
    if generalist:
        parts.append(d.pick(GENERALIST_BIO))
    if L is not None and d.chance(0.6):
        parts.append(d.pick(L[b0.family]))
        if d.chance(0.5):
            parts.append(d.pick(L["bio"]))
    if not generalist or d.chance(0.5):
        parts.append(d.pick(b0.bio))
    for n in niches[1:]:
        if d.chance(0.6):
            parts.append(d.pick(bank(n).bio) if d.chance(0.6) else d.pick(bank(n).topics))
    if d.chance(0.45):
        parts.append(d.pick(GENERIC_BIO))
    if country is not None and d.chance(0.5):
        city = d.pick(CITIES.get(country, (COUNTRY_NAMES.get(country, country),)))
        parts.append(d.pick((f"📍 {city}", f"based in {city}", f"{city} ↔ everywhere", f"📍{city}")))
    if fake and d.chance(0.6):
        parts.append(d.pick(BIO_FAKE))
    if d.chance(0.5 if pro else 0.15):
        email = f"hello@{_slug(d.pick(FIRST_NAMES))}{d.pick(('studio', 'creates', 'media', 'mgmt'))}.com"
        parts.append(d.pick(BIO_CTA).format(email=email))
    if d.chance(0.35):
        parts.insert(d.randint(0, len(parts) + 1), some_emojis(d, b0))
    sep = d.pick((" | ", " • ", " ✦ ", " · ", ". ", " / ", "  "))
    return vary_case(d, sep.join(parts), lower_p=0.35)


def _slug(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def make_handle(d: Dice, family: str) -> str:
    """A plausible handle; about half carry a topical word (as real ones do)."""
    name = d.pick(FIRST_NAMES)
    word = d.pick(HANDLE_WORDS.get(family, HANDLE_WORDS["home"]))
    k = d.randint(0, 12)
    pats = (
        f"{name}.{word}", f"{name}_{word}", f"{word}with{name}", f"{name}{d.pick(SURNAMES)}",
        f"the{name}{word}", f"{name}{d.randint(1, 99)}", f"{name}.{d.pick(SURNAMES)}",
        f"itsme{name}", f"{d.pick(HANDLE_ADJ)}{name}", f"{name}s{word}", f"{name}_x",
        f"{d.pick(HANDLE_ADJ)}{word}",
    )
    return pats[k]


def brand_name(d: Dice, niche: str) -> str:
    suffixes = BRAND_SUFFIX_NICHE.get(niche) or BRAND_SUFFIX.get(bank(niche).family, BRAND_SUFFIX["home"])
    return f"{d.pick(BRAND_PREFIX)} {d.pick(suffixes)}"


def brand_handle(name: str) -> str:
    return _slug(name)
