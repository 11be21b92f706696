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
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20
STAMP = ".verified.json"  # written next to a manifest once its files were checked in full
STAMP_FORMAT = 1


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
    for name in sorted(entries):
        if not _safe_relative(name):
            raise CorruptModelError(
                f"{MANIFEST} lists a file outside the model folder: {str(name)[:100]!r}"
            )
        if not (folder / name).is_file():
            raise CorruptModelError(f"model file {name} is missing (listed in {MANIFEST})")
    actual = hash_files(folder, sorted(entries))
    for name, entry in sorted(entries.items()):
        if actual[name] != entry["sha256"]:
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


# ---------------------------------------------------------------------- verified once per copy
def _identity(folder: Path, names: Iterable[str]) -> dict[str, list[int]]:
    """Per file: size, inode, mtime and ctime (ns). ctime cannot be set back from user space,
    so a file written (or ``touch``-ed back to its old mtime) after the check has another one."""
    out = {}
    for name in names:
        st = (folder / name).stat()
        out[name] = [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
    return out


def _stamp_path(folder: Path) -> Path:
    return folder / STAMP


def _fallback_stamp(folder: Path) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matcher" / "verified"
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:32]
    return root / f"{key}.json"


def _read_stamp(folder: Path) -> dict[str, object] | None:
    for p in (_stamp_path(folder), _fallback_stamp(folder)):
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and data.get("format") == STAMP_FORMAT:
            return data
    return None


def _write_stamp(folder: Path, data: dict[str, object]) -> None:
    text = json.dumps(data)
    for p in (_stamp_path(folder), _fallback_stamp(folder)):
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(p)
            return
        except OSError:
            continue
    logger.info("could not record that %s was verified: it will be hashed again", folder.name)


def hash_files(folder: Path, names: list[str], workers: int | None = None) -> dict[str, str]:
    """sha256 of each file, several files at once (hashlib releases the GIL on big reads)."""
    workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as ex:
        return dict(zip(names, ex.map(lambda n: sha256_file(folder / n), names), strict=True))


def _current_identity(folder: Path, names: list[str], subfolders: list[str]) -> dict[str, object]:
    listed = [MANIFEST, *pipeline_files(folder, names, subfolders)]
    return {
        "format": STAMP_FORMAT,
        "manifest_sha256": sha256_file(folder / MANIFEST),
        "files": _identity(folder, listed),
    }


def stamp_verified(folder: Path, names: Iterable[str], subfolders: Iterable[str] = ()) -> None:
    """Record that ``folder``'s files match its manifest without hashing them again: for the
    writer that just hashed them to write the manifest (``write_manifest``)."""
    _write_stamp(folder, _current_identity(folder, list(names), list(subfolders)))


def verify_manifest_cached(
    folder: Path, names: Iterable[str], subfolders: Iterable[str] = ()
) -> bool:
    """``verify_manifest`` once per copy of the files, then a stat check.

    The first load of a folder hashes every file (in parallel threads) and, when all match,
    records a stamp (``.verified.json`` in the folder, else in the user's cache folder): the
    manifest's sha256 and each file's size, inode, mtime and ctime. Later loads compare only
    those (O(number of files), milliseconds at a million creators instead of ~10 s of sha256
    per worker); a file written, replaced, added or removed since, or a changed manifest, fails
    the comparison and the folder is hashed in full again (``CorruptModelError`` if it no longer
    matches). Threat model as the manifest's: it catches accidental and unauthorised changes of
    files, not someone who can also rewrite the manifest."""
    names, subfolders = list(names), list(subfolders)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return verify_manifest(folder, names, subfolders)
    current: dict[str, object] | None
    try:
        current = _current_identity(folder, names, subfolders)
    except OSError:
        current = None
    stamp = _read_stamp(folder)
    if current is not None and stamp == current:
        logger.debug("%s: files unchanged since verified, sha256 not recomputed", folder.name)
        return True
    ok = verify_manifest(folder, names, subfolders)
    if ok and current is not None:
        _write_stamp(folder, current)
    return ok
