"""Format versions of a saved pipeline folder, and the path from each old one to the current.

``pipeline.json`` carries ``format_version``. ``open_saved`` reads it, refuses a format newer than
this code (upgrade matcher) or one no migration starts from, and applies the registered
migrations ``n -> n+1`` in order, in memory, with one WARNING naming both versions. Nothing in
the folder is written: ``rewrite`` (``matcher export --model DIR``) saves it again in the
current format.

The formats (``git log -p -- src/matcher/ranking/pipeline.py src/matcher/ranking/manifest.py``):

- **1** (from the first commit to 5da0367): ``pipeline.json`` (format_version, config,
  metadata, encoder, featurizer), ``ranker.json``, ``engagement.json``, ``cost.json``,
  ``catalogue.npz``, ``history.parquet``; from a2c7957 on also ``topics.npz`` and ``lexical/``
  (rebuilt from the encoder and the catalogue when absent). No ``manifest.json``: the files
  cannot be checked. (Folders written between 5f9dd45 and this change say 1 but have a
  manifest; it is checked.)
- **2**: the same files plus ``manifest.json``, the sha256 of each (``ranking.manifest``),
  which is required: a format-2 folder without it is refused (deleting the manifest must not be
  a way around the check).
- **3** (current): the catalogue leaves the model files: ``catalogues/<version>/`` (float16
  vectors and string columns memory-mapped, lexical index, precomputed lookups, its own
  manifest) named by the ``CATALOGUE`` pointer (``ranking.catalogue_files``,
  docs/catalogue.md); ``manifest.json`` lists the model files only. A format-2 folder loads
  with its ``catalogue.npz`` read into memory (float32, not shared between workers).

A migration takes and returns a :class:`Saved` (the parsed ``pipeline.json`` and what is known
about the folder); it may change the state and record notes, never the files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.ranking.manifest import MANIFEST, CorruptModelError, verify_manifest

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3
PIPELINE_JSON = "pipeline.json"


class UnsupportedFormatError(ValueError):
    """A saved pipeline's ``format_version`` this code cannot read (newer, unknown or malformed)."""


@dataclass
class Saved:
    """A saved folder's ``pipeline.json`` state, as read and migrated so far."""

    folder: Path
    state: dict[str, Any]
    version: int  # the version ``state`` is in now
    verified: bool  # the files were checked against a manifest
    notes: list[str] = field(default_factory=list)
    from_version: int = FORMAT_VERSION  # the version written in the folder (files laid out so)


Migration = Callable[[Saved], Saved]


def _v1_to_v2(saved: Saved) -> Saved:
    """Format 2 only adds ``manifest.json``: the state is unchanged. Without a manifest the
    files were not checked (``verified`` stays False); ``rewrite`` adds one."""
    if not saved.verified:
        saved.notes.append("unverified: no manifest.json (files not checked)")
    saved.state["format_version"] = 2
    return saved


def _v2_to_v3(saved: Saved) -> Saved:
    """Format 3 moves the catalogue into a version folder; the state is unchanged. The loader
    reads the old ``catalogue.npz`` (``Saved.from_version`` < 3) into memory."""
    saved.notes.append("catalogue.npz read into memory, not memory-mapped")
    saved.state["format_version"] = 3
    return saved


# from-version -> migration to from-version + 1; every version below FORMAT_VERSION from the
# oldest one readable must have one (tests/unit/ranking/test_migrations.py checks the chain)
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3}
OLDEST = min(MIGRATIONS, default=FORMAT_VERSION)


def read_version(state: object, name: str) -> int:
    """``format_version`` of a parsed ``pipeline.json``; ``name`` names the folder in errors."""
    if not isinstance(state, dict):
        raise CorruptModelError(f"{PIPELINE_JSON} of model {name} is not a JSON object")
    v = state.get("format_version")
    if isinstance(v, bool) or not isinstance(v, int):
        raise UnsupportedFormatError(
            f"{PIPELINE_JSON} of model {name}: format_version must be an integer, got {v!r:.40}"
        )
    if v > FORMAT_VERSION:
        raise UnsupportedFormatError(
            f"model {name} has format {v}, newer than this matcher reads (format {FORMAT_VERSION}"
            f"): upgrade matcher to load it"
        )
    if v < OLDEST:
        raise UnsupportedFormatError(
            f"model {name} has format {v}; this matcher reads formats {OLDEST} to "
            f"{FORMAT_VERSION}: train or export it again"
        )
    return v


def open_saved(folder: Path, names: Iterable[str], subfolders: Iterable[str] = ()) -> Saved:
    """Check ``folder`` (manifest when present: ``CorruptModelError``), read its
    ``pipeline.json`` and bring it to ``FORMAT_VERSION`` in memory (WARNING when a migration ran)."""
    names, subfolders = list(names), list(subfolders)
    has_manifest = (folder / MANIFEST).is_file()
    if has_manifest:  # before reading anything (pipeline.json is listed too)
        verify_manifest(folder, names, subfolders)
    try:
        state = json.loads((folder / PIPELINE_JSON).read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise CorruptModelError(
            f"{PIPELINE_JSON} of model {folder.name} is unreadable ({type(e).__name__})"
        ) from None
    version = read_version(state, folder.name)
    if version == FORMAT_VERSION and not has_manifest:
        raise CorruptModelError(
            f"model {folder.name} has format {FORMAT_VERSION} but no {MANIFEST} (a format-"
            f"{FORMAT_VERSION} model always has one): it cannot be trusted"
        )
    if not has_manifest:
        verify_manifest(folder, names, subfolders)  # logs that the files cannot be checked
    saved = Saved(folder, state, version, verified=has_manifest, from_version=version)
    for v in range(version, FORMAT_VERSION):
        saved = MIGRATIONS[v](saved)
        saved.version = v + 1
    if version != FORMAT_VERSION:
        logger.warning(
            "pipeline at %s has format %d, upgraded in memory to %d%s; `matcher export --model %s` "
            "writes it in the current format",
            folder.name,
            version,
            FORMAT_VERSION,
            f" ({'; '.join(saved.notes)})" if saved.notes else "",
            folder.name,
        )
    return saved


def saved_version(folder: str | Path) -> int:
    """The ``format_version`` written in a saved folder (no migration, no check of the files)."""
    folder = Path(folder)
    try:
        state = json.loads((folder / PIPELINE_JSON).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{folder.name} is not a saved MatchPipeline (no {PIPELINE_JSON})"
        ) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CorruptModelError(
            f"{PIPELINE_JSON} of model {folder.name} is unreadable ({type(e).__name__})"
        ) from None
    return read_version(state, folder.name)


def rewrite(src: str | Path, dest: str | Path | None = None, *, encoder: Any = None) -> Path:
    """Load ``src`` (migrating it) and save it in the current format to ``dest`` (default:
    ``src`` itself). Files that are not the pipeline's (``MODEL_INFO.json``, ``evaluation/``) are
    kept. The folder is staged next to ``dest``, loaded once more, then renamed into place, so a
    reader never sees half a model. ``encoder``: a ``TextEncoder`` to use instead of the one the
    folder names (tests)."""
    import os
    import shutil
    import tempfile

    from matcher.ranking.pipeline import LEXICAL_DIR, MatchPipeline

    src = Path(src)
    dest = src if dest is None else Path(dest)
    pipe = MatchPipeline.load(src, encoder=encoder)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        shutil.copytree(src, staging, dirs_exist_ok=True)
        shutil.rmtree(staging / LEXICAL_DIR, ignore_errors=True)
        (staging / MANIFEST).unlink(missing_ok=True)
        pipe.save(staging)
        MatchPipeline.load(staging, encoder=pipe.encoder)  # refuse to publish what does not load
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}-old-{os.getpid()}")
            dest.rename(old)
        staging.rename(dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("rewrote %s in format %d to %s", src.name, FORMAT_VERSION, dest)
    return dest
