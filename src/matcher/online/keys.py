"""API keys: who may call the service, for which brand, with which role.

A key is ``mk_<key_id>_<secret>``: ``key_id`` is public (it names the key in ``list``,
``revoke`` and logs), ``secret`` is 32 random bytes from :func:`secrets.token_urlsafe`. Only
``sha256(secret)`` is stored. The secret is a uniformly random 256-bit token, not a password a
person chose, so a plain cryptographic hash is enough: nothing can be guessed faster than by brute
force over 2**256 values, which a slow KDF (bcrypt/scrypt/argon2) would not make any harder, while it
would add ~100 ms of CPU to every request. The stored hash is compared with
:func:`hmac.compare_digest` (constant time).

One SQLite file (WAL, ``busy_timeout``) that several threads and worker processes share, like the
request log, by default ``keys.db`` next to it; or, for several replicas, a PostgreSQL database
(by default the request log's, when that is one). Every ``authenticate`` reads the row again, so a
revoked key stops working at once in every process and replica.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from matcher.online.db import Database, insert_ignore, is_url, sqlite_path
from matcher.online.records import now_iso
from matcher.online.requestlog import DEFAULT_PATH as DEFAULT_REQUEST_LOG
from matcher.online.requestlog import ENV_REQUEST_LOG
from matcher.online.tables import api_keys

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


def default_keys_db(environ: Mapping[str, str] | None = None) -> str | Path:
    """``$MATCHER_KEYS_DB`` (a path or a database URL), else: the database of
    ``$MATCHER_REQUEST_LOG`` when that is a URL (replicas share both), or ``keys.db`` in the
    folder of that file (default ``requests.db``, so ``./keys.db``). Read at call time."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEYS_DB):
        target = env[ENV_KEYS_DB]
        return target if is_url(target) else Path(target)
    log = env.get(ENV_REQUEST_LOG) or DEFAULT_REQUEST_LOG
    path = sqlite_path(log)
    return log if path is None else path.parent / KEYS_DB_NAME


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
    """Keys in a SQLite file or a shared PostgreSQL database (``path``: a file path or a database
    URL); thread-safe, process-safe (WAL on SQLite), replica-safe (one database server)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000) -> None:
        self._db = Database(path, what="key store", branch="keys", busy_timeout_ms=busy_timeout_ms)
        self.path = self._db.path  # the SQLite file; None on a database server
        self.name = self._db.name  # path, or URL without its password

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
            row = {
                "key_id": key_id,
                "secret_sha256": _digest(secret),
                "brand_id": brand_id,
                "admin": int(admin),
                "created_at": now_iso(),
                "revoked_at": None,
            }
            with self._db.write() as c:
                if not insert_ignore(c, api_keys, row):
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
        k = api_keys.c
        with self._db.read() as c:
            row = c.execute(
                sa.select(k.secret_sha256, k.brand_id, k.admin, k.revoked_at).where(
                    k.key_id == key_id
                )
            ).first()
        stored = row[0] if row is not None else _DUMMY_DIGEST
        ok = hmac.compare_digest(stored.encode("ascii"), _digest(secret).encode("ascii"))
        if row is None or not ok or row[3] is not None:
            return None
        return Principal(key_id=key_id, brand_id=row[1], admin=bool(row[2]))

    def list(self) -> list[KeyInfo]:  # noqa: A003 (the agreed interface name)
        """Every key (revoked ones too), oldest first; never the secrets."""
        k = api_keys.c
        with self._db.read() as c:
            rows = c.execute(
                sa.select(k.key_id, k.brand_id, k.admin, k.created_at, k.revoked_at).order_by(
                    k.created_at, k.key_id
                )
            ).all()
        return [
            KeyInfo(key_id=r[0], brand_id=r[1], admin=bool(r[2]), created_at=r[3], revoked_at=r[4])
            for r in rows
        ]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key (effective at once everywhere). False when no active key has that id."""
        k = api_keys.c
        with self._db.write() as c:
            cur = c.execute(
                sa.update(api_keys)
                .where(k.key_id == key_id, k.revoked_at.is_(None))
                .values(revoked_at=now_iso())
            )
            done = cur.rowcount == 1
        if done:
            logger.info("revoked key %s", key_id)
        return done

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
