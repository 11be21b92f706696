"""Bounded ``/metrics`` labels: BentoML labels its request metrics with the raw path, so every
random URL a scanner tries became a label (10,000 404s: the scrape grew from 0.9 to 44 MB).
Known routes keep their label, paths below a known prefix share one per prefix, and every
other path is counted as ``UNKNOWN_ROUTE``."""

from __future__ import annotations

from typing import Any

from serving.http import API_PATHS, ASGIApp, Receive, Scope, Send

# routes that get their own /metrics label; any other path is counted as UNKNOWN_ROUTE (a
# scanner's 10,000 random URLs make one label, not 10,000). Mounted apps add their prefix here.
# Below a known prefix, paths share one label per prefix ("/app/*": ids in page URLs stay out).
KNOWN_ROUTES: set[str] = {*API_PATHS, "/model", "/healthz", "/livez", "/readyz", "/metrics", "/docs.json", "/",
                          "/app"}
KNOWN_PREFIXES: list[str] = ["/static_content/", "/app/"]
UNKNOWN_ROUTE = "/{unknown}"


def route_label(path: str) -> str:
    if path in KNOWN_ROUTES:
        return path
    for prefix in KNOWN_PREFIXES:
        if path.startswith(prefix):
            return prefix + "*"
    return UNKNOWN_ROUTE


def install_metrics_labels() -> None:
    """Label BentoML's request metrics with ``route_label(path)``: unknown paths share one label.

    BentoML's metrics middleware (outermost, before any service middleware) labels by
    ``scope["path"]``. Its ``__call__`` is wrapped: it sees the label as the path, and the app
    below it sees the real path again."""
    from bentoml._internal.server.http.instruments import RunnerTrafficMetricsMiddleware as M

    if getattr(M.__call__, "__matcher_labels__", False):
        return
    original = M.__call__

    async def call(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        label = route_label(scope.get("path", "")) if scope.get("type") == "http" else None
        if label is None or label == scope.get("path"):
            await original(self, scope, receive, send)
            return
        if not isinstance(self.app, _RestorePath):
            self.app = _RestorePath(self.app)
        await original(self, {**scope, "path": label, "matcher.path": scope["path"]}, receive, send)

    call.__matcher_labels__ = True  # type: ignore[attr-defined]
    M.__call__ = call  # type: ignore[method-assign]


class _RestorePath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "matcher.path" in scope:
            scope = {**scope, "path": scope["matcher.path"]}
            scope.pop("matcher.path")
        await self.app(scope, receive, send)
