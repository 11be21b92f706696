"""A saved model's catalogue versions: write a refreshed one next to the model
(``matcher catalogue update``), list them, prune old ones (``matcher catalogue prune``), and
serve another version with the same models (what the service does when ``CATALOGUE`` moves).

Writing: ``update_catalogue`` loads the model (catalogue memory-mapped), plans the refresh
(``ranking.refresh``), builds what changed, lets a ``MatchPipeline`` over the merged catalogue
derive what depends on it (lexical index, vector index, costs, typical engagement) and saves it
as an immutable version whose ``parent`` is the current one; then ``publish_version`` swaps the
pointer. One update at a time per model (an exclusive ``flock`` on ``.catalogue-update.lock``),
and the pointer is swapped only if the version it was built from is still current.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.ranking.catalogue import Catalogue
from matcher.ranking.catalogue_files import (
    POINTER,
    LoadedCatalogue,
    current_version,
    list_versions,
    load_catalogue,
    new_version_name,
    publish_version,
    read_meta,
    save_catalogue,
    version_dir,
)
from matcher.ranking.content_hash import hashes_frame
from matcher.ranking.embeddings import TextEncoder
from matcher.ranking.pipeline import DERIVED, MatchPipeline, _derived_key
from matcher.ranking.refresh import RefreshPlan, apply_refresh, plan_refresh

logger = logging.getLogger(__name__)

LOCK_FILE = ".catalogue-update.lock"


class CatalogueUpdateError(ValueError):
    """The model cannot take an incremental update (no catalogue version, one is running, ...)."""


@dataclass
class UpdateReport:
    """What ``update_catalogue`` did (or, with ``dry_run``, would do)."""

    model_dir: str
    parent: str | None
    version: str | None  # the version written (None: dry run, or nothing changed)
    added: int
    changed: int
    removed: int
    unchanged: int
    texts_to_embed: int  # bios + recent posts of the creators rebuilt
    texts_embedded: int  # handed to the encoder (0 on a dry run)
    stats_changed: bool
    snapshot_moved: bool
    snapshot_at: str
    dry_run: bool
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.version is not None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "published": self.published}


@contextlib.contextmanager
def update_lock(model_dir: Path) -> Iterator[None]:
    """An exclusive lock on the model's catalogue updates (released when the process ends)."""
    with (Path(model_dir) / LOCK_FILE).open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogueUpdateError(
                f"another catalogue update of {model_dir} is running"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def with_catalogue(
    pipe: MatchPipeline, loaded: LoadedCatalogue | Catalogue, model_dir: Path | None = None
) -> MatchPipeline:
    """A new pipeline with ``pipe``'s models (shared, not copied) over another catalogue. The
    derived arrays saved with a version are used when they were computed for these models
    (their key matches ``model_dir``'s)."""
    if isinstance(loaded, Catalogue):
        loaded = LoadedCatalogue(loaded, None, None, None, {})
    derived = {}
    if model_dir is not None and loaded.meta.get("derived_key") == _derived_key(Path(model_dir)):
        derived = {k: v for k, v in loaded.arrays.items() if k in DERIVED}
    new = pipe.over_catalogue(
        loaded.catalogue, index=loaded.index, lexical=loaded.lexical, derived=derived
    )
    new.catalogue_version = loaded.meta.get("version")
    new.catalogue_hashes = loaded.hashes
    return new


def load_version(pipe: MatchPipeline, model_dir: Path, version: str) -> MatchPipeline:
    """``pipe``'s models over catalogue ``version`` of ``model_dir`` (memory-mapped)."""
    loaded = load_catalogue(version_dir(Path(model_dir), version), mmap=True)
    return with_catalogue(pipe, loaded, model_dir)


def update_catalogue(
    model_dir: Path,
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    *,
    dry_run: bool = False,
    encoder: TextEncoder | None = None,
    progress: bool = False,
) -> UpdateReport:
    """Refresh the catalogue of the model in ``model_dir`` from validated tables
    (``matcher.data.io.load_catalogue``) and publish it as a new version."""
    model_dir = Path(model_dir)
    t0 = time.perf_counter()
    with update_lock(model_dir):
        parent = current_version(model_dir)
        if parent is None:
            raise CatalogueUpdateError(
                f"model {model_dir} has no catalogue versions (saved before format 3): "
                "save it again with this version of matcher first (matcher export)"
            )
        pipe = MatchPipeline.load(model_dir, encoder=encoder)
        if progress and hasattr(pipe.encoder, "show_progress"):
            pipe.encoder.show_progress = True  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        if pipe.catalogue_hashes is None:
            logger.warning(
                "catalogue %s has no content hashes: every creator is rebuilt once "
                "(texts already embedded come from the encoder's cache)",
                parent,
            )
        plan = plan_refresh(
            pipe.catalogue, pipe.catalogue_hashes, influencers, posts, pipe.config.catalogue
        )
        t2 = time.perf_counter()
        report = UpdateReport(
            model_dir=str(model_dir),
            parent=parent,
            version=None,
            **plan.diff.counts(),
            texts_to_embed=plan.texts_to_embed,
            texts_embedded=0,
            stats_changed=plan.stats_changed,
            snapshot_moved=plan.snapshot_moved,
            snapshot_at=plan.snapshot_at.isoformat(),
            dry_run=dry_run,
            seconds={"load": t1 - t0, "plan": t2 - t1},
        )
        if dry_run or plan.nothing_to_do:
            report.seconds["total"] = time.perf_counter() - t0
            return report
        scratch = model_dir / f".refresh-{os.getpid()}.tmp"  # same disk as the version
        try:
            return _apply(pipe, plan, influencers, posts, model_dir, parent, report, scratch, t0)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _apply(
    pipe: MatchPipeline,
    plan: RefreshPlan,
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    model_dir: Path,
    parent: str,
    report: UpdateReport,
    scratch: Path,
    t0: float,
) -> UpdateReport:
    """Build, merge, save and publish (``update_catalogue`` holds the lock)."""
    config = pipe.config.catalogue
    done = apply_refresh(
        pipe.catalogue, plan, influencers, posts, pipe.encoder, config, pipe.topics, scratch
    )
    report.texts_embedded = done.texts_embedded
    report.seconds.update(done.seconds)
    t3 = time.perf_counter()
    new = with_catalogue(pipe, done.catalogue)
    version = new_version_name()
    save_catalogue(
        done.catalogue,
        version_dir(model_dir, version),
        lexical=new.lexical,
        index=new.index,
        hashes=hashes_frame(plan.hashes),
        meta={
            "parent": parent,
            "encoder": pipe.encoder.spec(),
            "derived_key": _derived_key(model_dir),
            "refresh": plan.diff.counts() | {"texts_embedded": done.texts_embedded},
        },
        extra={k: getattr(new, k) for k in DERIVED},
    )
    if current_version(model_dir) != parent:  # cannot happen under the lock, unless by hand
        raise CatalogueUpdateError(
            f"the current catalogue of {model_dir} changed during the update; "
            f"version {version} was saved but not published"
        )
    publish_version(model_dir, version)
    report.version = version
    report.seconds["save"] = time.perf_counter() - t3
    report.seconds["total"] = time.perf_counter() - t0
    return report


def describe_versions(model_dir: Path) -> list[dict[str, Any]]:
    """One row per saved version (oldest first): name, current, parent, created, sizes."""
    model_dir = Path(model_dir)
    if not (model_dir / "pipeline.json").is_file():
        raise FileNotFoundError(f"{model_dir} is not a saved model (no pipeline.json)")
    current = current_version(model_dir)
    rows = []
    for v in list_versions(model_dir):
        meta = read_meta(version_dir(model_dir, v))
        rows.append(
            {
                "version": v,
                "current": v == current,
                "parent": meta.get("parent"),
                "created_at": meta.get("created_at"),
                "n_creators": meta.get("n_creators"),
                "n_posts": meta.get("n_posts"),
                "snapshot_at": meta.get("snapshot_at"),
                "refresh": meta.get("refresh"),
            }
        )
    return rows


PRUNING_PREFIX = ".pruning-"  # a version moved out of catalogues/ on its way to deletion


@dataclass
class PruneReport:
    """What ``prune_versions`` removed (or, with ``dry_run``, would remove)."""

    current: str
    kept: list[str]
    removed: list[str]
    freed_bytes: int
    dry_run: bool


def _tree_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def prune_versions(model_dir: Path, keep: int, *, dry_run: bool = False) -> PruneReport:
    """Delete all catalogue versions but the current one and the ``keep - 1`` newest others
    (by ``created_at``, then name), under the update lock (never while an update writes). Each
    version is first moved out of ``catalogues/`` in one rename, so a prune that dies half way
    leaves no half version listed (the next prune finishes it). A worker still mapping a removed
    version keeps its pages until it swaps to the current one (files unlinked while mapped
    stay readable)."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1 (the current version is always kept), got {keep}")
    model_dir = Path(model_dir)
    if not (model_dir / "pipeline.json").is_file():
        raise FileNotFoundError(f"{model_dir} is not a saved model (no pipeline.json)")
    with update_lock(model_dir):
        current = current_version(model_dir)
        if current is None:
            raise CatalogueUpdateError(
                f"{model_dir.name} has no {POINTER} pointer (a format 2 model has no versions)"
            )
        rows = {r["version"]: r for r in describe_versions(model_dir)}
        others = sorted(
            (v for v in rows if v != current), key=lambda v: (str(rows[v]["created_at"] or ""), v)
        )
        removed = others[: max(0, len(others) - (keep - 1))]
        kept = [current] + [v for v in others if v not in removed]
        leftovers = sorted(model_dir.glob(PRUNING_PREFIX + "*"))
        freed = sum(_tree_bytes(version_dir(model_dir, v)) for v in removed)
        freed += sum(_tree_bytes(d) for d in leftovers)
        if not dry_run:
            for v in removed:
                trash = model_dir / f"{PRUNING_PREFIX}{v}"
                os.replace(version_dir(model_dir, v), trash)
                leftovers.append(trash)
            for d in leftovers:
                shutil.rmtree(d)
            if removed:
                logger.info("pruned %d catalogue version(s) of %s", len(removed), model_dir.name)
    return PruneReport(current, kept, removed, freed, dry_run)
