"""Operations the revisions share (frozen with them: never change what a released revision does)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def ensure_table(name: str, *items: sa.Column | sa.Constraint) -> None:
    """Create table ``name``; when it exists already (a store written before alembic), add the
    columns it lacks instead, keeping its rows."""
    bind = op.get_bind()
    insp = sa.inspect(bind)
    if not insp.has_table(name):
        op.create_table(name, *items)
        return
    have = {c["name"] for c in insp.get_columns(name)}
    for col in items:
        if isinstance(col, sa.Column) and col.name not in have:
            op.add_column(name, col)


def ensure_index(name: str, table: str, columns: list[str]) -> None:
    op.create_index(name, table, columns, if_not_exists=True)


# REAL on SQLite (the sqlite3 stores' type), DOUBLE PRECISION on PostgreSQL (its REAL is 4 bytes)
Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
