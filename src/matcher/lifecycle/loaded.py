"""A loaded model: the pipeline and a typed description of what it is.

Every way of loading a model (a registered version, a saved or exported folder, the exported
fallback) returns a ``LoadedModel``; consumers read ``.pipeline`` and ``.info.version`` instead
of guessing at dictionary keys. ``ModelInfo`` is also the service's ``GET /model`` answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.api import ModelInfo
from matcher.lifecycle.store import flat_metrics

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

DEFAULT_NAME = "matcher"


@dataclass(frozen=True)
class LoadedModel:
    """A pipeline ready to serve and what it is (name, version, where it came from, metrics)."""

    pipeline: MatchPipeline
    info: ModelInfo


def describe(
    pipe: MatchPipeline,
    *,
    ref: str | None = None,
    source: str | None = None,
    name: str | None = None,
    version: str | None = None,
    alias: str | None = None,
    run_id: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    fallback_reason: str | None = None,
) -> ModelInfo:
    """The ``ModelInfo`` of a loaded pipeline: the registry's facts when known, else what the
    pipeline's metadata says. Without a version (a plain saved folder) the last part of the
    reference (or of the source folder) names it, so every loaded model has one."""
    meta = pipe.metadata
    version = version or meta.get("version") or meta.get("model_version")
    if version in (None, ""):
        where = str(ref if ref is not None else source or "")
        version = Path(where).name or where
    enc = pipe.encoder.spec()
    return ModelInfo(
        name=str(name or meta.get("model_name") or DEFAULT_NAME),
        version=str(version),
        alias=alias,
        ref=ref,
        source=source,
        fallback_reason=fallback_reason,
        run_id=run_id,
        trained_at=str(meta.get("trained_at") or "") or None,
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        metrics=dict[str, float | None](flat_metrics(metrics or meta.get("test_metrics") or {})),
        catalogue_size=len(pipe.catalogue),
        catalogue_snapshot=pipe.catalogue.snapshot_at.isoformat(),
        catalogue_version=pipe.catalogue_version,
        encoder=f"{enc.get('name')} ({enc.get('dim')}-d)",
    )
