"""How the service says no: one exception (``ApiError``) raised by the shared request code
(``serving.core``) and turned into one JSON body by every endpoint and the web app.

Body: ``{"error": "<one line>", "detail": [{"loc": [field], "msg": ...}], "request_id": ...}``
(``request_id`` only when a request was assigned one). 401 adds ``WWW-Authenticate: Bearer``,
429 and 503 add ``Retry-After``. Messages never carry a filesystem path of the server
(``scrub_paths``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.responses import JSONResponse

# an absolute POSIX path (two components at least) or a Windows drive path, inside any text
_PATH_RE = re.compile(r"(?<![\w:/.])(?:/[^\s'\"/:,;()\[\]]+){2,}/?|[A-Za-z]:\\[^\s'\"]+")


def scrub_paths(text: str) -> str:
    """``text`` with absolute filesystem paths replaced by ``<path>`` (what a client may see)."""
    return _PATH_RE.sub("<path>", text)


class ApiError(Exception):
    """A request the service refuses or cannot serve, with the HTTP status that says why."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = int(status)
        self.message = scrub_paths(str(message))
        self.field = field
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "error": self.message,
            "detail": [{"loc": [self.field] if self.field else [], "msg": self.message}],
        }
        if self.request_id is not None:
            out["request_id"] = self.request_id
        return out

    def headers(self) -> dict[str, str]:
        h: dict[str, str] = {}
        if self.status == 401:
            h["WWW-Authenticate"] = 'Bearer realm="matcher"'
        if self.retry_after is not None:
            h["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return h

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers())

    def raw(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body for a plain ASGI reply (the middleware)."""
        body = json.dumps(self.body()).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.headers().items()]
        return self.status, headers, body


# the error body as an OpenAPI 3.1 schema (serving.openapi documents it for every error status)
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {
            "type": "string",
            "description": "One line saying what is wrong, naming the field.",
        },
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "input": {},
                    "ctx": {"type": "object"},
                },
            },
        },
        "request_id": {
            "type": "string",
            "description": "Present when the request was assigned an id "
            "(time-outs and request-log faults: quote it to support).",
        },
    },
}
