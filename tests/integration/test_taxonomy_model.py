"""IAB topics and brand safety with the real all-MiniLM-L6-v2.

``TUNE`` is the labelled set the BrandSafety defaults (threshold 0.40, margin 0.0) were chosen on;
``HOLDOUT`` was written afterwards and only measured. A post's label is the sensitive category it
belongs to, or None; hard negatives share words or themes with a category without being in it.
"""

from __future__ import annotations

import logging
import time

import pytest

from matcher.config import EncoderConfig
from matcher.iab.taxonomy import SENSITIVE_AD_CATEGORIES, Taxonomy
from matcher.ranking.embeddings import SentenceEncoder
from matcher.ranking.interests import BrandSafety, TopicClassifier

pytestmark = pytest.mark.integration
logger = logging.getLogger(__name__)

CATEGORIES = [
    "Alcohol",
    "Gambling",
    "Tobacco",
    "Cannabis",
    "Weapons and Ammunition",
    "Adult Products and Services",
]
TUNE: list[tuple[str, str | None]] = [
    ("Sunday brunch with bottomless mimosas and a Bloody Mary bar", "Alcohol"),
    ("Touring Bordeaux chateaux and tasting this year's reds", "Alcohol"),
    ("My home-brewed stout finally finished fermenting, cheers!", "Alcohol"),
    ("Shaking up a smoky mezcal margarita for Friday night", "Alcohol"),
    ("Single malt Scotch flight at a distillery on Islay", "Alcohol"),
    ("Hard seltzer taste test: ranking every flavour of the summer", "Alcohol"),
    ("Hit the jackpot on the slots in Vegas last night", "Gambling"),
    ("My parlay picks for Sunday's NFL games, odds inside", "Gambling"),
    ("Poker night: how I turned a short stack into a tournament win", "Gambling"),
    ("Bought ten scratch cards and a ticket for the big lottery draw", "Gambling"),
    ("Live roulette spins on an online casino stream", "Gambling"),
    ("Pairing a Cuban cigar with espresso on the terrace", "Tobacco"),
    ("Trying new vape juice flavours for my pod device", "Tobacco"),
    ("Rolling my own cigarettes with loose-leaf tobacco", "Tobacco"),
    ("Hookah lounge night with mint shisha", "Tobacco"),
    ("Baking THC gummies with infused coconut oil", "Cannabis"),
    ("Visited a dispensary to pick up some indica pre-rolls", "Cannabis"),
    ("CBD oil drops before bed really helped my sleep", "Cannabis"),
    ("Range day: sighting in my new 9mm pistol", "Weapons and Ammunition"),
    ("Reloading rifle ammunition at my workbench", "Weapons and Ammunition"),
    ("Unboxing a tactical folding knife and a concealed-carry holster", "Weapons and Ammunition"),
    ("Honest review of vibrators and adult toys for couples", "Adult Products and Services"),
    ("Subscribe to my uncensored nude photo page, 18+ only", "Adult Products and Services"),
    ("Non-alcoholic kombucha I brew at home with ginger and lemon", None),
    ("Casino-themed birthday cake with fondant poker chips", None),
    ("Mocktail recipes for dry January: virgin mojitos and spritzes", None),
    ("Protein bar review: chocolate peanut flavour with 20g of protein", None),
    ("Roasting coffee beans at home: light versus dark roast", None),
    ("Board game night with Catan and Ticket to Ride", None),
    ("Fantasy football draft tips for the new season", None),
    ("Quit smoking journey: 100 days without a cigarette", None),
    ("Archery practice at the local club this morning", None),
    ("Grape harvest at my grandparents' farm, fresh grape juice for everyone", None),
    ("Root beer float recipe the kids love", None),
    ("Hemp fabric tote bags for sustainable fashion", None),
    ("Water balloon and squirt gun fight in the backyard", None),
    ("Swimsuit try-on haul for summer", None),
    ("Card tricks and sleight of hand tutorials", None),
    ("Smoked brisket on the offset smoker for 14 hours", None),
    ("Sparkling water taste test: which brand is the fizziest", None),
    ("Shooting hoops at the park after work", None),
    ("Index fund investing for beginners, no day trading", None),
]
HOLDOUT: list[tuple[str, str | None]] = [
    ("Brewery tour in Portland: six IPAs straight from the tanks", "Alcohol"),
    ("Champagne toast on our anniversary trip to Reims", "Alcohol"),
    ("Cocktail hour: my negroni with a twist of orange", "Alcohol"),
    ("Blackjack strategy: when to double down at the casino", "Gambling"),
    ("Placed a bet on the Kentucky Derby favourite", "Gambling"),
    ("Smoking a pipe by the fire with cherry tobacco", "Tobacco"),
    ("Best disposable vapes of the year ranked", "Tobacco"),
    ("Growing cannabis plants indoors under LED lights", "Cannabis"),
    ("Hunting rifle scope review before deer season", "Weapons and Ammunition"),
    ("Strip club bachelor party recap", "Adult Products and Services"),
    ("My go-to snack: a kombucha-free vegan protein bar with peanut butter", None),
    ("Alcohol-free gin alternatives taste test", None),
    ("Chess tournament recap: my best game this year", None),
    ("Smoothie bowl with blueberries and granola", None),
    ("Laser tag birthday party for my son", None),
    ("Tea ceremony in Kyoto with matcha", None),
    ("Campfire s'mores and ghost stories", None),
    ("Nail art tutorial with glitter tips", None),
    ("Trivia night at the library, prizes for the winning team", None),
    ("Brewing pour-over coffee with a gooseneck kettle", None),
]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> SentenceEncoder:
    cache = tmp_path_factory.mktemp("emb")  # empty: the timings below embed for real
    enc = SentenceEncoder(EncoderConfig(cache_dir=str(cache), show_progress=False))
    enc.warm_up()
    return enc


@pytest.fixture(scope="module")
def content(encoder) -> TopicClassifier:
    return TopicClassifier(Taxonomy.load("content"), encoder).fit()


@pytest.fixture(scope="module")
def safety(encoder) -> BrandSafety:
    return BrandSafety(TopicClassifier(Taxonomy.load("ad_product"), encoder).fit())


def _names(classifier: TopicClassifier, text: str, top_k: int = 3) -> list[str]:
    return [t.name for t in classifier.classify(classifier.encoder.encode([text]), top_k)[0]]


def test_bitcoin_trading_bio_lands_in_cryptocurrency(content, safety):
    bio = (
        "Full-time Bitcoin trader: I post my entries, chart analysis and the altcoins I am watching"
    )
    assert any("Cryptocurrency" in n for n in _names(safety.classifier, bio))
    # the content taxonomy 3.1 has no crypto topic: the bio stays in finance
    got = content.classify(content.encoder.encode([bio]), top_k=3)[0]
    assert {content.taxonomy[t.topic_id].path[0] for t in got} <= {
        "Business and Finance",
        "Personal Finance",
    }


def test_vegan_recipe_bio_lands_in_a_food_topic(content):
    bio = "Vegan recipes from my kitchen: plant-based comfort food without meat or dairy"
    got = content.classify(content.encoder.encode([bio]), top_k=3)[0]
    assert content.taxonomy[got[0].topic_id].path[0] == "Food & Drink"
    assert "Vegan Diets" in [t.name for t in got]


def test_brewery_tour_is_caught_by_alcohol_without_the_word(safety):
    post = "Brewery tour in Portland: six IPAs straight from the tanks"
    hit = safety.sensitive_hits(safety.classifier.encoder.encode([post]), ["Alcohol"])[0]
    assert hit is not None and hit.category == "Alcohol" and hit.topic == "Beer"


def test_kombucha_free_protein_bar_is_not_caught(safety):
    post = "My go-to snack: a kombucha-free vegan protein bar with peanut butter"
    v = safety.classifier.encoder.encode([post])
    assert safety.sensitive_hits(v, ["Alcohol"]) == [None]
    assert safety.sensitive_hits(v, list(SENSITIVE_AD_CATEGORIES)) == [None]


def _precision_recall(
    safety: BrandSafety, posts: list[tuple[str, str | None]]
) -> tuple[float, float]:
    """A hit counts when it names the post's category; a wrong category is a false positive and
    a miss at once."""
    hits = safety.sensitive_hits(
        safety.classifier.encoder.encode([p for p, _ in posts]), CATEGORIES
    )
    tp = sum(
        h is not None and h.category == label for h, (_, label) in zip(hits, posts, strict=True)
    )
    flagged = sum(h is not None for h in hits)
    positives = sum(label is not None for _, label in posts)
    return tp / max(flagged, 1), tp / positives


def test_brand_safety_precision_and_recall_on_the_labelled_posts(safety):
    p_tune, r_tune = _precision_recall(safety, TUNE)
    p_hold, r_hold = _precision_recall(safety, HOLDOUT)
    logger.warning(
        "brand safety: tune P=%.3f R=%.3f; holdout P=%.3f R=%.3f", p_tune, r_tune, p_hold, r_hold
    )
    assert p_tune >= 0.85 and r_tune >= 0.8  # measured: 0.864 / 0.826
    assert p_hold >= 0.8 and r_hold >= 0.6  # measured: 0.875 / 0.700


def test_timings(tmp_path):
    """Embedding the labels once and classifying are cheap next to the model load."""
    enc = SentenceEncoder(EncoderConfig(cache_dir=str(tmp_path), show_progress=False))
    enc.warm_up()
    start = time.perf_counter()
    clf = TopicClassifier(Taxonomy.load("content"), enc).fit()
    embed_s = time.perf_counter() - start
    vectors = enc.encode(
        [f"post number {i} about {w}" for i, w in enumerate(["food", "travel"] * 500)]
    )
    start = time.perf_counter()
    got = clf.classify(vectors, top_k=5)
    classify_s = time.perf_counter() - start
    logger.warning(
        "taxonomy: 704 labels embedded in %.2fs; 1,000 texts classified in %.3fs",
        embed_s,
        classify_s,
    )
    assert len(got) == 1000 and classify_s < 5.0
