"""Integrity of a saved pipeline folder: ``manifest.json`` holds the sha256 of every file
``MatchPipeline.save`` wrote; ``MatchPipeline.load`` checks them before reading anything.

A changed, missing or unlisted pipeline file is refused with :class:`CorruptModelError` naming
the file relative to the model folder (never a path of the machine: the message may reach an HTTP
client). Files other tools add to the folder later (``MODEL_INFO.json`` of an export, the
``evaluation/`` reports of a training run, MLflow's own files) are not pipeline files and are
neither listed nor checked. A folder saved before manifests existed loads with a warning.

The manifest detects accidental and unauthorised changes of individual files; it is not a
signature: whoever can write the folder can also rewrite the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20


class CorruptModelError(ValueError):
    """A saved pipeline's file does not match its manifest (or the manifest is unreadable)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def pipeline_files(folder: Path, names: Iterable[str], subfolders: Iterable[str]) -> list[str]:
    """The pipeline's files in ``folder`` (relative POSIX paths, sorted): ``names`` that exist and
    every file under ``subfolders``."""
    out = [n for n in names if (folder / n).is_file()]
    for sub in subfolders:
        if (folder / sub).is_dir():
            out += [
                p.relative_to(folder).as_posix() for p in (folder / sub).rglob("*") if p.is_file()
            ]
    return sorted(out)


def write_manifest(folder: Path, names: Iterable[str], subfolders: Iterable[str] = ()) -> Path:
    """Write ``manifest.json`` with the sha256 and size of the pipeline's files (``pipeline_files``)."""
    files = pipeline_files(folder, names, subfolders)
    entries = {
        f: {"sha256": sha256_file(folder / f), "bytes": (folder / f).stat().st_size} for f in files
    }
    path = folder / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(
        json.dumps({"format": MANIFEST_FORMAT, "algorithm": "sha256", "files": entries}, indent=2)
    )
    tmp.replace(path)
    return path


def _safe_relative(name: object) -> bool:
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name != MANIFEST


def verify_manifest(folder: Path, names: Iterable[str], subfolders: Iterable[str] = ()) -> bool:
    """Check the pipeline's files against ``manifest.json``: every listed file must exist with its
    sha256, every pipeline file present (``pipeline_files``) must be listed. False (with a warning)
    when the folder has no manifest (saved before this check existed)."""
    files = pipeline_files(folder, names, subfolders)
    path = folder / MANIFEST
    if not path.is_file():
        logger.warning(
            "model folder %s has no %s (saved by an older matcher): its files cannot be "
            "checked; save it again to add one",
            folder.name,
            MANIFEST,
        )
        return False
    try:
        data = json.loads(path.read_text())
        entries = data["files"]
        if (
            data.get("algorithm") != "sha256"
            or not isinstance(entries, dict)
            or not all(
                isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in entries.values()
            )
        ):
            raise ValueError("unexpected layout")
    except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError) as e:
        raise CorruptModelError(
            f"{MANIFEST} of the model is unreadable ({type(e).__name__}); "
            "the saved model cannot be trusted"
        ) from None
    for name, entry in sorted(entries.items()):
        if not _safe_relative(name):
            raise CorruptModelError(
                f"{MANIFEST} lists a file outside the model folder: {str(name)[:100]!r}"
            )
        f = folder / name
        if not f.is_file():
            raise CorruptModelError(f"model file {name} is missing (listed in {MANIFEST})")
        if sha256_file(f) != entry["sha256"]:
            raise CorruptModelError(
                f"model file {name} does not match its sha256 in {MANIFEST}: "
                "it was changed after the model was saved"
            )
    unlisted = sorted(set(files) - set(entries))
    if unlisted:
        raise CorruptModelError(
            f"model file {unlisted[0]} is not listed in {MANIFEST}"
            + (f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else "")
        )
    return True
