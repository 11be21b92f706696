"""``matcher db``: the service's databases (request log, API keys): migrate them to the current
schema, or show where they stand. The service migrates on start too; this is for doing it
ahead of a rollout, and for checking (``current`` exits 1 when a store is behind)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.common import AsJson, Verbose, console, fail, out, setup_logging

RequestLogOpt = Annotated[
    str | None,
    typer.Option(
        "--request-log",
        help="Request log: a SQLite file or a postgresql+psycopg:// URL; default $MATCHER_REQUEST_LOG, "
        "else requests.db.",
    ),
]
KeysDbOpt = Annotated[
    str | None,
    typer.Option(
        "--keys-db",
        help="Key store: a SQLite file or a URL; default $MATCHER_KEYS_DB, else keys.db next to "
        "the request log (or the request log's database when that is a URL).",
    ),
]


def _targets(request_log: str | None, keys_db: str | None) -> dict[str, str]:
    """``{branch: target}`` as the service resolves them (options first, then the environment)."""
    import os

    from matcher.online.keys import ENV_KEYS_DB, default_keys_db
    from matcher.online.requestlog import ENV_REQUEST_LOG, default_path

    env = dict(os.environ)
    if request_log:
        env[ENV_REQUEST_LOG] = request_log
    if keys_db:
        env[ENV_KEYS_DB] = keys_db
    log = request_log or str(default_path())
    return {"requestlog": log, "keys": str(default_keys_db(env))}


def _status(upgrade_now: bool, request_log: str | None, keys_db: str | None) -> list[dict]:
    from matcher.online.db import OPEN_ERRORS, driver_errors, make_engine, safe_name, sqlite_path
    from matcher.online.migrate import HEADS, current_revisions, upgrade

    rows = []
    for branch, target in _targets(request_log, keys_db).items():
        name = safe_name(target)
        file = sqlite_path(target)
        if not upgrade_now and file is not None and not file.is_file():
            rows.append(
                {
                    "store": branch,
                    "database": name,
                    "head": HEADS[branch],
                    "current": None,
                    "at_head": False,
                    "migrated": False,
                    "exists": False,
                }  # fmt: skip
            )
            continue
        try:
            engine = make_engine(target)
        except ValueError as e:
            fail(f"{branch}: {e}")
        try:
            with driver_errors():
                migrated = upgrade(engine, branch) if upgrade_now else False
                with engine.connect() as c:
                    have = current_revisions(c)
        except OPEN_ERRORS as e:
            fail(f"cannot open {branch} database {name}: {type(e).__name__}: {e}")
        finally:
            engine.dispose()
        at_head = HEADS[branch] in have
        rows.append(
            {
                "store": branch,
                "database": name,
                "head": HEADS[branch],
                "current": HEADS[branch] if at_head else None,
                "at_head": at_head,
                "migrated": migrated,
                "exists": True,
            }
        )
    return rows


def _render(rows: list[dict], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    t = Table(title="databases")
    for col in ("store", "database", "current", "head", "state"):
        t.add_column(col)
    for r in rows:
        state = (
            "migrated now"
            if r["migrated"]
            else "current"
            if r["at_head"]
            else "BEHIND"
            if r["exists"]
            else "MISSING"
        )
        t.add_row(r["store"], r["database"], r["current"] or "-", r["head"], state)
    out.print(t)


def upgrade_cmd(
    request_log: RequestLogOpt = None,
    keys_db: KeysDbOpt = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Migrate the request log and the key store to the current schema (creates them if new)."""
    setup_logging(verbose)
    rows = _status(True, request_log, keys_db)
    _render(rows, as_json)
    if not as_json:
        n = sum(r["migrated"] for r in rows)
        console.print(f"{n} store(s) migrated, {len(rows) - n} already current")


def current_cmd(
    request_log: RequestLogOpt = None,
    keys_db: KeysDbOpt = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Show each store's schema revision; exit status 1 when one is behind (or new)."""
    setup_logging(verbose)
    rows = _status(False, request_log, keys_db)
    _render(rows, as_json)
    if not all(r["at_head"] for r in rows):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to the main ``matcher`` app."""
    db = typer.Typer(no_args_is_help=True, help="The service's databases: migrate, show revision.")
    app.add_typer(db, name="db")
    db.command("upgrade")(upgrade_cmd)
    db.command("current")(current_cmd)
