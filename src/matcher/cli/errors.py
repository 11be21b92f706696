"""One place where a ``matcher`` command's error becomes one clear line on stderr.

``MatcherGroup`` is the Typer group class of the whole app (``typer.Typer(cls=MatcherGroup)``):
it runs the chosen command and turns the project's expected errors (a missing file or folder,
a table that breaks the data contract, an invalid brief or config, a corrupt or unresolvable
model) into ``error: <message>`` and exit status 2, with no traceback. Anything else is a bug or
an environment problem: a short ``error: <Type>: <message>`` line, the hint to rerun with
``-v``, and exit status 1. With ``-v``/``--verbose`` the traceback is printed as well.
Click's own exits (``typer.Exit``, usage errors, Ctrl-C) pass through untouched.
"""

from __future__ import annotations

import traceback
from typing import Any

import click
import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from matcher.cli import common

# Typer's exits and its (vendored) click's usage errors, and those of the click package
_PASS_THROUGH = (
    typer.Exit,
    typer.Abort,
    typer.TyperException,
    click.exceptions.Exit,
    click.exceptions.Abort,
    click.ClickException,
)
USAGE_EXIT = 2  # bad input: a path, a file's content, an option's value
BUG_EXIT = 1  # an unexpected exception


def _expected_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean "your input is wrong" (imported lazily: MLflow is heavy)."""
    from matcher.online.db import DB_ERRORS

    types: list[type[BaseException]] = [OSError, ValueError, *DB_ERRORS, UnicodeError]
    try:
        from matcher.lifecycle.store import ModelResolutionError

        types.append(ModelResolutionError)
    except ImportError:  # pragma: no cover  (mlflow not installed)
        pass
    try:
        import yaml

        types.append(yaml.YAMLError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


def _os_message(e: OSError) -> str:
    """``[Errno 2] No such file or directory: 'x'`` -> ``no such file or directory: x``."""
    if e.strerror and e.filename is not None and str(e).startswith("[Errno"):
        where = f"{e.filename} -> {e.filename2}" if e.filename2 is not None else str(e.filename)
        return f"{e.strerror[:1].lower()}{e.strerror[1:]}: {where}"
    return str(e)


def message_for(e: BaseException) -> str:
    """The line shown for an expected error: what is wrong, naming the file or field."""
    if isinstance(e, ValidationError):
        from matcher.schemas import error_text

        return f"invalid {e.title}: {error_text(e)}"
    if isinstance(e, OSError):
        return _os_message(e)
    return str(e).strip() or type(e).__name__


def report(e: BaseException, verbose: bool) -> int:
    """Print ``e`` as an error line (and its traceback when ``verbose``); return the exit code."""
    expected = isinstance(e, _expected_types())
    if verbose:
        common.console.print(
            "".join(traceback.format_exception(e)),
            end="",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if expected:
        common.error_line(message_for(e))
        return USAGE_EXIT
    hint = "" if verbose else " (run the command again with -v for the traceback)"
    common.error_line(f"{type(e).__name__}: {str(e).strip() or 'no message'}{hint}")
    return BUG_EXIT


class MatcherGroup(TyperGroup):
    """The app's group: every command (and sub-group) runs inside ``invoke``, so errors are
    reported the same way everywhere."""

    def invoke(self, ctx: Any) -> Any:
        common.reset_state()
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as e:  # noqa: BLE001  (reported, then a non-zero exit)
            raise typer.Exit(code=report(e, common.is_verbose())) from e
