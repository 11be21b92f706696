"""Model lifecycle commands for the ``matcher`` CLI: promote, runs, tune, export.

Thin: parse, build config, call one function in ``matcher.lifecycle.promotion`` / ``runs`` /
``registry`` or ``matcher.training.tuning``, print. ``register(app)`` adds them to the main Typer app.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from matcher.cli.common import Verbose, console, fail, out, setup_logging

if TYPE_CHECKING:
    from matcher.config import TrackingConfig

logger = logging.getLogger(__name__)


TrackingUri = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow store; default $MLFLOW_TRACKING_URI, else sqlite:///./mlflow.db.",
    ),
]


def _tracking(uri: str | None) -> TrackingConfig:
    from matcher.config import TrackingConfig

    return TrackingConfig(uri=uri)


def _fmt(v: object, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def promote(
    data: Annotated[
        Path | None,
        typer.Option(
            help="Market folder holding the held-out briefs (default: the challenger's data_dir)."
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(help="Allowed drop of the primary metric (default 0.01).", min=0.0),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if the gate fails (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why (recorded in MLflow with your user name).")
    ] = None,
    fail_on_reject: Annotated[
        bool,
        typer.Option("--fail-on-reject", help="Exit with code 1 when the gate rejects (for CI)."),
    ] = False,
    version: Annotated[
        int | None,
        typer.Option(help="Candidate version instead of the challenger alias (e.g. a rollback)."),
    ] = None,
    tracking_uri: TrackingUri = None,
    verbose: Verbose = False,
) -> None:
    """Compare challenger vs champion on the same held-out briefs; move `champion` if the gate passes."""
    setup_logging(verbose)
    from matcher.lifecycle.promotion import promote as run_promotion
    from matcher.lifecycle.store import ModelResolutionError

    try:
        r = run_promotion(
            _tracking(tracking_uri),
            data_dir=data,
            tolerance=tolerance,
            force=force,
            reason=reason,
            progress=verbose,
            version=version,
        )
    except (ModelResolutionError, FileNotFoundError, ValueError) as e:
        fail(e)
    if not r.comparison.empty:
        t = Table(
            title=f"candidate v{r.challenger_version} vs champion v{r.champion_version}: "
            f"{r.n_briefs} held-out briefs, {r.gate.view} view (paired, 95% bootstrap CI)"
        )
        for c in (
            "metric",
            "champion",
            "challenger",
            "diff",
            "95% CI",
            "p (Wilcoxon)",
            "win/tie/loss",
            "n",
        ):
            t.add_column(c, justify="left" if c == "metric" else "right")
        for row in r.comparison.to_dict("records"):
            name = f"[bold]{row['metric']}[/] (gate)" if row["primary"] else row["metric"]
            t.add_row(
                name,
                _fmt(row["mean_a"]),
                _fmt(row["mean_b"]),
                f"{row['mean_diff']:+.4f}",
                f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}]",
                _fmt(row["p_value"], 3),
                f"{row['wins']}/{row['ties']}/{row['losses']}",
                str(row["n"]),
            )
        out.print(t)
    colour = {"promoted": "green", "rejected": "red"}.get(r.decision, "yellow")
    out.print(
        f"[bold {colour}]{r.decision.upper()}[/]: {r.message}"
        + (f" (MLflow run {r.run_id})" if r.run_id else "")
    )
    if r.decision == "rejected" and fail_on_reject:
        raise typer.Exit(code=1)


def runs(
    n: Annotated[int, typer.Option("--n", help="How many runs, newest first.", min=1)] = 10,
    kind: Annotated[
        str | None, typer.Option(help="Only runs of this kind: train, promotion, tune, tune-trial.")
    ] = None,
    tracking_uri: TrackingUri = None,
    verbose: Verbose = False,
) -> None:
    """List recent MLflow runs with their key metrics."""
    setup_logging(verbose)
    from matcher.lifecycle.runs import list_runs
    from matcher.lifecycle.store import ModelResolutionError

    try:
        df = list_runs(n=n, kind=kind, tracking=_tracking(tracking_uri))
    except ModelResolutionError as e:
        fail(e)
    if df.empty:
        console.print("no runs yet (matcher train logs one)")
        return
    t = Table(title="Recent runs (metrics on held-out briefs)")
    cols = {
        "run_id": "run",
        "started": "started",
        "kind": "kind",
        "status": "status",
        "version": "version",
        "seed": "seed",
        "logged.model.ndcg_at_10": "ndcg@10",
        "logged.cosine.ndcg_at_10": "cosine",
        "catalogue.model.ndcg_at_10": "ndcg@10 (catalogue)",
        "decision": "decision",
        "data_sha256": "data",
        "git_commit": "git",
    }
    cols = {c: label for c, label in cols.items() if df[c].notna().any() or c in ("run_id", "kind")}
    for c, label in cols.items():
        t.add_column(
            label,
            justify="right" if c.startswith(("logged.", "catalogue.")) else "left",
            no_wrap=c in ("run_id", "started"),
        )
    for row in df.to_dict("records"):
        t.add_row(
            *[
                (
                    _fmt(row[c])[:8]
                    if c in ("run_id", "data_sha256", "git_commit")
                    else row[c].strftime("%m-%d %H:%M")
                    if c == "started"
                    else _fmt(row[c])
                )
                for c in cols
            ]
        )
    out.print(t)


def tune(
    trials: Annotated[int, typer.Option(help="Number of optuna trials.", min=1)] = 20,
    data: Annotated[
        Path | None, typer.Option(help="Market folder (overrides the config's data_dir).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Base YAML config (training/configs/default.yaml).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override the base config, e.g. --set seed=1")
    ] = None,
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the best config.")] = Path(
        "training/configs/tuned.yaml"
    ),
    metric: Annotated[
        str, typer.Option(help="Validation metric to maximise (logged view).")
    ] = "ndcg@10",
    timeout: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    track: Annotated[
        bool, typer.Option(help="Log the search (one run, a nested run per trial).")
    ] = True,
    tracking_uri: TrackingUri = None,
    verbose: Verbose = False,
) -> None:
    """Search ranker hyper-parameters on the validation briefs; write the best config as YAML."""
    setup_logging(verbose)
    if not verbose:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    from matcher.training.run import build_config
    from matcher.training.tuning import tune as run_tuning

    try:
        cfg = build_config(config, overrides=set_ or [], data_dir=data)
    except ValueError as e:
        fail(e)
    try:
        r = run_tuning(
            cfg,
            n_trials=trials,
            out_path=out_path,
            tracking=_tracking(tracking_uri),
            track=track,
            progress=verbose,
            metric=metric,
            timeout=timeout,
        )
    except (FileNotFoundError, ValueError) as e:
        fail(e)
    t = Table(title=f"Best of {len(r.trials)} trials: validation {metric} = {r.best_value:.4f}")
    t.add_column("parameter")
    t.add_column("value", justify="right")
    for k, v in r.best_params.items():
        t.add_row(k, _fmt(v))
    out.print(t)
    out.print(
        f"wrote {r.config_path}; train with: matcher train --config {r.config_path}"
        + (f" (MLflow run {r.run_id})" if r.run_id else "")
    )


def export(
    alias: Annotated[str, typer.Option(help="Registry alias to export.")] = "champion",
    version: Annotated[
        int | None, typer.Option(help="Export this version instead of the alias.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder; the model goes to <out>/<alias> (or v<N>, or the --model folder's "
            "name). Default: models (with --model: the folder itself, rewritten in place).",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="A saved pipeline folder (any format this matcher reads) to write again in the "
            "current format, instead of a registered model.",
        ),
    ] = None,
    tracking_uri: TrackingUri = None,
    verbose: Verbose = False,
) -> None:
    """Write a self-contained copy of a registered model (pipeline + MODEL_INFO.json) for serving,
    or (``--model DIR``) write a saved folder of an older format again in the current one."""
    setup_logging(verbose)
    if model is not None:
        _export_folder(model, out_dir)
        return
    from matcher.lifecycle.registry import export_model
    from matcher.lifecycle.store import ModelResolutionError

    try:
        dest = export_model(
            out_dir or Path("models"),
            alias=alias,
            version=version,
            tracking=_tracking(tracking_uri),
        )
    except ModelResolutionError as e:
        fail(e)
    out.print(f"exported to {dest} (serve it with no MLflow server: MatchPipeline.load('{dest}'))")


def _export_folder(model: Path, out_dir: Path | None) -> None:
    from matcher.ranking.migrations import FORMAT_VERSION, rewrite, saved_version

    if not model.is_dir():
        fail(f"--model {model}: no such folder")
    try:
        before = saved_version(model)
        dest = rewrite(model, None if out_dir is None else out_dir / model.resolve().name)
    except (FileNotFoundError, ValueError) as e:  # CorruptModelError, UnsupportedFormatError
        fail(e)
    out.print(f"wrote {dest} (format {before} -> {FORMAT_VERSION})")


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to the main ``matcher`` app."""
    for fn in (promote, runs, tune, export):
        app.command(fn.__name__)(fn)
