"""Generic phrase banks and the text writer of the market simulator.

Writes bios, captions, briefs, handles and brand names from the niche banks
(``phrases_niches``) and the small foreign-language banks (``phrases_lang``). Randomness comes
from ``Dice``: blocks of uniforms drawn from a numpy Generator and handed out one at a time,
which keeps plain-Python text assembly fast and fully seeded.

Realism devices: varied sentence structures and lengths, niche and generic hashtags,
emojis, @mentions, lower/upper-case variation, occasional typos, off-topic and noise posts,
sponsorship disclosures, related-niche borrowing (a runner sometimes posts about cycling),
and sensitive content (alcohol, gambling, crypto, vaping) for brand exclusions to bite on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from matcher.simulator.phrases.lang import LANG
from matcher.simulator.phrases.niches import EXTRA, NICHES, NicheSpec

T = TypeVar("T")


# --------------------------------------------------------------------------- randomness
class Dice:
    """Seeded uniforms for plain-Python text assembly: one numpy call per block instead of one
    per choice (a scalar Generator call costs microseconds; a list index costs nanoseconds)."""

    __slots__ = ("_rng", "_buf", "_i", "_n")

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._n = block
        self._buf: list[float] = rng.random(block).tolist()
        self._i = 0

    def u(self) -> float:
        i = self._i
        if i >= self._n:
            self._buf = self._rng.random(self._n).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.u() * len(seq))]

    def chance(self, p: float) -> bool:
        return self.u() < p

    def randint(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi)."""
        return lo + int(self.u() * (hi - lo))

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """Up to ``k`` distinct items (order random)."""
        pool = list(seq)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(int(self.u() * len(pool))))
        return out


# --------------------------------------------------------------------------- banks
def _split(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(";") if x.strip())


@dataclass(frozen=True)
class Bank:
    name: str
    family: str
    emojis: tuple[str, ...]
    topics: tuple[str, ...]
    products: tuple[str, ...]
    activities: tuple[str, ...]
    feelings: tuple[str, ...]
    tags: tuple[str, ...]
    bio: tuple[str, ...]
    audience: tuple[str, ...]
    brand_kinds: tuple[str, ...]
    brief_products: tuple[str, ...]


_FIELDS = ("emojis", "topics", "products", "activities", "feelings", "tags", "bio", "audience",
           "brand_kinds", "brief_products")


@functools.cache
def niche_specs() -> dict[str, NicheSpec]:
    return {n.name: n for n in NICHES}


@functools.cache
def bank(niche: str) -> Bank:
    """The phrase bank of one niche (spec fields plus ``EXTRA``), as tuples."""
    spec = niche_specs()[niche]
    extra = EXTRA.get(niche, {})
    kw = {f: _split(getattr(spec, f)) + _split(extra.get(f, "")) for f in _FIELDS}
    return Bank(name=niche, family=spec.family, **kw)


@functools.cache
def lang_bank(lang: str) -> dict[str, tuple[str, ...]]:
    return {k: _split(v) for k, v in LANG[lang].items()}


# generic English fragments
OPENERS = _split(
    "okay so; ok but; honestly; not gonna lie; update:; quick one:; PSA:; can we talk about; finally; "
    "so; today's plan:; reminder:; story time:; real talk:; new post!; hi friends!; happy monday!; "
    "happy friday; guess what; current situation:; little update:; weekend recap:; fun fact:; "
    "hot take:; confession:; a thread:; no because; lowkey; y'all; friendly reminder:")
TIME = _split(
    "this morning; today; last weekend; yesterday; this week; on sunday; tonight; after work; "
    "before breakfast; all weekend; earlier; last night; over the holidays; this month; at 6am; "
    "on my lunch break; after a long week; this afternoon")
CTAS = _split(
    "link in bio; save this for later; what would you add?; let me know in the comments; "
    "tag a friend who needs this; which one is your fave?; share with someone who needs it; "
    "full video on my page; more in my stories; follow for more; drop a 🙌 if you agree; thoughts?; "
    "would you try this?; comment YES and I'll send you the link; part 2?; save + share 💌; "
    "details in my highlights; questions below 👇; who else?; see you in the next one")
VERDICTS = _split(
    "10/10; would buy again; not worth the hype tbh; honestly impressed; mixed feelings; 5 stars; "
    "a solid 8/10; game changer; better than expected; obsessed; returning it; worth every penny")
ALSO = _split("also; plus; oh and; side note:; bonus:; and then; later:")
LISTY = _split("things I learned about; tips for; mistakes to avoid with; rules I follow for; favourites for")
GENERIC_EMOJIS = _split("✨;❤️;😍;🙌;😂;🥰;🔥;💯;😅;🤍;👀;🥲;☀️;🌈;🫶;😊;💫;🙏;😎;🤩")
GENERIC_TAGS = _split(
    "instagood;photooftheday;explore;love;instadaily;happy;weekendvibes;lifestyle;tbt;trending;"
    "aesthetic;dailyvlog;motivation;goodvibes;selfcare;mondaymotivation;photography")
PLATFORM_TAGS = {
    "instagram": _split("instagood;reels;explorepage;igdaily;reelsinstagram;instamood;reelitfeelit"),
    "tiktok": _split("fyp;foryou;foryoupage;tiktokmademebuyit;viral;fypシ;trend;learnontiktok"),
    "youtube": _split("shorts;youtube;newvideo;subscribe;youtuber;vlog;ytshorts"),
}
OFF_TOPIC = _split(
    "sunday reset; birthday dinner with my favourite people; can't believe it's friday already; "
    "monday mood; rainy day = movie day; throwback to summer; new haircut who dis; "
    "coffee first, everything else later; weekend dump; family time is the best time; date night; "
    "cleaned the whole flat and I feel reborn; moving day!!; so grateful for all of you; "
    "that friday feeling; sick day on the sofa; life lately; photo dump; "
    "road trip playlist suggestions?; my best friend got married!!; "
    "power cut, candles and board games; got my nails done; new year new me (again); "
    "concert last night was unreal; snow day; beach day with the fam; "
    "grocery run turned into an adventure; learning to say no; soft life era; "
    "30 before 30 list update; jet lagged and confused; dentist appointment survived; "
    "the sunset tonight though; cosy night in; movie recs please; my mum's lasagne hits different; "
    "trying to drink more water; brunch with the girls; long walk, big thoughts; "
    "celebrating a small win today; what a week; car broke down lol; new phone who dis; "
    "happy birthday to my favourite human; first coffee outside this year; "
    "anyone watching the game tonight?; finally booked the dentist; the group chat is wild today; "
    "back to reality; missing home a bit; trying to be more present; spring cleaning mode; "
    "my plants are thriving and so am I; late night thoughts; little things that made me smile")
NOISE = _split(
    "✨; 🫶; ...; mood; link in bio; new post; 💫💫; dump; lol; guess where; update soon; 📸; hi; ❤️; "
    "ok; same; vibes; brb; 🙃; 👀👀; this.; current mood; hmm; 🤍🤍🤍; no caption needed")
SPONSOR_EN = _split(
    "#ad; #sponsored; #ad | @{b}; Paid partnership with @{b}; in partnership with @{b} #ad; "
    "thanks @{b} for sending this! #gifted #ad; #{b}partner; use code {code} for {pct}% off @{b} #ad; "
    "#ambassador @{b} #ad; proud to partner with @{b} #sponsored; @{b} #sponsored; "
    "this post is sponsored by @{b}; #partner @{b}")
SENSITIVE: dict[str, tuple[str, ...]] = {
    "alcohol": _split("natural wine; aperol spritz; craft beer; wine tasting; cocktail hour; espresso martini; "
                      "negroni; brewery tour; rosé all day; margarita night; gin and tonic; boozy brunch"),
    "gambling": _split("poker night; sports betting; casino night; blackjack; my betting tips; slots; "
                       "bet of the week"),
    "crypto": _split("bitcoin; crypto portfolio; nft drop; altcoins; ethereum; crypto gains"),
    "vape": _split("vape; new vape flavour; vaping; vape haul"),
}
SENSITIVE_TAGS: dict[str, tuple[str, ...]] = {
    "alcohol": _split("wine;cocktails;beer;winetime;drinks;alcohol"),
    "gambling": _split("poker;betting;casino;gambling"),
    "crypto": _split("crypto;bitcoin;nft;web3"),
    "vape": _split("vape;vapelife;vapefam"),
}

GENERIC_BIO = _split(
    "coffee addict; she/her; he/him; they/them; dog mom; cat dad; mom of 2; dad of 3; "
    "living my best life; just vibing; chasing sunsets; sharing the everyday; "
    "plant lover; part-time dreamer; full-time overthinker; making memories; "
    "always on the go; good vibes only; lover of little things; 90s kid; "
    "wife & mama; engineer by day; nurse; teacher; student")
BIO_CTA = _split(
    "📩 collabs: {email}; DM for collabs; business: {email}; 👇 latest video; links below; "
    "new video every tuesday; ✉️ {email}; PR & collabs via email; shop my looks ↓; "
    "my presets ↓; join the newsletter ↓; booking: {email}")
BIO_FAKE = _split(
    "follow for follow; f4f; DM for promo; giveaway every week 🎁; promote your page ➡️ DM; "
    "follow back 100%; shoutouts 💰 DM; gain with me ✅; like4like")
GENERALIST_BIO = _split(
    "lifestyle blogger; a bit of everything; life, style & coffee; lifestyle & everyday joys; "
    "sharing what I love; fashion • food • travel; daily life & favourite things; "
    "lifestyle creator; style, travel & home; everything I'm loving lately")
FIRST_NAMES = _split(
    "emma;olivia;ava;mia;sophia;isabella;lena;anna;julia;sara;laura;chloe;zoe;lily;grace;hannah;emily;"
    "maya;nina;eva;clara;alice;lucy;ella;amelia;sofia;valentina;camila;lucia;martina;ines;beatriz;"
    "marie;lea;lina;hanna;jana;priya;ananya;aisha;fatima;yuki;mei;jia;nora;ruby;jade;noah;liam;"
    "lucas;leo;max;ben;sam;jack;tom;james;ethan;daniel;mateo;diego;pablo;joao;pedro;felix;jonas;"
    "paul;louis;hugo;arjun;rohan;kenji;omar;ali;kofi;tariq;ryan;alex;jordan;taylor;casey;jamie;"
    "robin;kim;sasha;nico;andre;marco;luca;elena;rosa;carmen;kate;jess;becca;mel;steph;dani")
SURNAMES = _split(
    "smith;jones;brown;miller;garcia;martinez;lopez;silva;santos;costa;muller;schmidt;weber;martin;"
    "bernard;dubois;rossi;ferrari;kowalski;nowak;patel;sharma;singh;khan;kim;lee;park;tanaka;sato;"
    "nguyen;tran;wilson;taylor;anderson;thomas;moore;white;harris;clark;lewis;walker;hall;young;"
    "king;wright;scott;green;baker;adams;nelson;hill;campbell;mitchell;roberts;carter;phillips")
HANDLE_WORDS = {
    "fashion": _split("style;looks;wears;closet;chic;fits;wardrobe;dressed;threads"),
    "beauty": _split("glow;beauty;skin;glam;makeup;blush"),
    "travel": _split("travels;wanders;abroad;goes;journeys;roams;passport"),
    "outdoors": _split("outdoors;trails;hikes;wild;peaks;summits;explores"),
    "food": _split("eats;cooks;kitchen;bakes;plates;foodie;table;spoon"),
    "fitness": _split("fit;lifts;runs;moves;strong;active;sweat;rides"),
    "family": _split("mama;family;mum;dad;littles;nest;household"),
    "home": _split("home;nest;living;house;makes;green;grows"),
    "tech": _split("tech;plays;games;codes;money;setup;bytes"),
    "pets": _split("paws;pup;dogs;cats;pets;woof"),
    "culture": _split("reads;books;pages;chapters;bookish"),
}
HANDLE_ADJ = _split("little;simply;just;hey;its;the;real;daily;hello;oh;not;sunny;cozy;wild;urban")
BRAND_PREFIX = _split(
    "Lumen;Terra;Nova;Kind;Bloom;North;Sole;Willow;Atlas;Juniper;Maple;Oro;Vela;Kilo;Mira;Pebble;Roam;"
    "Saltwater;Honey;Cedar;Echo;Forge;Haven;Ivy;Koa;Loop;Moss;Nest;Opal;Pine;Quill;Rue;Sage;Tide;"
    "Umber;Vale;Wren;Zest;Birch;Coral;Dune;Ember;Fern;Grove;Hearth;Indigo;Jade;Kestrel;Lark;Marlow;"
    "Oak;Pico;Rhea;Sol;Thistle;Aura;Brio;Calla;Dapple;Elm;Fable;Gale;Halo;Iris;Juno;Kite;Luma;Merit")
BRAND_SUFFIX = {
    "fashion": _split("Studio;Atelier;Label;Wear;& Co;Threads;Collective;Supply"),
    "beauty": _split("Skin;Beauty;Labs;Botanics;Cosmetics;Glow"),
    "food": _split("Kitchen;Foods;Pantry;Bakehouse;Roasters;Eats;Oats;Provisions"),
    "travel": _split("Travel;Hotels;Luggage;Journeys;Stays;Air"),
    "outdoors": _split("Outdoor;Gear;Trails;Expeditions;Mountain Co"),
    "fitness": _split("Athletics;Active;Fit;Nutrition;Sport;Run Co;Cycles"),
    "family": _split("Kids;Baby;Little Ones;Family;Play"),
    "home": _split("Home;Living;Interiors;Garden;Goods;Refill"),
    "tech": _split("Tech;Labs;Audio;Systems;Devices"),
    "pets": _split("Pets;Paws;Pet Co"),
    "culture": _split("Books;Press;Reads"),
}
BRAND_SUFFIX_NICHE = {
    "gaming": _split("Games;Play;Studios;Gear"), "personal_finance": _split("Money;Finance;Capital;Pay"),
    "menswear": _split("Tailoring;Supply;Men;Grooming"), "jewelry": _split("Jewels;Gold;Jewelry"),
    "sustainability": _split("Refill;Earth;Eco;Goods"), "gardening": _split("Garden;Seeds;Plants"),
    "running": _split("Run Co;Running;Athletics"), "cycling": _split("Cycles;Bikes;Velo"),
    "yoga": _split("Yoga;Wellness;Studio"), "vegan": _split("Plant Foods;Oats;Greens"),
    "baking": _split("Bakehouse;Flour Co;Mills"), "baby": _split("Baby;Little Ones"),
}
CITIES: dict[str, tuple[str, ...]] = {
    "US": _split("NYC;LA;Austin;Chicago;Miami;Seattle;Denver;Nashville;Portland;Atlanta;San Diego;Boston"),
    "GB": _split("London;Manchester;Bristol;Leeds;Edinburgh;Brighton;Glasgow"),
    "CA": _split("Toronto;Vancouver;Montreal;Calgary"), "AU": _split("Sydney;Melbourne;Brisbane;Perth"),
    "IE": _split("Dublin;Cork"), "NZ": _split("Auckland;Wellington"),
    "DE": _split("Berlin;München;Hamburg;Köln;Leipzig"), "AT": _split("Wien;Graz"), "CH": _split("Zürich;Basel"),
    "FR": _split("Paris;Lyon;Marseille;Bordeaux;Nantes"), "BE": _split("Bruxelles;Antwerpen"),
    "NL": _split("Amsterdam;Rotterdam;Utrecht"), "ES": _split("Madrid;Barcelona;Valencia;Sevilla;Bilbao"),
    "IT": _split("Milano;Roma;Napoli;Torino"), "PT": _split("Lisboa;Porto"), "SE": _split("Stockholm;Göteborg"),
    "NO": _split("Oslo;Bergen"), "DK": _split("København;Aarhus"), "PL": _split("Warszawa;Kraków"),
    "BR": _split("São Paulo;Rio;Belo Horizonte;Curitiba"), "MX": _split("CDMX;Guadalajara;Monterrey"),
    "AR": _split("Buenos Aires;Córdoba"), "CO": _split("Bogotá;Medellín"), "CL": _split("Santiago"),
    "IN": _split("Mumbai;Delhi;Bangalore;Pune"), "ID": _split("Jakarta;Bali"), "PH": _split("Manila;Cebu"),
    "SG": _split("Singapore"), "ZA": _split("Cape Town;Johannesburg"), "NG": _split("Lagos;Abuja"),
    "AE": _split("Dubai;Abu Dhabi"), "TR": _split("Istanbul;Izmir"), "JP": _split("Tokyo;Osaka"),
    "KR": _split("Seoul;Busan"), "MY": _split("Kuala Lumpur"), "FI": _split("Helsinki"),
}
COUNTRY_NAMES = {
    "US": "the US", "GB": "the UK", "CA": "Canada", "AU": "Australia", "IE": "Ireland", "NZ": "New Zealand",
    "DE": "Germany", "AT": "Austria", "CH": "Switzerland", "FR": "France", "BE": "Belgium",
    "NL": "the Netherlands", "ES": "Spain", "IT": "Italy", "PT": "Portugal", "SE": "Sweden", "NO": "Norway",
    "DK": "Denmark", "FI": "Finland", "PL": "Poland", "BR": "Brazil", "MX": "Mexico", "AR": "Argentina",
    "CO": "Colombia", "CL": "Chile", "IN": "India", "ID": "Indonesia", "PH": "the Philippines",
    "SG": "Singapore", "MY": "Malaysia", "ZA": "South Africa", "NG": "Nigeria", "AE": "the UAE",
    "TR": "Turkey", "JP": "Japan", "KR": "South Korea",
}

# brief fragments
GOALS: tuple[str, ...] = ("awareness", "launch", "conversions", "ugc")
GOAL_PHRASES = {
    "awareness": _split("raising awareness of; getting the word out about; building buzz around; "
                        "introducing more people to; growing awareness for; putting a spotlight on"),
    "launch": _split("launching; about to launch; dropping; releasing; introducing; rolling out"),
    "conversions": _split("driving sales of; driving sign-ups for; boosting online orders of; "
                          "getting more people to try; growing conversions for"),
    "ugc": _split("collecting authentic UGC for; looking for user-generated content about; "
                  "building a library of creator content for; sourcing honest creator videos of"),
}
GOAL_LABEL = {
    "awareness": _split("Brand awareness; Awareness; Reach and awareness; Top of funnel awareness"),
    "launch": _split("Product launch; Launch; New product launch; Launch campaign"),
    "conversions": _split("Sales; Conversions; Performance (discount code); Drive sign-ups"),
    "ugc": _split("UGC; UGC for paid social; Content creation; Creator content for ads"),
}
TONES = _split(
    "fun and playful; authentic, no script; premium and polished; educational; "
    "warm and family friendly; bold and energetic; calm and minimal; honest review style; "
    "humorous; aspirational but relatable; cosy and genuine; expert and trustworthy")
DELIVERABLES = {
    "instagram": _split("1 feed post + 3 stories; one Reel and a story set; 2 Reels over a month; "
                        "a carousel post + story with link sticker; 1 Reel, 3 stories with a swipe-up link; "
                        "one Reel with whitelisting rights"),
    "tiktok": _split("one 30-60s TikTok; 2 TikToks using our sound; a TikTok + spark ads code; "
                     "one TikTok video and usage rights for ads; 3 short TikToks over two weeks"),
    "youtube": _split("a 60-90s integration in your next video; a dedicated review video; "
                      "a YouTube Short + a mention in a long-form video; a 2 minute sponsored segment"),
}
COMPENSATION = _split(
    "Paid collaboration + free product.; Fee plus gifted product.; Budget is per creator, product included.; "
    "Flat fee, negotiable for usage rights.; We'll send the product ahead of time.; "
    "Paid, with a bonus for top performers.; Product seeding plus a fixed fee.")
TIMELINES = _split(
    "Content live within 3 weeks.; Posting window: next month.; Campaign runs for 4 weeks.; "
    "Go-live planned for the start of the season.; Flexible timeline.; Drafts due in 10 days.")
CREATOR_ASK = _split(
    "already talk about {t}; love {t}; post about {t} regularly; {a}; share real {t} content; "
    "have a community that cares about {t}; regularly {a}")
AGE_WORDS = {"13-17": "teens", "18-24": "gen z", "25-34": "millennials", "35-44": "people in their late 30s and 40s",
             "45-54": "people 45+", "55+": "people over 55"}
BRIEF_KEYWORD_LINES = {
    "alcohol": "No alcohol in the content please.", "gambling": "No gambling-related creators.",
    "crypto": "Please no crypto promoters.", "vape": "No smoking or vaping content.",
}


# --------------------------------------------------------------------------- small helpers
def _emoji(d: Dice, b: Bank | None) -> str:
    if b is not None and d.chance(0.7):
        return d.pick(b.emojis)
    return d.pick(GENERIC_EMOJIS)


def _emojis(d: Dice, b: Bank | None) -> str:
    n = d.pick((1, 1, 1, 2, 2, 3))
    return "".join(_emoji(d, b) for _ in range(n))


def _typo(d: Dice, s: str) -> str:
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not idx:
        return s
    i = d.pick(idx)
    w = words[i]
    j = d.randint(1, len(w) - 1)
    k = d.randint(0, 3)
    if k == 0:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1:]  # swap
    elif k == 1:
        w = w[:j] + w[j + 1:]  # drop
    else:
        w = w[:j] + w[j] + w[j:]  # double
    words[i] = w
    return " ".join(words)


def _case(d: Dice, s: str, lower_p: float = 0.3) -> str:
    u = d.u()
    if u < lower_p:
        return s.lower()
    if u < lower_p + 0.03:
        words = s.split(" ")
        i = d.randint(0, len(words))
        words[i] = words[i].upper()
        return " ".join(words)
    return s[:1].upper() + s[1:] if s else s


def _hashtags(d: Dice, b: Bank | None, platform: str, n: int, extra: tuple[str, ...] = ()) -> str:
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


# --------------------------------------------------------------------------- captions
def _sentence_en(d: Dice, b: Bank) -> str:
    """One on-topic English caption body in one of many structures."""
    t, p, a, f = d.pick(b.topics), d.pick(b.products), d.pick(b.activities), d.pick(b.feelings)
    e = _emoji(d, b)
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
        return f"{t} {_emojis(d, b)}"
    if k == 5:
        q = d.pick((f"what's your go-to {p}?", f"anyone else obsessed with {t}?",
                    f"how do you feel about {t}?", f"which {p} should I try next?",
                    f"is {p} worth it?", f"any advice on {t}?"))
        return f"{q} {e}"
    if k == 6:
        return (f"{d.pick(TIME).capitalize()} I {a}. The {p} was a game changer, "
                f"and {d.pick(b.topics)} is next on the list. {f} {e}")
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
        return f"my {d.pick(('new', 'favourite', 'current', 'go-to', 'latest'))} {p} {e} {t} edition"
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


def write_caption(d: Dice, niche: str | None, platform: str, lang: str = "en", *,
                  related: str | None = None, sponsor: str | None = None,
                  mentions: Sequence[str] = (), sensitive: str | None = None,
                  noise: bool = False) -> str:
    """One post caption. ``niche=None`` writes an off-topic (daily life) post; ``noise`` a
    near-empty one; ``related`` borrows a fragment from a related niche; ``sponsor`` (a brand
    handle) adds a disclosure; ``sensitive`` mentions alcohol/gambling/crypto/vaping."""
    b = bank(niche) if niche is not None else None
    if noise:
        s = d.pick(NOISE)
        if d.chance(0.3):
            s += " " + _hashtags(d, b, platform, d.randint(1, 3))
        return s
    foreign = lang != "en" and d.chance(0.75)
    L = lang_bank(lang) if lang != "en" else None
    if b is None:
        if foreign and L is not None:
            s = f"{d.pick(L['off'])} {_emojis(d, None)}"
        else:
            s = f"{d.pick(OFF_TOPIC)} {_emojis(d, None)}"
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
        s = _typo(d, s)
    s = _case(d, s)
    if d.chance(0.35):
        s += " " + (d.pick(L["cta"]) if foreign and L is not None else d.pick(CTAS))
    if mentions and d.chance(0.12):
        m = d.pick(mentions)
        s += " " + d.pick((f"📸 @{m}", f"with @{m}", f"thanks @{m}", f"@{m} 💕", f"ft. @{m}"))
    if sponsor is not None:
        code = sponsor[:5].upper() + str(d.pick((10, 15, 20, 25)))
        if foreign and L is not None and d.chance(0.7):
            tag = d.pick(L["sponsor"])
            s += f" {tag} @{sponsor} #ad" if tag.startswith("#") else f" {tag} @{sponsor} {L['sponsor'][0]}"
        else:
            s += " " + d.pick(SPONSOR_EN).format(b=sponsor, code=code, pct=d.pick((10, 15, 20)))
    if d.chance(0.72):
        extra = SENSITIVE_TAGS[sensitive] if sensitive is not None and d.chance(0.5) else ()
        n = d.pick((1, 2, 3, 3, 4, 5, 6, 8)) if b is not None else d.randint(1, 4)
        s += " " + _hashtags(d, b, platform, n, extra)
    return s


# --------------------------------------------------------------------------- bios
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
        parts.insert(d.randint(0, len(parts) + 1), _emojis(d, b0))
    sep = d.pick((" | ", " • ", " ✦ ", " · ", ". ", " / ", "  "))
    return _case(d, sep.join(parts), lower_p=0.35)


# --------------------------------------------------------------------------- names
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


# --------------------------------------------------------------------------- briefs
def _audience_words(d: Dice, b: Bank, ages: Sequence[str], gender: str,
                    countries: Sequence[str]) -> str:
    base = d.pick(b.audience)
    bits: list[str] = []
    if gender in ("female", "male") and d.chance(0.7):
        bits.append("women" if gender == "female" else "men")
    if ages and d.chance(0.7):
        lo, hi = ages[0].split("-")[0].rstrip("+"), ages[-1].split("-")[-1]
        bits.append(d.pick((f"aged {lo}-{hi}" if hi != "55+" else f"aged {lo}+",
                            AGE_WORDS[ages[0]])))
    if countries and d.chance(0.7):
        bits.append("in " + " and ".join(COUNTRY_NAMES.get(c, c) for c in countries[:2]))
    return base + (f" ({', '.join(bits)})" if bits else "")


def write_brief(d: Dice, brand: str, niches: Sequence[str], goal: str, platforms: Sequence[str],
                *, lang: str = "en", ages: Sequence[str] = (), gender: str = "any",
                countries: Sequence[str] = (), excluded: Sequence[str] = ()) -> str:
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
        return tmpl.format(brand=brand, kind=kind, topic=topic, goal=d.pick(L["goal"]),
                           product=product, deliv=deliv)
    ask = d.pick(CREATOR_ASK).format(t=t1 if d.chance(0.6) else t2, a=d.pick(b.activities + b2.activities))
    aud = _audience_words(d, b if d.chance(0.6) else b2, ages, gender, countries)
    tone = d.pick(TONES)
    gphrase = d.pick(GOAL_PHRASES[goal])
    where = f" based in {COUNTRY_NAMES.get(countries[0], countries[0])}" if countries and d.chance(0.3) else ""
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
        s = (f"{brand} is a {kind}{where}. We're {gphrase} {product} and are looking for creators who "
             f"{ask}. Our audience: {aud}. Tone: {tone}. Deliverables: {deliv}.{tail}")
    elif k == 1:
        lines = [f"Brand: {brand} ({kind})", f"Product: {product}", f"Goal: {d.pick(GOAL_LABEL[goal])}",
                 f"Target audience: {aud}", f"Creators: people who {ask}", f"Tone: {tone}",
                 f"Deliverables: {deliv}"] + extras
        s = "\n".join(lines)
    elif k == 2:
        s = (f"Hey creators! 👋 {brand} here. We're {gphrase} {product} and we'd love to team up with "
             f"creators who {ask}. Think {tone}. {deliv[:1].upper() + deliv[1:]}.{tail}")
    elif k == 3:
        s = f"Looking for {plat} creators into {t1} to help with {gphrase} {product}.{tail}"
    elif k == 4:
        s = (f"Campaign objective: {d.pick(GOAL_LABEL[goal]).lower()}. {brand}, a {kind}, seeks "
             f"micro-influencers whose content covers {t1} and {t2}. Product: {product}. "
             f"Target audience: {aud}. Requirements: {deliv}; tone {tone}.{tail}")
    elif k == 5:
        s = (f"We need creator content for {product}: {d.randint(2, 6)} short videos showing how you "
             f"use it day to day. Creators who {ask} preferred. Audience: {aud}. "
             f"Raw files + usage rights for {d.pick((3, 6, 12))} months.{tail}")
    else:
        s = (f"At {brand} we're all about {t1}. This season we're {gphrase} {product} "
             f"with creators who {ask} - {tone}. "
             f"Looking for {deliv} per creator, audience {aud}.{tail}")
    if d.chance(0.04):
        s = _typo(d, s)
    return s
