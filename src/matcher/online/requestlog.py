"""Durable log of served requests, the lists they showed, and the feedback brands sent back.

A SQLite file by default (WAL, ``synchronous=FULL``: the WAL is fsynced at each commit, so a row
whose response was sent survives a killed process and a power cut; ``NORMAL`` survives a killed
process only). Several processes (BentoML workers) may share one file: SQLite serialises writers
and ``busy_timeout`` makes them wait. Several *replicas* share a PostgreSQL database instead: give
a ``postgresql+psycopg://`` URL (``$MATCHER_REQUEST_LOG``). Every write is one transaction
committed before the caller answers; the engine, pragmas and migrations are ``online.db`` and
``online.migrate``, the tables ``online.tables``.

This module is the service's writer (``RequestLog``); what it logs is ``online.records``, the
frames reader and writer (``read_request_log``, ``write_request_log``) are
``online.requestlog_read``: all re-exported here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from matcher.online import tables as T
from matcher.online.db import Database, insert_ignore, is_url
from matcher.online.records import RequestRecord, now_iso
from matcher.online.requestlog_read import RequestLogFrames, read_request_log, write_request_log
from matcher.online.tables import (
    COST_COLUMN,
    EXTRA_IMPRESSION_COLUMNS,
    FEEDBACK_COLUMNS,
    IMPRESSION_COLUMNS,
    REQUEST_COLUMNS,
    insertion_order,
)

__all__ = [
    "COST_COLUMN",
    "DEFAULT_PATH",
    "ENV_REQUEST_LOG",
    "EXTRA_IMPRESSION_COLUMNS",
    "FEEDBACK_COLUMNS",
    "IMPRESSION_COLUMNS",
    "REQUEST_COLUMNS",
    "RequestLog",
    "RequestLogFrames",
    "RequestRecord",
    "default_path",
    "now_iso",
    "read_request_log",
    "write_request_log",
]

logger = logging.getLogger(__name__)

ENV_REQUEST_LOG = "MATCHER_REQUEST_LOG"
DEFAULT_PATH = "requests.db"


def default_path() -> str | Path:
    """``$MATCHER_REQUEST_LOG`` (a path or a database URL), else ``requests.db`` in the working
    directory (read at call time)."""
    target = os.environ.get(ENV_REQUEST_LOG) or DEFAULT_PATH
    return target if is_url(target) else Path(target)


def _qmark_insert(table: sa.Table, columns: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )


_SQLITE_INSERT_REQUEST = _qmark_insert(T.requests, REQUEST_COLUMNS)
_SQLITE_INSERT_IMPRESSION = _qmark_insert(T.impressions, IMPRESSION_COLUMNS)


def _dicts(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


class RequestLog:
    """Thread-safe append-only log: SQLite by default, or a shared PostgreSQL database.

    ``path``: a file path or database URL (default :func:`default_path`). ``synchronous`` and
    ``busy_timeout_ms`` are SQLite's; on PostgreSQL the timeout bounds lock waits."""

    def __init__(
        self,
        path: str | Path | None = None,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 10_000,
    ) -> None:
        target = path if path is not None else default_path()
        self._db = Database(
            target,
            what="request log",
            branch="requestlog",
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
        )
        self.path = self._db.path  # the SQLite file; None on a database server
        self.name = self._db.name  # path, or URL without its password

    # ------------------------------------------------------------------ writes
    def log_request(self, record: RequestRecord | None = None, /, **fields: Any) -> None:
        """Append one request and its impressions in one committed transaction."""
        self.log_requests([record if record is not None else RequestRecord(**fields)])

    def log_requests(self, records: Sequence[RequestRecord]) -> None:
        """Append many requests in one transaction (one fsync for a whole batch). A request id
        already logged is an integrity error (``db.INTEGRITY_ERRORS``) and nothing is written."""
        if not records:
            return
        req_rows = [r.request_row() for r in records]
        imp_rows = [row for r in records for row in r.impression_rows()]
        with self._db.write() as c:
            if c.dialect.name == "sqlite":  # the rows straight to the driver, no statement
                c.exec_driver_sql(_SQLITE_INSERT_REQUEST, req_rows)  # compiled: 0.2 ms less
                if imp_rows:  # a request (docs/scaling.md); the same rows, same transaction
                    c.exec_driver_sql(_SQLITE_INSERT_IMPRESSION, imp_rows)
                return
            c.execute(T.requests.insert(), _dicts(REQUEST_COLUMNS, req_rows))
            if imp_rows:
                c.execute(T.impressions.insert(), _dicts(IMPRESSION_COLUMNS, imp_rows))

    def log_feedback(
        self,
        request_id: str,
        influencer_id: str,
        event: str,
        value: float = 1.0,
        created_at: str | None = None,
    ) -> bool:
        """Store one event; ``False`` when (request, influencer, event) was already stored (the
        first value is kept: feedback is idempotent, also between replicas)."""
        row = dict(
            zip(
                FEEDBACK_COLUMNS,
                (request_id, influencer_id, event, float(value), created_at or now_iso()),
                strict=True,
            )
        )
        with self._db.write() as c:
            return insert_ignore(c, T.feedback, row)

    # ------------------------------------------------------------------ reads
    def _rows(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> list[Any]:
        with self._db.read() as c:
            return [dict(r._mapping) for r in c.execute(stmt, params or {})]

    def _exists(self, table: sa.Table, **where: str) -> bool:
        stmt = (
            sa.select(sa.literal(1))
            .select_from(table)
            .where(*(table.c[k] == v for k, v in where.items()))
        )
        return bool(self._rows(stmt.limit(1)))

    def has_request(self, request_id: str) -> bool:
        return self._exists(T.requests, request_id=request_id)

    def was_shown(self, request_id: str, influencer_id: str) -> bool:
        return self._exists(T.impressions, request_id=request_id, influencer_id=influencer_id)

    def feedback_value(self, request_id: str, influencer_id: str, event: str) -> float | None:
        f = T.feedback.c
        rows = self._rows(
            sa.select(f.value).where(
                f.request_id == request_id, f.influencer_id == influencer_id, f.event == event
            )
        )
        return None if not rows else float(rows[0]["value"])

    def request(self, request_id: str) -> dict[str, Any] | None:
        """The logged request with its impressions and feedback (for tests and support)."""
        r, i, f = T.requests, T.impressions, T.feedback
        with self._db.read() as c:
            req = c.execute(sa.select(r).where(r.c.request_id == request_id)).first()
            if req is None:
                return None
            imps = c.execute(
                sa.select(i).where(i.c.request_id == request_id).order_by(i.c.position)
            ).all()
            fb = c.execute(
                sa.select(f).where(f.c.request_id == request_id).order_by(f.c.created_at)
            ).all()
        out = dict(req._mapping)
        out["brief"] = json.loads(out["brief_json"])
        out["impressions"] = [dict(x._mapping) for x in imps]
        out["feedback"] = [dict(x._mapping) for x in fb]
        return out

    def counts(self) -> dict[str, int]:
        with self._db.read() as c:
            return {
                t.name: int(c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (T.requests, T.impressions, T.feedback)
            }

    # ------------------------------------------------------------------ web app (serving/webapp)
    def retract_feedback(self, request_id: str, influencer_id: str, event: str) -> float | None:
        """Undo one event: move its row from ``feedback`` to ``feedback_retractions`` (kept for
        audit) in one transaction. Every reader of ``feedback`` (A/B analysis, the retraining
        merge) then sees it as never sent, and the same event can be sent again. Returns the
        retracted value, ``None`` when there was nothing to undo (also when another replica undid
        it at the same moment: ``DELETE ... RETURNING`` moves the row once)."""
        f = T.feedback.c
        with self._db.write() as c:
            row = c.execute(
                sa.delete(T.feedback)
                .where(
                    f.request_id == request_id, f.influencer_id == influencer_id, f.event == event
                )
                .returning(f.value, f.created_at)
            ).first()
            if row is None:
                return None
            c.execute(
                T.feedback_retractions.insert(),
                {
                    "request_id": request_id,
                    "influencer_id": influencer_id,
                    "event": event,
                    "value": row.value,
                    "created_at": row.created_at,
                    "retracted_at": now_iso(),
                },
            )
            return float(row.value)

    def request_brand(self, request_id: str) -> str | None:
        """The brand a logged request belongs to (``None``: unknown request or no brand)."""
        r = T.requests.c
        rows = self._rows(sa.select(r.brand_id).where(r.request_id == request_id))
        return None if not rows else rows[0]["brand_id"]

    def brand_requests(self, brand_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """This brand's answered briefs, newest first: ``request_id``, ``created_at``, ``brief``
        (the logged JSON, parsed), ``n_results``, ``n_candidates``, ``model_version``, ``status``."""
        r = T.requests.c
        stmt = (
            sa.select(
                r.request_id,
                r.created_at,
                r.brief_json,
                r.n_results,
                r.n_candidates,
                r.model_version,
                r.status,
            )
            .where(r.brand_id == brand_id, r.status != "error")
            .order_by(
                r.created_at.desc(), sa.literal_column(insertion_order(self._db.dialect)).desc()
            )
            .limit(int(limit))
        )
        rows = self._rows(stmt)
        for row in rows:
            row["brief"] = json.loads(row.pop("brief_json"))
        return rows

    def request_feedback(self, request_id: str) -> dict[str, dict[str, float]]:
        """Current (not retracted) feedback of one request: ``{influencer_id: {event: value}}``."""
        f = T.feedback.c
        out: dict[str, dict[str, float]] = {}
        for row in self._rows(
            sa.select(f.influencer_id, f.event, f.value).where(f.request_id == request_id)
        ):
            out.setdefault(row["influencer_id"], {})[row["event"]] = float(row["value"])
        return out

    def brand_feedback(self, brand_id: str, event: str = "shortlisted") -> list[dict[str, Any]]:
        """Current ``event`` rows of this brand's requests, newest first, one per creator (its
        latest): ``request_id``, ``influencer_id``, ``value``, ``created_at`` and the logged
        impression (``position``, ``score``, ``fit_score``, ``estimated_cost_usd``,
        ``expected_engagements``) plus the brief's text (``brief_text``)."""
        f, i, r = T.feedback.c, T.impressions.c, T.requests.c
        stmt = (
            sa.select(
                f.request_id,
                f.influencer_id,
                f.value,
                f.created_at,
                i.position,
                i.score,
                i.fit_score,
                i.estimated_cost_usd,
                i.expected_engagements,
                r.brief_json,
            )
            .select_from(
                T.feedback.join(T.requests, r.request_id == f.request_id).outerjoin(
                    T.impressions,
                    (i.request_id == f.request_id) & (i.influencer_id == f.influencer_id),
                )
            )
            .where(r.brand_id == brand_id, f.event == event)
            .order_by(f.created_at.desc())
        )
        seen: set[str] = set()
        out = []
        for row in self._rows(stmt):
            if row["influencer_id"] in seen:
                continue
            seen.add(row["influencer_id"])
            row["brief_text"] = json.loads(row.pop("brief_json")).get("text", "")
            out.append(row)
        return out

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RequestLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
