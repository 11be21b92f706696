"""What every ``matcher`` command shares: the two consoles, logging set-up, the error exit,
the common options, reading a brief file and loading the model a command ranks with.
The ``matcher.cli`` modules import it; nothing else does."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline
    from matcher.schemas import Brief

console = Console(stderr=True)  # progress, warnings, errors
out = Console(width=None if sys.stdout.isatty() else 160)  # results; no truncated columns in logs

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]

CHAMPION = "champion"  # the registry alias ``match`` and ``plan`` rank with by default
CHAMPION_EXPORT = (
    "models/champion"  # ``matcher export``'s copy: used when the registry cannot answer
)
ModelRef = Annotated[
    str,
    typer.Option(
        "--model",
        help="Saved pipeline folder, registry alias or version ('challenger', '3') or models:/ URI. "
        f"Default: the registry's champion (its export in {CHAMPION_EXPORT} if the registry "
        "cannot answer).",
    ),
]

_state = {"verbose": False}  # set by setup_logging: ``errors.MatcherGroup`` prints tracebacks then


def reset_state() -> None:
    _state["verbose"] = False


def is_verbose() -> bool:
    return _state["verbose"]


def setup_logging(verbose: bool) -> None:
    _state["verbose"] = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on itself at import


def error_line(msg: str) -> None:
    """``error: msg`` on stderr, unwrapped, the message never read as rich markup."""
    console.print(f"[bold red]error:[/] {escape(msg)}", soft_wrap=True, highlight=False)


def fail(msg: str | Exception) -> NoReturn:
    """Print one error line naming what is wrong and exit with status 2 (no stack trace). An
    exception is worded as ``cli.errors`` words it (a pydantic error as ``field: message``)."""
    if isinstance(msg, Exception):
        from matcher.cli.errors import message_for

        msg = message_for(msg)
    error_line(msg)
    raise typer.Exit(code=2)


def read_brief(brief_file: Path | None, text: str | None) -> Brief:
    """The brief of ``--brief-file`` (JSON) or ``--text``; an error names the file and the field."""
    from pydantic import ValidationError

    from matcher import schemas as S

    if (brief_file is None) == (text is None):
        fail("give exactly one of --brief-file or --text")
    if brief_file is None:
        try:
            return S.Brief(text=text or "")
        except ValidationError as e:
            fail(f"invalid brief: {S.error_text(e, prefix='--')}")
    try:
        raw = brief_file.read_bytes()
    except OSError as e:
        fail(f"cannot read the brief file {brief_file}: {e.strerror or e}")
    try:
        json.loads(raw)  # the standard library's syntax errors say where (line, column)
    except json.JSONDecodeError as e:
        fail(f"{brief_file} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
    except UnicodeDecodeError as e:
        fail(f"{brief_file} is not UTF-8 text: {e}")
    try:
        return S.Brief.model_validate_json(raw)  # JSON mode, as the service validates a body
    except ValidationError as e:
        fail(f"invalid brief in {brief_file}: {S.error_text(e)}")


def _is_folder_ref(ref: str) -> bool:
    """The same test as ``lifecycle.registry.parse_ref``, without importing MLflow."""
    if ref.startswith("models:/"):
        return False
    return Path(ref).exists() or os.sep in ref or ref.startswith(".")


def load_model(ref: str) -> MatchPipeline:
    """The pipeline ``--model`` names: a folder is loaded as is; anything else is resolved in the
    MLflow registry as the service does (``resolve_pipeline``), the champion falling back to its
    exported copy. A dim line on stderr says which model a registry reference became."""
    from matcher.ranking.manifest import CorruptModelError
    from matcher.ranking.pipeline import MatchPipeline

    if _is_folder_ref(ref):
        try:
            return MatchPipeline.load(Path(ref))
        except CorruptModelError as e:  # its message names the file inside the folder only
            fail(f"the model in {ref} is corrupt: {e}")
    from matcher.lifecycle.registry import resolve_pipeline
    from matcher.lifecycle.store import ModelResolutionError

    try:
        loaded = resolve_pipeline(ref, fallback_dir=CHAMPION_EXPORT if ref == CHAMPION else None)
    except ModelResolutionError as e:
        cause = e.__cause__ or e
        if ref == CHAMPION:
            fail(
                f"no champion model yet: {cause}. Train and promote one first (matcher train --data DIR, "
                "then matcher promote) or pass --model FOLDER"
            )
        fail(f"cannot resolve model {ref!r}: {cause}")
    i = loaded.info
    via = f" (exported copy: {i.fallback_reason})" if i.fallback_reason else ""
    console.print(
        f"[dim]model: {escape(i.name)} version {escape(i.version)} from {escape(i.source or ref)}"
        f"{escape(via)}[/]",
        soft_wrap=True,
        highlight=False,
    )
    return loaded.pipeline
