"""``matcher catalogue``: refresh a saved model's catalogue from new tables without retraining
(``update``), list its versions (``list``) and delete old ones (``prune``). What is recomputed
and how the service picks a new version up: docs/catalogue_refresh.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.common import AsJson, Verbose, console, fail, out, setup_logging

ModelDir = Annotated[
    Path,
    typer.Option(
        "--model", help="Saved pipeline folder (format 3: catalogue versions under catalogues/)."
    ),
]


def _model_dir(model: Path) -> Path:
    if not model.is_dir():
        fail(f"--model: model folder {model} does not exist")
    if not (model / "pipeline.json").is_file():
        fail(f"--model: {model} is not a saved model (no pipeline.json)")
    return model


def update(
    model: ModelDir,
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Folder with influencers.csv|parquet (required) and posts.csv|parquet: the whole "
            "current catalogue (creators missing from it are dropped).",
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Only count what would change; embed and write nothing."),
    ] = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Embed only new or changed creators, drop removed ones, and publish the result as a new
    catalogue version of the model (a running service swaps to it without restarting)."""
    setup_logging(verbose)
    from matcher.data.io import load_catalogue
    from matcher.ranking.catalogue_update import update_catalogue

    model = _model_dir(model)
    influencers, posts = load_catalogue(data)  # validated: errors name file, line and column
    report = update_catalogue(model, influencers, posts, dry_run=dry_run, progress=not as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str))
        return
    counts = (
        f"{report.added:,} added, {report.changed:,} changed, {report.removed:,} removed, "
        f"{report.unchanged:,} unchanged"
    )
    secs = report.seconds.get("total", 0.0)
    if report.dry_run:
        out.print(
            f"dry run: {counts}; would embed {report.texts_to_embed:,} texts "
            f"(snapshot {report.snapshot_at}{', moved' if report.snapshot_moved else ''})"
        )
    elif report.version is None:
        out.print(f"nothing changed ({counts}); catalogue {report.parent} stays current")
    else:
        out.print(
            f"catalogue {report.version} published (parent {report.parent}): {counts}; "
            f"{report.texts_embedded:,} texts embedded; {secs:.1f}s"
        )
    if report.stats_changed or report.snapshot_moved:
        console.print(
            f"[dim]post statistics recomputed for every creator (snapshot {report.snapshot_at})[/]"
        )


def list_versions(model: ModelDir, as_json: AsJson = False, verbose: Verbose = False) -> None:
    """The model's catalogue versions, oldest first, and which one is current."""
    setup_logging(verbose)
    from matcher.ranking.catalogue_update import describe_versions

    rows = describe_versions(_model_dir(model))
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    t = Table(title=f"{len(rows)} catalogue version(s) of {model}")
    for col in ("version", "current", "parent", "created_at", "creators", "posts", "snapshot"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["version"],
            "*" if r["current"] else "",
            r["parent"] or "-",
            str(r["created_at"] or "-"),
            f"{r['n_creators']:,}" if r["n_creators"] is not None else "-",
            f"{r['n_posts']:,}" if r["n_posts"] is not None else "-",
            str(r["snapshot_at"] or "-"),
        )
    out.print(t)


def prune(
    model: ModelDir,
    keep: Annotated[
        int,
        typer.Option(
            "--keep",
            min=1,
            help="Versions to keep: the current one and the newest others (rollback targets).",
        ),
    ] = 3,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be deleted.")
    ] = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Delete old catalogue versions of a model: all but the current one and the newest
    ``--keep`` - 1 others. Waits for no one: refused while an update is running."""
    setup_logging(verbose)
    from dataclasses import asdict

    from matcher.ranking.catalogue_update import CatalogueUpdateError, prune_versions

    try:
        report = prune_versions(_model_dir(model), keep, dry_run=dry_run)
    except CatalogueUpdateError as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(asdict(report)))
        return
    verb = "would delete" if report.dry_run else "deleted"
    gone = ", ".join(report.removed) or "nothing"
    out.print(
        f"{verb} {len(report.removed)} version(s) ({report.freed_bytes / 2**20:,.1f} MB): {gone}; "
        f"kept {', '.join(report.kept)} (current {report.current})"
    )


def register(app: typer.Typer) -> None:
    """Add the ``catalogue`` command group to the main ``matcher`` app."""
    group = typer.Typer(
        no_args_is_help=True,
        help="A model's catalogue versions: update incrementally from new tables, list, prune.",
    )
    app.add_typer(group, name="catalogue")
    group.command("update")(update)
    group.command("list")(list_versions)
    group.command("prune")(prune)
