"""Request log baseline: the schema of the sqlite3 request log (requests, impressions, feedback,
feedback_retractions). On a log written before alembic it only adds missing columns.

Revision ID: rl0001_baseline
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matcher.online.migrations.helpers import Real, ensure_index, ensure_table

revision: str = "rl0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("requestlog",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ensure_table(
        "requests",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("created_at", sa.Text),
        sa.Column("brand_id", sa.Text),
        sa.Column("brief_id", sa.Text),
        sa.Column("brief_json", sa.Text),
        sa.Column("k", sa.Integer),
        sa.Column("model_name", sa.Text),
        sa.Column("model_version", sa.Text),
        sa.Column("experiment", sa.Text),
        sa.Column("variant", sa.Text),
        sa.Column("latency_ms", Real),
        sa.Column("n_candidates", sa.Integer),
        sa.Column("n_results", sa.Integer),
        sa.Column("status", sa.Text),
        sa.Column("error", sa.Text),
    )
    ensure_table(
        "impressions",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("influencer_id", sa.Text),
        sa.Column("score", Real),
        sa.Column("fit_score", Real),
        sa.Column("variant", sa.Text),
        sa.Column("estimated_cost_usd", Real),
        sa.Column("expected_engagements", Real),
    )
    ensure_table(
        "feedback",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("influencer_id", sa.Text, primary_key=True),
        sa.Column("event", sa.Text, primary_key=True),
        sa.Column("value", Real),
        sa.Column("created_at", sa.Text),
    )
    ensure_table(
        "feedback_retractions",
        sa.Column("request_id", sa.Text),
        sa.Column("influencer_id", sa.Text),
        sa.Column("event", sa.Text),
        sa.Column("value", Real),
        sa.Column("created_at", sa.Text),
        sa.Column("retracted_at", sa.Text),
    )
    ensure_index("impressions_by_influencer", "impressions", ["request_id", "influencer_id"])
    ensure_index("requests_by_time", "requests", ["created_at"])
    ensure_index("requests_by_brand", "requests", ["brand_id", "created_at"])


def downgrade() -> None:
    for table in ("feedback_retractions", "feedback", "impressions", "requests"):
        op.drop_table(table)
