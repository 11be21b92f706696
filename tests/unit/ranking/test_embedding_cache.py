"""The on-disk embedding cache: many single writes stay a bounded number of files, the size cap
evicts the oldest entries, values survive compaction bit for bit, and neither a crash during
compaction nor a concurrent reader loses or corrupts a cached vector."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from matcher.ranking import shard_files as sf
from matcher.ranking.embedding_cache import EmbeddingCache
from matcher.ranking.embeddings import HashingEncoder, text_key
from matcher.ranking.memory_cache import MemoryCache

DIM = 4


def _vec(i: int) -> np.ndarray:
    return np.array([[i, i + 0.5, -i, 1.0 / (i + 1)]], dtype=np.float32)


def _keys(n: int, start: int = 0) -> list[bytes]:
    return [text_key(f"brief {i}") for i in range(start, start + n)]


def _fresh(root: Path, **kw: int) -> EmbeddingCache:
    return EmbeddingCache(root, "m", DIM, **kw)


def _single_writes(cache: EmbeddingCache, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        cache.put([text_key(f"brief {i}")], _vec(i))


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "m").glob("*.npy"))


def test_many_single_writes_stay_a_bounded_number_of_files(tmp_path: Path) -> None:
    cache = _fresh(tmp_path, small_shard=8, max_small_shards=4)
    most = 0
    for i in range(100):
        _single_writes(cache, 1, start=i)
        most = max(most, len(cache.shards()))
    # at most 4 small shards wait (5 trigger a merge) next to the merged shards of >= 8 entries
    assert most <= 5 + 100 // 8
    assert len(cache.shards()) <= 5 + 100 // 8 < 100
    assert all(n.startswith(("keys-", "vecs-")) for n in _files(tmp_path))  # no temporary file left
    vecs, hit = _fresh(tmp_path).get(_keys(100))
    assert hit.all()
    np.testing.assert_array_equal(vecs, np.concatenate([_vec(i) for i in range(100)]))


def test_compaction_merges_every_small_shard_and_keeps_values_identical(tmp_path: Path) -> None:
    cache = _fresh(tmp_path, max_small_shards=1000)
    rng = np.random.default_rng(0)
    expected = rng.normal(size=(30, DIM)).astype(np.float32)
    for i in range(30):
        cache.put([text_key(f"t{i}")], expected[i : i + 1])
    cache.put([text_key("t3")], expected[3:4])  # a key written twice is kept once
    assert len(cache.shards()) == 31
    assert cache.compact()
    assert len(cache.shards()) == 1 and len(_files(tmp_path)) == 2
    reader = _fresh(tmp_path)
    vecs, hit = reader.get([text_key(f"t{i}") for i in range(30)])
    assert hit.all() and len(reader) == 30
    np.testing.assert_array_equal(vecs, expected)
    # the writer's own view was refreshed too
    np.testing.assert_array_equal(cache.get([text_key("t7")])[0], expected[7:8])


def test_the_cap_keeps_the_newest_entries(tmp_path: Path) -> None:
    cache = _fresh(tmp_path, max_entries=50, small_shard=8, max_small_shards=4)
    for i in range(120):
        _single_writes(cache, 1, start=i)
        assert len(_fresh(tmp_path)) <= 50
    vecs, hit = _fresh(tmp_path).get(_keys(120))
    assert hit.tolist() == [False] * 70 + [True] * 50
    np.testing.assert_array_equal(vecs[70:], np.concatenate([_vec(i) for i in range(70, 120)]))


def test_the_cap_cuts_one_big_write_to_its_newest_rows(tmp_path: Path) -> None:
    cache = _fresh(tmp_path, max_entries=50)
    cache.put(_keys(200), np.concatenate([_vec(i) for i in range(200)]))
    assert len(cache) == 50 and len(cache.shards()) == 1
    vecs, hit = _fresh(tmp_path).get(_keys(200))
    assert hit.tolist() == [False] * 150 + [True] * 50
    np.testing.assert_array_equal(vecs[150:], np.concatenate([_vec(i) for i in range(150, 200)]))


def test_a_crash_before_the_inputs_are_deleted_loses_nothing(tmp_path: Path, monkeypatch) -> None:
    cache = _fresh(tmp_path, max_small_shards=1000)
    _single_writes(cache, 12)

    def crash(*paths: Path) -> None:
        raise KeyboardInterrupt("killed mid-compaction")

    monkeypatch.setattr(sf, "unlink", crash)
    with pytest.raises(KeyboardInterrupt):
        cache.compact()
    monkeypatch.undo()
    assert len(cache.shards()) == 13  # the merged shard is in place, the inputs too
    vecs, hit = _fresh(tmp_path).get(_keys(12))
    assert hit.all()
    np.testing.assert_array_equal(vecs, np.concatenate([_vec(i) for i in range(12)]))
    assert _fresh(tmp_path, max_small_shards=1000).compact()  # the next compaction cleans up
    assert len(cache.shards()) == 1 and len(_fresh(tmp_path)) == 12


def test_a_crash_while_writing_leaves_only_an_ignored_temporary_file(tmp_path: Path) -> None:
    cache = _fresh(tmp_path)
    _single_writes(cache, 3)
    half = tmp_path / "m" / "tmp-keys-9999999999999999999-1-1-1.npy"
    half.write_bytes(b"\x93NUMPY half a header")
    vecs, hit = _fresh(tmp_path).get(_keys(3))
    assert hit.all()
    old = time.time() - 2 * 3600
    os.utime(half, (old, old))
    cache.maintain()
    assert not half.exists()  # stale temporary files are removed by maintenance


def test_readers_during_writes_and_compactions_never_see_a_wrong_or_missing_vector(
    tmp_path: Path,
) -> None:
    writer = _fresh(tmp_path, small_shard=4, max_small_shards=2)
    done = threading.Event()
    committed = [0]  # entries 0 .. committed-1 are durably written
    errors: list[str] = []

    def read() -> None:
        while not done.is_set():
            n = committed[0]
            vecs, hit = _fresh(tmp_path).get(_keys(n))
            if not hit.all():
                errors.append(f"missing {int((~hit).sum())} of {n}")
            elif n and not np.array_equal(vecs, np.concatenate([_vec(i) for i in range(n)])):
                errors.append("wrong vector")

    t = threading.Thread(target=read)
    t.start()
    try:
        for i in range(80):
            _single_writes(writer, 1, start=i)
            committed[0] = i + 1
    finally:
        done.set()
        t.join()
    assert errors == []


def test_shards_written_before_stamped_names_are_read_and_compacted(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for j in range(3):  # the previous naming: pid-thread-n-random
        np.save(folder / f"vecs-1540-1-{j}-77.npy", _vec(j))
        np.save(
            folder / f"keys-1540-1-{j}-77.npy", np.frombuffer(text_key(f"brief {j}"), dtype="V16")
        )
    cache = _fresh(tmp_path)
    assert cache.get(_keys(3))[1].all()
    _single_writes(cache, 2, start=3)
    assert [sh.order[0] for sh in cache.shards()] == [0, 0, 0, 1, 1]  # legacy ones are the oldest
    assert cache.compact() and len(cache.shards()) == 1
    vecs, hit = _fresh(tmp_path).get(_keys(5))
    assert hit.all()
    np.testing.assert_array_equal(vecs, np.concatenate([_vec(i) for i in range(5)]))


def test_maintenance_is_skipped_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    import fcntl

    cache = _fresh(tmp_path, max_small_shards=1000)
    _single_writes(cache, 3)
    with open(tmp_path / "m" / ".maintenance.lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        assert cache.compact() is False
        assert len(cache.shards()) == 3
    assert cache.compact() is True and len(cache.shards()) == 1


@pytest.mark.parametrize("field", ["max_entries", "small_shard", "max_small_shards"])
def test_invalid_sizes_are_refused_by_name(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        _fresh(tmp_path, **{field: 0})


def test_an_encoder_with_a_disk_cache_embeds_a_text_once(tmp_path: Path) -> None:
    enc = HashingEncoder(dim=16)
    enc.cache = EmbeddingCache(tmp_path, enc.name, enc.dim, small_shard=4, max_small_shards=2)
    first = enc.encode([f"text {i}" for i in range(10)])
    for i in range(10):  # single-text calls are all hits: nothing new written
        np.testing.assert_array_equal(enc.encode([f"text {i}"])[0], first[i])
    assert len(enc.cache.shards()) == 1


def test_memory_cache_overwrites_a_key_in_place() -> None:
    c = MemoryCache(dim=2, max_items=2)
    k = text_key("a")
    c.put([k], np.array([[1, 0]], np.float32))
    c.put([k], np.array([[0, 1]], np.float32))
    vecs, hit = c.get([k])
    assert len(c) == 1 and hit.all() and vecs[0].tolist() == [0, 1]
