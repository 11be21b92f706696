"""Request and response bodies of the HTTP API (the BentoML service, and the library calls
the service wraps). The domain models they carry (``Brief``, ``Match``) and the vocabularies
are ``matcher.schemas``."""

from __future__ import annotations

import math
from typing import Literal

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
    k: int = Field(default=10, ge=1, le=MAX_K)


class MatchResponse(BaseModel):
    request_id: str
    model_name: str
    model_version: str
    matches: list[Match]
    n_candidates: int = Field(description="Influencers that passed the brief's hard filters.")
    reason: str | None = Field(default=None, description="Why the list is empty, when it is.")
    latency_ms: float | None = None
    variant: str | None = None
    excluded: list[str] = Field(default_factory=list, description="Creators dropped by the brief's "
                                "excluded_categories (brand safety, by meaning), each with the category and "
                                "the post that matched it; at most 10.")


MAX_BATCH_BRIEFS = 100


class MatchApiRequest(MatchRequest):
    """Body of ``POST /match``: a ``MatchRequest`` plus a QA switch for experiments."""

    force_variant: str | None = Field(
        default=None, max_length=100,
        description="QA only: serve this experiment variant instead of the assigned one.")


class BatchMatchRequest(BaseModel):
    """Body of ``POST /match_batch``: briefs are embedded together, then ranked one by one."""

    model_config = ConfigDict(extra="forbid")

    briefs: list[Brief] = Field(min_length=1, max_length=MAX_BATCH_BRIEFS)
    k: int = Field(default=10, ge=1, le=MAX_K)


class BatchMatchResponse(BaseModel):
    results: list[MatchResponse]
    latency_ms: float | None = None


class FeedbackEvent(BaseModel):
    """What happened to one creator of a served list. Idempotent per (request, creator, event).

    ``shortlisted``, ``contacted``, ``accepted``: value 1 (the default; send nothing for "no").
    ``post_engagements``, ``clicks``, ``conversions``: a non-negative whole count.
    ``rating``: the brand's rating, 1 to 5.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: str = Field(min_length=1, max_length=100)
    influencer_id: str = Field(min_length=1, max_length=200)
    event: Literal[FEEDBACK_EVENTS]  # type: ignore[valid-type]  # the names, once, in schemas
    value: float | None = Field(default=None, validate_default=True,
                                description="See the event list; default 1 for yes/no events.")

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
                raise ValueError(f"value for event {event!r} must be 1 (send no event for 'no'), got {v}")
        elif event in COUNT_FEEDBACK_EVENTS:
            if v is None or v < 0 or v != int(v):
                raise ValueError(f"value for event {event!r} must be a non-negative whole count, got {v}")
        elif v is None or not 1 <= v <= 5:
            raise ValueError(f"value for event {event!r} must be between 1 and 5, got {v}")
        return v


class FeedbackResponse(BaseModel):
    request_id: str
    influencer_id: str
    event: str
    value: float
    duplicate: bool = Field(description="True when this event was already stored (nothing changed).")


class ModelInfo(BaseModel):
    """What a loaded model is (``matcher.lifecycle.loaded.LoadedModel.info``) and what a service
    instance is serving (``GET /model``). Immutable: a change is a new object (``model_copy``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    alias: str | None = None
    ref: str | None = Field(default=None, description="The reference it was resolved from.")
    source: str | None = Field(default=None, description="Where it was loaded from: models:/name/N or a folder.")
    fallback_reason: str | None = Field(default=None, description="Why the exported copy is served instead "
                                        "of the registry's model, when it is.")
    run_id: str | None = None
    trained_at: str | None = None
    loaded_at: str | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict, description="Held-out metrics, nested keys joined with dots.")
    catalogue_size: int
    catalogue_snapshot: str | None = None
    encoder: str | None = None
    experiment: str | None = None
    variants: list[str] = Field(default_factory=list)


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, max_length=1000,
                              description="Model ref to load (alias, version, models:/ URI or directory); "
                                          "default: the service's configured ref.")


class ReloadResponse(BaseModel):
    previous: ModelInfo | None
    current: ModelInfo
    reload_ms: float
