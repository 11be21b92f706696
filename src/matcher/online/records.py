"""What the request log stores about one served request (``RequestRecord``): the rows it
becomes, shared by the store (``online.requestlog``) and the frames (``online.requestlog_read``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from matcher.schemas import Brief, Match


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class RequestRecord:
    """One served (or failed) request and the ranked list it showed."""

    request_id: str
    brief: Brief
    k: int
    model_name: str
    model_version: str | None  # None when routing failed before a model was chosen
    matches: Sequence[Match] = ()
    n_candidates: int | None = 0
    latency_ms: float | None = None
    status: str = "ok"  # ok | empty | error | timeout (the time budget ran out)
    error: str | None = None
    experiment: str | None = None
    variant: str | None = None
    sources: Sequence[str] | None = None  # per position, the team that placed it (interleaving)
    created_at: str = field(default_factory=now_iso)

    def request_row(self) -> tuple[Any, ...]:
        b = self.brief
        return (
            self.request_id,
            self.created_at,
            b.brand_id,
            b.brief_id,
            b.model_dump_json(),
            self.k,
            self.model_name,
            self.model_version,
            self.experiment,
            self.variant,
            self.latency_ms,
            self.n_candidates,
            len(self.matches),
            self.status,
            self.error,
        )

    def impression_rows(self) -> list[tuple[Any, ...]]:
        if self.sources is not None and len(self.sources) != len(self.matches):
            raise ValueError(f"{len(self.sources)} sources for {len(self.matches)} matches")
        rows = []
        for i, m in enumerate(self.matches):
            variant = self.sources[i] if self.sources is not None else self.variant
            rows.append(
                (
                    self.request_id,
                    i + 1,
                    m.influencer_id,
                    m.score,
                    m.fit_score,
                    variant,
                    m.estimated_cost_usd,
                    m.expected_engagement.engagements,
                )
            )
        return rows
