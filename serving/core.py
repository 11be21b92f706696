"""The request code every entry point shares (the HTTP API and the web app): who is calling
(``authenticate``), then ``run_match`` / ``run_match_batch`` / ``run_plan`` / ``run_feedback``: the brand from
the key, the per-key rate limit, the time budget, the request log. Each raises
``serving.errors.ApiError`` for anything but success; the endpoints turn it into the JSON error.

``MatcherCore`` is a mixin of ``serving.service.MatcherService`` (which sets ``config``, ``keys``,
``log``, ``models`` and ``limiter`` in ``__init__``); the web app reaches it through
``bentoml.get_current_service()``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from matcher.api import (
    BatchMatchResponse,
    FeedbackEvent,
    FeedbackResponse,
    MatchResponse,
    PlanConstraints,
    PlanResponse,
)
from matcher.online.db import DB_ERRORS
from matcher.online.keys import Principal
from matcher.ranking.budget import DeadlineExceeded, deadline_in
from matcher.ranking.examples import UnknownExampleError
from matcher.schemas import Brief
from serving.errors import ApiError, scrub_paths
from serving.metrics import record_feedback, record_matches, timed_log_write

if TYPE_CHECKING:
    from matcher.config import ServingConfig
    from matcher.online.experiments import Routed
    from matcher.online.keys import KeyStore
    from matcher.online.requestlog import RequestLog, RequestRecord
    from serving.limits import RateLimiter
    from serving.model_state import ModelHolder, Served

logger = logging.getLogger(__name__)
T = TypeVar("T")

ANY_BRAND = "*"
# the caller when MATCHER_AUTH=off: every role, the brand the body names
ANONYMOUS = Principal(key_id="auth-off", brand_id=ANY_BRAND, admin=True)
LOG_RETRY_AFTER_S = 2.0


def new_request_id() -> str:
    return uuid.uuid4().hex


class MatcherCore:
    config: ServingConfig
    keys: KeyStore | None
    log: RequestLog | None
    models: ModelHolder
    limiter: RateLimiter
    startup_error: str | None = None  # why the worker cannot serve at all (request log, key store)

    # ------------------------------------------------------------------ who is calling
    def authenticate(self, authorization: str | None, *, admin: bool = False) -> Principal:
        """The principal of ``Authorization: Bearer <key>`` (or of a bare key). 401 without a
        valid key, 403 when ``admin`` is needed and the key is a brand key."""
        if not self.config.auth:
            return ANONYMOUS
        if not authorization or not authorization.strip():
            raise ApiError(
                401,
                "missing API key: send 'Authorization: Bearer <key>' (create one with "
                "`matcher keys add --brand BRAND`)",
                "authorization",
            )
        if self.keys is None:
            raise ApiError(503, f"cannot check API keys: {self.startup_error}", retry_after=30)
        try:
            principal = self.keys.authenticate(authorization)
        except DB_ERRORS as e:
            logger.error("key store failure: %s", e)
            raise ApiError(
                503,
                "cannot check API keys right now (key store busy or failing); retry",
                retry_after=LOG_RETRY_AFTER_S,
            ) from e
        if principal is None:
            raise ApiError(401, "invalid or revoked API key", "authorization")
        return self.require_admin(principal) if admin else principal

    @staticmethod
    def require_admin(principal: Principal) -> Principal:
        """``principal``, or 403 when it is a brand key."""
        if not principal.admin:
            raise ApiError(403, "this endpoint needs an admin key", "authorization")
        return principal

    def _rate(self, principal: Principal, cost: float = 1.0) -> None:
        wait = self.limiter.acquire(principal.key_id, cost)
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {self.config.rate_limit:g} requests/s per key exceeded "
                f"(burst {self.config.rate_burst}); retry in {wait:.1f}s",
                retry_after=wait,
            )

    @staticmethod
    def _own(principal: Principal, brief: Brief, field: str) -> Brief:
        """The brief as the key's brand: brand_id filled in from the key; another brand's is 403."""
        if principal.brand_id == ANY_BRAND:
            return brief
        if brief.brand_id is None:
            return brief.model_copy(update={"brand_id": principal.brand_id})
        if brief.brand_id != principal.brand_id:
            raise ApiError(
                403,
                f"{field} {brief.brand_id!r} is not the brand of this API key "
                f"({principal.brand_id!r}); omit it or send your own",
                field,
            )
        return brief

    # ------------------------------------------------------------------ what is there
    def _served(self) -> Served:
        if self.startup_error:
            raise ApiError(503, f"service not ready: {self.startup_error}", retry_after=30)
        served = self.models.current
        if served is None:
            raise ApiError(
                503, f"no model loaded: {self.models.error or 'still loading'}", retry_after=5
            )
        return served

    def _log(self) -> RequestLog:
        if self.log is None:
            raise ApiError(503, f"service not ready: {self.startup_error}", retry_after=30)
        return self.log

    def _write(self, request_id: str | None, fn: Callable[[], T]) -> T:
        """A request-log call; a locked or failing log is a 503 with Retry-After (the transaction
        was rolled back: nothing of this request is in the log, and no answer is given)."""
        try:
            return fn()
        except DB_ERRORS as e:
            logger.error(
                "request log failure (request %s): %s: %s", request_id, type(e).__name__, e
            )
            raise ApiError(
                503,
                "the request log is unavailable (locked or failing): nothing was recorded "
                "and no answer is given; retry later",
                request_id=request_id,
                retry_after=LOG_RETRY_AFTER_S,
            ) from e

    # ------------------------------------------------------------------ match
    def _response(
        self, request_id: str, served: Served, a: Routed, latency_ms: float
    ) -> MatchResponse:
        return MatchResponse(
            request_id=request_id,
            model_name=served.model.name,
            model_version=a.model_version,
            matches=a.matches,
            n_candidates=a.n_candidates,
            reason=a.reason,
            latency_ms=round(latency_ms, 3),
            variant=a.variant,
            excluded=[e.reason() for e in a.excluded],
        )

    def _record(
        self, request_id: str, brief: Brief, k: int, served: Served, a: Routed, latency_ms: float
    ) -> RequestRecord:
        from matcher.online.requestlog import RequestRecord

        return RequestRecord(
            request_id=request_id,
            brief=brief,
            k=k,
            model_name=served.model.name,
            model_version=a.model_version,
            matches=a.matches,
            n_candidates=a.n_candidates,
            latency_ms=latency_ms,
            status="ok" if a.matches else "empty",
            experiment=a.experiment,
            variant=a.variant,
            sources=a.sources,
        )

    def _failed(
        self, ids: list[str], briefs: list[Brief], k: int, served: Served, e: Exception, t0: float
    ) -> ApiError:
        """Log the failed request(s) (status ``timeout`` or ``error``) and say why."""
        from matcher.online.requestlog import RequestRecord

        timeout = isinstance(e, DeadlineExceeded)
        if not timeout:
            logger.exception("request %s failed", ids[0])
        latency = (time.perf_counter() - t0) * 1000
        records = [
            RequestRecord(
                request_id=i,
                brief=b,
                k=k,
                model_name=served.model.name,
                model_version=served.model.version,
                n_candidates=None,
                latency_ms=latency,
                status="timeout" if timeout else "error",
                error=f"{type(e).__name__}: {e}"[:2000],
            )
            for i, b in zip(ids, briefs, strict=True)
        ]
        self._write(ids[0], timed_log_write("request", lambda: self._log().log_requests(records)))
        if timeout:
            stage = getattr(e, "stage", "?")
            return ApiError(
                503,
                f"time budget of {self.config.request_budget_s:g}s exceeded (stopped at stage "
                f"{stage!r}); request_id={ids[0]}",
                request_id=ids[0],
            )
        return ApiError(
            500,
            f"internal error while ranking (request_id={ids[0]}); see the server log",
            request_id=ids[0],
        )

    def run_match(
        self, principal: Principal, brief: Brief, k: int = 10, force_variant: str | None = None
    ) -> MatchResponse:
        """``POST /match``: rank creators for one brief; logged (committed) before it returns."""
        from serving.model_state import NoExperimentError

        self._rate(principal)
        brief = self._own(principal, brief, "brief.brand_id")
        if force_variant is not None and not principal.admin:
            raise ApiError(
                403, "force_variant (an experiment control) needs an admin key", "force_variant"
            )
        served = self._served()
        log = self._log()
        t0 = time.perf_counter()
        request_id = new_request_id()
        try:
            a = served.recommend(
                brief, k, force_variant, deadline=deadline_in(self.config.request_budget_s)
            )
        except NoExperimentError as e:
            raise ApiError(400, str(e), "force_variant") from e
        except UnknownExampleError as e:  # brief.like names creators the catalogue does not have
            raise ApiError(400, str(e), "brief.like") from e
        except Exception as e:  # noqa: BLE001 - logged with its request_id, answered without a trace
            raise self._failed([request_id], [brief], k, served, e, t0) from e
        latency = (time.perf_counter() - t0) * 1000
        self._write(
            request_id,
            timed_log_write(
                "request",
                lambda: log.log_request(self._record(request_id, brief, k, served, a, latency)),
            ),
        )
        record_matches("match", [len(a.matches)])
        return self._response(request_id, served, a, latency)

    def run_match_batch(
        self, principal: Principal, briefs: list[Brief], k: int = 10
    ) -> BatchMatchResponse:
        """``POST /match_batch``: one embedding batch, one log transaction, one time budget;
        each brief costs one token of the rate limit."""
        self._rate(principal, cost=len(briefs))
        briefs = [self._own(principal, b, f"briefs.{i}.brand_id") for i, b in enumerate(briefs)]
        served = self._served()
        log = self._log()
        t0 = time.perf_counter()
        ids = [new_request_id() for _ in briefs]
        try:
            answers = served.recommend_batch(
                briefs, k, deadline=deadline_in(self.config.request_budget_s)
            )
        except (
            UnknownExampleError
        ) as e:  # a brief's like names creators the catalogue does not have
            raise ApiError(400, str(e), "briefs.like") from e
        except Exception as e:  # noqa: BLE001
            raise self._failed(ids, briefs, k, served, e, t0) from e
        latency = (time.perf_counter() - t0) * 1000
        records = [
            self._record(i, b, k, served, a, latency)
            for i, b, a in zip(ids, briefs, answers, strict=True)
        ]
        self._write(ids[0], timed_log_write("request", lambda: log.log_requests(records)))
        record_matches("match_batch", [len(a.matches) for a in answers])
        return BatchMatchResponse(
            results=[
                self._response(i, served, a, latency) for i, a in zip(ids, answers, strict=True)
            ],
            latency_ms=round(latency, 3),
        )

    # ------------------------------------------------------------------ plan
    def run_plan(
        self, principal: Principal, brief: Brief, constraints: PlanConstraints
    ) -> PlanResponse:
        """``POST /plan``: a campaign plan under a budget (``matcher.planning``) from the default
        model (experiments route ``/match`` only). Logged like a match (the plan's creators are the
        shown list, so ``/feedback`` works on them) before it returns."""
        from matcher.online.experiments import Routed
        from matcher.planning.plan import PlanInfeasible, plan_campaign

        self._rate(principal)
        brief = self._own(principal, brief, "brief.brand_id")
        served = self._served()
        log = self._log()
        t0 = time.perf_counter()
        request_id = new_request_id()
        k = constraints.max_creators
        try:
            plan = plan_campaign(
                served.default.pipeline,
                brief,
                constraints,
                deadline=deadline_in(self.config.request_budget_s),
            )
        except UnknownExampleError as e:
            raise ApiError(400, str(e), "brief.like") from e
        except (
            PlanInfeasible
        ) as e:  # a constraint no set of candidates meets: the brand's to change
            raise ApiError(400, str(e), e.field) from e
        except Exception as e:  # noqa: BLE001
            raise self._failed([request_id], [brief], k, served, e, t0) from e
        latency = (time.perf_counter() - t0) * 1000
        shown = Routed(
            matches=list(plan.creators),
            n_candidates=len(plan.candidates),
            reason=None,
            model_version=served.model.version,
        )
        self._write(
            request_id,
            timed_log_write(
                "request",
                lambda: log.log_request(self._record(request_id, brief, k, served, shown, latency)),
            ),
        )
        record_matches("plan", [len(shown.matches)])
        return plan.to_response(request_id, served.model.name, served.model.version)

    # ------------------------------------------------------------------ feedback
    def run_feedback(self, principal: Principal, event: FeedbackEvent) -> FeedbackResponse:
        """``POST /feedback``: only the brand that got the list may report on it (403 otherwise,
        and nothing is written). Idempotent per (request, creator, event); a different value is 409."""
        self._rate(principal)
        log = self._log()
        rid, iid, name = event.request_id, event.influencer_id, event.event
        brand = self._write(None, lambda: log.request_brand(rid))
        if brand is None and not self._write(None, lambda: log.has_request(rid)):
            raise ApiError(404, f"unknown request_id {rid!r}", "request_id")
        if principal.brand_id != ANY_BRAND and brand != principal.brand_id:
            raise ApiError(
                403,
                f"request {rid!r} was made by another brand: only its brand may send its feedback",
                "request_id",
            )
        if not self._write(None, lambda: log.was_shown(rid, iid)):
            raise ApiError(
                404, f"influencer {iid!r} was not shown in request {rid!r}", "influencer_id"
            )
        v = 1.0 if event.value is None else float(event.value)
        stored = self._write(
            rid, timed_log_write("feedback", lambda: log.log_feedback(rid, iid, name, v))
        )
        if stored:
            record_feedback(name)
        else:
            before = self._write(rid, lambda: log.feedback_value(rid, iid, name))
            if before is not None and before != v:
                raise ApiError(
                    409,
                    f"event {name!r} for {iid!r} in request {rid!r} was already recorded with "
                    f"value {before:g}; feedback is write-once",
                    "value",
                )
        return FeedbackResponse(
            request_id=rid, influencer_id=iid, event=name, value=v, duplicate=not stored
        )

    # ------------------------------------------------------------------ admin
    def check_model_ref(self, ref: str | None) -> None:
        """``/reload`` loads registry refs, or folders below ``config.model_root`` (symlinks
        resolved); anything else is 403."""
        if ref is None:
            return
        from matcher.lifecycle.registry import ModelResolutionError, parse_ref

        try:
            parsed = parse_ref(ref, "matcher")
        except ModelResolutionError as e:
            raise ApiError(400, str(e), "model") from e
        if parsed.directory is None:
            return
        root = Path(self.config.model_root).resolve()
        target = Path(parsed.directory).resolve()
        if not target.is_relative_to(root):
            raise ApiError(
                403,
                "model: folders outside the allowed model root ($MATCHER_MODEL_ROOT) cannot be "
                "loaded; use a registry ref or a folder under it",
                "model",
            )

    def model_info(self) -> dict[str, Any]:
        served = self._served()
        info = served.model.model_dump(mode="json")
        for key in (
            "ref",
            "source",
        ):  # folders are named relative to the model root, never absolutely
            if isinstance(info.get(key), str):
                info[key] = self._public_ref(info[key])
        return info

    def _public_ref(self, ref: str) -> str:
        p = Path(ref)
        if not p.is_absolute():
            return ref
        try:
            return str(p.resolve().relative_to(Path(self.config.model_root).resolve()))
        except ValueError:
            return scrub_paths(ref) if ref.startswith("/") else ref
