"""The saved catalogue's string columns (``TextColumn``) and id lookup (``IdIndex``) answer like
the object arrays and the dict they replace."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.ranking.id_index import IdIndex
from matcher.ranking.text_column import TextColumn, is_mapped

VALUES = ["sourdough", "", "café ☕ 東京", None, "last"]
AS_STR = ["sourdough", "", "café ☕ 東京", "", "last"]


@pytest.fixture(params=["memory", "mapped"])
def col(request, tmp_path) -> TextColumn:
    c = TextColumn.from_strings(VALUES)
    if request.param == "mapped":
        c.save(tmp_path, "t")
        c = TextColumn.load(tmp_path, "t")
        assert is_mapped(c.data) and is_mapped(c.offsets)
    return c


def test_rows_read_like_an_object_array(col) -> None:
    ref = np.array(AS_STR, dtype=object)
    assert len(col) == 5 and col[2] == "café ☕ 東京" and col[-1] == "last" and col[3] == ""
    assert col[np.int64(0)] == "sourdough"
    for key in (slice(1, 4), slice(None, None, -2), np.array([4, 0, 0]), [2], ref == "last"):
        got = col[key]
        assert got.dtype == object and got.tolist() == ref[key].tolist()
    assert col[np.zeros(0, np.int64)].tolist() == []
    assert list(col) == AS_STR and np.asarray(col).tolist() == AS_STR
    assert " ".join(col[0:2]) == "sourdough "


@pytest.mark.parametrize("key", [5, -6, np.array([0, 9])])
def test_out_of_range_rows_raise(col, key) -> None:
    with pytest.raises(IndexError, match="out of range"):
        col[key]


def test_bad_keys_and_layouts_are_refused() -> None:
    with pytest.raises(TypeError, match="int, slice"):
        TextColumn.from_strings(["a"])[np.array([0.5])]
    with pytest.raises(IndexError, match="boolean mask"):
        TextColumn.from_strings(["a", "b"])[np.array([True])]
    with pytest.raises(ValueError, match="offsets must run from 0 to len"):
        TextColumn(np.zeros(3, np.uint8), np.array([0, 2], np.int64))


def test_id_index_finds_rows_like_a_dict(tmp_path) -> None:
    ids = TextColumn.from_strings(["inf-10", "inf-2", "ünï", "inf-1"])
    index = IdIndex.build(ids)
    index.save(tmp_path, "ids")
    mapped = IdIndex.load(tmp_path, "ids", ids)
    for ix in (index, mapped):
        assert {k: ix[k] for k in ix} == {"inf-10": 0, "inf-2": 1, "ünï": 2, "inf-1": 3}
        assert ix.get("inf-3", -1) == -1 and ix.get("inf-100000000000") is None
        assert "inf-1" in ix and "inf" not in ix and 7 not in ix and len(ix) == 4
        with pytest.raises(KeyError):
            ix["nobody"]
    empty = IdIndex.build(TextColumn.from_strings([]))
    assert len(empty) == 0 and empty.get("x", -1) == -1
