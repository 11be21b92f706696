"""Catalogue versions on disk (format 3): what is saved comes back (vectors as float16), the
arrays are memory-mapped and shared between processes, the pointer swaps atomically and the
manifest is hashed in full once per copy of the files, tampering still detected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from matcher.ranking import manifest as M
from matcher.ranking.catalogue_files import (
    LoadedCatalogue,
    check_version_name,
    current_version,
    list_versions,
    load_catalogue,
    new_version_name,
    publish_version,
    save_catalogue,
    version_dir,
)
from matcher.ranking.manifest import CorruptModelError
from matcher.ranking.pipeline import MatchPipeline
from matcher.ranking.text_column import TextColumn, is_mapped


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A catalogue built in memory (float32, object arrays) and a version saved from it."""
    from matcher.ranking.embeddings import HashingEncoder
    from matcher.training.trainer import fit_pipeline
    from tests.helpers import make_tiny_market, tiny_config, tiny_tables_from

    pipe, _ = fit_pipeline(
        tiny_tables_from(make_tiny_market()),
        tiny_config(),
        encoder=HashingEncoder(),
        progress=False,
    )
    model = tmp_path_factory.mktemp("model")
    hashes = pd.DataFrame({"influencer_id": list(pipe.catalogue.ids), "content_hash": "ab"})
    folder = version_dir(model, "v1")
    save_catalogue(
        pipe.catalogue,
        folder,
        lexical=pipe.lexical,
        index=pipe.index,
        hashes=hashes,
        meta={"parent": None, "encoder": pipe.encoder.spec()},
        extra={"costs": np.asarray(pipe.costs)},
    )
    return pipe, model, folder


def _loaded(folder) -> LoadedCatalogue:
    return load_catalogue(folder)


def test_everything_saved_comes_back(built) -> None:
    pipe, _, folder = built
    cat, got = pipe.catalogue, _loaded(folder)
    new = got.catalogue
    assert len(new) == len(cat) and new.snapshot_at == cat.snapshot_at
    for name in ("bio_emb", "profile", "post_emb"):
        v = getattr(new, name)
        assert v.dtype == np.float16 and v.shape == getattr(cat, name).shape
        # float16 keeps ~3 significant digits of a unit vector's components
        assert np.abs(v.astype(np.float32) - getattr(cat, name)).max() < 1e-3
    for name in ("followers", "price_usd", "aud_countries", "post_offsets", "topic_idx"):
        np.testing.assert_array_equal(getattr(new, name), getattr(cat, name))
    for k, v in cat.stats.items():
        np.testing.assert_array_equal(new.stats[k], v)
    for name in ("ids", "handles", "post_texts", "search_text", "bio_texts"):
        assert isinstance(getattr(new, name), TextColumn)
        assert list(getattr(new, name)) == [str(x) for x in getattr(cat, name)]
    for name in ("platforms", "countries", "languages"):
        assert new.__dict__[name].tolist() == [str(x) for x in getattr(cat, name)]
    assert new.rows_for([cat.ids[3], cat.ids[0]]).tolist() == [3, 0]
    assert new.index.get("nobody", -1) == -1 and len(new.index) == len(cat)
    assert got.lexical is not None and len(got.lexical) == len(cat)
    assert (
        got.lexical.search("sourdough", 3)[0].tolist()
        == pipe.lexical.search("sourdough", 3)[0].tolist()
    )
    assert got.index is None  # an exact index has nothing to save
    assert got.hashes is not None and got.hashes["content_hash"].eq("ab").all()
    assert got.meta["n_creators"] == len(cat) and got.meta["vector_dtype"] == "float16"
    assert got.meta["n_posts"] == len(cat.post_emb) and got.meta["version"] == "v1"
    np.testing.assert_array_equal(got.arrays["costs"], pipe.costs)


def test_arrays_are_memory_mapped_not_owned(built) -> None:
    new = _loaded(built[2]).catalogue
    for arr in (new.post_emb, new.profile, new.bio_emb, new.followers, new.post_offsets):
        assert is_mapped(arr) and not arr.flags.writeable and not arr.flags.owndata
    assert isinstance(new.post_texts, TextColumn) and is_mapped(new.post_texts.data)
    assert is_mapped(new.index.sorted_keys)  # type: ignore[attr-defined]
    heap = load_catalogue(built[2], mmap=False).catalogue
    assert not is_mapped(heap.post_emb) and heap.post_emb.dtype == np.float16
    assert not is_mapped(np.zeros(3)) and not is_mapped(np.zeros(3)[1:])


def test_two_processes_share_the_vector_pages(built) -> None:
    """The second process maps the pages the first already has: they are shared, not private
    (``/proc/<pid>/smaps`` of the vectors' mapping: its proportional share, Pss, is half its
    resident size when two processes map the same pages; a private copy would count whole)."""
    if not os.path.exists("/proc/self/smaps"):
        pytest.skip("needs Linux /proc")
    folder = built[2]
    mine = _loaded(folder).catalogue
    assert float(np.asarray(mine.post_emb, dtype=np.float32).sum()) != 0.0  # pages resident here
    code = textwrap.dedent(
        f"""
        import json, numpy as np
        from pathlib import Path
        from matcher.ranking.catalogue_files import load_catalogue
        cat = load_catalogue(Path({str(folder)!r})).catalogue
        total = float(np.asarray(cat.post_emb, dtype=np.float32).sum())  # read every page
        target, out, cur = str(Path({str(folder)!r}) / "arrays" / "post_emb.npy"), {{}}, None
        for line in open("/proc/self/smaps"):
            parts = line.split()
            if len(parts) >= 6 and "-" in parts[0]:
                cur = parts[5] if parts[5] == target else None
            elif cur and parts[0].rstrip(":") in ("Rss", "Pss", "Private_Dirty"):
                out[parts[0].rstrip(":")] = out.get(parts[0].rstrip(":"), 0) + int(parts[1])
        print(json.dumps(out))
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kb = json.loads(r.stdout.strip().splitlines()[-1])
    size_kb = mine.post_emb.nbytes // 1024
    assert kb["Rss"] >= size_kb * 0.9  # the child mapped the whole file
    assert kb.get("Private_Dirty", 0) == 0  # never copied into its heap
    assert kb["Pss"] <= kb["Rss"] * 0.6  # the same physical pages as this process


def test_versions_are_immutable_and_named_safely(built) -> None:
    pipe, model, folder = built
    with pytest.raises(FileExistsError, match="immutable"):
        save_catalogue(pipe.catalogue, folder, lexical=None, index=None, hashes=None, meta={})
    for bad in ("", "../x", "a/b", ".hidden", "x" * 200, None):
        with pytest.raises(ValueError, match="catalogue version"):
            check_version_name(bad)
    a = new_version_name(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    b = new_version_name(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert a.startswith("20261203T080000.000000Z-") and sorted([b, a]) == [a, b]
    assert check_version_name(a) == a
    # within one second, by time whatever the random suffixes (20 pairs: one of two would fail
    # by chance if the names stopped at seconds)
    for _ in range(20):
        c = new_version_name(datetime(2026, 12, 3, 8, 0, 0, 1, tzinfo=UTC))
        d = new_version_name(datetime(2026, 12, 3, 8, 0, 0, 2, tzinfo=UTC))
        assert sorted([d, c]) == [c, d]
    assert not [p for p in (model / "catalogues").iterdir() if p.name.startswith(".")]


def test_publish_swaps_the_pointer(built) -> None:
    pipe, model, _ = built
    assert current_version(model) is None
    publish_version(model, "v1")
    assert current_version(model) == "v1" and list_versions(model) == ["v1"]
    with pytest.raises(FileNotFoundError, match="v2 is not saved"):
        publish_version(model, "v2")
    assert current_version(model) == "v1"  # unchanged
    assert not [p for p in model.iterdir() if p.name.endswith(".tmp")]
    (model / "CATALOGUE").write_text("../../etc\n")
    with pytest.raises(CorruptModelError, match="names no valid version"):
        current_version(model)
    publish_version(model, "v1")


def test_manifest_is_hashed_once_then_checked_by_identity(built, tmp_path, monkeypatch) -> None:
    import shutil

    folder = tmp_path / "v1"
    shutil.copytree(built[2], folder)
    calls: list[str] = []
    real = M.sha256_file

    def counting(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(M, "sha256_file", counting)
    load_catalogue(built[2])
    assert calls == ["manifest.json"]  # the writer stamped it: nothing hashed at the first load
    calls.clear()
    load_catalogue(folder)  # a copy: new inodes, hashed in full once
    n_files = len(json.loads((folder / "manifest.json").read_text())["files"])
    assert len(calls) == n_files + 1  # every file, plus the manifest itself for the stamp
    calls.clear()
    load_catalogue(folder)
    assert calls == ["manifest.json"]  # the stamp matched: no file hashed again
    # a change written after the stamp, with the old mtime put back, is still found (ctime moves)
    f = folder / "arrays" / "profile.npy"
    st = f.stat()
    data = bytearray(f.read_bytes())
    data[-1] ^= 0x01
    f.write_bytes(bytes(data))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(CorruptModelError, match="arrays/profile.npy does not match"):
        load_catalogue(folder)


def test_pipeline_round_trip_keeps_precomputed_arrays(tiny_pipeline, tmp_path) -> None:
    path = tiny_pipeline.save(tmp_path / "p")
    again = MatchPipeline.load(path)
    assert again.catalogue_version == current_version(path)
    np.testing.assert_array_equal(again.costs, tiny_pipeline.costs)
    np.testing.assert_array_equal(again.typical_er, tiny_pipeline.typical_er)
    assert is_mapped(again.costs)  # read from the version, not recomputed
    assert is_mapped(again.catalogue.topic_idx)
    # saving to the same folder again reuses the version instead of copying it
    again.save(path)
    assert list_versions(path) == [again.catalogue_version]


def test_filter_codes_come_from_the_stored_codes(built) -> None:
    pipe, _, folder = built
    new = _loaded(folder).catalogue
    assert "platform_codes" in new.__dict__ and "country_codes" in new.__dict__  # precomputed
    np.testing.assert_array_equal(new.platform_codes, pipe.catalogue.platform_codes)
    np.testing.assert_array_equal(new.country_codes, pipe.catalogue.country_codes)
    assert new.platform_codes.dtype == np.int8 and new.country_codes.dtype == np.int16
