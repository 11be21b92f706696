"""Saved-pipeline format versions: an older folder loads through the migrations with a warning
and answers as before; a newer one is refused; ``rewrite`` / ``matcher export --model`` brings
an old folder to the current format."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.ranking import migrations as M
from matcher.ranking.manifest import MANIFEST
from matcher.ranking.pipeline import (
    FORMAT_VERSION,
    CorruptModelError,
    MatchPipeline,
    UnsupportedFormatError,
)
from matcher.schemas import Brief
from tests.unit.ranking.legacy_formats import write_format1, write_format2

BRIEF = Brief(text="sourdough bread baking", min_followers=0, max_followers=10**9)
LOGGER = "matcher.ranking.migrations"


def _set_version(folder, version) -> None:
    f = folder / "pipeline.json"
    state = json.loads(f.read_text())
    state["format_version"] = version
    f.write_text(json.dumps(state, indent=2))


@pytest.fixture
def current(tiny_pipeline_dir, tmp_path):
    d = tmp_path / "model"
    shutil.copytree(tiny_pipeline_dir, d)
    return d


@pytest.fixture
def format1(tiny_pipeline, tmp_path):
    """A folder as format 1 wrote it: catalogue.npz, lexical/, no manifest."""
    return write_format1(tiny_pipeline, tmp_path / "model")


@pytest.fixture
def format2(tiny_pipeline, tmp_path):
    """A folder as format 2 wrote it: catalogue.npz, lexical/ and manifest.json."""
    return write_format2(tiny_pipeline, tmp_path / "model")


def _ids(pipe: MatchPipeline) -> list[str]:
    return [m.influencer_id for m in pipe.recommend(BRIEF, k=5).matches]


def test_current_format_is_3_and_the_chain_reaches_it() -> None:
    assert FORMAT_VERSION == M.FORMAT_VERSION == 3
    assert M.OLDEST == 1
    assert sorted(M.MIGRATIONS) == list(range(M.OLDEST, FORMAT_VERSION))


def test_saved_folder_is_current_and_loads_without_warning(current, caplog) -> None:
    assert M.saved_version(current) == 3
    with caplog.at_level(logging.WARNING):
        MatchPipeline.load(current)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_format_1_loads_with_a_warning_and_the_same_answers(format1, tiny_pipeline, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        old = MatchPipeline.load(format1)
    msgs = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert msgs == [
        "pipeline at model has format 1, upgraded in memory to 3 (unverified: no manifest.json "
        "(files not checked); catalogue.npz read into memory, not memory-mapped); "
        "`matcher export --model model` writes it in the current format"
    ]
    assert _ids(old) == _ids(tiny_pipeline) and len(_ids(old)) == 5
    # nothing was written to the folder
    assert not (format1 / MANIFEST).exists() and M.saved_version(format1) == 1


def test_format_2_loads_with_a_warning_and_the_same_answers(format2, tiny_pipeline, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        old = MatchPipeline.load(format2)
    msgs = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert msgs == [
        "pipeline at model has format 2, upgraded in memory to 3 (catalogue.npz read into "
        "memory, not memory-mapped); `matcher export --model model` writes it in the current "
        "format"
    ]
    assert _ids(old) == _ids(tiny_pipeline) and len(_ids(old)) == 5
    assert old.catalogue.profile.dtype == "float32" and old.catalogue_version is None
    assert M.saved_version(format2) == 2 and not (format2 / "CATALOGUE").exists()  # untouched
    (format2 / "catalogue.npz").write_bytes(b"x")  # its catalogue is still checked
    with pytest.raises(CorruptModelError, match="catalogue.npz"):
        MatchPipeline.load(format2)


def test_format_1_with_a_manifest_is_checked_and_not_flagged(format2, caplog) -> None:
    """Folders written during the format-1 round say 1 and have a manifest (over the file as
    written)."""
    _set_version(format2, 1)
    from matcher.ranking.manifest import write_manifest
    from matcher.ranking.pipeline import LEGACY_FILES, LEXICAL_DIR

    write_manifest(format2, LEGACY_FILES, [LEXICAL_DIR])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        saved = M.open_saved(format2, LEGACY_FILES, [LEXICAL_DIR])
    assert saved.verified and saved.version == 3 and saved.from_version == 1
    assert saved.notes == ["catalogue.npz read into memory, not memory-mapped"]
    assert "has format 1, upgraded in memory to 3 (catalogue.npz" in caplog.text
    (format2 / "cost.json").write_text("{}")  # still checked
    with pytest.raises(CorruptModelError, match="cost.json"):
        MatchPipeline.load(format2)


def test_current_format_without_manifest_is_refused(current) -> None:
    (current / MANIFEST).unlink()
    with pytest.raises(CorruptModelError, match="format 3 but no manifest.json"):
        MatchPipeline.load(current)


def test_current_format_without_catalogue_pointer_is_refused(current) -> None:
    (current / "CATALOGUE").unlink()
    with pytest.raises(CorruptModelError, match="format 3 but no CATALOGUE pointer"):
        MatchPipeline.load(current)


@pytest.mark.parametrize(
    ("version", "match"),
    [
        (
            4,
            "model model has format 4, newer than this matcher reads \\(format 3\\): upgrade matcher",
        ),
        (0, "model model has format 0; this matcher reads formats 1 to 3"),
        (None, "format_version must be an integer, got None"),
        ("2", "format_version must be an integer, got '2'"),
        (True, "format_version must be an integer, got True"),
    ],
)
def test_unreadable_versions_are_refused(format1, version, match) -> None:
    _set_version(format1, version)
    with pytest.raises(UnsupportedFormatError, match=match):
        MatchPipeline.load(format1)
    assert issubclass(UnsupportedFormatError, ValueError)  # callers catching ValueError still do


def test_rewrite_produces_a_current_folder(format1, tiny_pipeline, tmp_path, caplog) -> None:
    (format1 / "MODEL_INFO.json").write_text('{"version": "3"}')  # not a pipeline file: kept
    dest = M.rewrite(format1, tmp_path / "out" / "upgraded")
    assert M.saved_version(dest) == 3 and (dest / MANIFEST).is_file()
    assert not (dest / "catalogue.npz").exists() and not (dest / "lexical").exists()
    assert (dest / "CATALOGUE").is_file()
    assert json.loads((dest / "MODEL_INFO.json").read_text()) == {"version": "3"}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        new = MatchPipeline.load(dest)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _ids(new) == _ids(tiny_pipeline)
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_export_model_rewrites_a_folder_in_place(format1, tiny_pipeline, caplog) -> None:
    r = CliRunner().invoke(app, ["export", "--model", str(format1)])
    assert r.exit_code == 0, r.output
    assert "format 1 -> 3" in " ".join(r.stdout.split())
    assert M.saved_version(format1) == 3 and (format1 / MANIFEST).is_file()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = MatchPipeline.load(format1)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _ids(again) == _ids(tiny_pipeline)


def test_export_model_refuses_a_newer_folder_naming_it(format1) -> None:
    _set_version(format1, 7)
    r = CliRunner().invoke(app, ["export", "--model", str(format1)])
    assert r.exit_code != 0
    assert "has format 7, newer than this matcher reads" in " ".join(r.stderr.split())
    assert json.loads((format1 / "pipeline.json").read_text())["format_version"] == 7  # untouched


def test_export_model_rewrites_a_format_2_folder_as_format_3(format2, tiny_pipeline) -> None:
    from matcher.ranking.catalogue_files import current_version, list_versions

    r = CliRunner().invoke(app, ["export", "--model", str(format2)])
    assert r.exit_code == 0, r.output
    assert "format 2 -> 3" in " ".join(r.stdout.split())
    assert M.saved_version(format2) == 3 and list_versions(format2) == [current_version(format2)]
    again = MatchPipeline.load(format2)
    assert again.catalogue.profile.dtype == "float16"
    assert _ids(again) == _ids(tiny_pipeline)


def test_rewriting_a_current_folder_reuses_its_catalogue_version(current, tmp_path) -> None:
    from matcher.ranking.catalogue_files import current_version, list_versions

    before = current_version(current)
    dest = M.rewrite(current, tmp_path / "copy")
    assert current_version(dest) == before and list_versions(dest) == [before]
