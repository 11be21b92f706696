"""The packaged all-MiniLM-L6-v2 on ONNX Runtime int8 against torch: exported by ``matcher encoder
export``, close to the torch vectors, rebuilt from its spec, cached apart from torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.config import EncoderConfig
from matcher.ranking.embeddings import SentenceEncoder, encoder_from_spec

pytestmark = pytest.mark.integration

TEXTS = [
    "vegan protein bars for marathon runners",
    "Looking for TikTok creators into skincare routines for oily skin, honest reviews",
    "Brand: Atlas Play (game studio)\nProduct: a gaming headset\nGoal: content creation",
    "cosy home baking, sourdough every weekend and a bit of gardening",
    "Recetas fáciles y saludables para toda la familia",
    "budget travel tips: backpacking south-east asia on $30 a day",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("onnx")
    r = CliRunner().invoke(app, ["encoder", "export", "--onnx-dir", str(d), "--json"])
    assert r.exit_code == 0, r.output
    meta = json.loads(r.stdout)
    assert Path(meta["path"]).is_file() and meta["settings"]["weight_type"] == "qint8"
    assert meta["fp32_min_cosine"] >= 0.9999  # the fp32 graph is torch's, up to float rounding
    assert meta["settings"]["attention"] == "eager"
    ops = _op_types(Path(meta["path"]))
    # eager attention: no traced SDPA mask handling (IsNaN -> Where in every layer)
    assert "IsNaN" not in ops and {"Softmax", "MatMulInteger"} <= ops
    return d


def _encoder(backend: str, onnx_dir: Path, cache: Path) -> SentenceEncoder:
    return SentenceEncoder(
        EncoderConfig(
            backend=backend,  # type: ignore[arg-type]
            onnx_dir=str(onnx_dir),
            cache_dir=str(cache),
            threads=1,
            show_progress=False,
        )
    )


def test_int8_vectors_are_close_to_torch(onnx_dir: Path, tmp_path: Path) -> None:
    onnx = _encoder("onnx-int8", onnx_dir, tmp_path).encode(TEXTS)
    torch = _encoder("torch", onnx_dir, tmp_path).encode(TEXTS)
    cos = (onnx * torch).sum(axis=1)
    assert cos.mean() >= 0.99, cos
    assert cos.min() >= 0.975, cos
    assert not np.allclose(onnx, torch, atol=1e-4)  # really the int8 model, not torch again


def test_spec_round_trip_rebuilds_the_same_encoder(onnx_dir: Path, tmp_path: Path) -> None:
    enc = _encoder("onnx-int8", onnx_dir, tmp_path / "a")
    again = encoder_from_spec(
        enc.spec(), EncoderConfig(onnx_dir=str(onnx_dir), cache_dir=str(tmp_path / "b"))
    )
    assert again.spec() == enc.spec() and again.spec()["backend"] == "onnx-int8"
    np.testing.assert_allclose(again.encode(TEXTS), enc.encode(TEXTS), atol=1e-6)


def test_backends_never_share_cached_vectors(onnx_dir: Path, tmp_path: Path) -> None:
    torch_enc = _encoder("torch", onnx_dir, tmp_path)
    first = torch_enc.encode(TEXTS[:2])
    onnx_enc = _encoder("onnx-int8", onnx_dir, tmp_path)  # same cache root
    got = onnx_enc.encode(TEXTS[:2])
    assert not np.allclose(got, first, atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [torch_enc.cache_name, onnx_enc.cache_name]
    )
    # and each reads its own back
    np.testing.assert_allclose(_encoder("torch", onnx_dir, tmp_path).encode(TEXTS[:2]), first)


def _op_types(path: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_the_session_runs_layer_norms_unfused(onnx_dir: Path, tmp_path: Path) -> None:
    """ONNX Runtime's fused SkipLayerNormalization was ~7x slower than the plain LayerNorm it
    replaces (onnx_encoder.DISABLED_OPTIMIZERS); the graph the encoder runs has none, while the
    same file under the default optimisers has one per residual LayerNorm."""
    import onnxruntime as ort

    from matcher.ranking.onnx_encoder import make_session

    f = next(onnx_dir.rglob("model_qint8.onnx"))
    make_session(f, 1, optimized_model_filepath=tmp_path / "ours.onnx")
    ours = _op_types(tmp_path / "ours.onnx")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.optimized_model_filepath = str(tmp_path / "default.onnx")
    ort.InferenceSession(str(f), opts, providers=["CPUExecutionProvider"])
    default = _op_types(tmp_path / "default.onnx")
    assert "SkipLayerNormalization" in default and "SkipLayerNormalization" not in ours
    assert "LayerNormalization" in ours
    assert "DynamicQuantizeMatMul" in ours  # the int8 MatMul fusions still run
