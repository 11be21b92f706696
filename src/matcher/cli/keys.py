"""``matcher keys``: issue, list and revoke the service's API keys (``matcher.online.keys``).

``add`` prints the new key on stdout and nothing else, so ``KEY=$(matcher keys add --brand b)``
works; it is shown this once (only its hash is stored). Messages go to stderr.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.common import AsJson, Verbose, console, fail, out, setup_logging

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Key store: a SQLite file or a postgresql+psycopg:// URL; default $MATCHER_KEYS_DB, else keys.db next to $MATCHER_REQUEST_LOG.",
    ),
]


def _open(db: str | None):  # -> KeyStore
    from matcher.online.db import OPEN_ERRORS, safe_name
    from matcher.online.keys import KeyStore, default_keys_db

    path = db or default_keys_db()
    try:
        return KeyStore(path)
    except OPEN_ERRORS as e:
        fail(f"cannot open key store {safe_name(path)}: {e}")


def add(
    brand: Annotated[
        str,
        typer.Option("--brand", help="The brand the key acts for (its requests are this brand's)."),
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="May also reload models and control experiments.")
    ] = False,
    db: Db = None,
    verbose: Verbose = False,
) -> None:
    """Create a key and print it once (stdout: the key only)."""
    setup_logging(verbose)
    with _open(db) as store:
        try:
            token = store.add(brand, admin=admin)
        except ValueError as e:
            fail(e)
        path = store.name
    typer.echo(token)
    console.print(
        f"added {'an admin' if admin else 'a brand'} key for {brand} to {path}; "
        "it is not shown again (only its hash is stored)"
    )


def list_keys(
    db: Db = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """List the keys (id, brand, role, created, revoked); never their secrets."""
    setup_logging(verbose)
    with _open(db) as store:
        infos = store.list()
    if as_json:
        typer.echo(json.dumps([i.__dict__ for i in infos], indent=2))
        return
    t = Table(title=f"{len(infos)} API key(s)")
    for col in ("key_id", "brand", "role", "created_at", "revoked_at"):
        t.add_column(col)
    for i in infos:
        t.add_row(
            i.key_id, i.brand_id, "admin" if i.admin else "brand", i.created_at, i.revoked_at or "-"
        )
    out.print(t)


def revoke(
    key_id: Annotated[
        str, typer.Argument(help="The key's id (`matcher keys list`), or the whole key.")
    ],
    db: Db = None,
    verbose: Verbose = False,
) -> None:
    """Revoke a key: it stops working at once, in every worker."""
    setup_logging(verbose)
    from matcher.online.keys import parse_token

    parsed = parse_token(key_id)
    kid = parsed[0] if parsed else key_id.strip()
    with _open(db) as store:
        if not store.revoke(kid):
            fail(f"no active key with id {kid!r} (see `matcher keys list`)")
    console.print(f"revoked key {kid}")


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group to the main ``matcher`` app."""
    keys = typer.Typer(no_args_is_help=True, help="API keys of the service: add, list, revoke.")
    app.add_typer(keys, name="keys")
    keys.command("add")(add)
    keys.command("list")(list_keys)
    keys.command("revoke")(revoke)
