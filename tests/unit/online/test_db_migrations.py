"""Alembic migrations of the stores: stores written before alembic are upgraded in place (rows
kept), each store migrates its own branch, concurrent openers do not race, ``matcher db``."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.online.db import make_engine
from matcher.online.keys import KeyStore
from matcher.online.migrate import HEADS, downgrade, script_heads, upgrade
from matcher.online.requestlog import RequestLog, read_request_log

# the DDL of the sqlite3 stores before alembic (matcher 0.1.0, verbatim): what files in the
# field look like
OLD_REQUEST_LOG_DDL = """
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
OLD_KEYS_DDL = """
CREATE TABLE IF NOT EXISTS api_keys(key_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,
  brand_id TEXT NOT NULL, admin INTEGER NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)
"""


@pytest.fixture
def old_request_log(tmp_path) -> Path:
    """A request log as the sqlite3 code wrote it: 2 requests, 3 impressions, 1 feedback, 1
    retraction, no ``alembic_version``."""
    path = tmp_path / "requests.db"
    with sqlite3.connect(path) as con:
        con.executescript(OLD_REQUEST_LOG_DDL)
        con.executemany(
            "INSERT INTO requests(request_id, created_at, brand_id, brief_json, k, experiment, "
            "variant, latency_ms, status) VALUES (?, ?, 'b1', '{\"text\": \"t\"}', 3, 'e', ?, ?, 'ok')",
            [("r1", "2025-01-01T00:00:01", "A", 10.5), ("r2", "2025-01-01T00:00:02", "B", 20.25)],
        )
        con.executemany(
            "INSERT INTO impressions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("r1", 1, "a", 0.9, 0.8, "A", 100.0, 12.5),
                ("r1", 2, "b", 0.7, 0.6, "A", None, None),
                ("r2", 1, "a", 0.5, 0.4, "B", 90.0, 3.0),
            ],
        )
        con.execute("INSERT INTO feedback VALUES ('r1', 'a', 'accepted', 1.0, '2025-01-02')")
        con.execute(
            "INSERT INTO feedback_retractions VALUES ('r2', 'a', 'shortlisted', 1.0, 't0', 't1')"
        )
    con.close()
    return path


def tables_and_versions(target) -> tuple[set[str], set[str]]:
    engine = make_engine(target)
    try:
        with engine.connect() as c:
            names = set(sa.inspect(c).get_table_names())
            versions = (
                {r for (r,) in c.execute(sa.text("SELECT version_num FROM alembic_version"))}
                if "alembic_version" in names
                else set()
            )
    finally:
        engine.dispose()
    return names - {"alembic_version"}, versions


def test_the_head_constants_are_the_scripts_heads() -> None:
    assert script_heads() == HEADS


def test_a_request_log_from_before_alembic_is_stamped_and_keeps_its_rows(old_request_log) -> None:
    before = read_request_log(old_request_log)
    assert tables_and_versions(old_request_log)[1] == set()
    with RequestLog(old_request_log) as log:
        assert log.counts() == {"requests": 2, "impressions": 3, "feedback": 1}
        assert log.log_feedback("r1", "a", "accepted") is False  # the old primary key holds
        assert log.log_feedback("r2", "a", "accepted") is True
    tables, versions = tables_and_versions(old_request_log)
    assert versions == {HEADS["requestlog"]}
    assert tables == {"requests", "impressions", "feedback", "feedback_retractions"}
    after = read_request_log(old_request_log)
    pd.testing.assert_frame_equal(after.requests, before.requests)
    pd.testing.assert_frame_equal(after.impressions, before.impressions)
    assert len(after.feedback) == 2
    with sqlite3.connect(old_request_log) as con:
        assert con.execute("SELECT COUNT(*) FROM feedback_retractions").fetchone() == (1,)
    con.close()


def test_a_key_store_from_before_alembic_keeps_its_keys(tmp_path) -> None:
    path = tmp_path / "keys.db"
    secret = "s" * 43
    with sqlite3.connect(path) as con:
        con.execute(OLD_KEYS_DDL)
        con.execute(
            "INSERT INTO api_keys VALUES ('abcd1234', ?, 'acme', 1, '2025-01-01', NULL)",
            (hashlib.sha256(secret.encode()).hexdigest(),),
        )
    con.close()
    with KeyStore(path) as keys:
        p = keys.authenticate(f"mk_abcd1234_{secret}")
        assert p is not None and p.brand_id == "acme" and p.admin
    assert tables_and_versions(path) == ({"api_keys"}, {HEADS["keys"]})


def test_each_file_holds_only_its_stores_tables(tmp_path) -> None:
    RequestLog(tmp_path / "requests.db").close()
    KeyStore(tmp_path / "keys.db").close()
    assert tables_and_versions(tmp_path / "requests.db") == (
        {"requests", "impressions", "feedback", "feedback_retractions"},
        {HEADS["requestlog"]},
    )
    assert tables_and_versions(tmp_path / "keys.db") == ({"api_keys"}, {HEADS["keys"]})


def test_upgrade_is_idempotent_and_downgrade_drops_the_branch(backend) -> None:
    target = backend.target("both.db")
    engine = make_engine(target)
    try:
        assert upgrade(engine, "requestlog") is True
        assert upgrade(engine, "requestlog") is False  # at head: nothing to do
        assert upgrade(engine, "keys") is True
        assert tables_and_versions(target)[1] == set(HEADS.values())
        downgrade(engine, "requestlog")
        assert tables_and_versions(target) == ({"api_keys"}, {HEADS["keys"]})
        with pytest.raises(ValueError, match="unknown migration branch 'nope'"):
            upgrade(engine, "nope")
    finally:
        engine.dispose()


def _open_and_write(target: str, start, results, i: int) -> None:  # pragma: no cover (child)
    from alembic import command  # noqa: F401  (imported ahead: the children race on the lock only)

    engine = make_engine(target)
    start.wait(120)  # every child has imported everything: they migrate at the same moment
    results.put(upgrade(engine, "requestlog"))
    engine.dispose()
    with RequestLog(target) as log, KeyStore(target if "://" in target else target + ".keys"):
        log.log_feedback(f"r{i}", "a", "accepted")


def test_processes_opening_a_new_database_at_once_do_not_race(backend) -> None:
    """Four processes migrate the same new database at the same moment: exactly one runs the
    migration, the others wait for it and find it done; none fails; one row per branch."""
    target = str(backend.target("fresh.db"))
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_open_and_write, args=(target, start, results, i)) for i in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert sorted(results.get(timeout=5) for _ in procs) == [False, False, False, True]
    _, versions = tables_and_versions(target)
    assert HEADS["requestlog"] in versions
    with RequestLog(target) as log:
        assert log.counts()["feedback"] == 4
    engine = make_engine(target)
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert sorted(r for (r,) in rows) == sorted(versions)  # one row per branch, no duplicates


# --------------------------------------------------------------------------- matcher db
runner = CliRunner()


def test_db_cli_upgrades_and_reports(backend, tmp_path) -> None:
    log, keys = str(backend.target("requests.db")), str(backend.target("keys.db"))
    args = ["--request-log", log, "--keys-db", keys, "--json"]
    if backend.is_sqlite:
        r = runner.invoke(app, ["db", "current", *args])
        assert r.exit_code == 1 and [x["exists"] for x in json.loads(r.stdout)] == [False, False]
        assert not Path(log).exists()  # `current` creates nothing
    r = runner.invoke(app, ["db", "upgrade", *args])
    assert r.exit_code == 0, r.output
    assert [(x["store"], x["migrated"]) for x in json.loads(r.stdout)] == [
        ("requestlog", True),
        ("keys", True),
    ]
    r = runner.invoke(app, ["db", "current", *args])
    assert r.exit_code == 0, r.output
    assert [(x["current"], x["at_head"]) for x in json.loads(r.stdout)] == [
        (HEADS["requestlog"], True),
        (HEADS["keys"], True),
    ]
    r = runner.invoke(app, ["db", "upgrade", "--request-log", log, "--keys-db", keys])
    assert r.exit_code == 0 and "0 store(s) migrated, 2 already current" in r.stderr, r.output


def test_db_cli_names_a_bad_url_without_its_password() -> None:
    r = runner.invoke(
        app, ["db", "upgrade", "--request-log", "mysql://u:hunter2@h/db", "--keys-db", "k.db"]
    )
    assert r.exit_code == 2 and "unsupported database 'mysql'" in r.stderr
    assert "hunter2" not in r.output
