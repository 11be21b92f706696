"""The brief writer: a brand's campaign brief in its own words, from its niches, goal and targeting."""

from __future__ import annotations

from collections.abc import Sequence

from matcher.simulator.phrases.banks import (
    AGE_WORDS,
    BRIEF_KEYWORD_LINES,
    COMPENSATION,
    COUNTRY_NAMES,
    CREATOR_ASK,
    DELIVERABLES,
    GOAL_LABEL,
    GOAL_PHRASES,
    TIMELINES,
    TONES,
    Bank,
    bank,
    lang_bank,
)
from matcher.simulator.phrases.compose import with_typo
from matcher.simulator.phrases.dice import Dice


def _audience_words(
    d: Dice, b: Bank, ages: Sequence[str], gender: str, countries: Sequence[str]
) -> str:
    base = d.pick(b.audience)
    bits: list[str] = []
    if gender in ("female", "male") and d.chance(0.7):
        bits.append("women" if gender == "female" else "men")
    if ages and d.chance(0.7):
        lo, hi = ages[0].split("-")[0].rstrip("+"), ages[-1].split("-")[-1]
        bits.append(
            d.pick((f"aged {lo}-{hi}" if hi != "55+" else f"aged {lo}+", AGE_WORDS[ages[0]]))
        )
    if countries and d.chance(0.7):
        bits.append("in " + " and ".join(COUNTRY_NAMES.get(c, c) for c in countries[:2]))
    return base + (f" ({', '.join(bits)})" if bits else "")


def write_brief(
    d: Dice,
    brand: str,
    niches: Sequence[str],
    goal: str,
    platforms: Sequence[str],
    *,
    lang: str = "en",
    ages: Sequence[str] = (),
    gender: str = "any",
    countries: Sequence[str] = (),
    excluded: Sequence[str] = (),
) -> str:
    """A brief as brands write them: product, goal, audience, tone and deliverables in one of
    several layouts (paragraph, bullets, casual, one-liner, formal, UGC request)."""
    b = bank(niches[0])
    b2 = bank(niches[1]) if len(niches) > 1 else b
    product = d.pick(b.brief_products)
    if len(niches) > 1 and d.chance(0.5):
        product += d.pick((" made for ", " designed for ", ", aimed at ")) + d.pick(b2.audience)
    kind = d.pick(b.brand_kinds)
    plat = d.pick(platforms) if platforms else "instagram"
    deliv = d.pick(DELIVERABLES[plat])
    t1, t2 = d.pick(b.topics), d.pick(b2.topics)
    if lang != "en":
        L = lang_bank(lang)
        tmpl = d.pick(L["brief"])
        topic = d.pick(L[b.family]) if d.chance(0.6) else t1
        return tmpl.format(
            brand=brand,
            kind=kind,
            topic=topic,
            goal=d.pick(L["goal"]),
            product=product,
            deliv=deliv,
        )
    ask = d.pick(CREATOR_ASK).format(
        t=t1 if d.chance(0.6) else t2, a=d.pick(b.activities + b2.activities)
    )
    aud = _audience_words(d, b if d.chance(0.6) else b2, ages, gender, countries)
    tone = d.pick(TONES)
    gphrase = d.pick(GOAL_PHRASES[goal])
    where = (
        f" based in {COUNTRY_NAMES.get(countries[0], countries[0])}"
        if countries and d.chance(0.3)
        else ""
    )
    extras: list[str] = []
    if d.chance(0.4):
        extras.append(d.pick(COMPENSATION))
    if d.chance(0.3):
        extras.append(d.pick(TIMELINES))
    for kw in excluded:
        if kw in BRIEF_KEYWORD_LINES and d.chance(0.6):
            extras.append(BRIEF_KEYWORD_LINES[kw])
    tail = (" " + " ".join(extras)) if extras else ""
    k = d.randint(0, 7)
    if k == 0:
        s = (
            f"{brand} is a {kind}{where}. We're {gphrase} {product} and are looking for creators who "
            f"{ask}. Our audience: {aud}. Tone: {tone}. Deliverables: {deliv}.{tail}"
        )
    elif k == 1:
        lines = [
            f"Brand: {brand} ({kind})",
            f"Product: {product}",
            f"Goal: {d.pick(GOAL_LABEL[goal])}",
            f"Target audience: {aud}",
            f"Creators: people who {ask}",
            f"Tone: {tone}",
            f"Deliverables: {deliv}",
        ] + extras
        s = "\n".join(lines)
    elif k == 2:
        s = (
            f"Hey creators! 👋 {brand} here. We're {gphrase} {product} and we'd love to team up with "
            f"creators who {ask}. Think {tone}. {deliv[:1].upper() + deliv[1:]}.{tail}"
        )
    elif k == 3:
        s = f"Looking for {plat} creators into {t1} to help with {gphrase} {product}.{tail}"
    elif k == 4:
        s = (
            f"Campaign objective: {d.pick(GOAL_LABEL[goal]).lower()}. {brand}, a {kind}, seeks "
            f"micro-influencers whose content covers {t1} and {t2}. Product: {product}. "
            f"Target audience: {aud}. Requirements: {deliv}; tone {tone}.{tail}"
        )
    elif k == 5:
        s = (
            f"We need creator content for {product}: {d.randint(2, 6)} short videos showing how you "
            f"use it day to day. Creators who {ask} preferred. Audience: {aud}. "
            f"Raw files + usage rights for {d.pick((3, 6, 12))} months.{tail}"
        )
    else:
        s = (
            f"At {brand} we're all about {t1}. This season we're {gphrase} {product} "
            f"with creators who {ask} - {tone}. "
            f"Looking for {deliv} per creator, audience {aud}.{tail}"
        )
    if d.chance(0.04):
        s = with_typo(d, s)
    return s
