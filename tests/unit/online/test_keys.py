"""API keys: issued once, stored hashed, checked in constant time, revoked at once everywhere;
on SQLite and on PostgreSQL (``backend``, tests/integration/postgres.py)."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from matcher.online.db import make_engine
from matcher.online.keys import KeyInfo, KeyStore, Principal, default_keys_db, parse_token


@pytest.fixture()
def store(backend):
    with KeyStore(backend.target("keys.db")) as s:
        yield s


def test_add_authenticate_revoke(store: KeyStore) -> None:
    token = store.add("acme")
    key_id = token.split("_")[1]
    assert token.startswith(f"mk_{key_id}_") and len(token) > 50
    assert store.authenticate(token) == Principal(key_id=key_id, brand_id="acme", admin=False)
    assert store.authenticate(f"Bearer {token}") == Principal(
        key_id=key_id, brand_id="acme", admin=False
    )
    assert store.revoke(key_id) is True
    assert store.authenticate(token) is None
    assert store.revoke(key_id) is False  # already revoked
    assert store.revoke("nosuchid") is False


def test_admin_key_and_brands_are_separate(store: KeyStore) -> None:
    a, b = store.add("acme"), store.add("globex", admin=True)
    assert store.authenticate(a).brand_id == "acme" and not store.authenticate(a).admin
    assert store.authenticate(b).brand_id == "globex" and store.authenticate(b).admin
    store.revoke(a.split("_")[1])
    assert store.authenticate(b) is not None  # revoking one key leaves the others


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # secret changed
        lambda t: t[:-1],  # secret shortened
        lambda t: t.replace("mk_", "xx_", 1),  # wrong prefix
        lambda t: "mk_" + "zzzzzzzz" + t[11:],  # unknown key id, right secret
        lambda t: "",
        lambda t: "Bearer ",
        lambda t: t + "x" * 300,  # over-long
        lambda t: t.replace("_", " ", 1),
    ],
)
def test_tampered_or_malformed_tokens_are_refused(store: KeyStore, mangle) -> None:
    token = store.add("acme")
    assert store.authenticate(mangle(token)) is None
    assert store.authenticate(token) is not None


def test_only_the_hash_is_stored_and_list_shows_no_secret(store: KeyStore, backend) -> None:
    token = store.add("acme")
    _, key_id, secret = token.split("_", 2)
    if backend.is_sqlite:
        raw = store.path.read_bytes() + store.path.with_name("keys.db-wal").read_bytes()
        assert secret.encode() not in raw
    engine = make_engine(backend.target("keys.db"))
    with engine.connect() as con:
        rows = con.execute(sa.text("SELECT * FROM api_keys")).all()
        (digest,) = con.execute(
            sa.text("SELECT secret_sha256 FROM api_keys WHERE key_id = :k"), {"k": key_id}
        ).one()
    engine.dispose()
    assert secret not in repr(rows)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    infos = store.list()
    assert [(i.key_id, i.brand_id, i.admin, i.revoked_at) for i in infos] == [
        (key_id, "acme", False, None)
    ]
    assert secret not in repr(infos)
    store.revoke(key_id)
    (info,) = store.list()
    assert isinstance(info, KeyInfo) and info.revoked_at is not None


@pytest.mark.parametrize("brand", ["", " ", "a" * 101, "bad brand", "-x", "x\n"])
def test_invalid_brand_is_refused(store: KeyStore, brand: str) -> None:
    with pytest.raises(ValueError, match="brand_id"):
        store.add(brand)
    assert store.list() == []


def test_parse_token() -> None:
    assert parse_token("mk_abc-DEF1_s3cr-et_x") == ("abc-DEF1", "s3cr-et_x")
    assert parse_token("bearer  mk_a_b ") == ("a", "b")
    assert parse_token("mk__b") is None and parse_token(None) is None  # type: ignore[arg-type]


def test_default_path() -> None:
    assert default_keys_db(
        {"MATCHER_KEYS_DB": "/x/k.db", "MATCHER_REQUEST_LOG": "/y/r.db"}
    ) == Path("/x/k.db")
    assert default_keys_db({"MATCHER_REQUEST_LOG": "/y/r.db"}) == Path("/y/keys.db")
    assert default_keys_db({}) == Path("keys.db")
    pg = "postgresql+psycopg://u:pw@db:5432/matcher"
    assert default_keys_db({"MATCHER_REQUEST_LOG": pg}) == pg  # replicas: the same database
    assert default_keys_db({"MATCHER_KEYS_DB": pg, "MATCHER_REQUEST_LOG": "/y/r.db"}) == pg
    assert default_keys_db({"MATCHER_REQUEST_LOG": "sqlite:////y/r.db"}) == Path("/y/keys.db")


def _authenticate_in_child(path: str, token: str, q) -> None:  # pragma: no cover (other process)
    with KeyStore(path) as s:
        p = s.authenticate(token)
        q.put(None if p is None else (p.brand_id, p.admin))


def test_two_processes_share_the_store(backend) -> None:
    path = backend.target("keys.db")
    with KeyStore(path) as s:
        token = s.add("acme", admin=True)
        ctx = mp.get_context("spawn")
        q = ctx.Queue()

        def in_child() -> object:
            proc = ctx.Process(target=_authenticate_in_child, args=(str(path), token, q))
            proc.start()
            proc.join(60)
            assert proc.exitcode == 0
            return q.get(timeout=5)

        assert in_child() == ("acme", True)
        with KeyStore(path) as other:  # a second connection (another worker) revokes...
            assert other.revoke(token.split("_")[1])
        assert s.authenticate(token) is None  # ...and this one sees it at once
        assert in_child() is None


def test_closed_store_refuses(backend) -> None:
    s = KeyStore(backend.target("keys.db"))
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.add("acme")


def test_not_a_database_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "keys.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        KeyStore(bad)


def test_keys_and_the_request_log_share_one_postgres_database(postgres_url: str) -> None:
    """Replicas point both stores at one database: each store's tables and migration branch."""
    from matcher.online.migrate import HEADS
    from matcher.online.requestlog import RequestLog

    with KeyStore(postgres_url) as keys, RequestLog(postgres_url) as log:
        token = keys.add("acme")
        assert log.counts() == {"requests": 0, "impressions": 0, "feedback": 0}
    with KeyStore(postgres_url) as again:  # reopened: already at head, the key is there
        assert again.authenticate(token) is not None
    engine = make_engine(postgres_url)
    with engine.connect() as con:
        stamped = {r for (r,) in con.execute(sa.text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    assert stamped == set(HEADS.values())
