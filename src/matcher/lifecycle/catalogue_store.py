"""The catalogue stored once per content hash, referenced by model versions.

A saved pipeline's catalogue (``catalogue.npz``: creators and their embeddings, ``topics.npz``,
the ``lexical/`` index) is most of its size and is the same for every version trained on the
same data with the same encoder. At logging, it is stored ONCE as the artifacts of a catalogue
run (tag ``matcher.kind=catalogue``, ``matcher.catalogue_sha256=<hash>``; the hash covers the
files' sha256 from the pipeline's ``manifest.json``), and the version's ``pipeline`` artifact
carries ``catalogue_ref.json`` (hash, artifact URI, files) instead of the files.

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
REF_FILE = "catalogue_ref.json"
HASH_TAG = "matcher.catalogue_sha256"
CATALOGUE_KIND = "catalogue"
ARTIFACT_DIR = "catalogue"


class CatalogueUnavailableError(RuntimeError):
    """A version's catalogue could not be fetched from the artifact store."""


def _is_catalogue(name: str) -> bool:
    return name in CATALOGUE_FILES or name.split("/", 1)[0] in CATALOGUE_DIRS


def catalogue_entries(pipeline_dir: Path) -> dict[str, str]:
    """``{relative file: sha256}`` of the catalogue files, from the pipeline's manifest."""
    manifest = json.loads((Path(pipeline_dir) / "manifest.json").read_text())
    return {n: e["sha256"] for n, e in sorted(manifest["files"].items()) if _is_catalogue(n)}


def catalogue_hash(entries: dict[str, str]) -> str:
    """One sha256 over the catalogue files' names and hashes (the same files = the same hash)."""
    h = hashlib.sha256()
    for name, sha in sorted(entries.items()):
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
