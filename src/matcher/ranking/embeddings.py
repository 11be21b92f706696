"""Text encoders and the on-disk embedding cache.

``SentenceEncoder`` wraps sentence-transformers (the real product path). ``HashingEncoder`` is
a small deterministic lexical encoder used by fast unit tests. Both return L2-normalised
float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from matcher.config import EncoderConfig
from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)


class TextEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], desc: str = "embedding") -> NDArray[np.float32]: ...

    def spec(self) -> dict[str, Any]: ...


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    """Append-only cache of vectors keyed by text hash, one folder per model.

    Each ``put`` writes a new shard (keys + vectors as .npy), so concurrent readers never see
    a half-written file and re-training re-embeds nothing it has seen.
    """

    def __init__(self, root: Path, model_id: str, dim: int) -> None:
        self.dir = root / model_id
        self.dim = dim
        self._index: dict[bytes, tuple[int, int]] | None = None
        self._shards: list[NDArray[np.float32]] = []

    def _load(self) -> dict[bytes, tuple[int, int]]:
        if self._index is not None:
            return self._index
        self._index = {}
        if self.dir.exists():
            for kf in sorted(self.dir.glob("keys-*.npy")):
                vf = kf.with_name(kf.name.replace("keys-", "vecs-"))
                if not vf.exists():
                    continue
                keys = np.load(kf)
                vecs = np.load(vf, mmap_mode="r")
                if vecs.shape[1] != self.dim or len(keys) != len(vecs):
                    logger.warning("ignoring inconsistent cache shard %s", kf)
                    continue
                s = len(self._shards)
                self._shards.append(vecs)
                for i, k in enumerate(keys):
                    self._index[bytes(k)] = (s, i)
        return self._index

    def get(self, keys: list[bytes]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        index = self._load()
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        hit = np.zeros(len(keys), dtype=bool)
        for j, k in enumerate(keys):
            loc = index.get(k)
            if loc is not None:
                out[j] = self._shards[loc[0]][loc[1]]
                hit[j] = True
        return out, hit

    def put(self, keys: list[bytes], vecs: NDArray[np.float32]) -> None:
        if not keys:
            return
        index = self._load()
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = f"{os.getpid()}-{threading.get_ident()}-{len(self._shards)}-{np.random.default_rng().integers(1 << 62)}"
        karr = np.frombuffer(b"".join(keys), dtype="V16")
        tmp_v = self.dir / f"tmp-vecs-{stamp}.npy"
        tmp_k = self.dir / f"tmp-keys-{stamp}.npy"
        np.save(tmp_v, vecs.astype(np.float32))
        np.save(tmp_k, karr)
        tmp_v.rename(self.dir / f"vecs-{stamp}.npy")
        tmp_k.rename(self.dir / f"keys-{stamp}.npy")
        s = len(self._shards)
        self._shards.append(vecs.astype(np.float32))
        for i, k in enumerate(keys):
            index[k] = (s, i)


class MemoryCache:
    """Bounded in-memory LRU of vectors keyed by text hash (the service's brief cache: a brand
    re-running a brief with other filters or k skips the embedding). Thread-safe; same
    ``get``/``put`` as ``EmbeddingCache``, nothing written to disk."""

    def __init__(self, dim: int, max_items: int = 4096) -> None:
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        self.dim = dim
        self.max_items = max_items
        self._items: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, keys: list[bytes]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        hit = np.zeros(len(keys), dtype=bool)
        with self._lock:
            for j, k in enumerate(keys):
                v = self._items.get(k)
                if v is not None:
                    self._items.move_to_end(k)
                    out[j], hit[j] = v, True
        return out, hit

    def put(self, keys: list[bytes], vecs: NDArray[np.float32]) -> None:
        with self._lock:
            for k, v in zip(keys, vecs, strict=True):
                self._items[k] = np.array(v, dtype=np.float32)
                self._items.move_to_end(k)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


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
        inverse = np.fromiter((uniq.setdefault(t, len(uniq)) for t in texts), dtype=np.int64,
                              count=len(texts))
        utexts = list(uniq)
        keys = [text_key(t) for t in utexts]
        if self.cache is not None:
            vecs, hit = self.cache.get(keys)
        else:
            vecs, hit = np.zeros((len(utexts), self.dim), dtype=np.float32), np.zeros(len(utexts), bool)
        miss = np.flatnonzero(~hit)
        if len(miss):
            logger.info("%s: %d texts, %d unique, %d to encode (%d cached)", desc, len(texts),
                        len(utexts), len(miss), int(hit.sum()))
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
        with tqdm(total=len(texts), desc=desc, unit="text", disable=not self.show_progress,
                  mininterval=1.0) as bar:
            for start in range(0, len(texts), bs):
                idx = order[start:start + bs]
                out[idx] = self._encode_batch([texts[i] for i in idx])
                bar.update(len(idx))
        return out


class SentenceEncoder(_CachedEncoder):
    """all-MiniLM-L6-v2 (or any sentence-transformers folder) on the CPU, loaded lazily."""

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self.config = config or EncoderConfig()
        self.model_path = self.config.resolved_model_path()
        self.batch_size = self.config.batch_size
        self.show_progress = self.config.show_progress
        self._model: Any = None
        self._lock = threading.Lock()
        self.name = _model_id(self.model_path)
        self.dim = _model_dim(self.model_path)
        self.cache = EmbeddingCache(self.config.resolved_cache_dir(), self.name, self.dim)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                logger.info("loading sentence-transformers model from %s", self.model_path)
                self._model = SentenceTransformer(self.model_path, device="cpu")
            return self._model

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        model = self._load()
        vecs = model.encode(texts, batch_size=len(texts), convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def warm_up(self) -> None:
        self._load()

    def spec(self) -> dict[str, Any]:
        return {"kind": "sentence-transformers", "name": self.name, "dim": self.dim,
                "model_path": self.model_path}


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
    (same model, other folder), but the dimension must match."""
    kind = spec.get("kind")
    if kind == "hashing":
        return HashingEncoder(dim=int(spec["dim"]))
    if kind == "sentence-transformers":
        cfg = config or EncoderConfig()
        if cfg.model_path is None and not os.environ.get("MATCHER_EMBEDDING_MODEL"):
            stored = spec.get("model_path")
            if stored and Path(stored).exists():
                cfg = cfg.model_copy(update={"model_path": stored})
        enc = SentenceEncoder(cfg)
        if enc.dim != int(spec["dim"]):
            raise ValueError(
                f"encoder at {enc.model_path} has dimension {enc.dim}, but the pipeline was trained "
                f"with {spec['name']} ({spec['dim']}-d)"
            )
        if enc.name != spec.get("name"):
            logger.warning("pipeline was trained with encoder %s, now using %s", spec.get("name"), enc.name)
        return enc
    raise ValueError(f"unknown encoder kind {kind!r}")
