"""Export a sentence-transformers folder's transformer to ONNX and quantise it to int8, locally
(nothing is downloaded); ``ranking.onnx_encoder`` runs the result.

``torch.onnx.export`` with the TorchScript exporter (``dynamo=False``: the dynamo exporter
needs ``onnxscript``, not installed), checked against torch on a few texts, then
``onnxruntime.quantization.quantize_dynamic``: int8 weights per output channel, MatMuls with a
constant weight only. Per-tensor scales, or also quantising the attention's activation x
activation MatMuls, lowered the mean cosine to the torch vectors from 0.991 to ~0.95
(docs/encoder.md). The result is cached as ``<onnx_dir>/<model-id>/model_<weights>.onnx`` next
to a ``.json`` saying how it was made; both are written under a temporary name and renamed,
under an exclusive ``flock``, so concurrent processes export once and never read half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.onnx_encoder import (
    INPUT_NAMES,
    OnnxSentenceModel,
    OnnxTokenizer,
    pool,
    read_layout,
)
from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)

WeightType = Literal["qint8", "quint8"]
WEIGHT_TYPES: tuple[WeightType, ...] = ("qint8", "quint8")
DEFAULT_WEIGHT_TYPE: WeightType = "qint8"  # u8 x s8 kernels (VNNI); quint8 measured slower
# Bumped when the export recipe changes, so cached files made the old way are made again.
# 2: eager attention (below).
EXPORT_RECIPE = 2
OPSET = 17
# The attention transformers traces: "eager" (matmul, mask add, softmax) rather than its default
# "sdpa", whose traced mask handling adds IsNaN/Where and a shape subgraph per layer (801 nodes
# against 648 after quantisation): one brief 4.3-4.5 vs 4.7-4.8 ms, the same closeness to torch
# (docs/encoder.md). The fp32 check below holds either way (cosine 1.000000).
ATTENTION = "eager"
# The fp32 export must reproduce torch before it is quantised (float rounding only).
EXPORT_CHECK_MIN_COSINE = 0.9999
_CHECK_TEXTS = (
    "vegan protein bars for runners",
    "Daily makeup tutorials and skincare for oily skin, collabs: DM",
    "Hola! Recetas fáciles cada semana #cocina",
    "",
)


def onnx_file(onnx_dir: str | Path, model_id: str, weight_type: WeightType) -> Path:
    """Where the quantised export of ``model_id`` lives."""
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(f"weight_type must be one of {WEIGHT_TYPES}, got {weight_type!r}")
    return Path(onnx_dir) / model_id / f"model_{weight_type}.onnx"


def export_settings(weight_type: WeightType) -> dict[str, Any]:
    """How a file is made; a cached file made otherwise is exported again."""
    return {
        "recipe": EXPORT_RECIPE,
        "opset": OPSET,
        "attention": ATTENTION,
        "weight_type": weight_type,
        "per_channel": True,
        "op_types": ["MatMul"],
        "matmul_const_b_only": True,
    }


def ensure_exported(
    model_path: str | Path,
    onnx_dir: str | Path,
    model_id: str,
    weight_type: WeightType = DEFAULT_WEIGHT_TYPE,
    force: bool = False,
) -> Path:
    """The quantised ONNX file of the model folder, exported on first use (once across
    processes: the second waits on the lock, then finds the file)."""
    target = onnx_file(onnx_dir, model_id, weight_type)
    if not force and _is_current(target, weight_type):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / ".lock"):
        if not force and _is_current(target, weight_type):
            return target
        logger.info("exporting %s to ONNX (%s) at %s", model_path, weight_type, target)
        meta = _export(Path(model_path), target, weight_type)
        _write_atomic(target.with_suffix(".json"), json.dumps(meta, indent=2).encode())
    return target


def _is_current(target: Path, weight_type: WeightType) -> bool:
    meta = target.with_suffix(".json")
    if not (target.exists() and meta.exists()):
        return False
    try:
        return json.loads(meta.read_text()).get("settings") == export_settings(weight_type)
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime's quantiser logs every skipped tensor at INFO (and a pre-processing hint at
    WARNING) on the root logger: hold those back while it runs."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


_EXPORT_LOCK = threading.Lock()  # torch.onnx.export is not re-entrant within a process


def _export(model_path: Path, target: Path, weight_type: WeightType) -> dict[str, Any]:
    """fp32 export, checked against torch, then quantised; both written next to ``target``."""
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    layout = read_layout(model_path)
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights 103/103" bar: one item of work
    try:
        model = AutoModel.from_pretrained(str(model_path), attn_implementation=ATTENTION).eval()
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()

    class _Tokens(torch.nn.Module):  # the transformer's last hidden state, nothing else
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    wrapper = _Tokens().eval()  # eval: export restores the wrapper's mode, and train = dropout
    tok = OnnxTokenizer(model_path, layout)
    sample = tok(list(_CHECK_TEXTS))
    args = tuple(torch.from_numpy(sample[k]) for k in INPUT_NAMES)
    with torch.no_grad():
        ref = unit_rows(pool(wrapper(*args).numpy(), sample["attention_mask"], layout.pooling))
    axes = {k: {0: "batch", 1: "tokens"} for k in (*INPUT_NAMES, "token_embeddings")}
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        quant = Path(tmp) / target.name
        # tracer and deprecation warnings: the result is checked against torch below
        with _EXPORT_LOCK, torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                args,
                str(fp32),
                input_names=list(INPUT_NAMES),
                output_names=["token_embeddings"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        fp32_cos = _min_cosine(OnnxSentenceModel(model_path, fp32, threads=1), ref)
        if fp32_cos < EXPORT_CHECK_MIN_COSINE:
            raise RuntimeError(
                f"the ONNX export of {model_path} does not reproduce torch "
                f"(cosine {fp32_cos:.6f} < {EXPORT_CHECK_MIN_COSINE})"
            )
        settings = export_settings(weight_type)
        with _quiet_root_logger():
            quantize_dynamic(
                fp32,
                quant,
                weight_type=QuantType.QInt8 if weight_type == "qint8" else QuantType.QUInt8,
                per_channel=settings["per_channel"],
                op_types_to_quantize=settings["op_types"],
                extra_options={"MatMulConstBOnly": settings["matmul_const_b_only"]},
            )
        q_cos = _min_cosine(OnnxSentenceModel(model_path, quant, threads=1), ref)
        os.chmod(quant, 0o644)
        os.replace(quant, target)  # same file system: atomic
    return {
        "model_path": str(model_path),
        "settings": settings,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "check_texts": len(_CHECK_TEXTS),
        "fp32_min_cosine": round(fp32_cos, 6),
        "int8_min_cosine": round(q_cos, 6),
    }


def _min_cosine(model: OnnxSentenceModel, ref: NDArray[np.floating]) -> float:
    got = model.encode(list(_CHECK_TEXTS))
    return float((got * ref).sum(axis=1).min())
