"""The request log as frames: the one reader (A/B analysis, the retraining merge) and the writer
of logs made of frames (simulations). The service writes through ``requestlog.RequestLog``.

Both take a SQLite path or a database URL, like the store. Reading never migrates: a SQLite
file is opened read-only (safe while the service writes) and read with whatever columns it has.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from matcher.online import tables as T
from matcher.online.db import Database, driver_errors, is_url, make_engine, sqlite_path
from matcher.online.records import RequestRecord
from matcher.online.tables import (
    FEEDBACK_COLUMNS,
    IMPRESSION_COLUMNS,
    REQUEST_COLUMNS,
    insertion_order,
)

logger = logging.getLogger(__name__)


@dataclass
class RequestLogFrames:
    """The three tables as frames: what the A/B analysis and the retraining merge read."""

    requests: pd.DataFrame
    impressions: pd.DataFrame
    feedback: pd.DataFrame

    @classmethod
    def from_records(
        cls,
        records: Sequence[RequestRecord],
        feedback: Sequence[tuple[str, str, str, float, str]] = (),
    ) -> RequestLogFrames:
        """The frames a ``RequestLog`` holding these records and ``feedback`` rows (in
        ``FEEDBACK_COLUMNS`` order) would read back, without a file."""
        return cls(
            pd.DataFrame([r.request_row() for r in records], columns=list(REQUEST_COLUMNS)),
            pd.DataFrame(
                [row for r in records for row in r.impression_rows()],
                columns=list(IMPRESSION_COLUMNS),
            ),
            pd.DataFrame(list(feedback), columns=list(FEEDBACK_COLUMNS)),
        )

    def head(self, n_requests: int) -> RequestLogFrames:
        """The first ``n_requests`` requests (log order) and their impressions and feedback."""
        keep = self.requests.iloc[:n_requests]
        ids = set(keep["request_id"])
        return RequestLogFrames(
            keep,
            self.impressions[self.impressions["request_id"].isin(ids)],
            self.feedback[self.feedback["request_id"].isin(ids)],
        )


def read_request_log(path: str | Path, experiment: str | None = None) -> RequestLogFrames:
    """Requests (in log order) of one experiment, or all, with their impressions and feedback
    (in no particular order), read in one snapshot. ``path``: a SQLite file or a database URL."""
    file = sqlite_path(path)
    if file is not None and not file.is_file():
        raise FileNotFoundError(f"request log {file} does not exist")
    engine = make_engine(path, read_only=True)
    where, params = ("WHERE experiment = :exp", {"exp": experiment}) if experiment else ("", {})
    sub = f"SELECT request_id FROM requests {where}"
    order = insertion_order(engine.dialect.name)
    try:
        with driver_errors(), engine.connect() as con:
            req, imp, fb = (
                pd.read_sql_query(sa.text(sql), con, params=params)
                for sql in (
                    f"SELECT * FROM requests {where} ORDER BY created_at, {order}",
                    f"SELECT * FROM impressions WHERE request_id IN ({sub})",
                    f"SELECT * FROM feedback WHERE request_id IN ({sub})",
                )
            )
    finally:
        engine.dispose()
    return RequestLogFrames(req, imp, fb)


def _records(df: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    """Rows as dicts of Python scalars, missing values as None (NULL)."""
    df = df.reindex(columns=list(columns)).astype(object)
    return df.where(df.notna(), None).to_dict("records")  # type: ignore[return-value]


def write_request_log(frames: RequestLogFrames, path: str | Path) -> Path | str:
    """Append frames to a request log (a SQLite file, created and migrated as the service's
    would be, or a database URL), in one transaction. Returns the path (a ``Path``) or the URL."""
    db = Database(path, what="request log", branch="requestlog")
    try:
        with db.write() as c:
            for table, df, cols in (
                (T.requests, frames.requests, REQUEST_COLUMNS),
                (T.impressions, frames.impressions, IMPRESSION_COLUMNS),
                (T.feedback, frames.feedback, FEEDBACK_COLUMNS),
            ):
                if len(df):
                    c.execute(table.insert(), _records(df, cols))
    finally:
        db.close()
    return path if is_url(path) else Path(path)
