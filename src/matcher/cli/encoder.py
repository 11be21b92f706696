"""``matcher encoder export``: make the int8 ONNX Runtime copy of the sentence-transformer ahead of
time (``ranking.onnx_export``), so no process exports it on first use (the service's start, a
training run). How it is made and what it changes: docs/encoder.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.common import AsJson, Verbose, console, fail, setup_logging


def export(
    onnx_dir: Annotated[
        Path | None,
        typer.Option(
            "--onnx-dir", help="Export cache folder; default $MATCHER_ONNX_DIR or .cache/onnx."
        ),
    ] = None,
    model_path: Annotated[
        Path | None,
        typer.Option(
            "--model-path",
            help="sentence-transformers folder; default the packaged all-MiniLM-L6-v2 "
            "(or $MATCHER_EMBEDDING_MODEL).",
        ),
    ] = None,
    weights: Annotated[
        str,
        typer.Option(
            "--weights", help="int8 weight type: qint8 (the onnx-int8 backend's) or quint8."
        ),
    ] = "qint8",
    force: Annotated[
        bool, typer.Option("--force", help="Export again even when a current copy exists.")
    ] = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Export and quantise the encoder for ONNX Runtime (checked against torch); print where."""
    setup_logging(verbose)
    from matcher.config import EncoderConfig
    from matcher.ranking.embeddings import _model_id
    from matcher.ranking.onnx_export import WEIGHT_TYPES, ensure_exported

    if weights not in WEIGHT_TYPES:
        fail(f"--weights must be one of {', '.join(WEIGHT_TYPES)}, got {weights!r}")
    if model_path is not None and not (model_path / "modules.json").is_file():
        fail(f"--model-path: {model_path} is not a sentence-transformers folder (no modules.json)")
    cfg = EncoderConfig(
        model_path=str(model_path) if model_path else None,
        onnx_dir=str(onnx_dir) if onnx_dir else None,
    )
    path = cfg.resolved_model_path()
    try:
        target = ensure_exported(
            path,
            cfg.resolved_onnx_dir(),
            _model_id(path),
            weights,  # type: ignore[arg-type]  # checked above
            force=force,
        )
    except (OSError, ValueError, RuntimeError) as e:
        fail(e)
    meta = json.loads(target.with_suffix(".json").read_text())
    if as_json:
        typer.echo(json.dumps({"path": str(target), **meta}, indent=2))
        return
    size_mb = target.stat().st_size / 1e6
    console.print(
        f"{target} ({size_mb:.0f} MB, {weights}); cosine to torch on "
        f"{meta['check_texts']} check texts: min {meta['int8_min_cosine']:.4f}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``encoder`` command group to the main ``matcher`` app."""
    group = typer.Typer(
        no_args_is_help=True, help="The text encoder: export its int8 ONNX Runtime copy."
    )
    app.add_typer(group, name="encoder")
    group.command("export")(export)
