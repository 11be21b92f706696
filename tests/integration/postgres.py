"""A throw-away PostgreSQL server for the tests, started by the tests themselves (Debian's
``postgresql`` package: ``initdb`` + ``pg_ctl``), and one fresh database per test.

``postgres_server`` (session) skips the tests that need it when no PostgreSQL binaries are
installed, unless ``MATCHER_REQUIRE_POSTGRES=1`` (CI): then they fail. initdb refuses to run as
root, so as root the server runs as the ``postgres`` user in a folder it owns. fsync is off: the
server and its data die with the session (durability is SQLite's test; here it is the SQL).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_REQUIRE = "MATCHER_REQUIRE_POSTGRES"
ENV_BIN = "MATCHER_POSTGRES_BIN"  # a folder with initdb and pg_ctl (default: the newest Debian one)
USER = "matcher"


def postgres_bin() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: ``$MATCHER_POSTGRES_BIN``, Debian's newest
    ``/usr/lib/postgresql/<major>/bin``, or the one on PATH."""
    candidates = [os.environ.get(ENV_BIN, "")]
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for c in candidates:
        if c and (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get(ENV_REQUIRE) == "1":
        pytest.fail(f"PostgreSQL is required ({ENV_REQUIRE}=1) but {reason}")
    pytest.skip(f"no PostgreSQL: {reason}")


@dataclass
class PostgresServer:
    bin: Path
    root: Path
    port: int
    as_user: list[str]  # the command prefix that runs as the server's owner

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        out = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if out.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{args[0]} failed ({out.returncode}): {out.stderr}\n{tail}")

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER,
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts,
                  "-l", str(self.root / "log"), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        ) as con:
            con.execute(sql)  # type: ignore[arg-type]  (names below are generated, not input)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server() -> PostgresServer:
    """Start a server in a new temporary folder (the caller stops it and removes ``root``)."""
    from serving.process import free_port

    pg_bin = postgres_bin()
    if pg_bin is None:
        _unavailable(f"initdb/pg_ctl not found (apt-get install postgresql, or ${ENV_BIN})")
    assert pg_bin is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg package is not installed")
    root = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as postgres, in a folder it owns
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root and runuser is missing")
        shutil.chown(root, "postgres", "postgres")
        as_user = [str(runuser), "-u", "postgres", "--"]
    server = PostgresServer(bin=pg_bin, root=root, port=free_port(), as_user=as_user)
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL of a new, empty database on the session's server (dropped after the test)."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


class Backend:
    """Where a test's stores live: ``target("log.db")`` is a file in ``tmp_path`` (SQLite) or a
    database of its own on the session's PostgreSQL server (one per distinct name)."""

    def __init__(self, kind: str, tmp_path: Path, server: PostgresServer | None) -> None:
        self.kind = kind
        self._tmp = tmp_path
        self._server = server
        self._dbs: dict[str, str] = {}

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def target(self, name: str = "store.db") -> str | Path:
        if self._server is None:
            return self._tmp / name
        if name not in self._dbs:
            self._dbs[name] = self._server.create_database()
        return self._server.url(self._dbs[name])

    def close(self) -> None:
        if self._server is not None:
            for db in self._dbs.values():
                self._server.drop_database(db)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Run the test once on SQLite and once on PostgreSQL (the server starts on first use)."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgresql" else None
    b = Backend(request.param, tmp_path, server)
    try:
        yield b
    finally:
        b.close()
