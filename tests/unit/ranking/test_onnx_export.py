"""Export + quantisation on a tiny random BERT in the sentence-transformers layout (a few seconds):
the fp32 graph reproduces torch, the int8 one stays close, files are cached and made again only
when the recipe changes, and ``SentenceEncoder(backend="onnx-int8")`` runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from matcher.config import EncoderConfig
from matcher.ranking import onnx_export
from matcher.ranking.embeddings import SentenceEncoder
from matcher.ranking.onnx_encoder import RUN_TEXTS, SMALL_BATCH, OnnxSentenceModel
from matcher.ranking.onnx_export import ensure_exported, export_settings, onnx_file

pytestmark = pytest.mark.slow  # torch + ONNX exports: ~7 s on a quiet machine

PACKAGED = Path(EncoderConfig().resolved_model_path())
TEXTS = ["vegan protein bars for runners", "Hola! recetas", "", "word " * 40]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-d BERT with the packaged tokenizer; max_seq_length 16 (truncation runs)."""
    import torch
    from transformers import BertConfig, BertModel

    d = tmp_path_factory.mktemp("tiny-st")
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(cfg).eval().save_pretrained(d)
    for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(PACKAGED / f, d / f)
    shutil.copytree(PACKAGED / "1_Pooling", d / "1_Pooling")
    pooling = json.loads((d / "1_Pooling" / "config.json").read_text())
    (d / "1_Pooling" / "config.json").write_text(
        json.dumps(pooling | {"word_embedding_dimension": 32})
    )
    shutil.copy(PACKAGED / "modules.json", d / "modules.json")
    (d / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 16, "do_lower_case": False})
    )
    return d


@pytest.fixture(scope="module")
def exported(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_exported(tiny_model, tmp_path_factory.mktemp("onnx"), "tiny")


def _torch_vectors(model_path: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_path), device="cpu")
    return np.asarray(st.encode(texts, normalize_embeddings=True))


def test_export_writes_the_file_and_how_it_was_made(exported: Path) -> None:
    assert exported.name == "model_qint8.onnx" and exported.parent.name == "tiny"
    meta = json.loads(exported.with_suffix(".json").read_text())
    assert meta["settings"] == export_settings("qint8")
    assert meta["fp32_min_cosine"] >= 0.9999
    # nothing left behind: no fp32 copy, no temporary files
    assert sorted(p.name for p in exported.parent.iterdir()) == [
        ".lock",
        "model_qint8.json",
        "model_qint8.onnx",
    ]


def test_int8_model_is_close_to_torch_and_unit_length(tiny_model: Path, exported: Path) -> None:
    got = OnnxSentenceModel(tiny_model, exported, threads=1).encode(TEXTS)
    ref = _torch_vectors(tiny_model, TEXTS)
    assert got.shape == (len(TEXTS), 32) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * ref).sum(axis=1).min() > 0.95


def test_second_call_reuses_the_file(tiny_model: Path, exported: Path) -> None:
    before = exported.stat().st_mtime_ns
    again = ensure_exported(tiny_model, exported.parent.parent, "tiny")
    assert again == exported and exported.stat().st_mtime_ns == before


def test_a_file_made_by_another_recipe_is_made_again(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ensure_exported(tiny_model, tmp_path, "tiny")
    meta = json.loads(first.with_suffix(".json").read_text())
    monkeypatch.setattr(onnx_export, "EXPORT_RECIPE", onnx_export.EXPORT_RECIPE + 1)
    second = ensure_exported(tiny_model, tmp_path, "tiny")
    new_meta = json.loads(second.with_suffix(".json").read_text())
    assert new_meta["settings"]["recipe"] == meta["settings"]["recipe"] + 1


def test_quint8_goes_to_its_own_file(tiny_model: Path, exported: Path) -> None:
    q = ensure_exported(tiny_model, exported.parent.parent, "tiny", "quint8")
    assert q == onnx_file(exported.parent.parent, "tiny", "quint8") != exported
    with pytest.raises(ValueError, match="weight_type"):
        onnx_file(exported.parent.parent, "tiny", "int4")  # type: ignore[arg-type]


def test_sentence_encoder_on_the_onnx_backend(tiny_model: Path, exported: Path) -> None:
    cfg = EncoderConfig(
        model_path=str(tiny_model),
        backend="onnx-int8",
        onnx_dir=str(exported.parent.parent.parent / "enc-onnx"),
        cache_dir=str(exported.parent.parent.parent / "enc-cache"),
        threads=1,
        show_progress=False,
    )
    enc = SentenceEncoder(cfg)
    got = enc.encode(TEXTS + TEXTS[:1])  # a repeated text is embedded once
    np.testing.assert_allclose(got[0], got[-1])
    direct = OnnxSentenceModel(tiny_model, exported, threads=1).encode(TEXTS)
    np.testing.assert_allclose(got[: len(TEXTS)], direct, atol=1e-6)
    assert enc.spec()["backend"] == "onnx-int8" and enc.name.endswith("-onnx-int8")
    assert enc.cache is not None and enc.cache.dir.name == enc.cache_name != enc.name
    assert "torch" not in enc.config.resolved_onnx_dir().name


def test_threads_follow_the_batch_size_unless_set(tiny_model: Path, exported: Path) -> None:
    auto = OnnxSentenceModel(tiny_model, exported)
    assert [auto.threads_for(n) for n in (1, SMALL_BATCH, SMALL_BATCH + 1)] == [1, 1, 0]
    small, big = auto.encode(TEXTS[:1]), auto.encode(TEXTS[:1] * (SMALL_BATCH + 1))
    np.testing.assert_allclose(small[0], big[0], atol=1e-6)  # same model, other session
    assert sorted(auto._sessions) == [0, 1]
    fixed = OnnxSentenceModel(tiny_model, exported, threads=2)
    assert fixed.threads_for(1) == fixed.threads_for(500) == 2
    with pytest.raises(ValueError, match="threads"):
        OnnxSentenceModel(tiny_model, exported, threads=-1)
    with pytest.raises(FileNotFoundError, match="no ONNX model"):
        OnnxSentenceModel(tiny_model, exported.with_name("missing.onnx"))


def test_long_batches_run_in_pieces_with_the_same_vectors(tiny_model: Path, exported: Path) -> None:
    texts = [
        f"creator number {i} posts about {'food ' * (i % 7)}" for i in range(RUN_TEXTS * 2 + 3)
    ]
    m = OnnxSentenceModel(tiny_model, exported, threads=1)
    whole = m.encode(texts)
    pieces = [m.encode(texts[i : i + RUN_TEXTS]) for i in range(0, len(texts), RUN_TEXTS)]
    assert whole.shape == (len(texts), 32)
    np.testing.assert_array_equal(whole, np.concatenate(pieces))
    # activations are quantised per run (one scale per tensor), so a text's vector depends a
    # little on the texts it runs with: ~1e-4, far below the int8 error itself
    one_by_one = np.concatenate([m.encode([t]) for t in texts])
    np.testing.assert_allclose(whole, one_by_one, atol=1e-3)
