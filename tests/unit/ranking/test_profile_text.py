"""Real creator profiles -> encoder input: escapes, emoji, handles, promo, language."""

import subprocess
import sys

import pytest

from matcher.ranking.profile_text import (
    ProfileText,
    decode_escapes,
    detect_language,
    emoji_to_words,
    profile_text,
    split_handle,
    split_hashtag,
    split_promo,
)


# --- escapes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (r"Fitness \u002F food", "Fitness / food"),
        (r"line one\nline two\ttab", "line one\nline two\ttab"),
        (r"links \/ more", "links / more"),
        (r"gym \ud83d\udcaa", "gym 💪"),  # a JSON-escaped emoji (surrogate pair)
        (r"gym \uD83D\uDCAA", "gym 💪"),
        (r"caf\u00e9 and café", "café and café"),  # real non-ASCII survives
        (r"\U0001F3AE games", "🎮 games"),
        (r"a \\n stays", "a \\n stays"),  # an escaped backslash is one backslash
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("plain text", "plain text"),
    ],
)
def test_decode_escapes(raw, decoded):
    assert decode_escapes(raw) == decoded


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (r"bad \u12 escape", r"bad \u12 escape"),  # malformed: left as written
        (r"lone \ud83d surrogate", "lone  surrogate"),  # no character: dropped
        ("trailing backslash \\", "trailing backslash \\"),
        (None, ""),
        (float("nan"), ""),
        (42, "42"),
    ],
)
def test_decode_escapes_never_raises(raw, decoded):
    assert decode_escapes(raw) == decoded


# --- emoji -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("💪", "flexed biceps"),
        ("🎮", "video game"),
        ("🇪🇸", "Spain"),  # flags -> country names
        ("🇧🇷 🇺🇸", "Brazil United States"),
        ("👩🏽‍🍳", "woman cook"),  # skin tone dropped
        ("🐶", "dog"),  # an animal face is the animal
        ("✨❤️😂🙏💯👇🔥", ""),  # decorative: dropped
        ("Gym 💪 and games 🎮 ✨", "Gym flexed biceps and games video game"),
        ("no emoji here", "no emoji here"),
    ],
)
def test_emoji_to_words(text, words):
    assert emoji_to_words(text) == words


# --- handles and hashtags --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("handle", "niche"),
    [
        ("tradezilla39", "trade"),
        ("jaxon.techhh", "tech"),
        ("danicryptooo7.7", "crypto"),
    ],
)
def test_split_handle_finds_the_niche(handle, niche):
    assert niche in split_handle(handle)


@pytest.mark.parametrize(
    ("handle", "words"),
    [
        ("fitwithmaria_", ["fit", "with", "maria"]),
        ("jaxon.techhh", ["jaxon", "tech"]),
        ("danicryptooo7.7", ["dani", "crypto"]),
        ("@TheVeganKitchen", ["the", "vegan", "kitchen"]),
        ("coffeeelover", ["coffee", "lover"]),  # a stretched run read as the real word
        ("recetasfáciles", ["recetas", "faciles"]),  # accents dropped before segmenting
        ("__123__", []),
    ],
)
def test_split_handle(handle, words):
    assert split_handle(handle) == words


def test_split_hashtag():
    assert split_hashtag("#FitTokMotivation") == ["fit", "tok", "motivation"]
    assert split_hashtag("#plantbasedrecipes") == ["plant", "based", "recipes"]


# --- promo -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bio", "content", "promo"),
    [
        (
            "Fitness coach 💪 | DM for collabs | Code TikTok20",
            "Fitness coach 💪",
            "DM for collabs\nCode TikTok20",
        ),
        ("Vegan recipes 🌱 Shop now ⬇️", "Vegan recipes 🌱", "Shop now ⬇️"),
        (
            "Tech reviews 💻 Use code TECH10 for 10% off",
            "Tech reviews 💻",
            "Use code TECH10 for 10% off",
        ),
        ("Crypto 📈 NFA. Collab: dani@x.com", "Crypto 📈 NFA", "Collab: dani@x.com"),
        # Spanish
        (
            "Recetas fáciles 🥗\nColaboraciones: ana@gmail.com",
            "Recetas fáciles 🥗",
            "Colaboraciones: ana@gmail.com",
        ),
        ("Mamá de 2 | 📩 Contacto: hola@cocina.mx", "Mamá de 2", "📩 Contacto: hola@cocina.mx"),
        # Portuguese
        ("Receitas fáceis 🍝 Link na minha bio ⬇️", "Receitas fáceis 🍝", "Link na minha bio ⬇️"),
        (
            "Dicas de maquiagem 💄 Parcerias: contato@bia.com.br",
            "Dicas de maquiagem 💄",
            "Parcerias: contato@bia.com.br",
        ),
        # French
        ("Astuces beauté ✨ Lien en bio 👇", "Astuces beauté ✨", "Lien en bio 👇"),
        (
            "Recettes du quotidien | Collaborations 📧 pro@x.fr",
            "Recettes du quotidien",
            "Collaborations 📧 pro@x.fr",
        ),
    ],
)
def test_split_promo(bio, content, promo):
    assert split_promo(bio) == (content, promo)


@pytest.mark.parametrize(
    "bio",
    [
        "📩 business@x.com",
        "✨ DM for collabs ✨",
        "linktr.ee/mariafit",
        "IG: @maria | YT: Maria Fit",
    ],
)
def test_a_promo_only_bio_has_no_content(bio):
    content, promo = split_promo(bio)
    assert content == ""
    assert promo


@pytest.mark.parametrize(
    "bio",
    [
        "I teach code 💻 to beginners",  # "code" without a code-shaped token
        "Small business owner 🧁 baking every day",
        "Time management tips for students 📚",
        "Lost 20% body fat in 3 months",
    ],
)
def test_topic_words_that_look_like_promo_stay_content(bio):
    assert split_promo(bio) == (bio, "")


def test_split_promo_drops_pure_decoration_and_empty_text():
    assert split_promo("✨✨ | 💕") == ("", "")
    assert split_promo("") == ("", "")


# --- language --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Recetas fáciles para toda la familia", "es"),
        ("Viajando por el mundo con poco dinero", "es"),
        ("Receitas práticas para o dia a dia", "pt"),
        ("Dicas de treino e alimentação saudável", "pt"),
        ("Daily workouts and healthy recipes", "en"),
        ("Recettes faciles et rapides pour tous", "fr"),
        ("وصفات سهلة وسريعة لكل يوم", "ar"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ok lol",  # too short
        "Ik hou van koken en reizen",  # Dutch: outside the set, so unsure
    ],
)
def test_detect_language_abstains(text):
    assert detect_language(text) is None


# --- the whole profile -----------------------------------------------------------------------
def test_profile_text_pipeline():
    p = profile_text(
        r"Crypto \u0026 trading tips 📈\nDM for collabs 📩 dani@x.com", "danicryptooo7.7"
    )
    assert p == ProfileText(
        decoded="Crypto & trading tips 📈\nDM for collabs 📩 dani@x.com",
        content="Crypto & trading tips 📈",
        promo="DM for collabs 📩 dani@x.com",
        content_words="Crypto & trading tips chart increasing",
        handle_words=("dani", "crypto"),
        language="en",
    )
    assert p.encoder_text == "dani crypto. Crypto & trading tips chart increasing"


def test_profile_text_spanish_bio_language_ignores_english_promo():
    p = profile_text("Recetas fáciles para toda la familia 🥗 | DM for collabs", "cocina.con.ana")
    assert p.language == "es"
    assert p.encoder_text == "cocina con ana. Recetas fáciles para toda la familia green salad"


def test_profile_text_empty_bio():
    p = profile_text("", "fitwithmaria_")
    assert (p.decoded, p.content, p.promo, p.content_words, p.language) == ("", "", "", "", None)
    assert p.encoder_text == "fit with maria"
    assert profile_text(None, None).encoder_text == ""


def test_profile_text_promo_only_bio_leaves_promo_out_of_the_encoder():
    p = profile_text("📩 business@x.com | Code TikTok20 | link in bio", "jaxon.techhh")
    assert p.content == ""
    assert p.promo == "📩 business@x.com\nCode TikTok20\nlink in bio"
    assert p.language is None
    assert p.encoder_text == "jaxon tech"


def test_nothing_loads_at_import():
    """The segmenter and the language model load on first use, not when the module is imported."""
    code = (
        "import sys, matcher.ranking.profile_text as p; "
        "assert 'wordsegment' not in sys.modules and 'py3langid' not in sys.modules; "
        "assert p._segmenter.cache_info().currsize == p._identifier.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
