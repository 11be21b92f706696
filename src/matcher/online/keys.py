"""API keys: who may call the service, for which brand, with which role.

A key is ``mk_<key_id>_<secret>``: ``key_id`` is public (it names the key in ``list``,
``revoke`` and logs), ``secret`` is 32 random bytes from :func:`secrets.token_urlsafe`. Only
``sha256(secret)`` is stored. The secret is a uniformly random 256-bit token, not a password a
person chose, so a plain cryptographic hash is enough: nothing can be guessed faster than by brute
force over 2**256 values, which a slow KDF (bcrypt/scrypt/argon2) would not make any harder, while it
would add ~100 ms of CPU to every request. The stored hash is compared with
:func:`hmac.compare_digest` (constant time).

One SQLite file (WAL, ``busy_timeout``) that several threads and worker processes share, like the
request log; by default ``keys.db`` next to it. Every ``authenticate`` reads the row again, so a
revoked key stops working at once in every process.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from matcher.online.requestlog import DEFAULT_PATH as DEFAULT_REQUEST_LOG
from matcher.online.requestlog import ENV_REQUEST_LOG, immediate_tx, now_iso

logger = logging.getLogger(__name__)

ENV_KEYS_DB = "MATCHER_KEYS_DB"
KEYS_DB_NAME = "keys.db"
TOKEN_PREFIX = "mk"
KEY_ID_BYTES = 6  # 8 url-safe characters: public, only needs to be unique (checked on insert)
SECRET_BYTES = 32  # 256 bits of entropy
MAX_TOKEN_CHARS = 200  # anything longer is malformed before it is parsed
MAX_BRAND_CHARS = 100
_TOKEN_RE = re.compile(rf"{TOKEN_PREFIX}_([A-Za-z0-9-]+)_([A-Za-z0-9_-]+)")  # fullmatch
_BRAND_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")  # fullmatch

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys(key_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,
  brand_id TEXT NOT NULL, admin INTEGER NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)
"""


@dataclass(frozen=True)
class Principal:
    """The caller a valid key stands for."""

    key_id: str
    brand_id: str
    admin: bool


@dataclass(frozen=True)
class KeyInfo:
    """One stored key, without its secret (what ``list`` shows)."""

    key_id: str
    brand_id: str
    admin: bool
    created_at: str
    revoked_at: str | None


def default_keys_db(environ: Mapping[str, str] | None = None) -> Path:
    """``$MATCHER_KEYS_DB``, else ``keys.db`` in the folder of ``$MATCHER_REQUEST_LOG`` (default
    ``requests.db``, so ``./keys.db``). Read at call time."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEYS_DB):
        return Path(env[ENV_KEYS_DB])
    return Path(env.get(ENV_REQUEST_LOG) or DEFAULT_REQUEST_LOG).parent / KEYS_DB_NAME


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed token, else None. Accepts ``Bearer <token>`` too."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS + 7:
        return None
    token = token.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if len(token) > MAX_TOKEN_CHARS:
        return None
    m = _TOKEN_RE.fullmatch(token)
    return (m.group(1), m.group(2)) if m else None


# a constant digest to compare against when the key id is unknown, so unknown and wrong keys take
# the same time (the key id itself is not secret; this only keeps the timing uniform)
_DUMMY_DIGEST = _digest("no such key")


class KeyStore:
    """Keys in one SQLite file; thread-safe (one connection, one lock), process-safe (WAL)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_ms / 1000
        )
        con = self._con
        try:
            con.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("key store %s: journal_mode is %s, not WAL", self.path, mode)
            con.execute("PRAGMA synchronous=FULL")
            with self._tx() as c:
                c.execute(SCHEMA)
        except sqlite3.DatabaseError:
            con.close()
            self._con = None
            raise

    def _conn(self) -> sqlite3.Connection:
        if self._con is None:
            raise RuntimeError(f"key store {self.path.name} is closed")
        return self._con

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return immediate_tx(self._lock, self._conn)

    def add(self, brand_id: str, admin: bool = False) -> str:
        """Create a key for ``brand_id`` and return the whole token (the only time it is shown)."""
        if (
            not isinstance(brand_id, str)
            or not brand_id
            or len(brand_id) > MAX_BRAND_CHARS
            or not _BRAND_RE.fullmatch(brand_id)
        ):
            raise ValueError(
                f"brand_id must be 1-{MAX_BRAND_CHARS} characters of letters, digits and . _ : - "
                f"(starting with a letter or digit), got {brand_id!r}"
            )
        secret = secrets.token_urlsafe(SECRET_BYTES)
        for _ in range(10):  # key ids are random; retry on the (unlikely) collision
            key_id = secrets.token_urlsafe(KEY_ID_BYTES).replace("_", "-")
            try:
                with self._tx() as c:
                    c.execute(
                        "INSERT INTO api_keys(key_id, secret_sha256, brand_id, admin, created_at, revoked_at) "
                        "VALUES (?, ?, ?, ?, ?, NULL)",
                        (key_id, _digest(secret), brand_id, int(admin), now_iso()),
                    )
            except sqlite3.IntegrityError:
                continue
            logger.info(
                "added %s key %s for brand %s", "admin" if admin else "brand", key_id, brand_id
            )
            return f"{TOKEN_PREFIX}_{key_id}_{secret}"
        raise RuntimeError("could not allocate a unique key id")  # pragma: no cover

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for unknown, malformed or revoked keys."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT secret_sha256, brand_id, admin, revoked_at FROM api_keys WHERE key_id = ?",
                    (key_id,),
                )
                .fetchone()
            )
        stored = row[0] if row is not None else _DUMMY_DIGEST
        ok = hmac.compare_digest(stored.encode("ascii"), _digest(secret).encode("ascii"))
        if row is None or not ok or row[3] is not None:
            return None
        return Principal(key_id=key_id, brand_id=row[1], admin=bool(row[2]))

    def list(self) -> list[KeyInfo]:  # noqa: A003 (the agreed interface name)
        """Every key (revoked ones too), oldest first; never the secrets."""
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT key_id, brand_id, admin, created_at, revoked_at FROM api_keys "
                    "ORDER BY created_at, key_id"
                )
                .fetchall()
            )
        return [
            KeyInfo(key_id=r[0], brand_id=r[1], admin=bool(r[2]), created_at=r[3], revoked_at=r[4])
            for r in rows
        ]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key (effective at once everywhere). False when no active key has that id."""
        with self._tx() as c:
            cur = c.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (now_iso(), key_id),
            )
            done = cur.rowcount == 1
        if done:
            logger.info("revoked key %s", key_id)
        return done

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
