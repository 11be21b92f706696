"""The catalogue stored once per content hash, referenced by model versions.

A saved pipeline's catalogue (format 3: the ``CATALOGUE`` pointer and the current version under
``catalogues/``, creators, embeddings, lexical and vector indexes; plus ``topics.npz``) is most of
its size and is the same for every version trained on the same data with the same encoder. At
logging, it is stored ONCE as the artifacts of a catalogue run (tag ``matcher.kind=catalogue``,
``matcher.catalogue_sha256=<hash>``; the hash covers the files' sha256 from the manifests, by
their names within the catalogue, so a version's name and dates do not count), with the list of
stored files (``catalogue_files.json``), and the version's ``pipeline`` artifact carries
``catalogue_ref.json`` (hash, artifact URI, the stored files) instead of the files.

Every reader restores the files before ``MatchPipeline.load`` (``materialize``): the pyfunc's
``load_context``, ``registry.download_pipeline`` (hence serving, promotion, ``matcher export``,
whose folder is complete again). ``MatchPipeline.load`` then checks each file against the
manifest, so a wrong or damaged catalogue is refused. A version therefore needs its artifact
store at load time; ``matcher export`` writes a folder that does not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient

from matcher.lifecycle.store import KIND_TAG, quiet_downloads

logger = logging.getLogger(__name__)

CATALOGUE_FILES: tuple[str, ...] = ("catalogue.npz", "topics.npz")
CATALOGUE_DIRS: tuple[str, ...] = ("lexical",)
POINTER = "CATALOGUE"  # format 3: ranking.catalogue_files (versions under VERSIONS_DIR)
VERSIONS_DIR = "catalogues"
REF_FILE = "catalogue_ref.json"
FILES_ARTIFACT = "catalogue_files.json"  # in a catalogue run: {stored file: sha256}
HASH_TAG = "matcher.catalogue_sha256"
CATALOGUE_KIND = "catalogue"
ARTIFACT_DIR = "catalogue"


class CatalogueUnavailableError(RuntimeError):
    """A version's catalogue could not be fetched from the artifact store."""


def _is_catalogue(name: str) -> bool:
    return (
        name in CATALOGUE_FILES
        or name == POINTER
        or name.split("/", 1)[0] in (*CATALOGUE_DIRS, VERSIONS_DIR)
    )


def catalogue_entries(pipeline_dir: Path) -> dict[str, str]:
    """``{relative file: sha256}`` of the catalogue files: from the pipeline's manifest (format
    2) and, in format 3, the current version's files from its own manifest, that manifest and
    the ``CATALOGUE`` pointer."""
    from matcher.ranking.catalogue_files import current_version, version_dir
    from matcher.ranking.manifest import sha256_file

    d = Path(pipeline_dir)
    manifest = json.loads((d / "manifest.json").read_text())
    out = {n: e["sha256"] for n, e in sorted(manifest["files"].items()) if _is_catalogue(n)}
    version = current_version(d)
    if version is not None:
        vdir = version_dir(d, version)
        prefix = vdir.relative_to(d).as_posix()
        vman = json.loads((vdir / "manifest.json").read_text())
        out.update({f"{prefix}/{n}": e["sha256"] for n, e in vman["files"].items()})
        out[f"{prefix}/manifest.json"] = sha256_file(vdir / "manifest.json")
        out[POINTER] = sha256_file(d / POINTER)
    return dict(sorted(out.items()))


def _content(name: str) -> str | None:
    """The name a catalogue file has in the content hash: inside a format-3 version, relative to
    the version (whose name is a timestamp); None for what differs between identical catalogues
    (the pointer, the version's ``catalogue.json`` with its dates and its ``manifest.json``)."""
    if name == POINTER:
        return None
    parts = name.split("/")
    if parts[0] != VERSIONS_DIR:
        return name
    rest = "/".join(parts[2:])
    return None if rest in ("catalogue.json", "manifest.json") else rest


def catalogue_hash(entries: dict[str, str]) -> str:
    """One sha256 over the catalogue files' contents and their names within the catalogue (the
    same data = the same hash, whatever the version was called and when it was written)."""
    h = hashlib.sha256()
    for name, sha in sorted((c, sha) for n, sha in entries.items() if (c := _content(n))):
        h.update(f"{name}\x1f{sha}\n".encode())
    return h.hexdigest()


def find_catalogue_run(client: MlflowClient, experiment_id: str, sha: str) -> Any | None:
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{HASH_TAG}` = '{sha}' "
        f"AND tags.`{KIND_TAG}` = '{CATALOGUE_KIND}' AND attributes.status = 'FINISHED'",
        max_results=1,
    )
    return runs[0] if runs else None


def store_catalogue(client: MlflowClient, experiment_id: str, pipeline_dir: Path) -> dict[str, Any]:
    """The reference to the catalogue of ``pipeline_dir``, uploading it as a new catalogue run only
    when no finished run holds the same hash. Returns ``{"sha256", "uri", "run_id", "files"}``."""
    pipeline_dir = Path(pipeline_dir)
    entries = catalogue_entries(pipeline_dir)
    sha = catalogue_hash(entries)
    run = find_catalogue_run(client, experiment_id, sha)
    if run is None:
        run = client.create_run(
            experiment_id,
            run_name=f"catalogue {sha[:12]}",
            tags={KIND_TAG: CATALOGUE_KIND, HASH_TAG: sha},
        )
        try:
            with tempfile.TemporaryDirectory(prefix="matcher-catalogue-") as tmp:
                for name in entries:
                    (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(pipeline_dir / name, Path(tmp) / name)
                client.log_artifacts(run.info.run_id, tmp, ARTIFACT_DIR)
            client.log_dict(run.info.run_id, entries, FILES_ARTIFACT)
            client.set_terminated(run.info.run_id, "FINISHED")
        except BaseException:
            client.set_terminated(run.info.run_id, "FAILED")
            raise
        logger.info("stored catalogue %s in run %s", sha[:12], run.info.run_id)
    else:
        logger.info(
            "catalogue %s already stored (run %s): referenced, not copied",
            sha[:12],
            run.info.run_id,
        )
        # the stored files may carry another version name than this folder's: reference those
        with tempfile.TemporaryDirectory(prefix="matcher-catalogue-") as tmp, quiet_downloads():
            listed = client.download_artifacts(run.info.run_id, FILES_ARTIFACT, tmp)
            entries = json.loads(Path(listed).read_text())
    uri = f"{run.info.artifact_uri.rstrip('/')}/{ARTIFACT_DIR}"
    return {"sha256": sha, "uri": uri, "run_id": run.info.run_id, "files": entries}


def referencing_copy(pipeline_dir: Path, ref: dict[str, Any], dst: Path) -> Path:
    """A copy of ``pipeline_dir`` in ``dst`` without the catalogue files, with ``REF_FILE``."""
    pipeline_dir = Path(pipeline_dir)
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(pipeline_dir.rglob("*")):
        rel = f.relative_to(pipeline_dir).as_posix()
        if f.is_file() and not _is_catalogue(rel):
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst / rel)
    (dst / REF_FILE).write_text(json.dumps(ref, indent=2))
    return dst


def needs_catalogue(pipeline_dir: Path) -> bool:
    d = Path(pipeline_dir)
    return (d / REF_FILE).is_file() and not all((d / n).is_file() for n in _ref(d)["files"])


def _ref(pipeline_dir: Path) -> dict[str, Any]:
    ref = json.loads((Path(pipeline_dir) / REF_FILE).read_text())
    if not isinstance(ref, dict) or not {"sha256", "uri", "files"} <= set(ref):
        raise CatalogueUnavailableError(f"{REF_FILE} in {pipeline_dir} is malformed")
    return ref


def materialize(pipeline_dir: Path) -> Path:
    """Fetch the referenced catalogue into ``pipeline_dir`` (no-op when it is complete). The files
    are checked against the reference here and against the manifest by ``MatchPipeline.load``."""
    from matcher.ranking.manifest import sha256_file

    d = Path(pipeline_dir)
    if not needs_catalogue(d):
        return d
    ref = _ref(d)
    with tempfile.TemporaryDirectory(prefix="matcher-catalogue-") as tmp, quiet_downloads():
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref["uri"], dst_path=tmp))
        except Exception as e:  # noqa: BLE001  (MLflow, network and file errors alike)
            raise CatalogueUnavailableError(
                f"catalogue {ref['sha256'][:12]} of this model is stored at "
                f"{ref['uri']} and cannot be fetched: {e}"
            ) from e
        for name, sha in ref["files"].items():
            src = local / name
            if not src.is_file() or sha256_file(src) != sha:
                raise CatalogueUnavailableError(
                    f"catalogue {ref['sha256'][:12]} at {ref['uri']}: {name} is "
                    "missing or differs from the reference"
                )
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, d / name)
    return d


@contextmanager
def complete_copy(pipeline_dir: Path) -> Iterator[Path]:
    """``pipeline_dir`` itself when complete, else a temporary complete copy (the model's own
    folder may be read-only)."""
    if not needs_catalogue(Path(pipeline_dir)):
        yield Path(pipeline_dir)
        return
    with tempfile.TemporaryDirectory(prefix="matcher-pipeline-") as tmp:
        dst = Path(tmp) / "pipeline"
        shutil.copytree(pipeline_dir, dst)
        yield materialize(dst)
