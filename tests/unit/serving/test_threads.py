"""serving.model_state.limit_threads: one OpenMP/BLAS thread per worker (MATCHER_THREADS)."""

from __future__ import annotations

import faiss  # noqa: F401 - loads faiss's OpenMP runtime, as a loaded model does
import lightgbm  # noqa: F401 - and LightGBM's
import numpy  # noqa: F401 - and numpy's BLAS
from threadpoolctl import threadpool_info, threadpool_limits

from serving.model_state import limit_threads


def test_limit_threads_caps_every_openmp_and_blas_pool_and_zero_leaves_them():
    with threadpool_limits(limits=None):  # restores this process's pools afterwards
        threadpool_limits(limits=2)
        limit_threads(0)
        pools = threadpool_info()
        assert {p["internal_api"] for p in pools} >= {"openmp", "openblas"}
        assert {p["num_threads"] for p in pools} == {2}
        limit_threads(1)
        assert {p["num_threads"] for p in threadpool_info()} == {1}
