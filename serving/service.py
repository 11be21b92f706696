"""BentoML service: rank creators for a brief, take feedback, report and reload the model.

Thin by design: pydantic models from ``matcher.schemas`` in and out; every endpoint authenticates
the caller and runs the shared request code of ``serving.core.MatcherCore`` (the same code the web
app runs), which raises ``serving.errors.ApiError`` for every refusal. ``MatchPipeline`` (via
``serving.model_state``) gives every answer, ``matcher.online.requestlog`` is the durable log,
``matcher.online.keys`` the API keys. Nothing is loaded at import; the model is resolved when a
worker starts (``ServingConfig.from_env``). The HTTP edge (content type, body size and deadline,
readiness with a reason, the OpenAPI document, bounded metric labels) is ``serving.http``.

Run from the repository root: ``bentoml serve serving.service:MatcherService``. Endpoints:
``POST /match``, ``POST /match_batch``, ``POST /feedback``, ``GET /model``, ``POST /reload`` (admin),
all with ``Authorization: Bearer <key>`` (``matcher keys add``); BentoML adds ``/healthz``
``/livez`` ``/readyz`` (503 with the reason until the worker can serve) ``/metrics``.
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from matcher.api import (
    BatchMatchRequest,
    BatchMatchResponse,
    FeedbackEvent,
    FeedbackResponse,
    MatchApiRequest,
    MatchResponse,
    PlanConstraints,
    PlanRequest,
    PlanResponse,
    ReloadRequest,
    ReloadResponse,
)
from matcher.schemas import Brief
from serving.core import MatcherCore
from serving.errors import ApiError, scrub_paths
from serving.http import PRINCIPAL_STATE, STATE, RequestGuard, install_log_filter
from serving.metrics import install_metrics_labels
from serving.openapi import serve_corrected_spec
from serving.webapp.app import create_app

with bentoml.importing():
    import anyio.to_thread

    from matcher.config import ServingConfig
    from matcher.online.db import OPEN_ERRORS
    from matcher.online.keys import KeyStore, Principal, default_keys_db
    from matcher.online.requestlog import RequestLog
    from serving.limits import RateLimiter
    from serving.model_state import ModelHolder, ReloadInProgressError

logger = logging.getLogger(__name__)

TRAFFIC = {"timeout": 60, "max_concurrency": 256}


async def get_model(request: Request) -> JSONResponse:
    svc: MatcherService = bentoml.get_current_service()
    try:
        svc.authenticate(request.headers.get("authorization"))
        return JSONResponse(svc.model_info())
    except ApiError as e:
        return e.response()


# GET routes (BentoML API methods are POST-only); mounted below the service's own routes.
get_routes = Starlette(routes=[Route("/model", get_model, methods=["GET"])])


def _answer(ctx: bentoml.Context, fn: Callable[[], Any]) -> Any:
    """``fn()``, or the JSON error of the ``ApiError`` it raised (BentoML copies
    ``ctx.response.status_code`` onto the response when an API takes ``ctx``)."""
    try:
        return fn()
    except ApiError as e:
        ctx.response.status_code = e.status
        return e.response()


@bentoml.asgi_app(get_routes, path="/")
@bentoml.asgi_app(create_app(), path="/app")  # the brand web app (serving/webapp, docs/webapp.md)
@bentoml.service(name="matcher", workers=1, threads=2, traffic=TRAFFIC)
class MatcherService(MatcherCore):
    def __init__(self) -> None:
        install_log_filter()
        self.config = ServingConfig.from_env()
        self.startup_error: str | None = None
        self.limiter = RateLimiter(self.config.rate_limit, self.config.rate_burst)
        self.log = self._open(
            lambda: RequestLog(
                self.config.request_log,
                synchronous=self.config.log_synchronous,
                busy_timeout_ms=self.config.log_busy_ms,
            ),
            "request log",
        )
        keys_path = self.config.keys_db or default_keys_db()
        self.keys = (
            self._open(lambda: KeyStore(keys_path), "key store") if self.config.auth else None
        )
        if not self.config.auth:
            logger.warning(
                "AUTHENTICATION IS OFF (MATCHER_AUTH=off): anyone who can reach this port may match, "
                "send feedback for any brand and reload models. Never expose it beyond loopback."
            )
        STATE.configure(
            self._not_ready_reason,
            TRAFFIC["max_concurrency"],
            self.config.body_timeout_s,
            self.authenticate if self.config.auth else None,  # off: no thread hop to say yes
        )
        self.models = ModelHolder(self.config)
        if self.startup_error is None:
            self.models.start()  # blocks until loaded (or failed: then not ready, retried in the background)

    def _open(self, opener: Callable[[], Any], what: str) -> Any:
        """Open a SQLite store; a file that is not one leaves the worker up but NOT READY with the
        reason (instead of a crash loop)."""
        try:
            return opener()
        except OPEN_ERRORS as e:
            self.startup_error = scrub_paths(f"{what} unusable: {type(e).__name__}: {e}")
            logger.error("NOT READY: %s", self.startup_error)
            return None

    def _not_ready_reason(self) -> str | None:
        if self.startup_error:
            return self.startup_error
        if self.models.current is None:
            return f"no model loaded: {self.models.error or 'still loading'}"
        return None

    def __is_ready__(self) -> bool:
        return self._not_ready_reason() is None and not STATE.saturated()

    @bentoml.on_shutdown
    def close(self) -> None:
        self.models.stop()
        for store in (self.log, self.keys):
            if store is not None:
                store.close()

    def _caller(self, ctx: bentoml.Context, *, admin: bool = False) -> Principal:
        """The API key's principal: the one ``RequestGuard`` looked up for this request, else
        looked up now (auth off: the guard asks nothing)."""
        known: Principal | None = ctx.request.scope.get("state", {}).get(PRINCIPAL_STATE)
        if known is None:
            return self.authenticate(ctx.request.headers.get("authorization"), admin=admin)
        return self.require_admin(known) if admin else known

    @bentoml.api(input_spec=MatchApiRequest, route="/match")
    def match(
        self, brief: Brief, ctx: bentoml.Context, k: int = 10, force_variant: str | None = None
    ) -> MatchResponse:
        """Rank creators for one brief, as the brand of the API key. Logged (committed) before the
        response is returned."""
        return _answer(
            ctx,
            lambda: self.run_match(self._caller(ctx), brief, k, force_variant),
        )

    @bentoml.api(input_spec=BatchMatchRequest, route="/match_batch")
    def match_batch(
        self, briefs: list[Brief], ctx: bentoml.Context, k: int = 10
    ) -> BatchMatchResponse:
        """Rank creators for many briefs: one embedding batch, one log transaction."""
        return _answer(ctx, lambda: self.run_match_batch(self._caller(ctx), briefs, k))

    @bentoml.api(input_spec=PlanRequest, route="/plan")
    def plan(
        self,
        brief: Brief,
        budget_usd: float,
        ctx: bentoml.Context,
        min_creators: int = 1,
        max_creators: int = 20,
        goal: str = "reach",
        platform_mix: dict[str, float] | None = None,
    ) -> PlanResponse:
        """Plan a campaign for one brief under a total budget: which creators to book for the most
        expected reach, engagements or accepted collaborations, net of audience overlap
        (docs/planning.md). Logged like a match, so feedback works on the plan's creators."""
        constraints = PlanConstraints.model_construct(
            budget_usd=budget_usd,
            min_creators=min_creators,
            max_creators=max_creators,
            goal=goal,
            platform_mix=platform_mix,
        )  # validated by BentoML already
        return _answer(
            ctx,
            lambda: self.run_plan(self._caller(ctx), brief, constraints),
        )

    @bentoml.api(input_spec=FeedbackEvent, route="/feedback")
    def feedback(
        self,
        request_id: str,
        influencer_id: str,
        event: str,
        ctx: bentoml.Context,
        value: float | None = None,
    ) -> FeedbackResponse:
        """Record what happened to a creator the service showed your brand. Idempotent per
        (request, creator, event)."""
        ev = FeedbackEvent.model_construct(
            request_id=request_id, influencer_id=influencer_id, event=event, value=value
        )  # validated by BentoML already
        return _answer(ctx, lambda: self.run_feedback(self._caller(ctx), ev))

    @bentoml.api(input_spec=ReloadRequest, route="/reload")
    async def reload(self, ctx: bentoml.Context, model: str | None = None) -> ReloadResponse:
        """Admin: load the configured ref (or ``model``: a registry ref, or a folder under the
        model root) fully, then swap it in; requests keep flowing."""
        try:
            self._caller(ctx, admin=True)
            self.check_model_ref(model)
            if self.startup_error:
                raise ApiError(503, f"service not ready: {self.startup_error}", retry_after=30)
            return await self._reload(model)
        except ApiError as e:
            ctx.response.status_code = e.status
            return e.response()  # type: ignore[return-value]

    async def _reload(self, model: str | None) -> ReloadResponse:
        t0 = time.perf_counter()
        try:
            previous, current = await anyio.to_thread.run_sync(
                functools.partial(self.models.load, model, blocking=False)
            )
        except ReloadInProgressError as e:
            raise ApiError(409, str(e)) from e
        except Exception as e:  # noqa: BLE001 - CorruptModelError, a missing folder or ref, MLflow errors
            logger.error("reload of %r failed, still serving the previous model: %s", model, e)
            still = self.models.current.model.version if self.models.current else "nothing"
            msg = f"cannot load model {model or self.config.model!r}: {type(e).__name__}: {e}; still serving {still}"
            raise ApiError(400 if model else 503, msg, "model" if model else None) from e
        out = ReloadResponse(
            previous=previous.model if previous else None,
            current=current.model,
            reload_ms=round((time.perf_counter() - t0) * 1000, 1),
        )
        del previous, current
        gc.collect()  # the old encoder and ranker go now, not at the next cyclic collection
        return out


# At run time MatcherService is the bentoml.Service the class decorator returned; mypy keeps the
# class type (it ignores what class decorators return, python/mypy#3135), hence the one ignore.
MatcherService.add_asgi_middleware(RequestGuard)  # type: ignore[attr-defined]
# /docs.json and the built Bento's apis/openapi.yaml: the corrected document (serving.openapi)
serve_corrected_spec(MatcherService)
install_metrics_labels()
