"""``/metrics``: matcher's own Prometheus metrics (model version, matches returned, empty results,
feedback events, brief-cache hits, request-log write latency; docs/serving.md), and bounded labels
for BentoML's request metrics.

Bounded labels: BentoML labels its request metrics with the raw path, so every
random URL a scanner tries became a label (10,000 404s: the scrape grew from 0.9 to 44 MB).
Known routes keep their label, paths below a known prefix share one per prefix, and every
other path is counted as ``UNKNOWN_ROUTE``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from matcher.schemas import FEEDBACK_EVENTS
from serving.http import API_PATHS, ASGIApp, Receive, Scope, Send

# routes that get their own /metrics label; any other path is counted as UNKNOWN_ROUTE (a
# scanner's 10,000 random URLs make one label, not 10,000). Mounted apps add their prefix here.
# Below a known prefix, paths share one label per prefix ("/app/*": ids in page URLs stay out).
KNOWN_ROUTES: set[str] = {
    *API_PATHS,
    "/model",
    "/healthz",
    "/livez",
    "/readyz",
    "/metrics",
    "/docs.json",
    "/",
    "/app",
}
KNOWN_PREFIXES: list[str] = ["/static_content/", "/app/"]
UNKNOWN_ROUTE = "/{unknown}"
T = TypeVar("T")


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


# --------------------------------------------------------------------------- matcher's own metrics
# Custom Prometheus metrics, served by BentoML's ``/metrics`` next to its request metrics.
# prometheus_client directly (``bentoml.metrics`` is a deprecated alias of it in 1.4). Created on
# first use, in the worker: ``bentoml serve`` starts workers with PROMETHEUS_MULTIPROC_DIR set,
# and the arbiter merges every worker's values at ``/metrics``. Every label is bounded: the
# endpoint (3 names), the feedback event (the fixed vocabulary of ``matcher.schemas``), the
# request-log operation (2 names), and the model name + version (the models this worker loaded).
MATCH_ENDPOINTS = ("match", "match_batch", "plan")
LOG_OPS = ("request", "feedback")
MATCH_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100)
LOG_WRITE_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    10.0,
)


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.model_info = Gauge(
            "matcher_model_info",
            "1 for the model (name, version) this service answers with, 0 for one it "
            "served before a reload",
            ["model_name", "model_version"],
            multiprocess_mode="livemax",
        )
        self.matches_returned = Histogram(
            "matcher_matches_returned",
            "Creators returned per brief",
            ["endpoint"],
            buckets=MATCH_BUCKETS,
        )
        self.empty_results = Counter(
            "matcher_empty_results",
            "Briefs answered with no creator (nothing passed the filters)",
            ["endpoint"],
        )
        self.feedback_events = Counter(
            "matcher_feedback_events",
            "Feedback events recorded (duplicates of a recorded event not counted)",
            ["event"],
        )
        self.brief_cache_hits = Counter(
            "matcher_brief_cache_hits", "Brief embeddings found in the in-memory brief cache"
        )
        self.brief_cache_misses = Counter(
            "matcher_brief_cache_misses", "Brief embeddings computed (not in the brief cache)"
        )
        self.log_write_seconds = Histogram(
            "matcher_request_log_write_seconds",
            "Time to commit one request-log write (lock wait included)",
            ["op"],
            buckets=LOG_WRITE_BUCKETS,
        )


_METRICS: _Metrics | None = None
_METRICS_LOCK = threading.Lock()


def metrics() -> _Metrics:
    """The process's matcher metrics (registered with prometheus_client once)."""
    global _METRICS
    if _METRICS is None:
        with _METRICS_LOCK:
            if _METRICS is None:
                _METRICS = _Metrics()
    return _METRICS


def record_matches(endpoint: str, counts: Iterable[int]) -> None:
    """One observation per brief answered: how many creators, and whether none."""
    if endpoint not in MATCH_ENDPOINTS:
        raise ValueError(f"unknown endpoint label {endpoint!r}")
    m = metrics()
    for n in counts:
        m.matches_returned.labels(endpoint).observe(n)
        if n == 0:
            m.empty_results.labels(endpoint).inc()


def record_feedback(event: str) -> None:
    if event not in FEEDBACK_EVENTS:  # the API validated it already; never an unbounded label
        raise ValueError(f"unknown feedback event {event!r}")
    metrics().feedback_events.labels(event).inc()


def timed_log_write(op: str, fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` (a request-log write), timed into ``matcher_request_log_write_seconds{op}`` whether it
    succeeds or fails."""
    if op not in LOG_OPS:
        raise ValueError(f"unknown request-log operation {op!r}")

    def run() -> T:
        with metrics().log_write_seconds.labels(op).time():
            return fn()

    return run


def set_serving_model(
    name: str, version: str | None, previous: tuple[str, str | None] | None = None
) -> None:
    """``matcher_model_info{model_name, model_version}`` = 1 for the model now served; the one it
    replaced (after a reload) drops to 0."""
    m = metrics()
    if previous is not None and previous != (name, version):
        m.model_info.labels(previous[0], str(previous[1])).set(0)
    m.model_info.labels(name, str(version)).set(1)


class CountingCache:
    """Wraps the encoder's brief cache (``get``/``put``/``len`` of ``MemoryCache``) and counts its
    hits and misses into ``matcher_brief_cache_hits`` / ``_misses``; the hit ratio is
    ``rate(hits) / (rate(hits) + rate(misses))``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.dim = inner.dim

    def __len__(self) -> int:
        return len(self.inner)

    def get(self, keys: list[bytes]) -> tuple[Any, Any]:
        vecs, hit = self.inner.get(keys)
        n_hit = int(hit.sum())
        m = metrics()
        if n_hit:
            m.brief_cache_hits.inc(n_hit)
        if len(keys) - n_hit:
            m.brief_cache_misses.inc(len(keys) - n_hit)
        return vecs, hit

    def put(self, keys: list[bytes], vecs: Any) -> None:
        self.inner.put(keys, vecs)
