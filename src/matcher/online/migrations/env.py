"""Alembic environment of the online stores: configured by ``matcher.online.migrate`` (no
``alembic.ini``), which hands in an open connection inside its write transaction."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from matcher.online.db import make_engine
from matcher.online.tables import metadata

config = context.config
VERSION_TABLE = config.get_main_option("version_table") or "alembic_version"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER by table copy on SQLite
    )
    # inside the caller's transaction this is a no-op: the caller commits
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # `--sql`: print the DDL for a URL instead of running it
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    _run(conn)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: use matcher.online.migrate")
    engine = make_engine(url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()
