"""Text encoders (the embedding caches they use are ``matcher.ranking.embedding_cache``).

``SentenceEncoder`` wraps sentence-transformers (the real product path) on one of two backends:
torch, or the same model exported to ONNX Runtime with int8 weights (``ranking.onnx_encoder``,
docs/encoder.md). ``HashingEncoder`` is a small deterministic lexical encoder used by fast unit
tests. All return L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from matcher.config import EncoderConfig
from matcher.ranking.embedding_cache import EmbeddingCache  # re-exported
from matcher.ranking.memory_cache import MemoryCache  # re-exported
from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)

# A progress bar only for work of many texts: below this, encoding takes about a second or less
# (~330 texts/s batched on 2 cores), so "embedding briefs 1/1" would be noise on every request.
PROGRESS_MIN_TEXTS = 256


class TextEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], desc: str = "embedding") -> NDArray[np.float32]: ...

    def spec(self) -> dict[str, Any]: ...


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class _CachedEncoder:
    """Shared dedupe + cache + batching logic; subclasses implement ``_encode_batch``."""

    name: str
    dim: int
    batch_size: int = 64
    show_progress: bool = False
    cache: EmbeddingCache | MemoryCache | None = None

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], desc: str = "embedding") -> NDArray[np.float32]:
        texts = [t if t else "" for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        uniq: dict[str, int] = {}
        inverse = np.fromiter(
            (uniq.setdefault(t, len(uniq)) for t in texts), dtype=np.int64, count=len(texts)
        )
        utexts = list(uniq)
        keys = [text_key(t) for t in utexts]
        if self.cache is not None:
            vecs, hit = self.cache.get(keys)
        else:
            vecs, hit = (
                np.zeros((len(utexts), self.dim), dtype=np.float32),
                np.zeros(len(utexts), bool),
            )
        miss = np.flatnonzero(~hit)
        if len(miss):
            logger.info(
                "%s: %d texts, %d unique, %d to encode (%d cached)",
                desc,
                len(texts),
                len(utexts),
                len(miss),
                int(hit.sum()),
            )
            new = self._encode_many([utexts[i] for i in miss], desc)
            vecs[miss] = new
            if self.cache is not None:
                self.cache.put([keys[i] for i in miss], new)
        return vecs[inverse]

    def _encode_many(self, texts: list[str], desc: str) -> NDArray[np.float32]:
        from tqdm.auto import tqdm

        # sort by length so each batch pads little; restore the order afterwards
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        bs = self.batch_size
        with tqdm(
            total=len(texts),
            desc=desc,
            unit="text",
            mininterval=1.0,
            disable=not self.show_progress or len(texts) < PROGRESS_MIN_TEXTS,
        ) as bar:
            for start in range(0, len(texts), bs):
                idx = order[start : start + bs]
                out[idx] = self._encode_batch([texts[i] for i in idx])
                bar.update(len(idx))
        return out


class SentenceEncoder(_CachedEncoder):
    """all-MiniLM-L6-v2 (or any sentence-transformers folder) on the CPU, loaded lazily, on
    torch or ONNX Runtime int8 (``config.resolved_backend()``). The backends' vectors differ
    slightly, so the name (and with it the embedding cache's folder) names the backend."""

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self.config = config or EncoderConfig()
        self.model_path = self.config.resolved_model_path()
        self.backend = self.config.resolved_backend()
        self.batch_size = self.config.batch_size
        self.show_progress = self.config.show_progress
        self._model: Any = None
        self._lock = threading.Lock()
        self.model_id = _model_id(self.model_path)
        self.name = self.model_id if self.backend == "torch" else f"{self.model_id}-{self.backend}"
        self.dim = _model_dim(self.model_path)
        self.cache = EmbeddingCache(
            self.config.resolved_cache_dir(),
            self.cache_name,
            self.dim,
            max_entries=self.config.cache_max_entries,
        )

    @property
    def cache_name(self) -> str:
        """The embedding cache's folder: the name, and for ONNX Runtime the export and session
        recipes too (vectors made another way are never read back)."""
        if self.backend == "torch":
            return self.name
        from matcher.ranking.onnx_encoder import RUNTIME_RECIPE
        from matcher.ranking.onnx_export import EXPORT_RECIPE

        return f"{self.name}-e{EXPORT_RECIPE}r{RUNTIME_RECIPE}"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None and self.backend != "torch":
                from matcher.ranking.onnx_encoder import OnnxSentenceModel
                from matcher.ranking.onnx_export import ensure_exported

                onnx_file = ensure_exported(
                    self.model_path, self.config.resolved_onnx_dir(), self.model_id
                )
                logger.info("loading the ONNX Runtime model %s", onnx_file)
                self._model = OnnxSentenceModel(
                    self.model_path, onnx_file, threads=self.config.resolved_threads()
                )
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                logger.info("loading sentence-transformers model from %s", self.model_path)
                bar_was_on = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()  # no "Loading weights 103/103" bar: one item of work
                try:
                    self._model = SentenceTransformer(self.model_path, device="cpu")
                finally:
                    if bar_was_on:
                        hf_logging.enable_progress_bar()
            return self._model

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        model = self._load()
        if self.backend != "torch":
            return np.asarray(model.encode(texts), dtype=np.float32)
        vecs = model.encode(
            texts,
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def warm_up(self) -> None:
        self._load()

    def spec(self) -> dict[str, Any]:
        return {
            "kind": "sentence-transformers",
            "name": self.name,
            "dim": self.dim,
            "model_path": self.model_path,
            "backend": self.backend,
        }


class HashingEncoder(_CachedEncoder):
    """Deterministic bag-of-words hashing encoder: texts sharing words are similar.

    Fast and dependency-free; for unit tests and smoke runs, never the product default.
    """

    def __init__(self, dim: int = 128, batch_size: int = 256) -> None:
        self.dim = dim
        self.batch_size = batch_size
        self.name = f"hashing-{dim}"

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        import re

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return unit_rows(out)

    def spec(self) -> dict[str, Any]:
        return {"kind": "hashing", "name": self.name, "dim": self.dim}


def _model_id(model_path: str) -> str:
    """A stable id for the cache: folder name plus a hash of the model's config files."""
    p = Path(model_path)
    h = hashlib.blake2b(digest_size=6)
    for fname in ("config.json", "modules.json", "config_sentence_transformers.json"):
        f = p / fname
        if f.exists():
            h.update(f.read_bytes())
    base = p.name if p.name not in ("", "model", "models") else p.parent.name
    return f"{base}-{h.hexdigest()}"


def _model_dim(model_path: str) -> int:
    import json

    p = Path(model_path)
    for pooling in sorted(p.glob("*Pooling*/config.json")):
        cfg = json.loads(pooling.read_text())
        if "word_embedding_dimension" in cfg:
            return int(cfg["word_embedding_dimension"])
    cfg_file = p / "config.json"
    if cfg_file.exists():
        cfg = json.loads(cfg_file.read_text())
        if "hidden_size" in cfg:
            return int(cfg["hidden_size"])
    raise ValueError(f"cannot tell the embedding dimension of the model at {model_path}")


def encoder_from_spec(spec: dict[str, Any], config: EncoderConfig | None = None) -> TextEncoder:
    """Rebuild the encoder a pipeline was trained with; ``config.model_path`` may point elsewhere
    (same model, other folder), but the dimension must match. The backend is the config's, else
    $MATCHER_ENCODER_BACKEND, else the spec's (a service may embed briefs with onnx-int8 against a
    catalogue embedded with torch: docs/encoder.md measures that)."""
    kind = spec.get("kind")
    if kind == "hashing":
        return HashingEncoder(dim=int(spec["dim"]))
    if kind == "sentence-transformers":
        cfg = config or EncoderConfig()
        if cfg.model_path is None and not os.environ.get("MATCHER_EMBEDDING_MODEL"):
            stored = spec.get("model_path")
            if stored and Path(stored).exists():
                cfg = cfg.model_copy(update={"model_path": stored})
        saved_backend = str(spec.get("backend") or "torch")
        cfg = cfg.model_copy(update={"backend": cfg.resolved_backend(saved=saved_backend)})
        enc = SentenceEncoder(cfg)
        if enc.dim != int(spec["dim"]):
            raise ValueError(
                f"encoder at {enc.model_path} has dimension {enc.dim}, but the pipeline was trained "
                f"with {spec['name']} ({spec['dim']}-d)"
            )
        trained_id = str(spec.get("name", ""))
        if saved_backend != "torch":
            trained_id = trained_id.removesuffix(f"-{saved_backend}")
        if enc.model_id != trained_id:
            logger.warning(
                "pipeline was trained with encoder %s, now using %s", spec.get("name"), enc.name
            )
        elif enc.backend != saved_backend:
            logger.info(
                "the catalogue was embedded on %s, briefs now on %s (docs/encoder.md)",
                saved_backend,
                enc.backend,
            )
        return enc
    raise ValueError(f"unknown encoder kind {kind!r}")
