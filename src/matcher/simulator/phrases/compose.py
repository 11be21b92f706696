"""The caption writer of the market simulator, and the small text devices the other writers share.

Writes captions from the niche banks (``niches``) and the small foreign-language banks (``lang``). Randomness comes
from ``Dice``: blocks of uniforms drawn from a numpy Generator and handed out one at a time,
which keeps plain-Python text assembly fast and fully seeded.

Realism devices: varied sentence structures and lengths, niche and generic hashtags,
emojis, @mentions, lower/upper-case variation, occasional typos, off-topic and noise posts,
sponsorship disclosures, related-niche borrowing (a runner sometimes posts about cycling),
and sensitive content (alcohol, gambling, crypto, vaping) for brand exclusions to bite on.
"""

from __future__ import annotations

from collections.abc import Sequence

from matcher.simulator.phrases.banks import (
    ALSO,
    CTAS,
    GENERIC_EMOJIS,
    GENERIC_TAGS,
    LISTY,
    NOISE,
    OFF_TOPIC,
    OPENERS,
    PLATFORM_TAGS,
    SENSITIVE,
    SENSITIVE_TAGS,
    SPONSOR_EN,
    TIME,
    VERDICTS,
    Bank,
    bank,
    lang_bank,
)
from matcher.simulator.phrases.dice import Dice


def one_emoji(d: Dice, b: Bank | None) -> str:
    if b is not None and d.chance(0.7):
        return d.pick(b.emojis)
    return d.pick(GENERIC_EMOJIS)


def some_emojis(d: Dice, b: Bank | None) -> str:
    n = d.pick((1, 1, 1, 2, 2, 3))
    return "".join(one_emoji(d, b) for _ in range(n))


def with_typo(d: Dice, s: str) -> str:
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not idx:
        return s
    i = d.pick(idx)
    w = words[i]
    j = d.randint(1, len(w) - 1)
    k = d.randint(0, 3)
    if k == 0:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]  # swap
    elif k == 1:
        w = w[:j] + w[j + 1 :]  # drop
    else:
        w = w[:j] + w[j] + w[j:]  # double
    words[i] = w
    return " ".join(words)


def vary_case(d: Dice, s: str, lower_p: float = 0.3) -> str:
    u = d.u()
    if u < lower_p:
        return s.lower()
    if u < lower_p + 0.03:
        words = s.split(" ")
        i = d.randint(0, len(words))
        words[i] = words[i].upper()
        return " ".join(words)
    return s[:1].upper() + s[1:] if s else s


def hashtags(d: Dice, b: Bank | None, platform: str, n: int, extra: tuple[str, ...] = ()) -> str:
    tags: list[str] = []
    for _ in range(n):
        u = d.u()
        if b is not None and u < 0.6:
            tags.append(d.pick(b.tags))
        elif u < 0.8:
            tags.append(d.pick(PLATFORM_TAGS[platform]))
        else:
            tags.append(d.pick(GENERIC_TAGS))
    if extra:
        tags.append(d.pick(extra))
    seen = dict.fromkeys(tags)
    return " ".join("#" + t for t in seen)


def _sentence_en(d: Dice, b: Bank) -> str:
    """One on-topic English caption body in one of many structures."""
    t, p, a, f = d.pick(b.topics), d.pick(b.products), d.pick(b.activities), d.pick(b.feelings)
    e = one_emoji(d, b)
    k = d.randint(0, 16)
    if k == 0:
        return f"{a} {d.pick(TIME)}. {f} {e}"
    if k == 1:
        return f"{d.pick(OPENERS)} {t}! {a}. {e}"
    if k == 2:
        return f"{d.pick((3, 4, 5, 5, 7))} {d.pick(LISTY)} {t} {e}"
    if k == 3:
        return f"{p} review: {d.pick(VERDICTS)} {e}"
    if k == 4:
        return f"{t} {some_emojis(d, b)}"
    if k == 5:
        q = d.pick(
            (
                f"what's your go-to {p}?",
                f"anyone else obsessed with {t}?",
                f"how do you feel about {t}?",
                f"which {p} should I try next?",
                f"is {p} worth it?",
                f"any advice on {t}?",
            )
        )
        return f"{q} {e}"
    if k == 6:
        return (
            f"{d.pick(TIME).capitalize()} I {a}. The {p} was a game changer, "
            f"and {d.pick(b.topics)} is next on the list. {f} {e}"
        )
    if k == 7:
        p1, p2, p3 = d.sample(b.products, 3)
        return f"{d.pick(('my', 'the', 'current', 'weekend'))} essentials: {p1}, {p2} and {p3} {e}"
    if k == 8:
        return f"pov: you {a} {e}"
    if k == 9:
        return f"day {d.randint(2, 100)} of {t} {e}"
    if k == 10:
        return f"{a} and honestly? {f}"
    if k == 11:
        return (
            f"my {d.pick(('new', 'favourite', 'current', 'go-to', 'latest'))} {p} {e} {t} edition"
        )
    if k == 12:
        return f"{f}! {a} {d.pick(TIME)} {e}"
    if k == 13:
        return f"{d.pick(OPENERS)} {t}. {a}, {d.pick(b.activities)} and {f} {e}"
    if k == 14:
        return f"{e} {t} | {p} | {d.pick(b.topics)}"
    return f"{t}: {f}. {d.pick(('Swipe for more', 'More soon', 'Details below', 'Link below'))} {e}"


def _sentence_lang(d: Dice, L: dict[str, tuple[str, ...]], family: str) -> str:
    v = d.pick(L[family])
    fe = d.pick(L["feelings"])
    k = d.randint(0, 6)
    if k == 0:
        return f"{d.pick(L['openers'])} {v}! {fe}"
    if k == 1:
        return f"{d.pick(L['time'])}: {v}. {fe}"
    if k == 2:
        return f"{v} {d.pick(GENERIC_EMOJIS)} {fe}"
    if k == 3:
        return f"{fe}!! {v} {d.pick(L['time'])}"
    if k == 4:
        return f"{v}, {d.pick(L[family])}. {fe}"
    return f"{v}"


def write_caption(
    d: Dice,
    niche: str | None,
    platform: str,
    lang: str = "en",
    *,
    related: str | None = None,
    sponsor: str | None = None,
    mentions: Sequence[str] = (),
    sensitive: str | None = None,
    noise: bool = False,
) -> str:
    """One post caption. ``niche=None`` writes an off-topic (daily life) post; ``noise`` a
    near-empty one; ``related`` borrows a fragment from a related niche; ``sponsor`` (a brand
    handle) adds a disclosure; ``sensitive`` mentions alcohol/gambling/crypto/vaping."""
    b = bank(niche) if niche is not None else None
    if noise:
        s = d.pick(NOISE)
        if d.chance(0.3):
            s += " " + hashtags(d, b, platform, d.randint(1, 3))
        return s
    foreign = lang != "en" and d.chance(0.75)
    L = lang_bank(lang) if lang != "en" else None
    if b is None:
        if foreign and L is not None:
            s = f"{d.pick(L['off'])} {some_emojis(d, None)}"
        else:
            s = f"{d.pick(OFF_TOPIC)} {some_emojis(d, None)}"
    elif foreign and L is not None:
        s = _sentence_lang(d, L, b.family)
        if d.chance(0.3):
            s += f". {d.pick(b.topics)}"  # code-switching: niche words in English
    else:
        s = _sentence_en(d, b)
        if d.chance(0.25):
            s += " " + _sentence_en(d, b)
    if related is not None and d.chance(0.8):
        rb = bank(related)
        s += f" {d.pick(ALSO)} {d.pick(rb.topics + rb.activities)}"
    if sensitive is not None:
        s += f" {d.pick(('+', 'and', 'with', 'also', 'then'))} {d.pick(SENSITIVE[sensitive])}"
    if d.chance(0.08):
        s = with_typo(d, s)
    s = vary_case(d, s)
    if d.chance(0.35):
        s += " " + (d.pick(L["cta"]) if foreign and L is not None else d.pick(CTAS))
    if mentions and d.chance(0.12):
        m = d.pick(mentions)
        s += " " + d.pick((f"📸 @{m}", f"with @{m}", f"thanks @{m}", f"@{m} 💕", f"ft. @{m}"))
    if sponsor is not None:
        code = sponsor[:5].upper() + str(d.pick((10, 15, 20, 25)))
        if foreign and L is not None and d.chance(0.7):
            tag = d.pick(L["sponsor"])
            s += (
                f" {tag} @{sponsor} #ad"
                if tag.startswith("#")
                else f" {tag} @{sponsor} {L['sponsor'][0]}"
            )
        else:
            s += " " + d.pick(SPONSOR_EN).format(b=sponsor, code=code, pct=d.pick((10, 15, 20)))
    if d.chance(0.72):
        extra = SENSITIVE_TAGS[sensitive] if sensitive is not None and d.chance(0.5) else ()
        n = d.pick((1, 2, 3, 3, 4, 5, 6, 8)) if b is not None else d.randint(1, 4)
        s += " " + hashtags(d, b, platform, n, extra)
    return s
