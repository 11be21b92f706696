"""The brand web app: sign in with an API key, write a brief, act on matches, keep a shortlist.

A Starlette app mounted on the BentoML service at ``/app`` (``serving/service.py``); pages are
server-rendered Jinja2 with a little plain JavaScript (``static/app.js``: actions without a
reload, client-side sort and filter). Everything goes through ``serving.webapp.backend.Backend``,
i.e. the same code as ``/match`` and ``/feedback``. Test hooks (stable): sign-in
``input[name="api_key"]``; brief ``textarea[name="text"]``; each match
``[data-influencer-id]`` in rank order with ``button[data-action="shortlist"]``; the shortlist
page ``/app/shortlist``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from matcher.api import PLAN_GOALS, PlanConstraints
from matcher.online.keys import Principal
from matcher.schemas import AGE_BUCKETS, FEEDBACK_EVENTS, LANGUAGES, MAX_K, PLATFORMS
from serving.errors import ApiError
from serving.webapp import views
from serving.webapp.backend import Backend
from serving.webapp.forms import FormErrors, brief_values, form_values, parse_brief
from serving.webapp.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    csrf_ok,
    csrf_token,
    session_secret,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(
    PLATFORMS=PLATFORMS,
    AGE_BUCKETS=AGE_BUCKETS,
    LANGUAGES=LANGUAGES,
    MAX_K=MAX_K,
    PLAN_GOALS=PLAN_GOALS,
)
templates.env.filters.update(views.FILTERS)


def _asset_version() -> str:
    """A hash of the static files: their URLs change when they do, so browsers may cache them."""
    h = hashlib.sha256()
    for f in sorted((HERE / "static").iterdir()):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


class _Static(StaticFiles):
    """Versioned assets (``?v=<hash>``): cached for a day without revalidation round trips."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        resp = super().file_response(*args, **kwargs)
        resp.headers["Cache-Control"] = "public, max-age=86400, immutable"
        return resp


class _NotSignedIn(Exception):
    pass


def _backend(request: Request) -> Backend:
    state = request.app.state
    svc = state.get_service()
    if getattr(state, "backend", None) is None or state.backend.svc is not svc:
        state.backend = Backend(svc)
    return state.backend


def _principal(request: Request) -> Principal:
    s = request.session
    if not s.get("key_id") or not s.get("brand_id"):
        raise _NotSignedIn
    p = Principal(key_id=str(s["key_id"]), brand_id=str(s["brand_id"]), admin=bool(s.get("admin")))
    if not _backend(request).still_valid(p):  # revoked since sign-in: the session ends now
        request.session.clear()
        raise _NotSignedIn
    return p


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _page(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
    ctx.update(base=_base(request), csrf=csrf_token(request), brand=request.session.get("brand_id"))
    return templates.TemplateResponse(
        request, name, ctx, status_code=status, headers={"Cache-Control": "no-store"}
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _checked_form(request: Request) -> Any:
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not csrf_ok(
        request, sent if isinstance(sent, str) else None
    ):  # a file upload is never a token
        raise ApiError(
            403,
            "the form is stale or was not sent by this app (CSRF token); reload the page",
            "csrf_token",
        )
    return form


def _guard(handler: Callable[..., Any]) -> Callable[[Request], Any]:
    """Signed-out -> the sign-in page; ``ApiError`` -> JSON for scripts, a page for people."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except _NotSignedIn:
            if _wants_json(request):
                return JSONResponse(
                    {"error": "not signed in", "detail": [{"loc": [], "msg": "not signed in"}]},
                    status_code=401,
                )
            return RedirectResponse(f"{_base(request)}/", status_code=303)
        except ApiError as e:
            if _wants_json(request):
                return e.response()
            return _page(request, "error.html", e.status, error=e)

    return run


# --------------------------------------------------------------------------- pages
async def home(request: Request) -> Response:
    try:
        principal = _principal(request)
    except _NotSignedIn:
        return _page(request, "signin.html")
    history = await run_in_threadpool(_backend(request).history, principal)
    values: dict[str, Any] = {"k": "20"}
    reopen = request.query_params.get("from")
    if reopen:
        _, logged = await run_in_threadpool(_backend(request).result, principal, reopen)
        values = brief_values(logged.get("brief", {}), logged.get("k"))
    return _page(request, "brief.html", values=values, errors={}, history=history)


async def sign_in(request: Request) -> Response:
    form = await _checked_form(request)
    token = str(form.get("api_key") or "").strip()
    try:
        principal = await run_in_threadpool(_backend(request).sign_in, token)
    except ApiError as e:
        return _page(
            request, "signin.html", 401, error=e.message if token else "api_key: enter your API key"
        )
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    request.session.update(
        key_id=principal.key_id, brand_id=principal.brand_id, admin=principal.admin
    )
    return RedirectResponse(f"{_base(request)}/", status_code=303)


async def sign_out(request: Request) -> Response:
    await _checked_form(request)
    request.session.clear()
    return RedirectResponse(f"{_base(request)}/", status_code=303)


async def match(request: Request) -> Response:
    t0 = time.perf_counter()
    principal = _principal(request)
    form = await _checked_form(request)
    values = form_values(form, form.getlist)
    backend = _backend(request)
    try:
        brief, k = parse_brief(values, principal.brand_id)
        t1 = time.perf_counter()
        resp = await run_in_threadpool(backend.match, principal, brief, k)
        t2 = time.perf_counter()
    except (FormErrors, ApiError) as e:
        errors = (
            e.errors
            if isinstance(e, FormErrors)
            else {(e.field or "text").split(".")[-1]: e.message}
        )
        if isinstance(e, ApiError) and e.status not in (400, 422):
            raise
        history = await run_in_threadpool(backend.history, principal)
        return _page(request, "brief.html", 400, values=values, errors=errors, history=history)
    page = _fresh_results(request, backend, brief, k, resp)
    # where the time went (the browser shows it: performance.getEntriesByType("navigation")[0].serverTiming)
    t3 = time.perf_counter()
    page.headers["Server-Timing"] = (
        f"before;dur={(t1 - t0) * 1000:.1f}, match;dur={(t2 - t1) * 1000:.1f}, "
        f"render;dur={(t3 - t2) * 1000:.1f}"
    )
    return page


def _fresh_results(request: Request, backend: Backend, brief: Any, k: int, resp: Any) -> Response:
    """The answer rendered in the POST's response (no redirect round trip: the page costs one
    request more than ``/match`` only by its rendering); ``app.js`` sets the address to
    ``/app/requests/<id>`` so a reload is a GET of the same list."""
    logged = {"brief": brief.model_dump(mode="json"), "k": k}
    rows = views.match_rows(backend, resp, logged, {})
    return _page(
        request,
        "results.html",
        request_id=resp.request_id,
        resp=resp,
        logged=logged,
        rows=rows,
        brief=logged["brief"],
        scale=views.er_scale(rows),
        canonical=f"{_base(request)}/requests/{resp.request_id}",
    )


async def more_like(request: Request) -> Response:
    """Re-run a past brief of this brand with one of its matches as the example creator (and
    without that creator itself in the list)."""
    principal = _principal(request)
    form = await _checked_form(request)
    backend = _backend(request)
    rid = request.path_params["request_id"]
    handle = str(form.get("handle") or "").strip().lstrip("@")
    _, logged = await run_in_threadpool(backend.result, principal, rid)
    values = brief_values(logged["brief"], logged.get("k"))
    values["like"] = handle
    values["excluded_handles"] = ", ".join(filter(None, [values["excluded_handles"], handle]))
    try:
        brief, k = parse_brief(values, principal.brand_id)
    except FormErrors as e:
        raise ApiError(400, str(e), next(iter(e.errors))) from None
    resp = await run_in_threadpool(backend.match, principal, brief, k)
    return _fresh_results(request, backend, brief, k, resp)


def _plan_constraints(form: Any) -> PlanConstraints:
    """The plan form's fields as ``PlanConstraints`` (the API's rules); 400 naming the field."""
    raw = {
        "budget_usd": str(form.get("budget_usd") or "").strip(),
        "max_creators": str(form.get("max_creators") or "").strip() or "20",
        "goal": str(form.get("goal") or "reach"),
    }
    try:
        return PlanConstraints.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "budget_usd"
        raise ApiError(400, f"{field}: {err['msg']}", field) from None


async def plan(request: Request) -> Response:
    """Plan a campaign for a past brief of this brand under a total budget (``POST /plan``)."""
    principal = _principal(request)
    form = await _checked_form(request)
    backend = _backend(request)
    rid = request.path_params["request_id"]
    _, logged = await run_in_threadpool(backend.result, principal, rid)
    constraints = _plan_constraints(form)
    try:
        brief, _ = parse_brief(brief_values(logged["brief"], logged.get("k")), principal.brand_id)
    except FormErrors as e:
        raise ApiError(400, str(e), next(iter(e.errors))) from None
    resp = await run_in_threadpool(backend.plan, principal, brief, constraints)
    creators = {c.influencer_id: backend.creator(c.influencer_id) for c in resp.creators}
    return _page(
        request,
        "plan.html",
        plan=resp,
        brief=logged["brief"],
        from_request=rid,
        creators=creators,
        goal_words=views.GOAL_WORDS,
    )


async def results(request: Request) -> Response:
    principal = _principal(request)
    backend = _backend(request)
    rid = request.path_params["request_id"]
    resp, logged = await run_in_threadpool(backend.result, principal, rid)
    actions = await run_in_threadpool(backend.actions, principal, rid)
    rows = await run_in_threadpool(views.match_rows, backend, resp, logged, actions)
    return _page(
        request,
        "results.html",
        request_id=rid,
        resp=resp,
        logged=logged,
        rows=rows,
        brief=logged.get("brief", {}),
        scale=views.er_scale(rows),
    )


async def shortlist(request: Request) -> Response:
    principal = _principal(request)
    rows = await run_in_threadpool(_backend(request).shortlist, principal)
    return _page(request, "shortlist.html", rows=rows)


async def shortlist_csv(request: Request) -> Response:
    principal = _principal(request)
    rows = await run_in_threadpool(_backend(request).shortlist, principal)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(views.CSV_COLUMNS)
    for r in rows:
        w.writerow(views.csv_row(r))
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="shortlist-{principal.brand_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


async def creator(request: Request) -> Response:
    principal = _principal(request)
    backend = _backend(request)
    c = await run_in_threadpool(backend.creator, request.path_params["influencer_id"])
    if c is None:
        raise ApiError(
            404, f"unknown influencer_id {request.path_params['influencer_id']!r}", "influencer_id"
        )
    rid = request.query_params.get("request_id") or ""
    row = None
    if rid:
        resp, logged = await run_in_threadpool(backend.result, principal, rid)
        actions = await run_in_threadpool(backend.actions, principal, rid)
        row = next(
            (
                r
                for r in views.match_rows(backend, resp, logged, actions)
                if r["influencer_id"] == c.influencer_id
            ),
            None,
        )
    return _page(request, "creator.html", c=c, row=row, request_id=rid)


async def _action(request: Request, undo: bool) -> Response:
    principal = _principal(request)
    form = await _checked_form(request)
    rid, inf = str(form.get("request_id") or ""), str(form.get("influencer_id") or "")
    event = str(form.get("event") or "")
    if event not in FEEDBACK_EVENTS:
        raise ApiError(
            400, f"event: unknown event {event!r}; one of {list(FEEDBACK_EVENTS)}", "event"
        )
    backend = _backend(request)
    if undo:
        value = await run_in_threadpool(backend.undo, principal, rid, inf, event)
        body: dict[str, Any] = {
            "request_id": rid,
            "influencer_id": inf,
            "event": event,
            "undone": value is not None,
        }
    else:
        raw = str(form.get("value") or "").strip()
        try:
            value = float(raw) if raw else None
        except ValueError:
            raise ApiError(400, f"value: not a number: {raw!r}", "value") from None
        try:
            fb = await run_in_threadpool(backend.feedback, principal, rid, inf, event, value)
        except ValueError as e:  # pydantic: the event's value rules (e.g. rating 1-5)
            raise ApiError(
                400, f"value: {e.errors()[0]['msg'] if hasattr(e, 'errors') else e}", "value"
            ) from None
        body = fb.model_dump(mode="json")
    if _wants_json(request):
        return JSONResponse(body)
    # without JavaScript: back to the page the button was on (never to an address the client names)
    page = "shortlist" if "/shortlist" in request.headers.get("referer", "") else f"requests/{rid}"
    return RedirectResponse(f"{_base(request)}/{page}", status_code=303)


async def feedback(request: Request) -> Response:
    return await _action(request, undo=False)


async def undo(request: Request) -> Response:
    return await _action(request, undo=True)


class _Sessions:
    """Starlette's ``SessionMiddleware``, built on the first request: the secret is read when the
    worker serves, not when ``serving.service`` is imported."""

    def __init__(self, app: Any, secret: str | None = None) -> None:
        self.app, self.secret = app, secret
        self.inner: SessionMiddleware | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.inner is None:
            self.inner = SessionMiddleware(
                self.app,
                secret_key=self.secret or session_secret(),
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="strict",
                https_only=False,
                path="/app",
            )
        await self.inner(scope, receive, send)


def create_app(
    get_service: Callable[[], Any] | None = None, secret: str | None = None
) -> Starlette:
    """The app; ``get_service`` returns the running service (default: BentoML's current one)."""
    if get_service is None:
        import bentoml

        get_service = bentoml.get_current_service
    routes = [
        Route("/", _guard(home), methods=["GET"]),
        Route("/signin", _guard(sign_in), methods=["POST"]),
        Route("/signout", _guard(sign_out), methods=["POST"]),
        Route("/match", _guard(match), methods=["POST"]),
        Route("/requests/{request_id}", _guard(results), methods=["GET"]),
        Route("/requests/{request_id}/more-like", _guard(more_like), methods=["POST"]),
        Route("/requests/{request_id}/plan", _guard(plan), methods=["POST"]),
        Route("/feedback", _guard(feedback), methods=["POST"]),
        Route("/undo", _guard(undo), methods=["POST"]),
        Route("/shortlist", _guard(shortlist), methods=["GET"]),
        Route("/shortlist.csv", _guard(shortlist_csv), methods=["GET"]),
        Route("/creators/{influencer_id}", _guard(creator), methods=["GET"]),
        Mount("/static", _Static(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(_Sessions, secret=secret)]
    templates.env.globals["asset_v"] = _asset_version()
    app = Starlette(routes=routes, middleware=middleware)
    app.state.get_service = get_service
    app.state.backend = None
    return app
