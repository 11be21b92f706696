"""Key store baseline: the schema of the sqlite3 key store (api_keys). On a store written before
alembic it changes nothing.

Revision ID: keys0001_baseline
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matcher.online.migrations.helpers import ensure_table

revision: str = "keys0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("keys",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ensure_table(
        "api_keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("secret_sha256", sa.Text, nullable=False),
        sa.Column("brand_id", sa.Text, nullable=False),
        sa.Column("admin", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
