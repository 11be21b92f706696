"""Alembic migrations of the online stores, run programmatically (no ``alembic.ini``).

The scripts live in ``matcher/online/migrations/versions``: one branch per store, labelled
``requestlog`` and ``keys``, so a SQLite file holds only its own store's tables while one
PostgreSQL database can hold both (one ``alembic_version`` table, one row per branch). Each
branch's first revision is the schema of the sqlite3 stores: it creates what is missing and adds
missing columns, so a file written before alembic (no ``alembic_version``) is upgraded in place
and stamped, rows kept.

Opening a store calls :func:`upgrade`. Concurrent openers (service workers, replicas) are
serialised by the database itself: the check-and-upgrade runs in one write transaction that
starts with SQLite's ``BEGIN IMMEDIATE`` (one writer at a time) or, on PostgreSQL, with
``pg_advisory_xact_lock`` (DDL is transactional there too); the next opener then finds the
branch at head and does nothing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matcher.online.db import writer

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# the head revision of each branch: lets an opener skip alembic (0.4 s of imports) when the
# database is current; a unit test checks these against the scripts
HEADS = {"requestlog": "rl0001_baseline", "keys": "keys0001_baseline"}
BRANCHES = tuple(HEADS)
PG_LOCK_ID = 0x6D61_7463_6865_72  # "matcher": pg_advisory_xact_lock key of migrations


def _check_branch(branch: str) -> None:
    if branch not in HEADS:
        raise ValueError(f"unknown migration branch {branch!r}: one of {', '.join(BRANCHES)}")


def alembic_config(connection: Connection | None = None) -> Config:
    """The alembic configuration of the packaged scripts (``connection``: run on it)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def script_heads() -> dict[str, str]:
    """``{branch: head revision}`` read from the scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    out = {}
    for branch in BRANCHES:
        (head,) = script.get_revisions(f"{branch}@head")
        assert head is not None
        out[branch] = head.revision
    return out


def current_revisions(conn: Connection) -> set[str]:
    """The revisions stamped in this database (empty before the first migration)."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return set()
    return {r[0] for r in conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")}


def upgrade(engine: Engine, branch: str) -> bool:
    """Bring ``branch`` of this database to head; True when a migration ran."""
    _check_branch(branch)
    with engine.connect() as conn:
        if HEADS[branch] in current_revisions(conn):
            return False
    from alembic import command

    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_LOCK_ID})
        if HEADS[branch] in current_revisions(conn):  # another opener was first
            return False
        logger.info(
            "migrating %s of %s to %s", branch, engine.url.render_as_string(), HEADS[branch]
        )
        command.upgrade(alembic_config(conn), f"{branch}@head")
    return True


def downgrade(engine: Engine, branch: str) -> None:
    """Take ``branch`` back to base (drops its tables and rows). For tests and repairs."""
    _check_branch(branch)
    from alembic import command

    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_LOCK_ID})
        command.downgrade(alembic_config(conn), f"{branch}@base")
