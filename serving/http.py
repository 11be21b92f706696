"""HTTP edge of the service: what reaches the API methods, and how a rejected request reads.

BentoML already validates bodies with pydantic (400). This adds what it lacks so that bad
input never becomes a 500, every 4xx names the field, and no client can hold a worker:
JSON-only bodies (415, an absent Content-Type too: a browser form cannot post cross-site),
a body-size limit counted while the body streams in (413, chunked bodies too), a deadline for
the whole body (408: slow clients), readiness that says why it is not (``/readyz`` 503 with the
reason, and while the worker is saturated), a one-line ``error`` on BentoML's validation 400s,
and the OpenAPI document made true (``serving.openapi``). Bounded ``/metrics`` labels:
``serving.metrics``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.to_thread

from serving.errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PATHS: tuple[str, ...] = ("/match", "/match_batch", "/plan", "/feedback", "/reload")
MAX_BODY_BYTES = 8 * 1024 * 1024  # 100 briefs of 50k characters fit, with room for JSON escapes
JSON_TYPES = (b"application/json",)
# scope["state"] key of the principal ``RequestGuard`` authenticated (``MatcherService._caller``)
PRINCIPAL_STATE = "matcher_principal"


class EdgeState:
    """Per worker process: requests in flight on the API routes, and the service's readiness."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_concurrency = 256
        self.body_timeout_s = 10.0
        self._reason: Callable[[], str | None] = lambda: None
        self.authenticate: Callable[[str | None], Any] | None = None
        self._lock = threading.Lock()

    def configure(
        self,
        reason: Callable[[], str | None],
        max_concurrency: int,
        body_timeout_s: float,
        authenticate: Callable[[str | None], Any] | None = None,
    ) -> None:
        """``authenticate(header)`` raises ``ApiError`` (401) for a request without a valid key:
        checked before the body is read or validated (no work, no hint of the schema, for strangers)."""
        self._reason, self.max_concurrency, self.body_timeout_s = (
            reason,
            max_concurrency,
            body_timeout_s,
        )
        self.authenticate = authenticate

    def snapshot(self) -> tuple[Any, ...]:
        """The configuration (tests run several services in one process: see ``restore``)."""
        return self._reason, self.max_concurrency, self.body_timeout_s, self.authenticate

    def restore(self, snap: tuple[Any, ...]) -> None:
        self._reason, self.max_concurrency, self.body_timeout_s, self.authenticate = snap

    def not_ready(self) -> str | None:
        reason = self._reason()
        if reason:
            return reason
        if self.saturated():
            return f"saturated: {self.in_flight} requests in flight (limit {self.max_concurrency})"
        return None

    def saturated(self) -> bool:
        return self.in_flight >= self.max_concurrency

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


STATE = EdgeState()


def summarise(detail: list[dict[str, Any]], limit: int = 5) -> str:
    """``loc: msg`` for each pydantic error, the location dotted (``brief.min_followers``)."""
    parts = []
    for d in detail[:limit]:
        loc = ".".join(str(x) for x in d.get("loc", []) if x != "body") or "body"
        parts.append(f"{loc}: {d.get('msg', 'invalid')}")
    more = f" (and {len(detail) - limit} more)" if len(detail) > limit else ""
    return "invalid request: " + "; ".join(parts) + more


async def _reply(
    send: Send,
    status: int,
    message: str,
    field: str | None = None,
    retry_after: float | None = None,
) -> None:
    code, headers, body = ApiError(status, message, field, retry_after=retry_after).raw()
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, counted as it streams in (``Content-Length`` or chunked alike);
    raises ``_BodyTooLarge`` past ``limit`` bytes; None when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class RequestGuard:
    """ASGI middleware: the POST API routes (content type, body size and deadline, in-flight
    count), ``/readyz`` with the reason, the OpenAPI document; other paths pass through."""

    def __init__(
        self,
        app: ASGIApp,
        paths: tuple[str, ...] = API_PATHS,
        max_body_bytes: int = MAX_BODY_BYTES,
        state: EdgeState = STATE,
    ) -> None:
        self.app = app
        self.paths = paths
        self.max_body_bytes = max_body_bytes
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path"), scope.get("method")
        if path == "/readyz" and method == "GET":
            reason = self.state.not_ready()
            if reason:
                await _reply(send, 503, f"not ready: {reason}", retry_after=5)
                return
        if path == "/docs.json" and method == "GET":
            await self.app(scope, receive, RewriteResponse(send, 200, _corrected_openapi))
            return
        if method != "POST" or path not in self.paths:
            await self.app(scope, receive, send)
            return
        self.state.enter()
        try:
            await self._post(scope, receive, send)
        finally:
            self.state.leave()

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if self.state.authenticate is not None:
            auth = headers.get(b"authorization")
            try:
                principal = await anyio.to_thread.run_sync(
                    self.state.authenticate, auth.decode("latin-1") if auth else None
                )
            except ApiError as e:
                status, hdrs, denial = e.raw()
                await send({"type": "http.response.start", "status": status, "headers": hdrs})
                await send({"type": "http.response.body", "body": denial})
                return
            # the handler takes the caller from here: one key lookup per request
            scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype not in JSON_TYPES:
            shown = ctype.decode("latin-1") or "none"
            await _reply(
                send,
                415,
                f"unsupported content type {shown!r}: send a JSON body "
                "with 'Content-Type: application/json'",
                "content-type",
            )
            return
        clen = headers.get(b"content-length")
        if clen is not None:
            try:
                n = int(clen)
            except ValueError:
                await _reply(send, 400, "invalid Content-Length header", "content-length")
                return
            if n > self.max_body_bytes:
                await _reply(
                    send,
                    413,
                    f"request body of {n} bytes is larger than {self.max_body_bytes}",
                    "content-length",
                )
                return
        try:
            with anyio.fail_after(self.state.body_timeout_s):
                body = await read_body(receive, self.max_body_bytes)
        except _BodyTooLarge:
            await _reply(
                send, 413, f"request body is larger than {self.max_body_bytes} bytes", "body"
            )
            return
        except TimeoutError:
            await _reply(
                send,
                408,
                f"request body not received within {self.state.body_timeout_s:g}s",
                "body",
            )
            return
        if body is None:
            return  # the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, RewriteResponse(send, 400, _field_messages))


class RewriteResponse:
    """``send`` wrapper: buffers a response of ``status`` and sends ``transform(body)`` instead
    (Content-Length fixed); every other response passes through untouched."""

    def __init__(self, send: Send, status: int, transform: Callable[[bytes], bytes]) -> None:
        self.send, self.status, self.transform = send, status, transform
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == self.status:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = self.transform(b"".join(self.chunks))
        headers = [
            (k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


def _field_messages(body: bytes) -> bytes:
    """A 400 body with BentoML's generic ``error`` replaced by the fields' messages."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if (
        isinstance(data, dict)
        and "validation error" in str(data.get("error"))
        and isinstance(data.get("detail"), list)
    ):
        data["error"] = summarise(data["detail"])
        for d in data["detail"]:
            d.pop("url", None)
        return json.dumps(data).encode()
    return body


def _corrected_openapi(body: bytes) -> bytes:
    from serving.openapi import rewrite

    return json.dumps(rewrite(json.loads(body))).encode()


class QuietValidationErrors(logging.Filter):
    """BentoML logs a full traceback for every invalid request body; keep one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__name__ == "ValidationError":
            record.msg = (
                f"{record.getMessage()}: rejected invalid input ({exc.error_count()} error(s))"  # type: ignore[attr-defined]
            )
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def install_log_filter() -> None:
    log = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(f, QuietValidationErrors) for f in log.filters):
        log.addFilter(QuietValidationErrors())
