"""``matcher.vectors``: the float16 cast gives numpy's bits, whatever the size, shape or values."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from matcher.vectors import CAST_MIN_VALUES, _float16_caster, to_float32

SPECIAL = np.array([0.0, -0.0, 1e-7, -3e-6, 6.1e-5, 65504.0, -65504.0, np.inf, -np.inf], np.float32)


def _halves(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Random float16 values, the first ones replaced by special values and every subnormal
    (exponent bits 0: where a careless converter goes wrong)."""
    rng = np.random.default_rng(seed)
    flat = (rng.standard_normal(n * d) / 20).astype(np.float16)
    sub = np.arange(1, 1024, dtype=np.uint16).view(np.float16)
    edge = np.concatenate([SPECIAL.astype(np.float16), sub, -sub])[: len(flat)]
    flat[: len(edge)] = edge
    return flat.reshape(n, d)


@pytest.mark.parametrize(
    "shape", [(0, 384), (3, 384), (11, 384), (300, 384), (2_733, 384), (5_000,)]
)
def test_float16_to_float32_has_numpy_bits(shape):
    x = _halves(*shape) if len(shape) == 2 else _halves(1, shape[0]).reshape(shape)
    got = to_float32(x)
    want = x.astype(np.float32)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_large_arrays_take_onnx_runtime_and_small_ones_numpy(monkeypatch):
    calls = []
    real = _float16_caster()

    class Spy:
        def run(self, *args, **kw):
            calls.append(args[1]["x"].size)
            return real.run(*args, **kw)

    monkeypatch.setattr("matcher.vectors._float16_caster", lambda: Spy())
    small = _halves(1, CAST_MIN_VALUES - 1)
    large = _halves(2, CAST_MIN_VALUES)
    to_float32(small)
    to_float32(large)
    assert calls == [large.size]


def test_gathered_rows_of_a_memory_map_and_strided_views(tmp_path):
    x = _halves(400, 384, seed=1)
    path = tmp_path / "v.npy"
    np.save(path, x)
    mapped = np.load(path, mmap_mode="r")
    rows = np.array([399, 0, 17, 17, 250])
    assert np.array_equal(to_float32(mapped[rows]), x[rows].astype(np.float32))
    view = x[::3, ::2]  # not contiguous
    assert np.array_equal(to_float32(view), view.astype(np.float32))


def test_other_dtypes_are_numpy_casts():
    f64 = np.linspace(-1, 1, 10_000).reshape(100, 100)
    assert np.array_equal(to_float32(f64), f64.astype(np.float32))
    f32 = f64.astype(np.float32)
    assert np.array_equal(to_float32(f32), f32)


def _child(q) -> None:
    x = _halves(20, 384, seed=2)
    q.put(bool(np.array_equal(to_float32(x), x.astype(np.float32))))


def test_works_in_a_forked_child():
    to_float32(_halves(20, 384))  # the parent's session exists now
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    p.join(60)
    assert p.exitcode == 0 and q.get(timeout=5) is True
