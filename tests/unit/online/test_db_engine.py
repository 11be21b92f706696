"""``online.db``: targets (path or URL), SQLite's pragmas and BEGIN IMMEDIATE through the
SQLAlchemy hooks, the driver's errors, a closed store."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from matcher.online.db import (
    INTEGRITY_ERRORS,
    Database,
    driver_errors,
    is_url,
    make_engine,
    safe_name,
    sqlite_path,
    writer,
)


def test_paths_and_urls_are_told_apart() -> None:
    pg = "postgresql+psycopg://matcher:s3cret@db.internal:5432/matcher"
    assert is_url(pg) and not is_url("requests.db") and not is_url(Path("a/b.db"))
    assert sqlite_path("requests.db") == Path("requests.db")
    assert sqlite_path("sqlite:////var/lib/m/r.db") == Path("/var/lib/m/r.db")
    assert sqlite_path(pg) is None
    assert safe_name(pg) == "postgresql+psycopg://matcher:***@db.internal:5432/matcher"
    assert "s3cret" not in safe_name(pg) and safe_name("x/r.db") == "x/r.db"


@pytest.mark.parametrize(
    ("target", "kw", "message"),
    [
        ("mysql://u@h/db", {}, "unsupported database 'mysql'"),
        ("sqlite://", {}, "in-memory"),
        ("x.db", {"synchronous": "OFF"}, "synchronous must be FULL, NORMAL or EXTRA"),
        ("x.db", {"busy_timeout_ms": -1}, "busy_timeout_ms must be >= 0"),
    ],
)
def test_bad_targets_are_refused_naming_the_problem(tmp_path, target, kw, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_engine(target if "://" in target else str(tmp_path / target), **kw)


def test_the_default_pg_driver_is_psycopg() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/db")  # nothing connects yet
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_sqlite_connections_carry_the_pragmas(tmp_path) -> None:
    engine = make_engine(tmp_path / "a.db", busy_timeout_ms=1234, synchronous="NORMAL")
    with engine.connect() as c:
        pragma = {
            p: c.exec_driver_sql(f"PRAGMA {p}").scalar_one()
            for p in ("journal_mode", "synchronous", "busy_timeout")
        }
    engine.dispose()
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 1234}
    engine = make_engine(tmp_path / "b.db")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL by default
    engine.dispose()


def test_a_write_transaction_takes_the_lock_when_it_begins(tmp_path) -> None:
    """BEGIN IMMEDIATE: a second writer waits at BEGIN (then fails after busy_timeout), even
    though the first has not written anything yet."""
    path = tmp_path / "a.db"
    engine = make_engine(path, busy_timeout_ms=100)
    with writer(engine).begin() as c:
        c.exec_driver_sql("CREATE TABLE t(x)")
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    with writer(engine).begin() as c:
        c.exec_driver_sql("SELECT 1")  # a read only: a deferred BEGIN would take no lock
        t0 = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        assert time.perf_counter() - t0 < 2
    other.execute("BEGIN IMMEDIATE")  # free again after COMMIT
    other.execute("ROLLBACK")
    with engine.connect() as c:  # a reader's (deferred) transaction does not block writers
        c.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one()
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        other.execute("COMMIT")
    other.close()
    engine.dispose()


def test_errors_are_the_drivers_own(tmp_path) -> None:
    engine = make_engine(tmp_path / "a.db")
    with writer(engine).begin() as c:
        c.exec_driver_sql("CREATE TABLE t(x PRIMARY KEY)")
        c.exec_driver_sql("INSERT INTO t VALUES (1)")
    with pytest.raises(INTEGRITY_ERRORS) as err, driver_errors(), writer(engine).begin() as c:
        c.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert isinstance(err.value, sqlite3.IntegrityError)
    assert any("INSERT INTO t" in n for n in err.value.__notes__)  # the statement, for the log
    engine.dispose()


def test_a_closed_database_refuses_and_writes_roll_back(tmp_path) -> None:
    db = Database(tmp_path / "r.db", what="request log", branch="requestlog")
    with pytest.raises(RuntimeError, match="boom"), db.write() as c:
        c.execute(sa.text("INSERT INTO requests(request_id) VALUES ('x')"))
        raise RuntimeError("boom")
    with db.read() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM requests")).scalar_one() == 0
    db.close()
    db.close()  # twice is fine
    with pytest.raises(RuntimeError, match="request log .*r.db is closed"), db.read():
        pass


def test_writers_in_one_process_queue_instead_of_failing(tmp_path) -> None:
    """With a busy_timeout of 0, threads of one process would fail on SQLite's lock: the store's
    own lock makes them queue."""
    db = Database(tmp_path / "r.db", what="request log", branch="requestlog", busy_timeout_ms=0)
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for i in range(20):
                with db.write() as c:
                    c.execute(
                        sa.text("INSERT INTO requests(request_id) VALUES (:r)"), {"r": f"{w}-{i}"}
                    )
        except BaseException as e:  # pragma: no cover (the failure this test is about)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM requests")).scalar_one() == 80
    db.close()


def test_an_unreachable_server_is_the_drivers_error_without_the_password() -> None:
    import psycopg

    from serving.process import free_port

    url = f"postgresql+psycopg://matcher:hunter2@127.0.0.1:{free_port()}/matcher"  # nobody there
    t0 = time.perf_counter()
    with pytest.raises(psycopg.OperationalError) as err:
        Database(url, what="request log", branch="requestlog")
    assert time.perf_counter() - t0 < 10 and "hunter2" not in str(err.value)
