"""Catalogue versions on disk (format 3 of a saved pipeline): one immutable folder per version,
laid out so every worker maps the same pages instead of holding its own copy.

    MODEL/CATALOGUE                     one line: the current version (replaced atomically)
    MODEL/catalogues/<version>/
      catalogue.json                    meta: version, parent, created_at, n_creators, n_posts,
                                        encoder, vector_dtype, snapshot_at, categories, ...
      arrays/<name>.npy                 numeric arrays (vectors float16), np.load(mmap_mode="r")
      texts/<name>.utf8.npy/.offsets.npy  big string columns (``ranking.text_column``), mapped
      lexical/                          the BM25 index of this version (bm25s, mmap-loadable)
      ann/                              the ANN index, when one is used (``ranking.ann``)
      hashes.parquet                    influencer_id, content_hash (incremental updates)
      manifest.json                     sha256 of every file above (``ranking.manifest``)

A version is written to a staging folder and renamed into place, so a reader never sees half
of one; ``publish_version`` then swaps ``CATALOGUE`` (write, fsync, ``os.replace``). What it
costs to store vectors as float16, how the manifest is checked at start-up and the memory a
worker uses: docs/catalogue.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.ranking.catalogue import NUMERIC_FIELDS, VECTOR_FIELDS, Catalogue
from matcher.ranking.id_index import IdIndex
from matcher.ranking.lexical import LexicalIndex
from matcher.ranking.manifest import (
    CorruptModelError,
    stamp_verified,
    verify_manifest_cached,
    write_manifest,
)
from matcher.ranking.retrieval import VectorIndex
from matcher.ranking.text_column import TextColumn, as_strings, load_array

logger = logging.getLogger(__name__)

CATALOGUE_FORMAT = 1
POINTER = "CATALOGUE"
VERSIONS_DIR = "catalogues"
META = "catalogue.json"
ARRAYS = "arrays"
TEXTS = "texts"
LEXICAL = "lexical"
ANN = "ann"
HASHES = "hashes.parquet"
VERSION_FILES: tuple[str, ...] = (META, HASHES)
VERSION_SUBFOLDERS: tuple[str, ...] = (ARRAYS, TEXTS, LEXICAL, ANN)
VECTOR_DTYPE = np.float16

VECTORS = VECTOR_FIELDS
NUMERIC = NUMERIC_FIELDS
OPTIONAL_NUMERIC: tuple[str, ...] = (
    "topic_idx",
    "topic_score",
    "post_ad_idx",
    "post_ad_score",
    "bio_ad_idx",
    "bio_ad_score",
)
TEXT_COLUMNS = ("ids", "handles", "post_texts", "search_text")  # + bio_texts when present
CATEGORIES = ("platforms", "countries", "languages")  # few distinct values: codes + vocabulary
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class LoadedCatalogue:
    """One catalogue version as read by ``load_catalogue``."""

    catalogue: Catalogue
    lexical: LexicalIndex | None
    index: VectorIndex | None  # the saved ANN index (``ann/``); None: build one from the vectors
    hashes: pd.DataFrame | None  # influencer_id, content_hash; None when not saved
    meta: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, NDArray[Any]] = field(default_factory=dict)  # extra arrays (``extra=``)


# ---------------------------------------------------------------------- names and pointer
def check_version_name(version: object) -> str:
    """``version`` if it is a safe folder name (letters, digits, ``._-``), else ValueError."""
    if not isinstance(version, str) or not _NAME.match(version) or ".." in version:
        raise ValueError(
            f"catalogue version must be 1-128 letters, digits, '.', '_' or '-', got {version!r:.60}"
        )
    return version


def new_version_name(now: datetime | None = None) -> str:
    """A fresh, time-sortable version name: ``20261203T081500.123456Z-3f9a1c``. Microseconds,
    so two versions made within one second (an update right after a build) still sort by time,
    not by their random suffix."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


def version_dir(model_dir: Path, version: str) -> Path:
    return Path(model_dir) / VERSIONS_DIR / check_version_name(version)


def list_versions(model_dir: Path) -> list[str]:
    """Complete versions in ``model_dir`` (a ``catalogue.json`` inside), oldest name first."""
    root = Path(model_dir) / VERSIONS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _NAME.match(p.name) and (p / META).is_file())


def current_version(model_dir: Path) -> str | None:
    """The version ``CATALOGUE`` names, None when the model has no pointer (format 2 or older)."""
    f = Path(model_dir) / POINTER
    if not f.is_file():
        return None
    name = f.read_text(encoding="utf-8").strip()
    try:
        return check_version_name(name)
    except ValueError:
        raise CorruptModelError(f"{POINTER} of the model names no valid version") from None


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish_version(model_dir: Path, version: str) -> None:
    """Make ``version`` current: write ``CATALOGUE`` to a temporary file, fsync it, then
    ``os.replace`` it (atomic: a reader sees the old or the new version, never neither)."""
    model_dir = Path(model_dir)
    d = version_dir(model_dir, version)
    if not (d / META).is_file():
        raise FileNotFoundError(f"catalogue version {version} is not saved in {model_dir.name}")
    tmp = model_dir / f".{POINTER}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        f.write(version + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, model_dir / POINTER)
    _fsync_dir(model_dir)
    logger.info("catalogue version %s published in %s", version, model_dir.name)


# ---------------------------------------------------------------------- writing
def _save_array(folder: Path, name: str, arr: NDArray[Any]) -> None:
    np.save(folder / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)


def _categories(values: Any) -> tuple[list[str], NDArray[np.int32]]:
    codes, vocab = pd.factorize(pd.Series(np.asarray(values, dtype=object)).astype(str), sort=True)
    return [str(v) for v in vocab], codes.astype(np.int32)


def save_catalogue(
    cat: Catalogue,
    folder: Path,
    *,
    lexical: LexicalIndex | None,
    index: VectorIndex | None,
    hashes: pd.DataFrame | None,
    meta: dict[str, Any],
    extra: dict[str, NDArray[Any]] | None = None,
) -> None:
    """Write one immutable version folder (``folder`` must not exist yet). Vectors are stored
    float16; ``index`` is saved to ``ann/`` when it has a ``save`` method (an exact index has
    nothing to save); ``extra``: more numeric arrays precomputed by the caller (e.g. the
    pipeline's costs), read back into ``LoadedCatalogue.arrays``. ``meta`` (e.g. ``parent``,
    ``encoder``) is merged into ``catalogue.json``."""
    folder = Path(folder)
    check_version_name(folder.name)
    if folder.exists():
        raise FileExistsError(f"catalogue version {folder.name} exists: versions are immutable")
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        (stage / ARRAYS).mkdir(parents=True)
        arrays = stage / ARRAYS
        for name in VECTORS:
            # no copy when already float16 (a memory-mapped catalogue streams from its pages)
            _save_array(
                arrays, name, np.asarray(getattr(cat, name)).astype(VECTOR_DTYPE, copy=False)
            )
        for name in NUMERIC:
            _save_array(arrays, name, np.asarray(getattr(cat, name)))
        for name in OPTIONAL_NUMERIC:
            if getattr(cat, name) is not None:
                _save_array(arrays, name, np.asarray(getattr(cat, name)))
        for k, v in cat.stats.items():
            _save_array(arrays, f"stat__{k}", np.asarray(v))
        for k, v in (extra or {}).items():
            _save_array(arrays, f"extra__{check_version_name(k)}", np.asarray(v))
        categories: dict[str, list[str]] = {}
        for name in CATEGORIES:
            categories[name], codes = _categories(getattr(cat, name))
            _save_array(arrays, f"{name}.codes", codes)
        ids = as_strings(cat.ids)
        IdIndex.build(ids).save(arrays, "ids")
        texts = [*TEXT_COLUMNS, *(["bio_texts"] if cat.bio_texts is not None else [])]
        for name in texts:
            col = ids if name == "ids" else as_strings(getattr(cat, name))
            col.save(stage / TEXTS, name)
        if lexical is not None:
            lexical.save(stage / LEXICAL)
        save_index = getattr(index, "save", None)
        if callable(save_index):
            save_index(stage / ANN)
        if hashes is not None:
            hashes.reset_index(drop=True).to_parquet(stage / HASHES, index=False)
        info = {
            "format": CATALOGUE_FORMAT,
            "parent": None,
            **meta,
            "version": folder.name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "n_creators": len(cat),
            "n_posts": int(len(cat.post_emb)),
            "dim": int(np.asarray(cat.profile).shape[1]) if np.ndim(cat.profile) == 2 else 0,
            "vector_dtype": np.dtype(VECTOR_DTYPE).name,
            "snapshot_at": cat.snapshot_at.isoformat(),
            "categories": categories,
            "text_columns": texts,
            "extra": sorted(extra or {}),
        }
        (stage / META).write_text(json.dumps(info, indent=2, default=str))
        write_manifest(stage, VERSION_FILES, VERSION_SUBFOLDERS)
        stage.rename(folder)
        _fsync_dir(folder.parent)
        stamp_verified(folder, VERSION_FILES, VERSION_SUBFOLDERS)  # just hashed: no need again
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    logger.info(
        "catalogue version %s saved: %d creators, %d posts", folder.name, len(cat), info["n_posts"]
    )


# ---------------------------------------------------------------------- reading
def read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((Path(folder) / META).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{Path(folder).name} is not a catalogue version (no {META})"
        ) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CorruptModelError(
            f"{META} of catalogue {Path(folder).name} is unreadable ({e})"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != CATALOGUE_FORMAT:
        raise CorruptModelError(
            f"{META} of catalogue {Path(folder).name}: format must be {CATALOGUE_FORMAT}, "
            f"got {meta.get('format') if isinstance(meta, dict) else meta!r:.40}"
        )
    return meta


def load_catalogue(
    folder: Path, *, mmap: bool = True, verify: bool = True, hashes: bool = True
) -> LoadedCatalogue:
    """Read one version folder. ``mmap``: numeric arrays and text columns are memory-mapped
    read-only (shared by every process that maps them); vectors stay float16, so callers cast
    the rows they gather (``cat.post_emb[a:b].astype(np.float32)``). ``verify``: check the
    version's manifest first (``ranking.manifest.verify_manifest_cached``: full sha256 once per
    copy of the files, then a stat check). ``hashes``: read ``hashes.parquet`` (a million Python
    strings: serving does not need them; ``read_hashes`` reads them later)."""
    folder = Path(folder)
    if verify:
        verify_manifest_cached(folder, VERSION_FILES, VERSION_SUBFOLDERS)
    meta = read_meta(folder)
    arrays = folder / ARRAYS

    def arr(name: str) -> NDArray[Any]:
        return load_array(arrays / f"{name}.npy", mmap=mmap)

    kw: dict[str, Any] = {name: arr(name) for name in (*VECTORS, *NUMERIC)}
    for name in OPTIONAL_NUMERIC:
        if (arrays / f"{name}.npy").is_file():
            kw[name] = arr(name)
    kw["stats"] = {
        p.name[len("stat__") : -len(".npy")]: arr(p.name[: -len(".npy")])
        for p in sorted(arrays.glob("stat__*.npy"))
    }
    codes = {name: np.asarray(arr(f"{name}.codes")) for name in CATEGORIES}
    for name in CATEGORIES:
        vocab = np.asarray(meta["categories"][name], dtype=object)
        kw[name] = vocab[codes[name]] if len(vocab) else np.zeros(0, object)
    for name in meta["text_columns"]:
        kw[name] = TextColumn.load(folder / TEXTS, name, mmap=mmap)
    kw["snapshot_at"] = pd.Timestamp(meta["snapshot_at"])
    kw["index"] = IdIndex.load(arrays, "ids", kw["ids"], mmap=mmap)
    cat = Catalogue(**kw)
    # the integer codes filters compare, from the stored codes (no pass over n strings)
    for name, attr, known, dtype in (
        ("platforms", "platform_codes", S.PLATFORM_INDEX, np.int8),
        ("countries", "country_codes", S.COUNTRY_INDEX, np.int16),
    ):
        lookup = np.array([known.get(v, -1) for v in meta["categories"][name]] + [-1], dtype)
        cat.__dict__[attr] = lookup[codes[name]]  # fills the cached_property
    lexical = (
        LexicalIndex.load(folder / LEXICAL, mmap=mmap) if (folder / LEXICAL).is_dir() else None
    )
    index: VectorIndex | None = None
    if (folder / ANN).is_dir():
        from matcher.ranking.ann import load_index  # owned by the ANN work; only when saved

        index = load_index(folder / ANN, mmap=mmap, vectors=cat.profile)
    extra = {k: arr(f"extra__{k}") for k in meta.get("extra", [])}
    return LoadedCatalogue(
        cat, lexical, index, read_hashes(folder) if hashes else None, meta, extra
    )


def read_hashes(folder: Path) -> pd.DataFrame | None:
    """The version's ``influencer_id, content_hash`` table, None when it was saved without."""
    f = Path(folder) / HASHES
    return pd.read_parquet(f) if f.is_file() else None
