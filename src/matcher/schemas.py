"""The data contract: table columns, vocabularies and the request/response models.

Column names are constants so that one rename happens in one place. Tables are validated
once at the boundary (``matcher.data.io``); pydantic models validate briefs and requests
for the CLI and the service alike.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from matcher.iab.taxonomy import Kind, keyword_categories, taxonomy

# --------------------------------------------------------------------------- vocabularies
PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube")
AGE_BUCKETS: tuple[str, ...] = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
GENDERS: tuple[str, ...] = ("female", "male", "any")
# ISO 3166-1 alpha-2 codes the product knows about (markets the simulator and pricing cover,
# plus common others). Unknown codes are rejected at the boundary with a clear error.
COUNTRIES: tuple[str, ...] = (
    "US",
    "GB",
    "CA",
    "AU",
    "IE",
    "NZ",
    "DE",
    "AT",
    "CH",
    "FR",
    "BE",
    "NL",
    "ES",
    "IT",
    "PT",
    "SE",
    "NO",
    "DK",
    "FI",
    "PL",
    "CZ",
    "BR",
    "MX",
    "AR",
    "CO",
    "CL",
    "IN",
    "ID",
    "PH",
    "SG",
    "MY",
    "TH",
    "VN",
    "JP",
    "KR",
    "ZA",
    "NG",
    "KE",
    "EG",
    "AE",
    "SA",
    "TR",
    "IL",
    "GR",
    "RO",
)
LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "de", "fr", "it", "nl", "pl", "id", "ja")

DEFAULT_MIN_FOLLOWERS = 1_000
DEFAULT_MAX_FOLLOWERS = 100_000
MAX_BRIEF_TEXT_CHARS = 20_000  # the encoder reads the first ~1,000 (``ranking.text.MAX_CHARS``)
MAX_K = 100
LIST_SEP = "|"  # list-valued cells in CSV: "instagram|tiktok"

# --------------------------------------------------------------------------- influencers
INFLUENCER_ID = "influencer_id"
HANDLE = "handle"
PLATFORM = "platform"
FOLLOWERS = "followers"
FOLLOWING = "following"
BIO = "bio"
COUNTRY = "country"
LANGUAGE = "language"
AUDIENCE_COUNTRIES = "audience_countries"  # JSON object {"US": 0.4, "GB": 0.2, ...}
AUDIENCE_AGES = "audience_ages"  # JSON object over AGE_BUCKETS
AUDIENCE_FEMALE = "audience_female_share"  # float in [0, 1]
PRICE_USD = "price_usd"  # typical fee per sponsored post, if known
JOINED_AT = "joined_at"  # account creation date, if known

INFLUENCER_REQUIRED = (INFLUENCER_ID, HANDLE, PLATFORM, FOLLOWERS, BIO)
INFLUENCER_OPTIONAL = (
    FOLLOWING,
    COUNTRY,
    LANGUAGE,
    AUDIENCE_COUNTRIES,
    AUDIENCE_AGES,
    AUDIENCE_FEMALE,
    PRICE_USD,
    JOINED_AT,
)

# --------------------------------------------------------------------------- posts
POST_ID = "post_id"
POSTED_AT = "posted_at"
TEXT = "text"
LIKES = "likes"
COMMENTS = "comments"
VIEWS = "views"
IS_SPONSORED = "is_sponsored"

POST_REQUIRED = (POST_ID, INFLUENCER_ID, POSTED_AT, TEXT, LIKES, COMMENTS)
POST_OPTIONAL = (VIEWS, IS_SPONSORED)

# --------------------------------------------------------------------------- briefs
BRIEF_ID = "brief_id"
BRAND_ID = "brand_id"
BRAND = "brand"
CREATED_AT = "created_at"
# TEXT is shared with posts
PLATFORMS_COL = "platforms"  # "instagram|tiktok"; empty = any
TARGET_COUNTRIES = "target_countries"  # "US|GB"; empty = any
TARGET_AGES = "target_ages"  # "18-24|25-34"; empty = any
TARGET_GENDER = "target_gender"  # female | male | any
MIN_FOLLOWERS = "min_followers"
MAX_FOLLOWERS = "max_followers"
BUDGET_USD = "budget_usd"  # budget per influencer (one sponsored post)
EXCLUDED_HANDLES = "excluded_handles"  # "handle1|handle2"
EXCLUDED_KEYWORDS = "excluded_keywords"  # "alcohol|gambling"
BRIEF_LANGUAGE = "language"

# IAB topics (``matcher.iab``), stored as canonical topic ids: "212|533"
INTERESTS = "interests"  # Content Taxonomy 3.1 topics wanted (soft unless strict_interests)
STRICT_INTERESTS = "strict_interests"  # true: a creator must have one of the interests
EXCLUDED_INTERESTS = "excluded_interests"  # Content Taxonomy 3.1 topics never shown
EXCLUDED_CATEGORIES = "excluded_categories"  # Ad Product Taxonomy 2.0 (brand safety): "1002|1361"
LIKE = (
    "like"  # example creators' handles: "oatsandmiles|veganlifts" (their profiles join the query)
)

BRIEF_REQUIRED = (BRIEF_ID, BRAND_ID, CREATED_AT, TEXT)
BRIEF_OPTIONAL = (
    BRAND,
    PLATFORMS_COL,
    TARGET_COUNTRIES,
    TARGET_AGES,
    TARGET_GENDER,
    MIN_FOLLOWERS,
    MAX_FOLLOWERS,
    BUDGET_USD,
    EXCLUDED_HANDLES,
    EXCLUDED_KEYWORDS,
    BRIEF_LANGUAGE,
)
# optional too, kept apart so the simulator's tables (which never set them) keep their columns
BRIEF_TOPICS = (INTERESTS, STRICT_INTERESTS, EXCLUDED_INTERESTS, EXCLUDED_CATEGORIES)
# the taxonomy each topic list of a brief is validated against
TOPIC_FIELDS: dict[str, Kind] = {
    INTERESTS: "content",
    EXCLUDED_INTERESTS: "content",
    EXCLUDED_CATEGORIES: "ad_product",
}
MAX_BRIEF_TOPICS = 20  # per topic list: a request does bounded work
MAX_TOPIC_CHARS = 200  # per entry (the longest IAB path is under 100 characters)
MAX_LIKE_EXAMPLES = 10  # example creators per brief (``like``): their profiles join the query text
MAX_HANDLE_CHARS = 100

# --------------------------------------------------------------------------- request limits
# Every list, string and number a request can carry is bounded, so that one request does bounded
# work (issue 10). The table (also in docs/security.md):
#
# | field                                                     | limit                                |
# |-----------------------------------------------------------|--------------------------------------|
# | Brief.text                                                | 1 to 20,000 characters               |
# | Brief.brief_id, brand_id, brand                           | <= 200 characters                    |
# | Brief.platforms, target_countries, target_ages            | <= 50 items of <= 20 characters      |
# | Brief.language                                            | <= 20 characters (one of LANGUAGES)  |
# | Brief.min_followers, max_followers                        | whole numbers 0 .. 10^12             |
# | Brief.budget_usd                                          | finite, > 0, <= 10^9                 |
# | Brief.excluded_handles                                    | <= 1,000 items of <= 100 characters  |
# | Brief.excluded_keywords                                   | <= 200 items of <= 100 characters    |
# | Brief.interests, excluded_interests, excluded_categories  | <= 20 items of <= 200 characters     |
# | Brief.like                                                | <= 10 items of <= 100 characters     |
# | MatchRequest.k                                            | whole number 1 .. 100                |
# | BatchMatchRequest.briefs                                  | 1 .. 100 briefs                      |
# | FeedbackEvent.request_id / influencer_id                  | <= 100 / <= 200 characters           |
# | FeedbackEvent.value (counts)                              | whole number 0 .. 10^9               |
#
# Numbers and booleans are strict: JSON ``true`` or ``"5"`` is refused where a number is expected
# (and ``1`` or ``"yes"`` where a boolean is), with the field named.
MAX_ID_CHARS = 200
MAX_VOCAB_ITEMS = 50  # platforms, target_countries, target_ages (the vocabularies are smaller)
MAX_VOCAB_ITEM_CHARS = 20
MAX_LANGUAGE_CHARS = 20
MAX_FOLLOWERS_BOUND = 10**12
MAX_BUDGET_USD = 1e9
MAX_EXCLUDED_HANDLES = 1_000
MAX_EXCLUDED_KEYWORDS = 200
MAX_KEYWORD_CHARS = 100

# --------------------------------------------------------------------------- outcomes
SHOWN_POSITION = "shown_position"  # 1-based position in the list the brand saw
CONTACTED = "contacted"
ACCEPTED = "accepted"
POST_ENGAGEMENTS = "post_engagements"  # likes + comments on the sponsored post
CLICKS = "clicks"
CONVERSIONS = "conversions"
BRAND_RATING = "brand_rating"  # 1..5, brand's rating after the campaign

OUTCOME_REQUIRED = (BRIEF_ID, INFLUENCER_ID, SHOWN_POSITION, CONTACTED, ACCEPTED)
OUTCOME_OPTIONAL = (POST_ENGAGEMENTS, CLICKS, CONVERSIONS, BRAND_RATING)

# Derived columns (never in input files)
RELEVANCE = "relevance"  # graded label 0..3 derived from outcomes


def follower_tier(followers: float) -> str:
    """Industry tiers (HypeAuditor): nano 1k-10k, micro 10k-50k, mid 50k-100k."""
    if followers < 1_000:
        return "sub1k"
    if followers < 10_000:
        return "nano"
    if followers < 50_000:
        return "micro"
    if followers < 100_000:
        return "mid"
    return "macro"


TIERS: tuple[str, ...] = ("sub1k", "nano", "micro", "mid", "macro")
TIER_EDGES: tuple[int, ...] = (1_000, 10_000, 50_000, 100_000)  # where each tier after sub1k starts


# integer codes of the vocabularies (catalogue arrays, LightGBM categoricals, filters)
COUNTRY_INDEX: dict[str, int] = {c: i for i, c in enumerate(COUNTRIES)}
AGE_INDEX: dict[str, int] = {a: i for i, a in enumerate(AGE_BUCKETS)}
PLATFORM_INDEX: dict[str, int] = {p: i for i, p in enumerate(PLATFORMS)}


# --------------------------------------------------------------------------- IAB topics
def error_text(error: ValidationError, prefix: str = "") -> str:
    """One line, ``field: message`` per problem (the field dotted, as in the service's 400s)."""
    return "; ".join(
        f"{prefix}{'.'.join(map(str, e['loc'])) or 'brief'}: {e['msg']}" for e in error.errors()
    )


TopicRef = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TOPIC_CHARS)]
VocabItem = Annotated[str, StringConstraints(max_length=MAX_VOCAB_ITEM_CHARS)]
HandleItem = Annotated[str, StringConstraints(max_length=MAX_HANDLE_CHARS)]
KeywordItem = Annotated[str, StringConstraints(max_length=MAX_KEYWORD_CHARS)]


# --------------------------------------------------------------------------- request models
class Brief(BaseModel):
    """A brand's campaign brief: free text plus targeting. Shared by CLI, library and service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_BRIEF_TEXT_CHARS,
            description="What the campaign is about, in the brand's words.",
        ),
    ]
    brief_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    brand_id: str | None = Field(
        default=None,
        max_length=MAX_ID_CHARS,
        description="Stable brand id; A/B assignment is sticky on it.",
    )
    brand: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    created_at: datetime | None = Field(
        default=None, description="When the brief was written; default now."
    )
    platforms: list[VocabItem] = Field(
        default_factory=list,
        max_length=MAX_VOCAB_ITEMS,
        description=f"Any of {PLATFORMS}; empty = all.",
    )
    target_countries: list[VocabItem] = Field(
        default_factory=list,
        max_length=MAX_VOCAB_ITEMS,
        description="ISO 3166-1 alpha-2 codes; empty = anywhere.",
    )
    target_ages: list[VocabItem] = Field(
        default_factory=list, max_length=MAX_VOCAB_ITEMS, description=f"Any of {AGE_BUCKETS}."
    )
    target_gender: Literal["female", "male", "any"] = "any"
    min_followers: int = Field(
        default=DEFAULT_MIN_FOLLOWERS, ge=0, le=MAX_FOLLOWERS_BOUND, strict=True
    )
    max_followers: int = Field(
        default=DEFAULT_MAX_FOLLOWERS, ge=1, le=MAX_FOLLOWERS_BOUND, strict=True
    )
    budget_usd: float | None = Field(
        default=None,
        gt=0,
        le=MAX_BUDGET_USD,
        strict=True,
        description="Budget per influencer (USD).",
    )
    excluded_handles: list[HandleItem] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDED_HANDLES,
        description="Creators never shown (handles, with or without @).",
    )
    excluded_keywords: list[KeywordItem] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDED_KEYWORDS,
        description=(
            "Creators whose bio or posts contain one of these words (or phrases) are never shown."
        ),
    )
    language: str | None = Field(
        default=None,
        max_length=MAX_LANGUAGE_CHARS,
        description=f"Content language, one of {LANGUAGES}.",
    )
    # IAB topics by name, path ("Food & Drink > Vegan Diets") or id, stored as ids (docs/data.md)
    interests: list[TopicRef] = Field(
        default_factory=list,
        max_length=MAX_BRIEF_TOPICS,
        description=(
            "IAB Content Taxonomy 3.1 topics the brand wants: a soft preference unless strict_interests."
        ),
    )
    strict_interests: bool = Field(
        default=False,
        strict=True,
        description=(
            "Interests as a hard filter: a creator must have one of them (or a topic under one)."
        ),
    )
    excluded_interests: list[TopicRef] = Field(
        default_factory=list,
        max_length=MAX_BRIEF_TOPICS,
        description=(
            "IAB Content Taxonomy 3.1 topics (and those under them) whose creators are never shown."
        ),
    )
    excluded_categories: list[TopicRef] = Field(
        default_factory=list,
        max_length=MAX_BRIEF_TOPICS,
        description=(
            "Brand safety: IAB Ad Product Taxonomy 2.0 categories ('Alcohol') that must not appear in a creator's "
            "content. Excluded keywords naming a category exactly add it."
        ),
    )
    like: list[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_HANDLE_CHARS)]
    ] = Field(
        default_factory=list,
        max_length=MAX_LIKE_EXAMPLES,
        description=(
            'Handles of example creators the brand already likes ("@handle"): their profiles join the '
            "brief text as the query. Unknown handles are a 400 naming them (matcher.ranking.examples)."
        ),
    )

    @field_validator("created_at", mode="before")
    @classmethod
    def _created_at_not_a_number(cls, v: object) -> object:
        # strict like the numbers: JSON 0 or true is not a date (lax pydantic reads a Unix time)
        if isinstance(v, int | float):
            raise ValueError(
                "created_at must be an ISO 8601 date-time string, e.g. 2025-06-10T12:00:00Z"
            )
        return v

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text must not be blank")
        return v

    @field_validator("platforms")
    @classmethod
    def _platforms_known(cls, v: list[str]) -> list[str]:
        out = [p.strip().lower() for p in v if p.strip()]
        bad = [p for p in out if p not in PLATFORMS]
        if bad:
            raise ValueError(f"unknown platform(s) {bad}; expected any of {list(PLATFORMS)}")
        return sorted(set(out))

    @field_validator("target_countries")
    @classmethod
    def _countries_known(cls, v: list[str]) -> list[str]:
        out = [c.strip().upper() for c in v if c.strip()]
        bad = [c for c in out if c not in COUNTRIES]
        if bad:
            raise ValueError(
                f"unknown country code(s) {bad}; expected ISO 3166-1 alpha-2 such as US, GB, DE"
            )
        return sorted(set(out))

    @field_validator("target_ages")
    @classmethod
    def _ages_known(cls, v: list[str]) -> list[str]:
        out = [a.strip() for a in v if a.strip()]
        bad = [a for a in out if a not in AGE_BUCKETS]
        if bad:
            raise ValueError(f"unknown age bucket(s) {bad}; expected any of {list(AGE_BUCKETS)}")
        return [a for a in AGE_BUCKETS if a in out]

    @field_validator("language")
    @classmethod
    def _language_known(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip().lower()
        if v not in LANGUAGES:
            raise ValueError(f"unknown language {v!r}; expected one of {list(LANGUAGES)}")
        return v

    @field_validator("budget_usd")
    @classmethod
    def _budget_finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("budget_usd must be a finite number")
        return v

    @field_validator("like")
    @classmethod
    def _clean_like(cls, v: list[str]) -> list[str]:
        """``@Handle`` and ``handle`` are the same creator; order kept, repeats dropped."""
        return list(dict.fromkeys(s.lower().lstrip("@") for s in v if s.strip().lstrip("@")))

    @field_validator("excluded_handles", "excluded_keywords")
    @classmethod
    def _clean_list(cls, v: list[str]) -> list[str]:
        return [s.strip().lower().lstrip("@") for s in v if s.strip()]

    @field_validator(INTERESTS, EXCLUDED_INTERESTS, EXCLUDED_CATEGORIES)
    @classmethod
    def _topics_known(cls, v: list[str], info: ValidationInfo) -> list[str]:
        """Canonical ids, in order without repeats; the error names the unknown topic."""
        refs = [s for s in v if s]
        return taxonomy(TOPIC_FIELDS[str(info.field_name)]).validate(refs) if refs else []

    @field_validator(STRICT_INTERESTS)
    @classmethod
    def _strict_needs_interests(cls, v: bool, info: ValidationInfo) -> bool:
        if v and not info.data.get(
            INTERESTS, True
        ):  # an invalid interests list is reported on its own
            raise ValueError("strict_interests needs at least one interest")
        return v

    @model_validator(mode="after")
    def _keywords_name_categories(self) -> Brief:
        extra = keyword_categories(self.excluded_keywords)
        if extra:
            self.excluded_categories = list(dict.fromkeys([*self.excluded_categories, *extra]))
        return self

    def topic_names(self, field: str) -> list[str]:
        """Names of the topics stored (as ids) in ``field``: what people read."""
        tax = taxonomy(TOPIC_FIELDS[field])
        return [tax[t].name for t in getattr(self, field)]

    @model_validator(mode="after")
    def _range_ordered(self) -> Brief:
        if self.min_followers > self.max_followers:
            raise ValueError(
                f"min_followers ({self.min_followers}) must not exceed max_followers ({self.max_followers})"
            )
        return self


class EngagementEstimate(BaseModel):
    rate: float = Field(
        description="Expected engagement rate of a sponsored post: (likes+comments)/followers."
    )
    rate_low: float = Field(description="10th percentile (80% interval).")
    rate_high: float = Field(description="90th percentile (80% interval).")
    engagements: float = Field(description="Expected likes+comments on the sponsored post.")


class Match(BaseModel):
    """One ranked influencer for a brief."""

    rank: int
    influencer_id: str
    handle: str
    platform: str
    followers: int
    country: str | None = None
    score: float = Field(description="Final ranking score (higher is better).")
    fit_score: float = Field(
        description="Calibrated probability that the collaboration is accepted and rated well."
    )
    expected_engagement: EngagementEstimate
    estimated_cost_usd: float
    cost_is_estimate: bool = Field(description="False when the creator's own price was known.")
    reasons: list[str]
    best_post: str | None = Field(
        default=None, description="The creator's post closest to the brief."
    )
    interests: list[str] = Field(
        default_factory=list,
        description="The creator's main interests on the IAB "
        "Content Taxonomy 3.1 (zero-shot from bio and posts), best first.",
    )


# --------------------------------------------------------------------------- service models
FEEDBACK_EVENTS: tuple[str, ...] = (
    "shortlisted",
    "contacted",
    "accepted",
    "post_engagements",
    "clicks",
    "conversions",
    "rating",
    "dismissed",
)
# ``dismissed``: the brand hid the creator (web app); no outcome column, a shown-and-not-taken row
BINARY_FEEDBACK_EVENTS: tuple[str, ...] = ("shortlisted", "contacted", "accepted", "dismissed")
COUNT_FEEDBACK_EVENTS: tuple[str, ...] = ("post_engagements", "clicks", "conversions")
