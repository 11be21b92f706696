"""A saved pipeline carries the sha256 of its files; a changed, missing or planted file is refused."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from matcher.ranking.manifest import MANIFEST, sha256_file
from matcher.ranking.pipeline import CorruptModelError, MatchPipeline
from matcher.schemas import Brief


@pytest.fixture
def saved(tiny_pipeline_dir, tmp_path):
    d = tmp_path / "model"
    shutil.copytree(tiny_pipeline_dir, d)
    return d


def _version(saved):
    return saved / "catalogues" / (saved / "CATALOGUE").read_text().strip()


def test_manifest_lists_every_pipeline_file(saved) -> None:
    """The model's manifest lists the model files; the catalogue version's lists its own."""
    m = json.loads((saved / MANIFEST).read_text())
    assert m["algorithm"] == "sha256"
    files = set(m["files"])
    assert files == {
        "pipeline.json",
        "ranker.json",
        "engagement.json",
        "cost.json",
        "topics.npz",
        "history.parquet",
    }
    assert all(m["files"][f]["sha256"] == sha256_file(saved / f) for f in files)
    v = _version(saved)
    vm = json.loads((v / MANIFEST).read_text())["files"]
    assert {
        "catalogue.json",
        "arrays/profile.npy",
        "texts/ids.utf8.npy",
        "lexical/lexical.json",
    } <= set(vm)
    on_disk = {p.relative_to(v).as_posix() for p in v.rglob("*") if p.is_file()}
    assert set(vm) == on_disk - {MANIFEST, ".verified.json"}
    assert all(vm[f]["sha256"] == sha256_file(v / f) for f in vm)
    MatchPipeline.load(saved)  # verifies


@pytest.mark.parametrize("victim", ["ranker.json", "pipeline.json"])
def test_a_changed_file_is_refused_by_name(saved, victim) -> None:
    f = saved / victim
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    f.write_bytes(bytes(data))
    with pytest.raises(CorruptModelError, match=f"model file {victim} does not match") as e:
        MatchPipeline.load(saved)
    assert str(saved) not in str(e.value)  # names the file relative to the model folder only
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("victim", ["arrays/post_emb.npy", "texts/post_texts.utf8.npy"])
def test_a_changed_catalogue_file_is_refused_by_name(saved, victim) -> None:
    v = _version(saved)
    MatchPipeline.load(saved)  # verified once: later loads compare file identities only
    f = v / victim
    data = bytearray(f.read_bytes())
    data[-1] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(
        CorruptModelError, match=f"catalogue {v.name}: model file {victim} does not match"
    ) as e:
        MatchPipeline.load(saved)
    assert str(saved) not in str(e.value)


def test_a_tampered_ranker_that_still_parses_is_refused(saved) -> None:
    state = json.loads((saved / "ranker.json").read_text())
    (saved / "ranker.json").write_text(json.dumps(state, indent=1))  # same content, other bytes
    with pytest.raises(CorruptModelError, match="ranker.json"):
        MatchPipeline.load(saved)


def test_a_missing_file_is_refused(saved) -> None:
    v = _version(saved)
    lex = next(p for p in (v / "lexical").iterdir() if p.is_file())
    name = lex.relative_to(v).as_posix()
    lex.unlink()
    with pytest.raises(CorruptModelError, match=f"model file {name} is missing"):
        MatchPipeline.load(saved)


def test_planted_pipeline_file_is_refused(saved) -> None:
    v = _version(saved)
    (v / "lexical" / "extra.npy").write_bytes(b"x")
    with pytest.raises(CorruptModelError, match="lexical/extra.npy is not listed"):
        MatchPipeline.load(saved)
    (v / "lexical" / "extra.npy").unlink()
    (saved / "MODEL_INFO.json").write_text("{}")  # other tools' files next to the pipeline are fine
    (saved / "evaluation").mkdir()
    (saved / "evaluation" / "summary.csv").write_text("a\n")
    MatchPipeline.load(saved)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"files": []}',
        '{"algorithm": "md5", "files": {}}',
        '{"algorithm": "sha256", "files": {"../../etc/passwd": {"sha256": "0"}}}',
    ],
)
def test_unreadable_manifest_is_refused(saved, content) -> None:
    (saved / MANIFEST).write_text(content)
    with pytest.raises(CorruptModelError, match=MANIFEST):
        MatchPipeline.load(saved)


def test_folder_without_manifest_loads_with_a_warning(tiny_pipeline, tmp_path, caplog) -> None:
    from tests.unit.ranking.legacy_formats import write_format1

    saved = write_format1(tiny_pipeline, tmp_path / "model")  # format 1: before manifests
    with caplog.at_level(logging.WARNING, logger="matcher.ranking.manifest"):
        pipe = MatchPipeline.load(saved)
    assert "has no manifest.json" in caplog.text and "model" in caplog.text
    assert pipe.recommend(Brief(text="bread baking"), k=3).matches
    # saving it again adds the manifest
    again = pipe.save(saved.parent / "again")
    assert (again / MANIFEST).is_file()
    MatchPipeline.load(again)
