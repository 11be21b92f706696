"""HTTP edge of the service: what reaches the API methods, and how a rejected request reads.

BentoML already validates bodies with pydantic (400). This adds what it lacks so that bad
input never becomes a 500 and every 4xx names the field: JSON-only bodies (a multipart body
without a boundary is a 500 in BentoML 1.4), a body-size limit, and a one-line ``error``
("brief.text: String should have at least 1 character") on BentoML's validation 400s.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PATHS: tuple[str, ...] = ("/match", "/match_batch", "/feedback", "/reload")
MAX_BODY_BYTES = 8 * 1024 * 1024  # 100 briefs of 50k characters fit, with room for JSON escapes
JSON_TYPES = (b"", b"application/json")


def summarise(detail: list[dict[str, Any]], limit: int = 5) -> str:
    """``loc: msg`` for each pydantic error, the location dotted (``brief.min_followers``)."""
    parts = []
    for d in detail[:limit]:
        loc = ".".join(str(x) for x in d.get("loc", []) if x != "body") or "body"
        parts.append(f"{loc}: {d.get('msg', 'invalid')}")
    more = f" (and {len(detail) - limit} more)" if len(detail) > limit else ""
    return "invalid request: " + "; ".join(parts) + more


async def _reply(send: Send, status: int, message: str, field: str | None = None) -> None:
    body = json.dumps({"error": message, "detail": [{"loc": [field] if field else [], "msg": message}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """ASGI middleware for the POST API routes (other paths pass through untouched)."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...] = API_PATHS, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.paths = paths
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype not in JSON_TYPES:
            await _reply(send, 415, f"unsupported content type {ctype.decode('latin-1')!r}: send a JSON body "
                         "with 'Content-Type: application/json'", "content-type")
            return
        clen = headers.get(b"content-length")
        if clen is not None:
            try:
                n = int(clen)
            except ValueError:
                await _reply(send, 400, "invalid Content-Length header", "content-length")
                return
            if n > self.max_body_bytes:
                await _reply(send, 413, f"request body of {n} bytes is larger than {self.max_body_bytes}",
                             "content-length")
                return
        await self.app(scope, receive, _RewriteValidationErrors(send))


class _RewriteValidationErrors:
    """Buffers a 400 response and replaces BentoML's generic ``error`` with the fields' messages."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 400:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(self.chunks)
        try:
            data = json.loads(body)
            if isinstance(data, dict) and "validation error" in str(data.get("error")) \
                    and isinstance(data.get("detail"), list):
                data["error"] = summarise(data["detail"])
                for d in data["detail"]:
                    d.pop("url", None)
                body = json.dumps(data).encode()
        except ValueError:
            pass
        headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


class QuietValidationErrors(logging.Filter):
    """BentoML logs a full traceback for every invalid request body; keep one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__name__ == "ValidationError":
            record.msg = f"{record.getMessage()}: rejected invalid input ({exc.error_count()} error(s))"  # type: ignore[attr-defined]
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def install_log_filter() -> None:
    log = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(f, QuietValidationErrors) for f in log.filters):
        log.addFilter(QuietValidationErrors())
