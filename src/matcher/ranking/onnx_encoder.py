"""The sentence-transformer on ONNX Runtime (``backend="onnx-int8"``): the run-time half.

Only ``onnxruntime`` and ``tokenizers`` are needed (no torch): the folder's fast tokenizer
(``tokenizer.json``, truncated at the ``max_seq_length`` of ``sentence_bert_config.json``), the
exported transformer (``ranking.onnx_export`` makes and caches it), then the pooling of
``modules.json`` (mean over the attention mask for MiniLM) and the L2 normalisation when the
folder has a ``Normalize`` module, as sentence-transformers computes them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)

_POOLING_KEYS = {  # sentence-transformers' Pooling config keys this runtime reproduces
    "mean": "pooling_mode_mean_tokens",
    "cls": "pooling_mode_cls_token",
    "max": "pooling_mode_max_tokens",
}
POOLING_MODES = tuple(_POOLING_KEYS)
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class ModelLayout:
    """What the sentence-transformers folder says about tokenising and pooling."""

    max_seq_length: int
    do_lower_case: bool
    pooling: str
    normalize: bool


def read_layout(model_path: str | Path) -> ModelLayout:
    """Read ``modules.json``, ``sentence_bert_config.json`` and the pooling config; refuse a
    folder this runtime would embed differently from sentence-transformers."""
    p = Path(model_path)
    modules_file = p / "modules.json"
    if not modules_file.exists():
        raise ValueError(f"{p} is not a sentence-transformers folder (no modules.json)")
    modules = json.loads(modules_file.read_text())
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or "Pooling" not in kinds:
        raise ValueError(
            f"{modules_file}: modules {kinds} are not Transformer -> Pooling [-> Normalize]"
        )
    extra = [k for k in kinds[1:] if k not in ("Pooling", "Normalize")]
    if extra:
        raise ValueError(f"{modules_file}: modules {extra} are not supported by the ONNX backend")
    pooling_dir = p / str(modules[kinds.index("Pooling")].get("path", ""))
    pcfg = json.loads((pooling_dir / "config.json").read_text())
    modes = [m for m, key in _POOLING_KEYS.items() if pcfg.get(key)]
    others = [
        k
        for k, v in pcfg.items()
        if k.startswith("pooling_mode_") and v and k not in _POOLING_KEYS.values()
    ]
    if len(modes) != 1 or others:
        raise ValueError(
            f"{pooling_dir / 'config.json'}: pooling_mode_* must select exactly one of "
            f"{', '.join(_POOLING_KEYS.values())}"
        )
    st_file = p / "sentence_bert_config.json"
    st_cfg = json.loads(st_file.read_text()) if st_file.exists() else {}
    max_len = int(st_cfg.get("max_seq_length") or 512)
    if max_len < 2:
        raise ValueError(f"{st_file}: max_seq_length must be >= 2, got {max_len}")
    return ModelLayout(
        max_seq_length=max_len,
        do_lower_case=bool(st_cfg.get("do_lower_case", False)),
        pooling=modes[0],
        normalize="Normalize" in kinds,
    )


def pool(
    token_embeddings: NDArray[np.floating], attention_mask: NDArray[np.integer], mode: str
) -> NDArray[np.float32]:
    """One vector per text from the transformer's (batch, tokens, dim) output, as
    sentence-transformers' ``Pooling`` computes it (padding tokens never count)."""
    if token_embeddings.ndim != 3 or attention_mask.shape != token_embeddings.shape[:2]:
        raise ValueError(
            f"token_embeddings {token_embeddings.shape} and attention_mask "
            f"{attention_mask.shape} must be (batch, tokens, dim) and (batch, tokens)"
        )
    x = token_embeddings.astype(np.float32, copy=False)
    mask = attention_mask.astype(np.float32)[..., None]
    if mode == "mean":
        return (x * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    if mode == "cls":
        return np.ascontiguousarray(x[:, 0, :])
    if mode == "max":
        return np.where(mask > 0, x, np.float32(-1e9)).max(axis=1)
    raise ValueError(f"pooling mode must be one of {POOLING_MODES}, got {mode!r}")


class OnnxTokenizer:
    """The folder's fast tokenizer, truncating and padding as sentence-transformers does."""

    def __init__(self, model_path: str | Path, layout: ModelLayout) -> None:
        from tokenizers import Tokenizer

        self.layout = layout
        self._tok = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self._tok.enable_truncation(max_length=layout.max_seq_length)
        pad = self._tok.padding or {}
        pad_token = str(pad.get("pad_token") or "[PAD]")
        pad_id = self._tok.token_to_id(pad_token)
        self._tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)

    def __call__(self, texts: Sequence[str]) -> dict[str, NDArray[np.int64]]:
        prepared = [str(t).strip() for t in texts]
        if self.layout.do_lower_case:
            prepared = [t.lower() for t in prepared]
        enc = self._tok.encode_batch(prepared)
        return {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }


# threads=None: batches up to this many texts (a request's briefs) run on one thread, larger ones
# (catalogue builds) on every core. One short brief took 15.6 ms on 2 threads, 6.3 ms on 1, with
# the 2 cores busy (1.7 ms either way when quiet); batches of posts gain (docs/encoder.md).
SMALL_BATCH = 8
# Texts per session run: int8 throughput fell with longer runs (posts, 2 cores: ~500 texts/s in
# runs of 32, ~425 of 64, ~340 of 128; benchmarks/encoder.py), so bigger batches are split.
RUN_TEXTS = 32


# Graph rewrites ONNX Runtime is told not to make. Its fused SkipLayerNormalization (residual add
# + LayerNorm) ran ~190 us a call against ~26 us for the unfused LayerNormalization (one 82-token
# brief, 1 thread, ORT 1.32): 4.5 vs 5.3 ms a brief, 286 vs 263 post texts/s on 2 threads, and
# the vectors as close to torch's (docs/encoder.md).
DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)
# Bumped whenever the session's settings change the vectors; names the embedding cache's folder.
RUNTIME_RECIPE = 2


def make_session(
    onnx_file: str | Path, threads: int, optimized_model_filepath: str | Path | None = None
) -> Any:
    """The ONNX Runtime session every encoder runs: CPU, ``threads`` intra-op threads (0 = one per
    core), ``DISABLED_OPTIMIZERS`` off; ``optimized_model_filepath`` saves the graph it runs."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # the graph optimiser's warnings are noise here
    if optimized_model_filepath is not None:
        opts.optimized_model_filepath = str(optimized_model_filepath)
    return ort.InferenceSession(
        str(onnx_file),
        sess_options=opts,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=list(DISABLED_OPTIMIZERS),
    )


class OnnxSentenceModel:
    """Tokenizer -> ONNX Runtime session -> pooling -> normalisation; ``encode`` returns
    float32 rows like ``SentenceTransformer.encode(normalize_embeddings=True)``.

    ``threads``: intra-op threads (0 = one per core); None = 1 for batches of at most
    ``SMALL_BATCH`` texts and one per core above (each session made on first use)."""

    def __init__(
        self, model_path: str | Path, onnx_file: str | Path, threads: int | None = None
    ) -> None:
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0 (0 = one per core), got {threads}")
        self.layout = read_layout(model_path)
        self.tokenizer = OnnxTokenizer(model_path, self.layout)
        self.onnx_file = Path(onnx_file)
        if not self.onnx_file.is_file():
            raise FileNotFoundError(f"no ONNX model at {self.onnx_file}")
        self.threads = threads
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._session(1 if threads is None else threads)  # fail now on a broken file

    def _session(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._sessions:
                self._sessions[threads] = make_session(self.onnx_file, threads)
            return self._sessions[threads]

    def threads_for(self, n_texts: int) -> int:
        if self.threads is not None:
            return self.threads
        return 1 if n_texts <= SMALL_BATCH else 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            raise ValueError("texts is empty")
        session = self._session(self.threads_for(len(texts)))
        if len(texts) <= RUN_TEXTS:
            return self._run(session, texts)
        return np.concatenate(
            [self._run(session, texts[i : i + RUN_TEXTS]) for i in range(0, len(texts), RUN_TEXTS)]
        )

    def _run(self, session: Any, texts: Sequence[str]) -> NDArray[np.float32]:
        feed = self.tokenizer(texts)
        names = [i.name for i in session.get_inputs()]
        tokens = session.run(None, {k: feed[k] for k in names})[0]
        vecs = pool(np.asarray(tokens), feed["attention_mask"], self.layout.pooling)
        return np.asarray(unit_rows(vecs) if self.layout.normalize else vecs, dtype=np.float32)
