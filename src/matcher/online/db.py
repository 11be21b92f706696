"""The database under the online stores (request log, API keys): SQLite by default, PostgreSQL
for several replicas, both through SQLAlchemy 2 Core.

A *target* is either a plain path (a SQLite file, the embedded default: ``requests.db``,
``keys.db``) or a SQLAlchemy URL (``postgresql+psycopg://user:pw@host:5432/db``; a
``sqlite:///path`` URL is a SQLite file too). Opening a store runs its alembic migrations to
head (``matcher.online.migrate``).

SQLite keeps the guarantees of the sqlite3 version (no lost write under kill -9): WAL,
``synchronous=FULL`` by default, ``busy_timeout``, and ``BEGIN IMMEDIATE`` for every write
transaction (so a writer waits for the lock up front instead of failing on upgrade), all set
through SQLAlchemy's documented pysqlite ``connect``/``begin`` event hooks. Within one process
writes also take a lock (threads queue there instead of in SQLite's busy loop).

Errors: the stores raise the *driver's* DB-API exceptions (``sqlite3.Error`` on SQLite,
``psycopg.Error`` on PostgreSQL), unwrapped from SQLAlchemy's, as the sqlite3 stores did;
``DB_ERRORS``, ``INTEGRITY_ERRORS`` and ``OPEN_ERRORS`` are the tuples to catch for either backend.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

SYNCHRONOUS_MODES = ("FULL", "NORMAL", "EXTRA")
_BEGIN_OPTION = "matcher_sqlite_begin"  # execution option read by the "begin" hook
CONNECT_TIMEOUT_S = 10  # a database server that does not answer: fail (503, NOT READY) after this

try:  # PostgreSQL support is optional: psycopg is only needed for postgresql URLs
    import psycopg

    _PG_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)
    _PG_INTEGRITY: tuple[type[Exception], ...] = (psycopg.IntegrityError,)
except ImportError:  # pragma: no cover (psycopg is installed with the service)
    _PG_ERRORS = _PG_INTEGRITY = ()

DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, *_PG_ERRORS)
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, *_PG_INTEGRITY)
# what opening a store may raise besides a bad target's ValueError: the driver's, the file system's
OPEN_ERRORS: tuple[type[Exception], ...] = (OSError, *DB_ERRORS)


def is_url(target: str | Path) -> bool:
    """A SQLAlchemy URL (``scheme://...``) rather than a file path. Checked on the string, before
    any ``Path()``: a ``Path`` would fold ``//`` and break the URL."""
    return isinstance(target, str) and "://" in target


def sqlite_path(target: str | Path) -> Path | None:
    """The file of a SQLite target (a plain path or a ``sqlite:///`` URL), else None."""
    if not is_url(target):
        return Path(target)
    url = sa.make_url(str(target))
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise ValueError(
            f"database URL {safe_name(target)!r}: an in-memory SQLite cannot be shared"
        )
    return Path(url.database)


def safe_name(target: str | Path) -> str:
    """The target as it may be logged or shown: a URL without its password."""
    if not is_url(target):
        return str(target)
    try:
        return sa.make_url(str(target)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<malformed database URL>"


@contextlib.contextmanager
def driver_errors() -> Iterator[None]:
    """Re-raise SQLAlchemy's wrapper of a DB-API error as the driver's own exception (the type the
    callers catch), with the statement as a note for the traceback."""
    try:
        yield
    except sa.exc.DBAPIError as e:
        orig = e.orig
        if not isinstance(orig, Exception):
            raise
        if e.statement:
            orig.add_note(f"while running: {e.statement[:300]}")
        raise orig from None


def make_engine(
    target: str | Path,
    *,
    busy_timeout_ms: int = 10_000,
    synchronous: str = "FULL",
    read_only: bool = False,
) -> Engine:
    """An engine for ``target`` (a path or URL). SQLite engines carry the pragmas and the
    ``BEGIN`` hook; ``read_only`` opens an existing SQLite file in read-only mode."""
    if synchronous.upper() not in SYNCHRONOUS_MODES:
        raise ValueError(
            f"synchronous must be {', '.join(SYNCHRONOUS_MODES[:-1])} or {SYNCHRONOUS_MODES[-1]}, "
            f"got {synchronous!r}"
        )
    if int(busy_timeout_ms) < 0:
        raise ValueError(f"busy_timeout_ms must be >= 0, got {busy_timeout_ms!r}")
    path = sqlite_path(target)
    if path is None:
        return _server_engine(str(target), busy_timeout_ms)
    return _sqlite_engine(path, int(busy_timeout_ms), synchronous.upper(), read_only)


def _server_engine(target: str, busy_timeout_ms: int) -> Engine:
    try:
        url = sa.make_url(target)
    except sa.exc.ArgumentError as e:
        raise ValueError(f"malformed database URL {safe_name(target)!r}: {e}") from None
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            f"unsupported database {url.drivername!r} in {safe_name(target)!r}: use a SQLite file "
            "path or a postgresql+psycopg:// URL"
        )
    if url.drivername == "postgresql":  # SQLAlchemy's default driver would be psycopg2
        url = url.set(drivername="postgresql+psycopg")
    # lock_timeout bounds how long a write waits for a row lock (like SQLite's busy_timeout)
    options = f"-c lock_timeout={int(busy_timeout_ms)}" if busy_timeout_ms else ""
    return sa.create_engine(
        url,
        pool_pre_ping=True,  # a replica survives a database restart
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": options},
    )


def _sqlite_engine(path: Path, busy_timeout_ms: int, synchronous: str, read_only: bool) -> Engine:
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        engine = sa.create_engine(
            "sqlite+pysqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            poolclass=sa.pool.NullPool,
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            sa.URL.create("sqlite+pysqlite", database=str(path)),
            poolclass=sa.pool.QueuePool,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_con: Any, _record: Any) -> None:
        # the driver must not open transactions itself: the "begin" hook below does
        dbapi_con.isolation_level = None
        cur = dbapi_con.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            if read_only:
                return
            mode = _set_wal(cur, busy_timeout_ms)
            if str(mode).lower() != "wal":
                logger.warning("database %s: journal_mode is %s, not WAL", path, mode)
            cur.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN_OPTION, 'DEFERRED')}")

    return engine


def _set_wal(cur: sqlite3.Cursor, busy_timeout_ms: int) -> str:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the lock: switching a new
    file to WAL needs an exclusive lock, and SQLite may answer "database is locked" at once
    instead of calling the busy handler (seen with four processes opening a new file together)."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.005
    while True:
        try:
            return str(cur.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def writer(engine: Engine) -> Engine:
    """The same engine (shared pool) whose transactions are write transactions: ``BEGIN
    IMMEDIATE`` on SQLite, a plain ``BEGIN`` elsewhere."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


class Database:
    """One store's engine, migrated to head on open, with the write and read transactions.

    ``what`` names the store in errors ("request log", "key store"); ``branch`` is its alembic
    branch (``matcher.online.migrate.BRANCHES``)."""

    def __init__(
        self,
        target: str | Path,
        *,
        what: str,
        branch: str,
        busy_timeout_ms: int = 10_000,
        synchronous: str = "FULL",
    ) -> None:
        from matcher.online.migrate import upgrade

        self.what = what
        self.name = safe_name(target)
        self.path = sqlite_path(target)  # None for a database server
        engine = make_engine(target, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous)
        try:
            with driver_errors():
                upgrade(engine, branch)
        except BaseException:
            engine.dispose()
            raise
        self._engine: Engine | None = engine
        self._writer = writer(engine)
        # one process's threads queue here rather than in SQLite's busy loop; a server locks rows
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @property
    def dialect(self) -> str:
        return self._open_engine().dialect.name

    def _open_engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError(f"{self.what} {self.name} is closed")
        return self._engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed at the end, rolled back on any error."""
        self._open_engine()
        with self._lock, driver_errors(), self._writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (a deferred transaction, rolled back at the end)."""
        engine = self._open_engine()
        with driver_errors(), engine.connect() as conn:
            yield conn

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def insert_ignore(conn: Connection, table: sa.Table, row: dict[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` in the connection's dialect: False when
    the row's key was taken (nothing written), on SQLite and PostgreSQL alike. (RETURNING, not
    ``rowcount``: drivers do not all report it for INSERT.)"""
    from sqlalchemy.dialects import postgresql, sqlite

    pk = list(table.primary_key.columns)
    stmt = (
        postgresql.insert(table).on_conflict_do_nothing().returning(*pk)
        if conn.dialect.name == "postgresql"
        else sqlite.insert(table).on_conflict_do_nothing().returning(*pk)
    )
    return conn.execute(stmt, row).first() is not None
