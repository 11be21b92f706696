"""The tables of the online stores (request log, API keys) in one SQLAlchemy ``MetaData``.

This is the current shape, what the stores read and write. The database gets it from the alembic
migrations in ``matcher/online/migrations`` (which keep frozen copies: a migration never changes
when this file does). Columns may be added, never renamed: readers of old logs rely on it.
"""

from __future__ import annotations

import sqlalchemy as sa

# REAL on SQLite (today's files), DOUBLE PRECISION on PostgreSQL (its REAL is 4 bytes: scores
# and values would come back rounded)
Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")

metadata = sa.MetaData()

# table columns in order (what the writers insert and frames carry)
REQUEST_COLUMNS: tuple[str, ...] = (
    "request_id",
    "created_at",
    "brand_id",
    "brief_id",
    "brief_json",
    "k",
    "model_name",
    "model_version",
    "experiment",
    "variant",
    "latency_ms",
    "n_candidates",
    "n_results",
    "status",
    "error",
)
COST_COLUMN = "estimated_cost_usd"  # per impression; logs of older versions lack it
EXTRA_IMPRESSION_COLUMNS = {COST_COLUMN: "REAL", "expected_engagements": "REAL"}
IMPRESSION_COLUMNS: tuple[str, ...] = (
    "request_id",
    "position",
    "influencer_id",
    "score",
    "fit_score",
    "variant",
    *EXTRA_IMPRESSION_COLUMNS,
)
FEEDBACK_COLUMNS: tuple[str, ...] = ("request_id", "influencer_id", "event", "value", "created_at")

requests = sa.Table(
    "requests",
    metadata,
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
    sa.Index("requests_by_time", "created_at"),
    sa.Index("requests_by_brand", "brand_id", "created_at"),
)
impressions = sa.Table(
    "impressions",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("influencer_id", sa.Text),
    sa.Column("score", Real),
    sa.Column("fit_score", Real),
    sa.Column("variant", sa.Text),
    sa.Column("estimated_cost_usd", Real),
    sa.Column("expected_engagements", Real),
    sa.Index("impressions_by_influencer", "request_id", "influencer_id"),
)
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("influencer_id", sa.Text, primary_key=True),
    sa.Column("event", sa.Text, primary_key=True),
    sa.Column("value", Real),
    sa.Column("created_at", sa.Text),
)
feedback_retractions = sa.Table(  # undone feedback, kept for audit (web app)
    "feedback_retractions",
    metadata,
    sa.Column("request_id", sa.Text),
    sa.Column("influencer_id", sa.Text),
    sa.Column("event", sa.Text),
    sa.Column("value", Real),
    sa.Column("created_at", sa.Text),
    sa.Column("retracted_at", sa.Text),
)
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.Text, primary_key=True),
    sa.Column("secret_sha256", sa.Text, nullable=False),
    sa.Column("brand_id", sa.Text, nullable=False),
    sa.Column("admin", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.Text),
)

REQUEST_LOG_TABLES = (requests, impressions, feedback, feedback_retractions)
KEY_TABLES = (api_keys,)


def insertion_order(dialect_name: str) -> str:
    """The physical row order that breaks ties of ``created_at`` (rows are only appended to
    ``requests``, so it is the insertion order): SQLite's ``rowid``, PostgreSQL's ``ctid``."""
    return "ctid" if dialect_name == "postgresql" else "rowid"
