"""The pure helpers of benchmarks/scale.py (issue 12's benchmark), so the script cannot rot
silently: percentiles, the memory reader, the worker finder, recall and the JSON line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.helpers import load_benchmark

# the keys issue 12 names for `--json`, in its order
ISSUE_KEYS = ["creators", "floor_ms", "encoder_ms", "p50_ms", "p95_ms", "rps_4", "rss_mb",
              "uss_mb", "startup_s", "recall_at_300"]  # fmt: skip


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    return load_benchmark("scale.py", "scale_benchmark")


def test_percentiles_known_answers(scale: ModuleType) -> None:
    got = scale.percentiles([float(x) for x in range(1, 101)])
    assert got == pytest.approx({"p50": 50.5, "p95": 95.05, "p99": 99.01, "mean": 50.5})
    assert scale.percentiles([7.0]) == {"p50": 7.0, "p95": 7.0, "p99": 7.0, "mean": 7.0}
    assert all(math.isnan(v) for v in scale.percentiles([]).values())


def test_memory_reader_sees_private_pages_grow(scale: ModuleType, tmp_path) -> None:
    rss0, uss0, anon0 = scale.process_memory_mb(os.getpid())
    assert 0 < uss0 <= rss0 and 0 < anon0 <= rss0
    block = np.ones(96 * 2**20 // 8)  # 96 MiB written, so every page is private to this process
    rss1, uss1, anon1 = scale.process_memory_mb(os.getpid())
    assert uss1 - uss0 > 80
    assert rss1 - rss0 > 80
    assert anon1 - anon0 > 80
    del block
    # a mapped file read by this process alone: in RSS and USS, but not anonymous memory
    np.save(tmp_path / "m.npy", np.ones(64 * 2**20 // 8))
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    rss2, uss2, anon2 = scale.process_memory_mb(os.getpid())
    assert float(mapped.sum()) == 64 * 2**20 // 8
    rss3, uss3, anon3 = scale.process_memory_mb(os.getpid())
    assert rss3 - rss2 > 50 and uss3 - uss2 > 50
    assert abs(anon3 - anon2) < 10


def test_worker_pids_finds_only_bentoml_workers(scale: ModuleType) -> None:
    assert scale.is_worker(["/venv/bin/python", "-m", "_bentoml_impl.worker.service", "x"])
    assert not scale.is_worker(["/venv/bin/bentoml", "serve", "serving.service:MatcherService"])
    sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
    worker = subprocess.Popen([*sleep, "_bentoml_impl.worker.service"])
    other = subprocess.Popen(sleep)
    try:
        assert scale.worker_pids(os.getpid()) == [worker.pid]
    finally:
        for p in (worker, other):
            p.kill()
            p.wait()


def test_recall(scale: ModuleType) -> None:
    assert scale.recall([1, 2, 3, 4], [4, 3, 2, 1]) == 1.0
    assert scale.recall(np.array([1, 2, 3, 4]), np.array([1, 9])) == 0.25
    assert scale.recall([1, 2], []) == 0.0
    assert scale.recall([], [5]) == 1.0


def test_json_line_has_exactly_the_issue_keys(scale: ModuleType) -> None:
    assert list(scale.JSON_KEYS) == ISSUE_KEYS
    result = {k: i for i, k in enumerate(ISSUE_KEYS)} | {"p99_ms": 3.0, "index": "ExactIndex"}
    line = scale.json_line(result)
    assert "\n" not in line
    parsed = json.loads(line)
    assert list(parsed) == ISSUE_KEYS
    assert parsed["recall_at_300"] == ISSUE_KEYS.index("recall_at_300")
    with pytest.raises(KeyError, match="uss_mb, startup_s"):
        scale.json_line({k: 0 for k in ISSUE_KEYS if k not in ("uss_mb", "startup_s")})


# ---------------------------------------------------------------- the replicated catalogue build
@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("replicas.py", "bench_pipeline")


def test_replicated_lexical_index_scores_every_replica_like_its_original(
    bench: ModuleType,
) -> None:
    from matcher.ranking.lexical import LexicalIndex

    docs = ["sourdough bread baking", "trail running shoes", "bread and running", "padel"]
    base = LexicalIndex().fit(docs)
    tiled = bench.replicate_lexical(base, 3)
    fitted = LexicalIndex().fit(docs * 3)
    assert len(tiled) == 12
    for q in ("bread", "running shoes", "padel bread", "nothing here"):
        s = tiled.scores(q)
        assert np.array_equal(s, np.tile(base.scores(q), 3))  # replica r of row i = row i
        # as if fitted on the replicated texts: same hits, same order, idf within its smoothing
        assert np.array_equal(s > 0, fitted.scores(q) > 0)
        assert np.array_equal(
            np.argsort(-s, kind="stable"), np.argsort(-fitted.scores(q), kind="stable")
        )
        np.testing.assert_allclose(s, fitted.scores(q), rtol=0.1)


def test_save_replicated_writes_a_loadable_pipeline_of_n_times_the_creators(
    bench: ModuleType, tiny_pipeline, tmp_path: Path
) -> None:
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.schemas import Brief

    base = tiny_pipeline.catalogue
    n, m = len(base), len(base.post_emb)
    how = bench.save_replicated(tiny_pipeline, 3, tmp_path / "model")
    assert how["writer"].startswith("replicate_mapped")
    assert not (tmp_path / "scratch").exists()
    big = MatchPipeline.load(tmp_path / "model")  # the manifests check out
    cat = big.catalogue
    assert len(cat) == 3 * n and len(cat.post_emb) == 3 * m
    assert cat.post_emb.dtype == np.float16
    assert cat.ids[n + 1] == f"{base.ids[1]}-r1" and len(set(cat.ids)) == 3 * n
    # replica 0 is the base (float16), the others are jittered unit vectors
    np.testing.assert_allclose(np.asarray(cat.profile[:n], np.float32), base.profile, atol=1e-3)
    norms = np.linalg.norm(np.asarray(cat.post_emb[m:], np.float32), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-2)
    assert not np.allclose(np.asarray(cat.profile[n : 2 * n], np.float32), base.profile, atol=1e-3)
    assert np.array_equal(
        np.asarray(cat.post_offsets[n : 2 * n + 1]), np.asarray(base.post_offsets) + m
    )
    assert (
        cat.post_texts[m + 2] == base.post_texts[2]
        and cat.search_text[2 * n] == base.search_text[0]
    )
    np.testing.assert_array_equal(
        np.asarray(big.costs), np.tile(np.asarray(tiny_pipeline.costs), 3)
    )
    rec = big.recommend(
        Brief(text="healthy food recipes", min_followers=0, max_followers=10**12), k=5
    )
    assert len(rec.matches) == 5


def test_index_settings_are_the_base_pipelines_ann_settings(scale) -> None:
    """A cached catalogue is reused only when built with these: they are what ann.json keeps."""
    from types import SimpleNamespace

    from matcher.config import RetrievalConfig

    cfg = RetrievalConfig(ann_exact_below=7, ann_nprobe=3)
    got = scale.index_settings(SimpleNamespace(config=SimpleNamespace(retrieval=cfg)))
    assert got == {
        "ann_kind": "faiss-ivf-fp16",  # float16 lists: a cache of float32 ones is rebuilt
        "ann_min_rows": cfg.ann_min_rows,
        "ann_scan_rows": cfg.ann_scan_rows,
        "ann_nprobe": 3,
        "ann_nlist": cfg.ann_nlist,
        "ann_exact_below": 7,
    }
    assert json.loads(json.dumps(got)) == got  # stored in build.json
