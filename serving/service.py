"""BentoML service: rank creators for a brief, take feedback, report and reload the model.

Thin by design: pydantic models from ``matcher.schemas`` in and out, ``MatchPipeline`` (via
``serving.model_state``) for every answer (a ``matcher.online.experiments.Routed``: the
recommendation plus model version and experiment variant), ``matcher.online.requestlog`` for
the durable log. Nothing is loaded at import; the model is resolved when a worker starts
(``ServingConfig.from_env``).

Run from the repository root: ``bentoml serve serving.service:MatcherService``. Endpoints:
``POST /match``, ``POST /match_batch``, ``POST /feedback``, ``GET /model``, ``POST /reload``;
BentoML adds ``/healthz`` ``/livez`` ``/readyz`` (503 until a model is loaded) ``/metrics``.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid

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
    ReloadRequest,
    ReloadResponse,
)
from matcher.schemas import Brief
from serving.http import RequestGuard, install_log_filter

with bentoml.importing():
    import anyio.to_thread

    from matcher.config import ServingConfig
    from matcher.online.experiments import Routed
    from matcher.online.requestlog import RequestLog, RequestRecord
    from serving.model_state import ModelHolder, NoExperimentError, ReloadInProgressError, Served

logger = logging.getLogger(__name__)


def error(status: int, message: str, field: str | None = None) -> JSONResponse:
    """Errors look like BentoML's own 400s: ``{"error": ..., "detail": [{"loc", "msg"}]}``."""
    detail = [{"loc": [field] if field else [], "msg": message}]
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


def new_request_id() -> str:
    return uuid.uuid4().hex


async def get_model(request: Request) -> JSONResponse:
    svc: MatcherService = bentoml.get_current_service()
    served = svc.models.current
    if served is None:
        return error(503, f"no model loaded: {svc.models.error or 'still loading'}")
    return JSONResponse(served.model.model_dump(mode="json"))


# GET routes (BentoML API methods are POST-only); mounted below the service's own routes.
get_routes = Starlette(routes=[Route("/model", get_model, methods=["GET"])])


@bentoml.asgi_app(get_routes, path="/")
@bentoml.service(name="matcher", workers=1, threads=2, traffic={"timeout": 60, "max_concurrency": 256})
class MatcherService:
    def __init__(self) -> None:
        install_log_filter()
        self.config = ServingConfig.from_env()
        self.log = RequestLog(self.config.request_log, synchronous=self.config.log_synchronous)
        self.models = ModelHolder(self.config)
        self.models.start()  # blocks until loaded (or failed: then not ready, retried in the background)

    def __is_ready__(self) -> bool:
        return self.models.current is not None

    @bentoml.on_shutdown
    def close(self) -> None:
        self.models.stop()
        self.log.close()

    def _served(self) -> Served | JSONResponse:
        served = self.models.current
        if served is None:
            return error(503, f"no model loaded: {self.models.error or 'still loading'}")
        return served

    def _response(self, request_id: str, served: Served, a: Routed, latency_ms: float) -> MatchResponse:
        return MatchResponse(request_id=request_id, model_name=served.model.name, model_version=a.model_version,
                             matches=a.matches, n_candidates=a.n_candidates, reason=a.reason,
                             latency_ms=round(latency_ms, 3), variant=a.variant,
                             excluded=[e.reason() for e in a.excluded])

    def _record(self, request_id: str, brief: Brief, k: int, served: Served, a: Routed,
                latency_ms: float) -> RequestRecord:
        return RequestRecord(request_id=request_id, brief=brief, k=k, model_name=served.model.name,
                             model_version=a.model_version, matches=a.matches, n_candidates=a.n_candidates,
                             latency_ms=latency_ms, status="ok" if a.matches else "empty",
                             experiment=a.experiment, variant=a.variant, sources=a.sources)

    def _failed(self, request_id: str, brief: Brief, k: int, served: Served, e: Exception) -> JSONResponse:
        logger.exception("request %s failed", request_id)
        try:
            self.log.log_request(RequestRecord(request_id=request_id, brief=brief, k=k,
                                               model_name=served.model.name, model_version=served.model.version,
                                               status="error", error=f"{type(e).__name__}: {e}"[:2000]))
        except Exception:  # noqa: BLE001 - the original error matters more
            logger.exception("could not log failed request %s", request_id)
        return error(500, f"internal error while ranking (request_id={request_id}); see the server log")

    @bentoml.api(input_spec=MatchApiRequest, route="/match")
    def match(self, brief: Brief, k: int = 10, force_variant: str | None = None) -> MatchResponse:
        """Rank creators for one brief. Logged (committed) before the response is returned."""
        served = self._served()
        if isinstance(served, JSONResponse):
            return served  # type: ignore[return-value]
        t0 = time.perf_counter()
        request_id = new_request_id()
        try:
            a = served.recommend(brief, k, force_variant)
        except NoExperimentError as e:
            return error(400, str(e), "force_variant")  # type: ignore[return-value]
        except Exception as e:  # noqa: BLE001
            return self._failed(request_id, brief, k, served, e)  # type: ignore[return-value]
        latency = (time.perf_counter() - t0) * 1000
        self.log.log_request(self._record(request_id, brief, k, served, a, latency))
        return self._response(request_id, served, a, latency)

    @bentoml.api(input_spec=BatchMatchRequest, route="/match_batch")
    def match_batch(self, briefs: list[Brief], k: int = 10) -> BatchMatchResponse:
        """Rank creators for many briefs: one embedding batch, one log transaction."""
        served = self._served()
        if isinstance(served, JSONResponse):
            return served  # type: ignore[return-value]
        t0 = time.perf_counter()
        ids = [new_request_id() for _ in briefs]
        try:
            answers = served.recommend_batch(briefs, k)
        except Exception as e:  # noqa: BLE001
            return self._failed(ids[0], briefs[0], k, served, e)  # type: ignore[return-value]
        latency = (time.perf_counter() - t0) * 1000
        self.log.log_requests([self._record(i, b, k, served, a, latency)
                               for i, b, a in zip(ids, briefs, answers, strict=True)])
        return BatchMatchResponse(results=[self._response(i, served, a, latency)
                                           for i, a in zip(ids, answers, strict=True)],
                                  latency_ms=round(latency, 3))

    @bentoml.api(input_spec=FeedbackEvent, route="/feedback")
    def feedback(self, request_id: str, influencer_id: str, event: str, value: float | None = None) -> FeedbackResponse:
        """Record what happened to a creator the service showed. Idempotent per (request, creator, event)."""
        if not self.log.has_request(request_id):
            return error(404, f"unknown request_id {request_id!r}", "request_id")  # type: ignore[return-value]
        if not self.log.was_shown(request_id, influencer_id):
            return error(400, f"influencer {influencer_id!r} was not shown in request {request_id!r}",  # type: ignore[return-value]
                         "influencer_id")
        v = 1.0 if value is None else float(value)
        stored = self.log.log_feedback(request_id, influencer_id, event, v)
        if not stored:
            before = self.log.feedback_value(request_id, influencer_id, event)
            if before is not None and before != v:
                return error(409, f"event {event!r} for {influencer_id!r} in request {request_id!r} was already "  # type: ignore[return-value]
                             f"recorded with value {before:g}; feedback is write-once", "value")
        return FeedbackResponse(request_id=request_id, influencer_id=influencer_id, event=event, value=v,
                                duplicate=not stored)

    @bentoml.api(input_spec=ReloadRequest, route="/reload")
    async def reload(self, model: str | None = None) -> ReloadResponse:
        """Load the configured ref (or ``model``) fully, then swap it in; requests keep flowing."""
        t0 = time.perf_counter()
        try:
            previous, current = await anyio.to_thread.run_sync(
                functools.partial(self.models.load, model, blocking=False))
        except ReloadInProgressError as e:
            return error(409, str(e))  # type: ignore[return-value]
        except Exception as e:  # noqa: BLE001
            logger.error("reload of %r failed, still serving the previous model: %s", model, e)
            still = self.models.current.model.version if self.models.current else "nothing"
            msg = f"cannot load model {model or self.config.model!r}: {e}; still serving {still}"
            return error(400 if model else 503, msg, "model" if model else None)  # type: ignore[return-value]
        return ReloadResponse(previous=previous.model if previous else None, current=current.model,
                              reload_ms=round((time.perf_counter() - t0) * 1000, 1))


MatcherService.add_asgi_middleware(RequestGuard)
