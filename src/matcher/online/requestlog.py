"""Durable log of served requests, the lists they showed, and the feedback brands sent back.

One SQLite file in WAL mode. Every write is one transaction committed before the caller
answers, with ``synchronous=FULL`` by default: the WAL is fsynced at each commit, so a row
whose response was sent survives a killed process and a power cut (``NORMAL`` survives a
killed process only, and is a little faster). Several processes (BentoML workers) may share
one file: SQLite serialises writers and ``busy_timeout`` makes them wait instead of failing.

This module owns the tables: the schema, the service's writer (``RequestLog``) and the one
reader (``read_request_log``, frames for the A/B analysis and the retraining merge), plus
``write_request_log`` for logs made of frames (simulations). Columns may be added, never renamed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.schemas import Brief, Match

logger = logging.getLogger(__name__)

ENV_REQUEST_LOG = "MATCHER_REQUEST_LOG"
DEFAULT_PATH = "requests.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests(request_id TEXT PRIMARY KEY, created_at TEXT, brand_id TEXT,
  brief_id TEXT, brief_json TEXT, k INTEGER, model_name TEXT, model_version TEXT, experiment TEXT,
  variant TEXT, latency_ms REAL, n_candidates INTEGER, n_results INTEGER, status TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS impressions(request_id TEXT, position INTEGER, influencer_id TEXT,
  score REAL, fit_score REAL, variant TEXT, estimated_cost_usd REAL, expected_engagements REAL,
  PRIMARY KEY(request_id, position));
CREATE TABLE IF NOT EXISTS feedback(request_id TEXT, influencer_id TEXT, event TEXT, value REAL,
  created_at TEXT, PRIMARY KEY(request_id, influencer_id, event));
CREATE INDEX IF NOT EXISTS impressions_by_influencer ON impressions(request_id, influencer_id);
CREATE INDEX IF NOT EXISTS requests_by_time ON requests(created_at);
CREATE TABLE IF NOT EXISTS feedback_retractions(request_id TEXT, influencer_id TEXT, event TEXT, value REAL,
  created_at TEXT, retracted_at TEXT);
CREATE INDEX IF NOT EXISTS requests_by_brand ON requests(brand_id, created_at);
"""

COST_COLUMN = "estimated_cost_usd"  # per impression; logs of older versions lack it
EXTRA_IMPRESSION_COLUMNS = {COST_COLUMN: "REAL", "expected_engagements": "REAL"}
# table columns in order (what the writers insert and frames carry)
REQUEST_COLUMNS: tuple[str, ...] = (
    "request_id",
    "created_at",
    "brand_id",
    "brief_id",
    "brief_json",
    "k",
    "model_name",
    "model_version",
    "experiment",
    "variant",
    "latency_ms",
    "n_candidates",
    "n_results",
    "status",
    "error",
)
IMPRESSION_COLUMNS: tuple[str, ...] = (
    "request_id",
    "position",
    "influencer_id",
    "score",
    "fit_score",
    "variant",
    *EXTRA_IMPRESSION_COLUMNS,
)
FEEDBACK_COLUMNS: tuple[str, ...] = ("request_id", "influencer_id", "event", "value", "created_at")
_INSERT_REQUEST, _INSERT_IMPRESSION, _INSERT_FEEDBACK = (
    f"{verb} INTO {table}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    for verb, table, cols in (
        ("INSERT", "requests", REQUEST_COLUMNS),
        ("INSERT", "impressions", IMPRESSION_COLUMNS),
        ("INSERT OR IGNORE", "feedback", FEEDBACK_COLUMNS),
    )
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def default_path() -> Path:
    """``$MATCHER_REQUEST_LOG``, else ``requests.db`` in the working directory (read at call time)."""
    return Path(os.environ.get(ENV_REQUEST_LOG) or DEFAULT_PATH)


@dataclass
class RequestRecord:
    """One served (or failed) request and the ranked list it showed."""

    request_id: str
    brief: Brief
    k: int
    model_name: str
    model_version: str | None  # None when routing failed before a model was chosen
    matches: Sequence[Match] = ()
    n_candidates: int | None = 0
    latency_ms: float | None = None
    status: str = "ok"  # ok | empty | error | timeout (the time budget ran out)
    error: str | None = None
    experiment: str | None = None
    variant: str | None = None
    sources: Sequence[str] | None = None  # per position, the team that placed it (interleaving)
    created_at: str = field(default_factory=now_iso)

    def request_row(self) -> tuple[Any, ...]:
        b = self.brief
        return (
            self.request_id,
            self.created_at,
            b.brand_id,
            b.brief_id,
            b.model_dump_json(),
            self.k,
            self.model_name,
            self.model_version,
            self.experiment,
            self.variant,
            self.latency_ms,
            self.n_candidates,
            len(self.matches),
            self.status,
            self.error,
        )

    def impression_rows(self) -> list[tuple[Any, ...]]:
        if self.sources is not None and len(self.sources) != len(self.matches):
            raise ValueError(f"{len(self.sources)} sources for {len(self.matches)} matches")
        rows = []
        for i, m in enumerate(self.matches):
            variant = self.sources[i] if self.sources is not None else self.variant
            rows.append(
                (
                    self.request_id,
                    i + 1,
                    m.influencer_id,
                    m.score,
                    m.fit_score,
                    variant,
                    m.estimated_cost_usd,
                    m.expected_engagement.engagements,
                )
            )
        return rows


@contextlib.contextmanager
def immediate_tx(
    lock: threading.Lock, conn: Callable[[], sqlite3.Connection]
) -> Iterator[sqlite3.Connection]:
    """Hold ``lock``, ``BEGIN IMMEDIATE`` on ``conn()``, COMMIT (ROLLBACK on any error): the one
    write transaction of the SQLite stores (the request log, ``online.keys``)."""
    with lock:
        con = conn()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


class RequestLog:
    """Thread-safe append-only log (one connection, one lock: writes are serialised anyway)."""

    def __init__(
        self,
        path: str | Path | None = None,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 10_000,
    ) -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, got {synchronous!r}")
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT)
        self._con: sqlite3.Connection | None = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_ms / 1000
        )
        con = self._con
        con.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logger.warning("request log %s: journal_mode is %s, not WAL", self.path, mode)
        con.execute(f"PRAGMA synchronous={synchronous.upper()}")
        with self._tx() as c:
            for stmt in (s.strip() for s in SCHEMA.split(";")):
                if stmt:
                    c.execute(stmt)
            _add_missing_columns(c)

    # ------------------------------------------------------------------ plumbing
    def _conn(self) -> sqlite3.Connection:
        if self._con is None:
            raise RuntimeError(f"request log {self.path} is closed")
        return self._con

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return immediate_tx(self._lock, self._conn)

    # ------------------------------------------------------------------ writes
    def log_request(self, record: RequestRecord | None = None, /, **fields: Any) -> None:
        """Append one request and its impressions in one committed transaction."""
        self.log_requests([record if record is not None else RequestRecord(**fields)])

    def log_requests(self, records: Sequence[RequestRecord]) -> None:
        """Append many requests in one transaction (one fsync for a whole batch)."""
        if not records:
            return
        req_rows = [r.request_row() for r in records]
        imp_rows = [row for r in records for row in r.impression_rows()]
        with self._tx() as c:
            c.executemany(_INSERT_REQUEST, req_rows)
            if imp_rows:
                c.executemany(_INSERT_IMPRESSION, imp_rows)

    def log_feedback(
        self,
        request_id: str,
        influencer_id: str,
        event: str,
        value: float = 1.0,
        created_at: str | None = None,
    ) -> bool:
        """Store one event; ``False`` when (request, influencer, event) was already stored (the
        first value is kept: feedback is idempotent)."""
        with self._tx() as c:
            cur = c.execute(
                _INSERT_FEEDBACK,
                (request_id, influencer_id, event, float(value), created_at or now_iso()),
            )
            return cur.rowcount == 1

    # ------------------------------------------------------------------ reads
    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._conn().execute(sql, params).fetchone()

    def has_request(self, request_id: str) -> bool:
        return self._one("SELECT 1 FROM requests WHERE request_id = ?", (request_id,)) is not None

    def was_shown(self, request_id: str, influencer_id: str) -> bool:
        return (
            self._one(
                "SELECT 1 FROM impressions WHERE request_id = ? AND influencer_id = ?",
                (request_id, influencer_id),
            )
            is not None
        )

    def feedback_value(self, request_id: str, influencer_id: str, event: str) -> float | None:
        row = self._one(
            "SELECT value FROM feedback WHERE request_id = ? AND influencer_id = ? AND event = ?",
            (request_id, influencer_id, event),
        )
        return None if row is None else float(row[0])

    def request(self, request_id: str) -> dict[str, Any] | None:
        """The logged request with its impressions and feedback (for tests and support)."""
        with self._lock:
            con = self._conn()
            con.row_factory = sqlite3.Row
            try:
                req = con.execute(
                    "SELECT * FROM requests WHERE request_id = ?", (request_id,)
                ).fetchone()
                if req is None:
                    return None
                imps = con.execute(
                    "SELECT * FROM impressions WHERE request_id = ? ORDER BY position",
                    (request_id,),
                ).fetchall()
                fb = con.execute(
                    "SELECT * FROM feedback WHERE request_id = ? ORDER BY created_at", (request_id,)
                ).fetchall()
            finally:
                con.row_factory = None
        out = dict(req)
        out["brief"] = json.loads(out["brief_json"])
        out["impressions"] = [dict(r) for r in imps]
        out["feedback"] = [dict(r) for r in fb]
        return out

    def counts(self) -> dict[str, int]:
        with self._lock:
            con = self._conn()
            return {
                t: int(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                for t in ("requests", "impressions", "feedback")
            }

    # ------------------------------------------------------------------ web app (serving/webapp)
    def retract_feedback(self, request_id: str, influencer_id: str, event: str) -> float | None:
        """Undo one event: move its row from ``feedback`` to ``feedback_retractions`` (kept for
        audit) in one transaction. Every reader of ``feedback`` (A/B analysis, the retraining
        merge) then sees it as never sent, and the same event can be sent again. Returns the
        retracted value, ``None`` when there was nothing to undo."""
        key = (request_id, influencer_id, event)
        with self._tx() as c:
            row = c.execute(
                "SELECT value, created_at FROM feedback WHERE request_id = ? AND influencer_id = ? "
                "AND event = ?",
                key,
            ).fetchone()
            if row is None:
                return None
            c.execute(
                "INSERT INTO feedback_retractions VALUES (?, ?, ?, ?, ?, ?)",
                (*key, row[0], row[1], now_iso()),
            )
            c.execute(
                "DELETE FROM feedback WHERE request_id = ? AND influencer_id = ? AND event = ?", key
            )
            return float(row[0])

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            con = self._conn()
            con.row_factory = sqlite3.Row
            try:
                return [dict(r) for r in con.execute(sql, params).fetchall()]
            finally:
                con.row_factory = None

    def request_brand(self, request_id: str) -> str | None:
        """The brand a logged request belongs to (``None``: unknown request or no brand)."""
        row = self._one("SELECT brand_id FROM requests WHERE request_id = ?", (request_id,))
        return None if row is None else row[0]

    def brand_requests(self, brand_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """This brand's answered briefs, newest first: ``request_id``, ``created_at``, ``brief``
        (the logged JSON, parsed), ``n_results``, ``n_candidates``, ``model_version``, ``status``."""
        rows = self._rows(
            "SELECT request_id, created_at, brief_json, n_results, n_candidates, model_version, status "
            "FROM requests WHERE brand_id = ? AND status != 'error' ORDER BY created_at DESC, "
            "rowid DESC LIMIT ?",
            (brand_id, int(limit)),
        )
        for r in rows:
            r["brief"] = json.loads(r.pop("brief_json"))
        return rows

    def request_feedback(self, request_id: str) -> dict[str, dict[str, float]]:
        """Current (not retracted) feedback of one request: ``{influencer_id: {event: value}}``."""
        out: dict[str, dict[str, float]] = {}
        for r in self._rows(
            "SELECT influencer_id, event, value FROM feedback WHERE request_id = ?", (request_id,)
        ):
            out.setdefault(r["influencer_id"], {})[r["event"]] = float(r["value"])
        return out

    def brand_feedback(self, brand_id: str, event: str = "shortlisted") -> list[dict[str, Any]]:
        """Current ``event`` rows of this brand's requests, newest first, one per creator (its
        latest): ``request_id``, ``influencer_id``, ``value``, ``created_at`` and the logged
        impression (``position``, ``score``, ``fit_score``, ``estimated_cost_usd``,
        ``expected_engagements``) plus the brief's text (``brief_text``)."""
        rows = self._rows(
            "SELECT f.request_id, f.influencer_id, f.value, f.created_at, i.position, i.score, i.fit_score, "
            "i.estimated_cost_usd, i.expected_engagements, r.brief_json FROM feedback f "
            "JOIN requests r ON r.request_id = f.request_id "
            "LEFT JOIN impressions i ON i.request_id = f.request_id AND i.influencer_id = f.influencer_id "
            "WHERE r.brand_id = ? AND f.event = ? ORDER BY f.created_at DESC",
            (brand_id, event),
        )
        seen: set[str] = set()
        out = []
        for r in rows:
            if r["influencer_id"] in seen:
                continue
            seen.add(r["influencer_id"])
            r["brief_text"] = json.loads(r.pop("brief_json")).get("text", "")
            out.append(r)
        return out

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> RequestLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _add_missing_columns(con: sqlite3.Connection) -> None:
    """Add the columns this version writes to a log created by an older one (or by a tool that
    wrote the minimal schema)."""
    have = {r[1] for r in con.execute("PRAGMA table_info(impressions)").fetchall()}
    for col, typ in EXTRA_IMPRESSION_COLUMNS.items():
        if col not in have:
            con.execute(f"ALTER TABLE impressions ADD COLUMN {col} {typ}")


# --------------------------------------------------------------------------- frames
@dataclass
class RequestLogFrames:
    """The three tables as frames: what the A/B analysis and the retraining merge read."""

    requests: pd.DataFrame
    impressions: pd.DataFrame
    feedback: pd.DataFrame

    @classmethod
    def from_records(
        cls,
        records: Sequence[RequestRecord],
        feedback: Sequence[tuple[str, str, str, float, str]] = (),
    ) -> RequestLogFrames:
        """The frames a ``RequestLog`` holding these records and ``feedback`` rows (in
        ``FEEDBACK_COLUMNS`` order) would read back, without a file."""
        return cls(
            pd.DataFrame([r.request_row() for r in records], columns=list(REQUEST_COLUMNS)),
            pd.DataFrame(
                [row for r in records for row in r.impression_rows()],
                columns=list(IMPRESSION_COLUMNS),
            ),
            pd.DataFrame(list(feedback), columns=list(FEEDBACK_COLUMNS)),
        )

    def head(self, n_requests: int) -> RequestLogFrames:
        """The first ``n_requests`` requests (log order) and their impressions and feedback."""
        keep = self.requests.iloc[:n_requests]
        ids = set(keep["request_id"])
        return RequestLogFrames(
            keep,
            self.impressions[self.impressions["request_id"].isin(ids)],
            self.feedback[self.feedback["request_id"].isin(ids)],
        )


def read_request_log(path: str | Path, experiment: str | None = None) -> RequestLogFrames:
    """Requests (in log order) of one experiment, or all, with their impressions and feedback
    (in no particular order). Read-only: safe while the service writes."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"request log {p} does not exist")
    where, params = ("WHERE experiment = ?", (experiment,)) if experiment else ("", ())
    sub = f"SELECT request_id FROM requests {where}"
    with contextlib.closing(sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)) as con:
        req = pd.read_sql_query(
            f"SELECT * FROM requests {where} ORDER BY created_at, rowid", con, params=params
        )
        imp = pd.read_sql_query(
            f"SELECT * FROM impressions WHERE request_id IN ({sub})", con, params=params
        )
        fb = pd.read_sql_query(
            f"SELECT * FROM feedback WHERE request_id IN ({sub})", con, params=params
        )
    return RequestLogFrames(req, imp, fb)


def write_request_log(frames: RequestLogFrames, path: str | Path) -> Path:
    """Append frames to a SQLite file with this schema (simulated logs; the service writes
    through ``RequestLog``)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(p)) as con, con:
        con.executescript(SCHEMA)
        _add_missing_columns(con)
        for table, df, cols in (
            ("requests", frames.requests, REQUEST_COLUMNS),
            ("impressions", frames.impressions, IMPRESSION_COLUMNS),
            ("feedback", frames.feedback, FEEDBACK_COLUMNS),
        ):
            if len(df):
                df.reindex(columns=list(cols)).to_sql(table, con, if_exists="append", index=False)
    return p
