"""The catalogue stored once per content hash: hashing, the referencing copy and fetching it back
(from a plain folder URI; the MLflow store end to end is tests/integration/test_lifecycle.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from matcher.lifecycle.catalogue_store import (
    REF_FILE,
    CatalogueUnavailableError,
    catalogue_entries,
    catalogue_hash,
    complete_copy,
    materialize,
    needs_catalogue,
    referencing_copy,
)
from matcher.ranking.pipeline import MatchPipeline


@pytest.fixture
def stored(tiny_pipeline_dir, tmp_path):
    """The tiny pipeline's catalogue files in a folder (as a catalogue run stores them), and a ref."""
    entries = catalogue_entries(tiny_pipeline_dir)
    store = tmp_path / "store" / "catalogue"
    for name in entries:
        (store / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tiny_pipeline_dir / name, store / name)
    return {
        "sha256": catalogue_hash(entries),
        "uri": store.as_uri(),
        "run_id": "r",
        "files": entries,
    }


def test_entries_and_hash_cover_exactly_the_catalogue_files(tiny_pipeline_dir):
    from matcher.ranking.catalogue_files import current_version

    entries = catalogue_entries(tiny_pipeline_dir)
    version = f"catalogues/{current_version(tiny_pipeline_dir)}"
    # format 3: the pointer, the current version's files and its manifest (+ the taxonomy vectors)
    assert {"CATALOGUE", "topics.npz", f"{version}/manifest.json"} <= set(entries)
    assert any(n.startswith(f"{version}/arrays/") for n in entries)
    assert all(n in ("CATALOGUE", "topics.npz") or n.startswith(f"{version}/") for n in entries)
    assert "ranker.json" not in entries and "pipeline.json" not in entries
    h = catalogue_hash(entries)
    assert len(h) == 64 and catalogue_hash(dict(reversed(list(entries.items())))) == h  # order-free
    data = next(n for n in entries if n.startswith(f"{version}/arrays/"))
    assert catalogue_hash({**entries, data: "0" * 64}) != h  # other content, other hash
    # the same content in a version of another name, written at another time: the same hash
    renamed = {
        n.replace(version, "catalogues/20990101T000000Z-abcdef"): sha for n, sha in entries.items()
    }
    meta = "catalogues/20990101T000000Z-abcdef/catalogue.json"
    assert catalogue_hash({**renamed, meta: "1" * 64, "CATALOGUE": "2" * 64}) == h


def test_a_referencing_copy_leaves_the_catalogue_out_and_comes_back_complete(
    tiny_pipeline_dir, stored, tmp_path
):
    ref_dir = referencing_copy(tiny_pipeline_dir, stored, tmp_path / "version")
    assert not (ref_dir / "CATALOGUE").exists() and not (ref_dir / "catalogues").exists()
    assert (ref_dir / "ranker.json").is_file() and json.loads((ref_dir / REF_FILE).read_text())[
        "sha256"
    ] == stored["sha256"]
    assert needs_catalogue(ref_dir) and not needs_catalogue(tiny_pipeline_dir)
    with complete_copy(
        ref_dir
    ) as folder:  # a temporary complete copy; the version folder is untouched
        assert folder != ref_dir and MatchPipeline.load(folder).catalogue is not None
    assert not (ref_dir / "catalogues").exists()
    assert materialize(ref_dir) == ref_dir and not needs_catalogue(ref_dir)
    expected = MatchPipeline.load(tiny_pipeline_dir)
    got = MatchPipeline.load(ref_dir)  # checked against the manifest
    assert list(got.catalogue.index) == list(expected.catalogue.index)


def test_a_missing_or_different_catalogue_is_refused(tiny_pipeline_dir, stored, tmp_path):
    ref_dir = referencing_copy(
        tiny_pipeline_dir, {**stored, "uri": (tmp_path / "nowhere").as_uri()}, tmp_path / "a"
    )
    with pytest.raises(CatalogueUnavailableError, match="cannot be fetched"):
        materialize(ref_dir)
    store = tmp_path / "store" / "catalogue"
    (store / "topics.npz").write_bytes(b"not the topics")
    ref_dir = referencing_copy(tiny_pipeline_dir, stored, tmp_path / "b")
    with pytest.raises(CatalogueUnavailableError, match="topics.npz is missing or differs"):
        materialize(ref_dir)
    (ref_dir / REF_FILE).write_text(json.dumps({"uri": "x"}))
    with pytest.raises(CatalogueUnavailableError, match="malformed"):
        needs_catalogue(ref_dir)
