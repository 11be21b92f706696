"""Choosing the encoder backend: config, $MATCHER_ENCODER_BACKEND, the saved pipeline's spec; the
spec records it and the embedding cache is per backend. Nothing here loads a model."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from matcher.config import ENV_ENCODER_BACKEND, ENV_ENCODER_THREADS, EncoderConfig
from matcher.ranking.embeddings import SentenceEncoder, encoder_from_spec
from matcher.ranking.onnx_encoder import RUNTIME_RECIPE
from matcher.ranking.onnx_export import EXPORT_RECIPE


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_ENCODER_BACKEND, raising=False)
    monkeypatch.delenv(ENV_ENCODER_THREADS, raising=False)


def test_backend_precedence_field_then_env_then_saved_then_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert EncoderConfig().resolved_backend() == "torch"
    assert EncoderConfig().resolved_backend(saved="onnx-int8") == "onnx-int8"
    monkeypatch.setenv(ENV_ENCODER_BACKEND, " onnx-int8 ")
    assert EncoderConfig().resolved_backend(saved="torch") == "onnx-int8"
    assert EncoderConfig(backend="torch").resolved_backend(saved="onnx-int8") == "torch"


def test_bad_backend_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ENCODER_BACKEND, "onnx")
    with pytest.raises(ValueError, match=f"{ENV_ENCODER_BACKEND}.*torch, onnx-int8.*'onnx'"):
        EncoderConfig().resolved_backend()
    with pytest.raises(ValueError, match="backend"):
        EncoderConfig(backend="tensorflow")  # type: ignore[arg-type]


def test_threads_field_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert EncoderConfig().resolved_threads() is None  # by batch size
    monkeypatch.setenv(ENV_ENCODER_THREADS, "1")
    assert EncoderConfig().resolved_threads() == 1
    assert EncoderConfig(threads=2).resolved_threads() == 2
    monkeypatch.setenv(ENV_ENCODER_THREADS, "two")
    with pytest.raises(ValueError, match=ENV_ENCODER_THREADS):
        EncoderConfig().resolved_threads()
    with pytest.raises(ValueError, match="threads"):
        EncoderConfig(threads=-1)


def _enc(tmp_path: Path, backend: str | None) -> SentenceEncoder:
    return SentenceEncoder(EncoderConfig(backend=backend, cache_dir=str(tmp_path)))  # type: ignore[arg-type]


def test_spec_and_cache_folder_differ_per_backend(tmp_path: Path) -> None:
    t, o = _enc(tmp_path, "torch"), _enc(tmp_path, "onnx-int8")
    assert t.spec()["backend"] == "torch" and o.spec()["backend"] == "onnx-int8"
    assert t.name == t.model_id  # torch keeps the name (and cache) it always had
    assert o.name == f"{t.model_id}-onnx-int8" and o.dim == t.dim == 384
    assert t.cache is not None and o.cache is not None
    assert t.cache.dir != o.cache.dir and t.cache.dir.parent == o.cache.dir.parent
    # how the ONNX file and session are made names its folder too: vectors made otherwise never mix
    assert t.cache.dir.name == t.name
    assert o.cache.dir.name == f"{o.name}-e{EXPORT_RECIPE}r{RUNTIME_RECIPE}"


def test_encoder_from_spec_keeps_the_saved_backend(tmp_path: Path) -> None:
    spec = _enc(tmp_path, "onnx-int8").spec()
    again = encoder_from_spec(spec, EncoderConfig(cache_dir=str(tmp_path)))
    assert isinstance(again, SentenceEncoder)
    assert again.spec() == spec


def test_a_spec_from_before_backends_is_torch(tmp_path: Path) -> None:
    spec = _enc(tmp_path, "torch").spec()
    del spec["backend"]
    again = encoder_from_spec(spec, EncoderConfig(cache_dir=str(tmp_path)))
    assert again.spec()["backend"] == "torch"


def test_env_overrides_the_saved_backend_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    spec = _enc(tmp_path, "torch").spec()
    monkeypatch.setenv(ENV_ENCODER_BACKEND, "onnx-int8")
    with caplog.at_level(logging.INFO, logger="matcher.ranking.embeddings"):
        mixed = encoder_from_spec(spec, EncoderConfig(cache_dir=str(tmp_path)))
    assert mixed.spec()["backend"] == "onnx-int8"
    assert "catalogue was embedded on torch, briefs now on onnx-int8" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # same model


def test_another_model_still_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = _enc(tmp_path, "onnx-int8").spec() | {"name": "other-model-abc-onnx-int8"}
    with caplog.at_level(logging.WARNING, logger="matcher.ranking.embeddings"):
        encoder_from_spec(spec, EncoderConfig(cache_dir=str(tmp_path)))
    assert "pipeline was trained with encoder other-model-abc-onnx-int8" in caplog.text
