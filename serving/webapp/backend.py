"""What the web app asks of the service: the same calls ``/match`` and ``/feedback`` run.

``Backend`` wraps the running ``MatcherService`` (``bentoml.get_current_service()``, or any
object with the same attributes in tests): ``svc.keys`` (``matcher.online.keys.KeyStore``),
``svc.log`` (``RequestLog``), ``svc.models`` (the served pipeline, for the catalogue),
``svc.run_match`` and ``svc.run_feedback`` (brand from the key, rate limit, time budget,
request log; they raise ``serving.errors.ApiError``). Every read is scoped to the signed-in
brand here, in one place: a request, a shortlist or a creator's feedback of another brand is
"not found".
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.api import FeedbackEvent, MatchResponse, PlanConstraints, PlanResponse
from matcher.online.keys import Principal
from matcher.schemas import AGE_BUCKETS, COUNTRIES, Brief
from serving.errors import ApiError

RESULT_CACHE = 256  # full answers kept per worker, so the results page can be reloaded
UNDOABLE = ("shortlisted", "dismissed", "contacted", "accepted", "rating")
PROFILE_URLS = {
    "instagram": "https://www.instagram.com/{}/",
    "tiktok": "https://www.tiktok.com/@{}",
    "youtube": "https://www.youtube.com/@{}",
}


@dataclass(frozen=True)
class Creator:
    """What the catalogue knows about one creator (brief-independent)."""

    influencer_id: str
    handle: str
    platform: str
    followers: int
    country: str | None
    profile_url: str | None
    bio: str
    posts: list[str]
    audience_countries: list[tuple[str, float]]  # top 5, share
    audience_ages: list[tuple[str, float]]
    audience_female: float | None


class Backend:
    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self._results: OrderedDict[str, MatchResponse] = OrderedDict()

    # ------------------------------------------------------------------ keys
    def sign_in(self, token: str) -> Principal:
        """The key's principal; ``ApiError`` 401 for an unknown, malformed or revoked key."""
        if getattr(self.svc, "keys", None) is None:  # MATCHER_AUTH=off: no brand to scope pages to
            raise ApiError(
                503, "the web app needs API keys: this service runs without them (MATCHER_AUTH=off)"
            )
        return self.svc.authenticate(token)

    def still_valid(self, principal: Principal) -> bool:
        """The session's key has not been revoked since sign-in."""
        if getattr(self.svc, "keys", None) is None:
            return False
        for info in self.svc.keys.list():
            if info.key_id == principal.key_id:
                return info.revoked_at is None and info.brand_id == principal.brand_id
        return False

    # ------------------------------------------------------------------ match / feedback
    def match(self, principal: Principal, brief: Brief, k: int) -> MatchResponse:
        resp = self.svc.run_match(principal, brief, k)
        self._results[resp.request_id] = resp
        while len(self._results) > RESULT_CACHE:
            self._results.popitem(last=False)
        return resp

    def plan(
        self, principal: Principal, brief: Brief, constraints: PlanConstraints
    ) -> PlanResponse:
        """``POST /plan``'s call: logged as a request of this brand, so its creators take feedback."""
        return self.svc.run_plan(principal, brief, constraints)

    def feedback(
        self,
        principal: Principal,
        request_id: str,
        influencer_id: str,
        event: str,
        value: float | None = None,
    ) -> Any:
        self.own_request(principal, request_id)
        return self.svc.run_feedback(
            principal,
            FeedbackEvent(
                request_id=request_id, influencer_id=influencer_id, event=event, value=value
            ),
        )

    def undo(
        self, principal: Principal, request_id: str, influencer_id: str, event: str
    ) -> float | None:
        """Retract one event of this brand (``RequestLog.retract_feedback``): the learning loop
        then sees it as never sent, and it can be sent again."""
        if event not in UNDOABLE:
            raise ApiError(
                400, f"event {event!r} cannot be undone here; one of {list(UNDOABLE)}", "event"
            )
        self.own_request(principal, request_id)
        return self.svc.log.retract_feedback(request_id, influencer_id, event)

    # ------------------------------------------------------------------ reads (brand-scoped)
    def own_request(self, principal: Principal, request_id: str) -> None:
        """404 unless ``request_id`` is one of this brand's requests (never says whose it is)."""
        if not request_id or self.svc.log.request_brand(request_id) != principal.brand_id:
            raise ApiError(404, f"unknown request_id {request_id!r}", "request_id")

    def result(
        self, principal: Principal, request_id: str
    ) -> tuple[MatchResponse | None, dict[str, Any]]:
        """The full answer when this worker still has it, and the logged request (brief,
        impressions) in any case; 404 for another brand's request."""
        self.own_request(principal, request_id)
        logged = self.svc.log.request(request_id) or {}
        return self._results.get(request_id), logged

    def actions(self, principal: Principal, request_id: str) -> dict[str, dict[str, float]]:
        self.own_request(principal, request_id)
        return self.svc.log.request_feedback(request_id)

    def history(self, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
        return self.svc.log.brand_requests(principal.brand_id, limit)

    def shortlist(self, principal: Principal) -> list[dict[str, Any]]:
        rows = self.svc.log.brand_feedback(principal.brand_id, "shortlisted")
        for r in rows:
            c = self.creator(r["influencer_id"])
            r["creator"] = c
        return rows

    # ------------------------------------------------------------------ catalogue
    def _catalogue(self) -> Any:
        served = self.svc.models.current
        if served is None:
            raise ApiError(503, "no model loaded yet; try again in a moment")
        return served.default.pipeline.catalogue

    def creator(self, influencer_id: str) -> Creator | None:
        cat = self._catalogue()
        i = cat.index.get(str(influencer_id))
        if i is None:
            return None
        handle = str(cat.handles[i]).lstrip("@")
        platform = str(cat.platforms[i])
        lo, hi = int(cat.post_offsets[i]), int(cat.post_offsets[i + 1])
        countries = _shares(cat.aud_countries[i], COUNTRIES)
        female = float(cat.aud_female[i])
        url = PROFILE_URLS.get(platform)
        return Creator(
            influencer_id=str(cat.ids[i]),
            handle="@" + handle,
            platform=platform,
            followers=int(cat.followers[i]),
            country=str(cat.countries[i]) or None,
            profile_url=url.format(handle) if url else None,
            bio=str(cat.bio_texts[i]) if cat.bio_texts is not None else "",
            posts=[str(t) for t in cat.post_texts[lo:hi]],
            audience_countries=sorted(countries, key=lambda t: -t[1])[:5],
            audience_ages=_shares(cat.aud_ages[i], AGE_BUCKETS),
            audience_female=None if not math.isfinite(female) else female,
        )


def _shares(row: np.ndarray, names: tuple[str, ...]) -> list[tuple[str, float]]:
    if not np.isfinite(row).any():
        return []
    return [(n, float(v)) for n, v in zip(names, row, strict=True) if np.isfinite(v) and v > 0]
