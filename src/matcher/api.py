"""Request and response bodies of the HTTP API (the BentoML service, and the library calls
the service wraps). The domain models they carry (``Brief``, ``Match``) and the vocabularies
are ``matcher.schemas``."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from matcher.schemas import (
    BINARY_FEEDBACK_EVENTS,
    COUNT_FEEDBACK_EVENTS,
    FEEDBACK_EVENTS,
    MAX_K,
    Brief,
    Match,
)


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brief: Brief
    k: int = Field(
        default=10, ge=1, le=MAX_K, strict=True, description="How many matches (a whole number)."
    )


class MatchResponse(BaseModel):
    request_id: str
    model_name: str
    model_version: str
    matches: list[Match]
    n_candidates: int = Field(description="Influencers that passed the brief's hard filters.")
    reason: str | None = Field(default=None, description="Why the list is empty, when it is.")
    latency_ms: float | None = None
    variant: str | None = None
    excluded: list[str] = Field(
        default_factory=list,
        description="Creators dropped by the brief's "
        "excluded_categories (brand safety, by meaning), each with the category and "
        "the post that matched it; at most 10.",
    )


MAX_BATCH_BRIEFS = 100


class MatchApiRequest(MatchRequest):
    """Body of ``POST /match``: a ``MatchRequest`` plus a QA switch for experiments."""

    force_variant: str | None = Field(
        default=None,
        max_length=100,
        description="QA only: serve this experiment variant instead of the assigned one.",
    )


class BatchMatchRequest(BaseModel):
    """Body of ``POST /match_batch``: briefs are embedded together, then ranked one by one."""

    model_config = ConfigDict(extra="forbid")

    briefs: list[Brief] = Field(min_length=1, max_length=MAX_BATCH_BRIEFS)
    k: int = Field(default=10, ge=1, le=MAX_K, strict=True)


class BatchMatchResponse(BaseModel):
    results: list[MatchResponse]
    latency_ms: float | None = None


MAX_REQUEST_ID_CHARS = 100
MAX_INFLUENCER_ID_CHARS = 200
MAX_FEEDBACK_COUNT = 1e9  # engagements, clicks, conversions of one sponsored post


class FeedbackEvent(BaseModel):
    """What happened to one creator of a served list. Idempotent per (request, creator, event).

    ``shortlisted``, ``contacted``, ``accepted``: value 1 (the default; send nothing for "no").
    ``post_engagements``, ``clicks``, ``conversions``: a non-negative whole count.
    ``rating``: the brand's rating, 1 to 5.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: str = Field(min_length=1, max_length=MAX_REQUEST_ID_CHARS)
    influencer_id: str = Field(min_length=1, max_length=MAX_INFLUENCER_ID_CHARS)
    event: Literal[FEEDBACK_EVENTS]  # type: ignore[valid-type]  # the names, once, in schemas
    value: float | None = Field(
        default=None,
        validate_default=True,
        strict=True,
        description="See the event list; default 1 for yes/no events; counts "
        f"at most {MAX_FEEDBACK_COUNT:.0e}.",
    )

    @field_validator("value")
    @classmethod
    def _value_fits_event(cls, v: float | None, info: ValidationInfo) -> float | None:
        event = info.data.get("event")
        if event is None:  # the event itself was invalid: reported on its own
            return v
        if v is not None and not math.isfinite(v):
            raise ValueError("value must be a finite number")
        if event in BINARY_FEEDBACK_EVENTS:
            if v is None:
                return 1.0
            if v != 1:
                raise ValueError(
                    f"value for event {event!r} must be 1 (send no event for 'no'), got {v}"
                )
        elif event in COUNT_FEEDBACK_EVENTS:
            if v is None or v < 0 or v > MAX_FEEDBACK_COUNT or v != int(v):
                raise ValueError(
                    f"value for event {event!r} must be a whole count from 0 to "
                    f"{MAX_FEEDBACK_COUNT:,.0f}, got {v}"
                )
        elif v is None or not 1 <= v <= 5:
            raise ValueError(f"value for event {event!r} must be between 1 and 5, got {v}")
        return v


class FeedbackResponse(BaseModel):
    request_id: str
    influencer_id: str
    event: str
    value: float
    duplicate: bool = Field(
        description="True when this event was already stored (nothing changed)."
    )


class ModelInfo(BaseModel):
    """What a loaded model is (``matcher.lifecycle.loaded.LoadedModel.info``) and what a service
    instance is serving (``GET /model``). Immutable: a change is a new object (``model_copy``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    alias: str | None = None
    ref: str | None = Field(default=None, description="The reference it was resolved from.")
    source: str | None = Field(
        default=None, description="Where it was loaded from: models:/name/N or a folder."
    )
    fallback_reason: str | None = Field(
        default=None,
        description="Why the exported copy is served instead of the registry's model, when it is.",
    )
    run_id: str | None = None
    trained_at: str | None = None
    loaded_at: str | None = None
    metrics: dict[str, float | None] = Field(
        default_factory=dict, description="Held-out metrics, nested keys joined with dots."
    )
    catalogue_size: int
    catalogue_snapshot: str | None = None
    catalogue_version: str | None = Field(
        default=None,
        description="The catalogue version served (catalogues/<version> of a model folder; "
        "`matcher catalogue update` publishes new ones without retraining).",
    )
    encoder: str | None = None
    experiment: str | None = None
    variants: list[str] = Field(default_factory=list)


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None,
        max_length=1000,
        description="Model ref to load (alias, version, models:/ URI or directory); "
        "default: the service's configured ref.",
    )


class ReloadResponse(BaseModel):
    previous: ModelInfo | None
    current: ModelInfo
    reload_ms: float


# --------------------------------------------------------------------------- campaign planner (issue 11)
PLAN_GOALS: tuple[str, ...] = ("engagements", "reach", "accepts")
MAX_PLAN_CREATORS = 50
MAX_PLAN_BUDGET_USD = 1e9


class PlanConstraints(BaseModel):
    """What a campaign plan must respect (``matcher.planning.plan_campaign``)."""

    model_config = ConfigDict(extra="forbid")

    budget_usd: float = Field(
        gt=0, le=MAX_PLAN_BUDGET_USD, description="Total campaign budget (USD)."
    )
    min_creators: int = Field(default=1, ge=1, le=MAX_PLAN_CREATORS)
    max_creators: int = Field(default=20, ge=1, le=MAX_PLAN_CREATORS)
    goal: Literal[PLAN_GOALS] = "reach"  # type: ignore[valid-type]
    platform_mix: dict[str, float] | None = Field(
        default=None,
        description='Most of the budget each platform may take, e.g. {"instagram": 0.5, '
        '"tiktok": 0.5}; platforms not named get nothing. None: no constraint.',
    )

    @field_validator("budget_usd")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("budget_usd must be a finite number")
        return v

    @field_validator("platform_mix")
    @classmethod
    def _mix(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return None
        from matcher.schemas import PLATFORMS

        if not v:
            raise ValueError("platform_mix must name at least one platform (or be left out)")
        for k, share in v.items():
            if k not in PLATFORMS:
                raise ValueError(f"unknown platform {k!r} (one of {', '.join(PLATFORMS)})")
            if not math.isfinite(share) or not 0 <= share <= 1:
                raise ValueError(f"share of {k} must be between 0 and 1, got {share}")
        if sum(v.values()) > 1 + 1e-6:
            raise ValueError(f"shares must add up to at most 1, got {sum(v.values()):g}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one share must be positive")
        return v

    @field_validator("max_creators")
    @classmethod
    def _order(cls, v: int, info: ValidationInfo) -> int:
        lo = info.data.get("min_creators")
        if lo is not None and v < lo:
            raise ValueError(f"max_creators ({v}) must not be below min_creators ({lo})")
        return v


class PlanRequest(PlanConstraints):
    """Body of ``POST /plan``: a brief and the plan's constraints."""

    brief: Brief

    @field_validator("budget_usd", "min_creators", "max_creators", mode="before")
    @classmethod
    def _strict_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        """JSON numbers only: ``true`` or ``"500"`` is not a budget (the API's strict types)."""
        if isinstance(v, bool | str):
            raise ValueError(f"{info.field_name} must be a JSON number, got {type(v).__name__}")
        return v

    def constraints(self) -> PlanConstraints:
        return PlanConstraints.model_validate(self.model_dump(exclude={"brief"}))


class Interval(BaseModel):
    value: float = Field(description="The objective's expected value.")
    low: float = Field(description="10th percentile of simulated totals (80% interval).")
    high: float = Field(description="90th percentile of simulated totals (80% interval).")


class PlanCreator(Match):
    """A creator of the plan: the ``Match`` (feedback works on it) plus why it is in."""

    marginal_gain: float = Field(
        description="What it added to the goal when chosen, net of overlap with "
        "the creators chosen before it."
    )
    standalone_value: float = Field(description="What it would bring alone.")
    why: str


class PlanExclusion(BaseModel):
    influencer_id: str
    handle: str
    platform: str
    estimated_cost_usd: float
    standalone_value: float
    marginal_gain: float = Field(description="What it would add to the final plan.")
    why_not: str


class PlanBaseline(BaseModel):
    """Top-k by score until the budget is spent (the same candidates and constraints)."""

    creators: list[str]
    total_cost_usd: float
    expected: dict[str, Interval]


class PlanResponse(BaseModel):
    request_id: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    goal: str
    method: str
    creators: list[PlanCreator]
    total_cost_usd: float
    budget_usd: float
    expected: dict[str, Interval] = Field(
        description="Every goal's expected total for the plan, with its 80% "
        "interval; the plan maximises ``goal``."
    )
    baseline_topk: PlanBaseline
    excluded: list[PlanExclusion] = Field(
        default_factory=list,
        description="The best candidates left out, and why (cost, overlap, constraints).",
    )
    n_candidates: int = Field(
        description="Creators the plan chose from (the top of the ranked list)."
    )
    latency_ms: float | None = None
