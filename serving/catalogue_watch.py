"""Which catalogue version the served model's folder names, and a ``Served`` over it.

``ModelHolder.check_catalogue`` (``serving.model_state``) polls ``next_version`` and swaps in
what ``with_version`` builds; this module holds no state. Loading a version is
``matcher.ranking.catalogue_update.load_version``: a new pipeline sharing the encoder and the
models, over the version's memory-mapped arrays and saved indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from matcher.api import ModelInfo
from matcher.ranking.catalogue_files import POINTER, current_version
from matcher.ranking.pipeline import MatchPipeline

if TYPE_CHECKING:
    from serving.model_state import Served

logger = logging.getLogger(__name__)


def catalogue_folder(served: Served) -> Path | None:
    """The model folder whose ``CATALOGUE`` pointer the default model follows; None for a model
    from the registry (its files are MLflow's copy) or one saved without catalogue versions."""
    source = served.default.info.source
    if not source or source.startswith("models:/"):
        return None
    folder = Path(source)
    return folder if (folder / POINTER).is_file() else None


def next_version(served: Served, skip: str | None = None) -> tuple[Path, str] | None:
    """(folder, version) when the folder's pointer names a version other than the one served
    (and other than ``skip``: one that failed to load); None otherwise."""
    folder = catalogue_folder(served)
    if folder is None:
        return None
    try:
        version = current_version(folder)
    except (OSError, ValueError) as e:
        logger.error("catalogue pointer of %s unreadable, keeping the current one: %s", folder, e)
        return None
    if version is None or version in (served.default.pipeline.catalogue_version, skip):
        return None
    return folder, version


def with_catalogue_info(info: ModelInfo, pipe: MatchPipeline) -> ModelInfo:
    """``info`` describing ``pipe``'s catalogue (size, snapshot, version)."""
    return info.model_copy(
        update={
            "catalogue_size": len(pipe.catalogue),
            "catalogue_snapshot": pipe.catalogue.snapshot_at.isoformat(),
            "catalogue_version": pipe.catalogue_version,
        }
    )


def with_version(
    served: Served, folder: Path, version: str, warm_up: Callable[[MatchPipeline], None]
) -> Served:
    """``served`` with its default model over catalogue ``version`` (loaded, warmed up)."""
    from matcher.ranking.catalogue_update import load_version

    pipe = load_version(served.default.pipeline, folder, version)
    warm_up(pipe)
    default = replace(
        served.default, pipeline=pipe, info=with_catalogue_info(served.default.info, pipe)
    )
    return replace(served, default=default)
