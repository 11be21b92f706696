"""What every ``matcher`` command shares: the two consoles, logging set-up, the error exit and
the common options. ``cli.main``, ``cli.lifecycle`` and ``cli.ab`` import it; nothing else does."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

console = Console(stderr=True)  # progress, warnings, errors
out = Console(width=None if sys.stdout.isatty() else 160)  # results; no truncated columns in logs

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on itself at import


def fail(msg: str) -> NoReturn:
    """Print one error line naming what is wrong and exit with status 2 (no stack trace)."""
    console.print(f"[bold red]error:[/] {msg}")
    raise typer.Exit(code=2)
