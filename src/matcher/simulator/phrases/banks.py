"""Generic English phrase banks of the market simulator (data), and access to the per-niche
banks (``niches``) and the small foreign-language banks (``lang``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from matcher.simulator.phrases.lang import LANG
from matcher.simulator.phrases.niches import EXTRA, NICHES, NicheSpec


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


_FIELDS = (
    "emojis",
    "topics",
    "products",
    "activities",
    "feelings",
    "tags",
    "bio",
    "audience",
    "brand_kinds",
    "brief_products",
)


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
    "hot take:; confession:; a thread:; no because; lowkey; y'all; friendly reminder:"
)
TIME = _split(
    "this morning; today; last weekend; yesterday; this week; on sunday; tonight; after work; "
    "before breakfast; all weekend; earlier; last night; over the holidays; this month; at 6am; "
    "on my lunch break; after a long week; this afternoon"
)
CTAS = _split(
    "link in bio; save this for later; what would you add?; let me know in the comments; "
    "tag a friend who needs this; which one is your fave?; share with someone who needs it; "
    "full video on my page; more in my stories; follow for more; drop a 🙌 if you agree; thoughts?; "
    "would you try this?; comment YES and I'll send you the link; part 2?; save + share 💌; "
    "details in my highlights; questions below 👇; who else?; see you in the next one"
)
VERDICTS = _split(
    "10/10; would buy again; not worth the hype tbh; honestly impressed; mixed feelings; 5 stars; "
    "a solid 8/10; game changer; better than expected; obsessed; returning it; worth every penny"
)
ALSO = _split("also; plus; oh and; side note:; bonus:; and then; later:")
LISTY = _split(
    "things I learned about; tips for; mistakes to avoid with; rules I follow for; favourites for"
)
GENERIC_EMOJIS = _split("✨;❤️;😍;🙌;😂;🥰;🔥;💯;😅;🤍;👀;🥲;☀️;🌈;🫶;😊;💫;🙏;😎;🤩")
GENERIC_TAGS = _split(
    "instagood;photooftheday;explore;love;instadaily;happy;weekendvibes;lifestyle;tbt;trending;"
    "aesthetic;dailyvlog;motivation;goodvibes;selfcare;mondaymotivation;photography"
)
PLATFORM_TAGS = {
    "instagram": _split(
        "instagood;reels;explorepage;igdaily;reelsinstagram;instamood;reelitfeelit"
    ),
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
    "my plants are thriving and so am I; late night thoughts; little things that made me smile"
)
NOISE = _split(
    "✨; 🫶; ...; mood; link in bio; new post; 💫💫; dump; lol; guess where; update soon; 📸; hi; ❤️; "
    "ok; same; vibes; brb; 🙃; 👀👀; this.; current mood; hmm; 🤍🤍🤍; no caption needed"
)
SPONSOR_EN = _split(
    "#ad; #sponsored; #ad | @{b}; Paid partnership with @{b}; in partnership with @{b} #ad; "
    "thanks @{b} for sending this! #gifted #ad; #{b}partner; use code {code} for {pct}% off @{b} #ad; "
    "#ambassador @{b} #ad; proud to partner with @{b} #sponsored; @{b} #sponsored; "
    "this post is sponsored by @{b}; #partner @{b}"
)
SENSITIVE: dict[str, tuple[str, ...]] = {
    "alcohol": _split(
        "natural wine; aperol spritz; craft beer; wine tasting; cocktail hour; espresso martini; "
        "negroni; brewery tour; rosé all day; margarita night; gin and tonic; boozy brunch"
    ),
    "gambling": _split(
        "poker night; sports betting; casino night; blackjack; my betting tips; slots; "
        "bet of the week"
    ),
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
    "wife & mama; engineer by day; nurse; teacher; student"
)
BIO_CTA = _split(
    "📩 collabs: {email}; DM for collabs; business: {email}; 👇 latest video; links below; "
    "new video every tuesday; ✉️ {email}; PR & collabs via email; shop my looks ↓; "
    "my presets ↓; join the newsletter ↓; booking: {email}"
)
BIO_FAKE = _split(
    "follow for follow; f4f; DM for promo; giveaway every week 🎁; promote your page ➡️ DM; "
    "follow back 100%; shoutouts 💰 DM; gain with me ✅; like4like"
)
GENERALIST_BIO = _split(
    "lifestyle blogger; a bit of everything; life, style & coffee; lifestyle & everyday joys; "
    "sharing what I love; fashion • food • travel; daily life & favourite things; "
    "lifestyle creator; style, travel & home; everything I'm loving lately"
)
FIRST_NAMES = _split(
    "emma;olivia;ava;mia;sophia;isabella;lena;anna;julia;sara;laura;chloe;zoe;lily;grace;hannah;emily;"
    "maya;nina;eva;clara;alice;lucy;ella;amelia;sofia;valentina;camila;lucia;martina;ines;beatriz;"
    "marie;lea;lina;hanna;jana;priya;ananya;aisha;fatima;yuki;mei;jia;nora;ruby;jade;noah;liam;"
    "lucas;leo;max;ben;sam;jack;tom;james;ethan;daniel;mateo;diego;pablo;joao;pedro;felix;jonas;"
    "paul;louis;hugo;arjun;rohan;kenji;omar;ali;kofi;tariq;ryan;alex;jordan;taylor;casey;jamie;"
    "robin;kim;sasha;nico;andre;marco;luca;elena;rosa;carmen;kate;jess;becca;mel;steph;dani"
)
SURNAMES = _split(
    "smith;jones;brown;miller;garcia;martinez;lopez;silva;santos;costa;muller;schmidt;weber;martin;"
    "bernard;dubois;rossi;ferrari;kowalski;nowak;patel;sharma;singh;khan;kim;lee;park;tanaka;sato;"
    "nguyen;tran;wilson;taylor;anderson;thomas;moore;white;harris;clark;lewis;walker;hall;young;"
    "king;wright;scott;green;baker;adams;nelson;hill;campbell;mitchell;roberts;carter;phillips"
)
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
HANDLE_SUFFIX = _split("zilla;hub;daily;vibes;life;club;lab;world;nation;queen;king;hq;tv")
PROMO = _split(
    "📩 {email}; DM for collabs 💌; collabs: {email}; Code {code} for 15% off ⬇️; use code {code} 🛒; "
    "Shop now ⬇️; shop my faves ⬇️; link in bio 👇; 👇 all my links; business inquiries: {email}; "
    "PR: {email}; ✉️ {email}; amazon storefront ⬇️; new merch ⬇️; DM for business; booking: {email}; "
    "👇 latest video; presets ↓"
)
PROMO_LANG = {
    "es": _split(
        "📩 colaboraciones: {email}; contacto: {email}; código {code} ⬇️; link en la bio 👇; "
        "colabs por DM 💌; tienda ⬇️; negocios: {email}"
    ),
    "pt": _split(
        "📩 parcerias: {email}; contato: {email}; cupom {code} ⬇️; link na bio 👇; parcerias via DM; "
        "loja ⬇️"
    ),
    "fr": _split(
        "📩 collab: {email}; contact pro: {email}; code {code} ⬇️; lien en bio 👇; collabs en DM"
    ),
    "de": _split(
        "📩 Kooperationen: {email}; Rabattcode {code} ⬇️; Link in Bio 👇; Anfragen: {email}"
    ),
}
HANDLE_ADJ = _split("little;simply;just;hey;its;the;real;daily;hello;oh;not;sunny;cozy;wild;urban")
BRAND_PREFIX = _split(
    "Lumen;Terra;Nova;Kind;Bloom;North;Sole;Willow;Atlas;Juniper;Maple;Oro;Vela;Kilo;Mira;Pebble;Roam;"
    "Saltwater;Honey;Cedar;Echo;Forge;Haven;Ivy;Koa;Loop;Moss;Nest;Opal;Pine;Quill;Rue;Sage;Tide;"
    "Umber;Vale;Wren;Zest;Birch;Coral;Dune;Ember;Fern;Grove;Hearth;Indigo;Jade;Kestrel;Lark;Marlow;"
    "Oak;Pico;Rhea;Sol;Thistle;Aura;Brio;Calla;Dapple;Elm;Fable;Gale;Halo;Iris;Juno;Kite;Luma;Merit"
)
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
    "gaming": _split("Games;Play;Studios;Gear"),
    "personal_finance": _split("Money;Finance;Capital;Pay"),
    "menswear": _split("Tailoring;Supply;Men;Grooming"),
    "jewelry": _split("Jewels;Gold;Jewelry"),
    "sustainability": _split("Refill;Earth;Eco;Goods"),
    "gardening": _split("Garden;Seeds;Plants"),
    "running": _split("Run Co;Running;Athletics"),
    "cycling": _split("Cycles;Bikes;Velo"),
    "yoga": _split("Yoga;Wellness;Studio"),
    "vegan": _split("Plant Foods;Oats;Greens"),
    "baking": _split("Bakehouse;Flour Co;Mills"),
    "baby": _split("Baby;Little Ones"),
}
CITIES: dict[str, tuple[str, ...]] = {
    "US": _split(
        "NYC;LA;Austin;Chicago;Miami;Seattle;Denver;Nashville;Portland;Atlanta;San Diego;Boston"
    ),
    "GB": _split("London;Manchester;Bristol;Leeds;Edinburgh;Brighton;Glasgow"),
    "CA": _split("Toronto;Vancouver;Montreal;Calgary"),
    "AU": _split("Sydney;Melbourne;Brisbane;Perth"),
    "IE": _split("Dublin;Cork"),
    "NZ": _split("Auckland;Wellington"),
    "DE": _split("Berlin;München;Hamburg;Köln;Leipzig"),
    "AT": _split("Wien;Graz"),
    "CH": _split("Zürich;Basel"),
    "FR": _split("Paris;Lyon;Marseille;Bordeaux;Nantes"),
    "BE": _split("Bruxelles;Antwerpen"),
    "NL": _split("Amsterdam;Rotterdam;Utrecht"),
    "ES": _split("Madrid;Barcelona;Valencia;Sevilla;Bilbao"),
    "IT": _split("Milano;Roma;Napoli;Torino"),
    "PT": _split("Lisboa;Porto"),
    "SE": _split("Stockholm;Göteborg"),
    "NO": _split("Oslo;Bergen"),
    "DK": _split("København;Aarhus"),
    "PL": _split("Warszawa;Kraków"),
    "BR": _split("São Paulo;Rio;Belo Horizonte;Curitiba"),
    "MX": _split("CDMX;Guadalajara;Monterrey"),
    "AR": _split("Buenos Aires;Córdoba"),
    "CO": _split("Bogotá;Medellín"),
    "CL": _split("Santiago"),
    "IN": _split("Mumbai;Delhi;Bangalore;Pune"),
    "ID": _split("Jakarta;Bali"),
    "PH": _split("Manila;Cebu"),
    "SG": _split("Singapore"),
    "ZA": _split("Cape Town;Johannesburg"),
    "NG": _split("Lagos;Abuja"),
    "AE": _split("Dubai;Abu Dhabi"),
    "TR": _split("Istanbul;Izmir"),
    "JP": _split("Tokyo;Osaka"),
    "KR": _split("Seoul;Busan"),
    "MY": _split("Kuala Lumpur"),
    "FI": _split("Helsinki"),
}
COUNTRY_NAMES = {
    "US": "the US",
    "GB": "the UK",
    "CA": "Canada",
    "AU": "Australia",
    "IE": "Ireland",
    "NZ": "New Zealand",
    "DE": "Germany",
    "AT": "Austria",
    "CH": "Switzerland",
    "FR": "France",
    "BE": "Belgium",
    "NL": "the Netherlands",
    "ES": "Spain",
    "IT": "Italy",
    "PT": "Portugal",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "FI": "Finland",
    "PL": "Poland",
    "BR": "Brazil",
    "MX": "Mexico",
    "AR": "Argentina",
    "CO": "Colombia",
    "CL": "Chile",
    "IN": "India",
    "ID": "Indonesia",
    "PH": "the Philippines",
    "SG": "Singapore",
    "MY": "Malaysia",
    "ZA": "South Africa",
    "NG": "Nigeria",
    "AE": "the UAE",
    "TR": "Turkey",
    "JP": "Japan",
    "KR": "South Korea",
}

# brief fragments
GOALS: tuple[str, ...] = ("awareness", "launch", "conversions", "ugc")
GOAL_PHRASES = {
    "awareness": _split(
        "raising awareness of; getting the word out about; building buzz around; "
        "introducing more people to; growing awareness for; putting a spotlight on"
    ),
    "launch": _split("launching; about to launch; dropping; releasing; introducing; rolling out"),
    "conversions": _split(
        "driving sales of; driving sign-ups for; boosting online orders of; "
        "getting more people to try; growing conversions for"
    ),
    "ugc": _split(
        "collecting authentic UGC for; looking for user-generated content about; "
        "building a library of creator content for; sourcing honest creator videos of"
    ),
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
    "humorous; aspirational but relatable; cosy and genuine; expert and trustworthy"
)
DELIVERABLES = {
    "instagram": _split(
        "1 feed post + 3 stories; one Reel and a story set; 2 Reels over a month; "
        "a carousel post + story with link sticker; 1 Reel, 3 stories with a swipe-up link; "
        "one Reel with whitelisting rights"
    ),
    "tiktok": _split(
        "one 30-60s TikTok; 2 TikToks using our sound; a TikTok + spark ads code; "
        "one TikTok video and usage rights for ads; 3 short TikToks over two weeks"
    ),
    "youtube": _split(
        "a 60-90s integration in your next video; a dedicated review video; "
        "a YouTube Short + a mention in a long-form video; a 2 minute sponsored segment"
    ),
}
COMPENSATION = _split(
    "Paid collaboration + free product.; Fee plus gifted product.; Budget is per creator, product included.; "
    "Flat fee, negotiable for usage rights.; We'll send the product ahead of time.; "
    "Paid, with a bonus for top performers.; Product seeding plus a fixed fee."
)
TIMELINES = _split(
    "Content live within 3 weeks.; Posting window: next month.; Campaign runs for 4 weeks.; "
    "Go-live planned for the start of the season.; Flexible timeline.; Drafts due in 10 days."
)
CREATOR_ASK = _split(
    "already talk about {t}; love {t}; post about {t} regularly; {a}; share real {t} content; "
    "have a community that cares about {t}; regularly {a}"
)
AGE_WORDS = {
    "13-17": "teens",
    "18-24": "gen z",
    "25-34": "millennials",
    "35-44": "people in their late 30s and 40s",
    "45-54": "people 45+",
    "55+": "people over 55",
}
BRIEF_KEYWORD_LINES = {
    "alcohol": "No alcohol in the content please.",
    "gambling": "No gambling-related creators.",
    "crypto": "Please no crypto promoters.",
    "vape": "No smoking or vaping content.",
}
