"""ranking.ann: exact below a size, faiss IVF above, filters honoured, save / mmap load."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from matcher.config import RetrievalConfig
from matcher.ranking.ann import (
    IVFIndex,
    build_index,
    default_exact_below,
    default_nlist,
    default_nprobe,
    load_index,
)
from matcher.ranking.retrieval import ExactIndex
from matcher.schemas import Brief
from matcher.vectors import unit_rows

N, D = 4_000, 32


@pytest.fixture(scope="module")
def vectors():
    """Creators in 40 tight clusters of similar profiles, as real ones come."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, D))
    noise = 0.3 * rng.normal(size=(N, D))
    return unit_rows((centres[rng.integers(0, 40, N)] + noise).astype(np.float32))


@pytest.fixture(scope="module")
def ivf(vectors):
    cfg = RetrievalConfig(ann_min_rows=1_000, ann_exact_below=200, ann_nprobe=8, ann_nlist=64)
    index = build_index(vectors, cfg)
    assert isinstance(index, IVFIndex) and index.nlist == 64
    return index


def query(vectors, row: int, noise: float = 0.05, seed: int = 1):
    rng = np.random.default_rng(seed)
    return unit_rows((vectors[row] + noise * rng.normal(size=D)).astype(np.float32)[None])[0]


def test_small_catalogues_stay_exact(vectors):
    assert isinstance(build_index(vectors, RetrievalConfig(ann_min_rows=N + 1)), ExactIndex)
    assert isinstance(build_index(vectors[:10]), ExactIndex)  # default threshold: 50,000


def test_ivf_finds_what_exact_search_finds(vectors, ivf):
    exact = ExactIndex(vectors)
    q = query(vectors, 7)
    rows, sims = ivf.search(q, 50)
    want, want_sims = exact.search(q, 50)
    assert rows[0] == 7  # the vector the query was made from
    assert len(set(rows) & set(want)) >= 49
    assert np.all(np.diff(sims) <= 0)  # best first
    # float16 lists: the scan scores the float16 rounding of these float32 vectors
    np.testing.assert_allclose(sims[:10], want_sims[:10], rtol=1e-3)


def test_float16_lists_hold_a_float16_catalogue_exactly(vectors):
    """A mapped catalogue's vectors are float16: the lists then hold the very same values, so the
    scan's scores are the exact cosines (to float32 rounding), and the exact path, which
    gathers the catalogue's rows, agrees with ``ExactIndex`` bit for bit."""
    v16 = vectors.astype(np.float16)
    cfg = RetrievalConfig(ann_min_rows=1_000, ann_exact_below=200, ann_nprobe=64, ann_nlist=64)
    index = build_index(v16, cfg)
    assert isinstance(index, IVFIndex) and index.kind == "faiss-ivf-fp16"
    assert index.index.code_size == 2 * D  # two bytes a value
    exact = ExactIndex(v16)
    q = query(vectors, 7)
    rows, sims = index.search(q, 30)  # every list scanned: exact
    want, want_sims = exact.search(q, 30)
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_allclose(sims, want_sims, rtol=1e-6)
    mask = np.zeros(N, bool)
    mask[::40] = True  # 75 pass: gathered from the catalogue's rows
    assert mask.sum() <= index.exact_below
    rows, sims = index.search(q, 10, mask)
    want, want_sims = exact.search(q, 10, mask)
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_array_equal(sims, want_sims)
    no_matrix = IVFIndex(index.index, index.nprobe, index.exact_below)  # from the lists instead
    np.testing.assert_array_equal(no_matrix.search(q, 10, mask)[0], want)


def test_filtered_search_honours_the_mask(vectors, ivf):
    mask = np.random.default_rng(2).random(N) < 0.3  # ~1,200 rows pass: 27 of 64 lists
    assert mask.sum() > ivf.exact_below
    q = query(vectors, 11)
    rows, _ = ivf.search(q, 40, mask)
    want, _ = ExactIndex(vectors).search(q, 40, mask)
    assert len(rows) == 40 and mask[rows].all()
    assert len(set(rows) & set(want)) >= 38


def test_selective_filters_are_searched_exactly(vectors, ivf):
    mask = np.zeros(N, bool)
    mask[::40] = True  # 100 rows pass, below exact_below=200
    q = query(vectors, 13)
    rows, sims = ivf.search(q, 30, mask)
    want, want_sims = ExactIndex(vectors).search(q, 30, mask)
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_allclose(sims, want_sims, rtol=1e-6)  # faiss's and BLAS's dot products


def test_probes_grow_as_the_filter_narrows(ivf):
    assert ivf.probes(N) == 8
    assert ivf.probes(N // 4) == 32
    assert ivf.probes(N // 16) == 64  # every list: exact
    assert ivf.probes(150) == 0  # at most exact_below=200 pass: gathered, exact
    assert default_nlist(1_000_000) == 4_000 and default_nlist(100) == 2


def test_lists_scanned_follow_the_rows_to_scan():
    auto = RetrievalConfig(ann_scan_rows=10_000)
    assert default_nprobe(auto, 1_000_000, 4_000) == 40  # 250 rows a list
    assert default_nprobe(auto, 200_000, 1_789) == 90
    assert default_nprobe(auto, 20_000, 100) == 50
    assert default_nprobe(RetrievalConfig(ann_nprobe=7), 1_000_000, 4_000) == 7
    assert default_nprobe(RetrievalConfig(ann_nprobe=9_999), 1_000, 10) == 10


def test_edge_cases(vectors, ivf):
    q = query(vectors, 3)
    assert len(ivf.search(q, 0)[0]) == 0
    assert len(ivf.search(q, 5, np.zeros(N, bool))[0]) == 0
    with pytest.raises(ValueError, match="mask has 3 rows"):
        ivf.search(q, 5, np.ones(3, bool))
    with pytest.raises(ValueError, match="non-empty 2-d"):
        IVFIndex.build(np.zeros((0, D), np.float32), RetrievalConfig())
    with pytest.raises(ValueError, match="more than the 10 rows"):
        IVFIndex.build(vectors[:10], RetrievalConfig(ann_nlist=20))


def test_save_and_memory_mapped_load_give_the_same_answers(vectors, ivf, tmp_path):
    ivf.save(tmp_path / "ann")
    meta = json.loads((tmp_path / "ann" / "ann.json").read_text())
    assert meta["rows"] == N and meta["kind"] == "faiss-ivf-fp16" and meta["nprobe"] == 8
    mask = np.random.default_rng(5).random(N) < 0.5
    for mmap in (True, False):
        loaded = load_index(tmp_path / "ann", mmap=mmap)
        assert isinstance(loaded, IVFIndex) and loaded.nlist == 64
        for m in (None, mask):
            q = query(vectors, 21)
            np.testing.assert_array_equal(loaded.search(q, 25, m)[0], ivf.search(q, 25, m)[0])
    tuned = load_index(tmp_path / "ann", config=RetrievalConfig(ann_nprobe=16))
    assert isinstance(tuned, IVFIndex) and tuned.nprobe == 16


def test_memory_mapped_lists_are_in_place_arrays_and_prefault_covers_every_row(ivf, tmp_path):
    """The in-place mapping (array lists over the file), not faiss's on-disk lists whose filtered
    scans were 5x slower; ``prefault`` reads every list's vectors and ids once."""
    import faiss

    ivf.save(tmp_path / "ann")
    loaded = load_index(tmp_path / "ann", mmap=True)
    assert isinstance(loaded, IVFIndex)
    lists = faiss.downcast_InvertedLists(loaded.index.invlists)
    assert type(lists).__name__ == "ArrayInvertedLists"
    assert loaded.prefault() == N * (D * 2 + 8)  # float16 vectors + int64 ids of every row


def test_indexes_saved_with_float32_lists_still_load_and_search(vectors, ivf, tmp_path):
    """Before float16 lists the index was an ``IndexIVFFlat`` (kind ``faiss-ivf-flat``): such a
    saved index loads, searches and saves under its own kind."""
    import faiss

    flat = faiss.IndexIVFFlat(faiss.IndexFlatIP(D), D, ivf.nlist, faiss.METRIC_INNER_PRODUCT)
    flat.train(vectors)
    flat.add(vectors)
    old = IVFIndex(flat, ivf.nprobe, ivf.exact_below)
    assert old.kind == "faiss-ivf-flat"
    old.save(tmp_path / "ann")
    assert json.loads((tmp_path / "ann" / "ann.json").read_text())["kind"] == "faiss-ivf-flat"
    loaded = load_index(tmp_path / "ann", vectors=vectors)
    assert isinstance(loaded, IVFIndex) and loaded.kind == "faiss-ivf-flat"
    exact = ExactIndex(vectors)
    q = query(vectors, 3)
    mask = np.zeros(N, bool)
    mask[::50] = True
    for m in (None, mask):
        np.testing.assert_array_equal(loaded.search(q, 10, m)[0], old.search(q, 10, m)[0])
    np.testing.assert_array_equal(loaded.search(q, 10, mask)[0], exact.search(q, 10, mask)[0])
    with pytest.raises(ValueError, match="vectors are 10 x"):
        IVFIndex(flat, 8, 200, vectors[:10])


def test_load_rejects_what_it_cannot_read(tmp_path, ivf):
    with pytest.raises(FileNotFoundError, match="no ann.json"):
        load_index(tmp_path)
    ivf.save(tmp_path)
    meta = json.loads((tmp_path / "ann.json").read_text())
    (tmp_path / "ann.json").write_text(json.dumps(meta | {"format": 99}))
    with pytest.raises(ValueError, match="format 99"):
        load_index(tmp_path)
    (tmp_path / "ann.json").write_text(json.dumps(meta | {"rows": 5}))
    with pytest.raises(ValueError, match="says 5 x"):
        load_index(tmp_path)


def test_config_validates_the_knobs():
    with pytest.raises(ValidationError, match="ann_scan_rows"):
        RetrievalConfig(ann_scan_rows=0)
    with pytest.raises(ValidationError, match="ann_min_rows"):
        RetrievalConfig(ann_min_rows=-1)


def test_pipeline_builds_the_index_its_config_asks_for(tiny_pipeline):
    brief = Brief(text="sourdough starter and bread baking for home bakers")
    exact = tiny_pipeline.recommend(brief, k=8)
    assert isinstance(tiny_pipeline.index, ExactIndex)
    tiny_pipeline.config.retrieval.ann_min_rows = 0
    tiny_pipeline._set_catalogue(tiny_pipeline.catalogue, None, tiny_pipeline.lexical)
    assert isinstance(tiny_pipeline.index, IVFIndex)
    ann = tiny_pipeline.recommend(brief, k=8)
    assert [m.influencer_id for m in ann.matches] == [m.influencer_id for m in exact.matches]


def test_exact_below_defaults_to_the_measured_crossover_and_a_setting_wins():
    """20 sqrt(n): ~6k creators passing at 100k, 20k at 1M (benchmarks/ann_crossover.py)."""
    assert default_exact_below(RetrievalConfig(), 100_000) == 6_324
    assert default_exact_below(RetrievalConfig(), 1_000_000) == 20_000
    assert default_exact_below(RetrievalConfig(ann_exact_below=0), 1_000_000) == 0
    assert default_exact_below(RetrievalConfig(ann_exact_below=500), 10) == 500
