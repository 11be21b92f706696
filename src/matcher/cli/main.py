"""The ``matcher`` command line: thin commands that parse, build config and call one function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from matcher.cli import ab, keys, lifecycle
from matcher.cli import catalogue as catalogue_cli
from matcher.cli import db as db_cli
from matcher.cli import encoder as encoder_cli
from matcher.cli import plan as plan_cli
from matcher.cli.common import (
    CHAMPION,
    AsJson,
    ModelRef,
    Verbose,
    console,
    fail,
    out,
    setup_logging,
)
from matcher.cli.errors import MatcherGroup

app = typer.Typer(
    cls=MatcherGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Match brands to micro-influencers.",
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matcher")
    except PackageNotFoundError:  # running from a source tree that was never installed
        from matcher import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"matcher {_version()}")
        raise typer.Exit()


@app.callback()
def _app_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    pass


def _print_matches(matches: list[Any], title: str) -> None:
    t = Table(title=title, show_lines=False)
    for col in (
        "#",
        "handle",
        "platform",
        "followers",
        "fit",
        "exp. ER (80% int.)",
        "exp. eng.",
        "cost $",
        "interests",
        "why",
    ):
        t.add_column(col, overflow="fold")
    for m in matches:
        e = m.expected_engagement
        t.add_row(
            str(m.rank),
            m.handle,
            m.platform,
            f"{m.followers:,}",
            f"{m.fit_score:.2f}",
            f"{100 * e.rate:.2f}% ({100 * e.rate_low:.2f}-{100 * e.rate_high:.2f})",
            f"{e.engagements:,.0f}",
            f"{m.estimated_cost_usd:,.0f}{'*' if m.cost_is_estimate else ''}",
            ", ".join(m.interests),
            "; ".join(m.reasons),
        )
    out.print(t)
    out.print(
        "[dim]* estimated fee (creator's own price unknown). ER = (likes+comments)/followers per sponsored post.[/]"
    )


def print_evaluation(result: Any) -> None:
    for view in dict.fromkeys(result.summary["view"]) if len(result.summary) else ():
        tab = result.table(view)
        if tab.empty:
            continue
        t = Table(
            title=f"Evaluation, {view} view (mean over held-out briefs; medr = median rank of first relevant)"
        )
        t.add_column("system")
        for c in tab.columns:
            t.add_column(c, justify="right")
        for system, row in tab.iterrows():
            t.add_row(
                str(system),
                *[
                    ("-" if v != v else f"{v:.3f}" if c != "medr" else f"{v:.0f}")
                    for c, v in row.items()
                ],
            )
        out.print(t)
    print_segments(result)


_SEGMENT_LABELS = {
    "brief_language": "brief lang",
    "creator_language": "creator lang",
    "completeness": "data",
}


def print_segments(result: Any, metric: str = "ndcg@10") -> None:
    """Model vs cosine per segment and view: a regression confined to one language or to
    creators without posts shows here, not in the overall table."""
    tab = result.segment_table(metric, ("model", "cosine"))
    if tab.empty:
        return
    views = list(dict.fromkeys(v for v, _ in tab.columns))
    t = Table(title=f"{metric} by segment: model / cosine (n = briefs with a defined value)")
    t.add_column("segment", no_wrap=True)
    for view in views:
        t.add_column(view, justify="right", no_wrap=True)
        t.add_column("n", justify="right")

    def num(v: float) -> str:
        return "-" if v != v else f"{v:.3f}"

    for (seg_type, seg), row in tab.iterrows():
        cells = [
            (
                f"{num(row[(v, 'model')])} / {num(row[(v, 'cosine')])}",
                "0"
                if row[(v, "n_briefs")] != row[(v, "n_briefs")]
                else f"{row[(v, 'n_briefs')]:.0f}",
            )
            for v in views
        ]
        t.add_row(
            f"{_SEGMENT_LABELS.get(seg_type, seg_type)}: {seg}",
            *[c for pair in cells for c in pair],
        )
    out.print(t)


@app.command()
def simulate(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the market tables to.")
    ] = Path("data/market"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    influencers: Annotated[int, typer.Option(help="Number of creators.", min=10)] = 3000,
    briefs: Annotated[int, typer.Option(help="Number of campaign briefs.", min=10)] = 2000,
    verbose: Verbose = False,
) -> None:
    """Simulate a synthetic influencer market (tables + hidden truth for the oracle)."""
    setup_logging(verbose)
    from matcher.simulator.market import MarketConfig, simulate_market, write_market

    market = simulate_market(MarketConfig(n_influencers=influencers, n_briefs=briefs, seed=seed))
    write_market(market, out_dir)
    console.print(
        f"wrote {len(market.influencers):,} influencers, {len(market.posts):,} posts, "
        f"{len(market.briefs):,} briefs, {len(market.outcomes):,} outcomes to {out_dir}"
    )


@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option(help="Market folder (overrides the config's data_dir).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to save the pipeline.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML config (training/configs/default.yaml).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override, e.g. --set ranker.num_leaves=63")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (overrides the config).")] = None,
    track: Annotated[
        bool, typer.Option(help="Log the run to MLflow and register the model.")
    ] = True,
    register: Annotated[
        bool, typer.Option(help="Register a new version of the model (sets alias challenger).")
    ] = True,
    feedback: Annotated[
        Path | None,
        typer.Option(help="Serving request log (SQLite) whose feedback is merged into outcomes."),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Train the pipeline (load -> split -> embed -> features -> fit -> evaluate -> log -> register)."""
    setup_logging(verbose)
    from matcher.online.to_training import load_training_tables
    from matcher.training.run import build_config, run

    try:
        cfg = build_config(config, overrides=set_ or [], data_dir=data, out_dir=out_dir, seed=seed)
    except ValueError as e:
        fail(e)
    tables, stats = load_training_tables(cfg.data_dir, feedback)
    result = run(cfg, track=track, register=register, tables=tables, data_stats=stats)
    print_evaluation(result.evaluation)
    from matcher.training.small_data import training_size_note

    note, low = training_size_note(result.pipeline.metadata)
    console.print(f"[yellow]warning:[/yellow] {note}" if low else note)
    console.print(
        f"saved pipeline to {result.model_dir}"
        + (f"; MLflow run {result.run_id}" if result.run_id else "")
        + (f"; registered version {result.version} (alias challenger)" if result.version else "")
    )


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="Market folder.")] = Path("data/market"),
    model: Annotated[Path, typer.Option(help="Saved pipeline folder.")] = Path("models/latest"),
    as_json: AsJson = False,
    plot: Annotated[Path | None, typer.Option(help="Write the comparison plot (PNG) here.")] = None,
    verbose: Verbose = False,
) -> None:
    """Evaluate a saved pipeline on the held-out (latest) briefs, against baselines and the oracle."""
    setup_logging(verbose)
    from matcher.ranking.manifest import CorruptModelError
    from matcher.training.run import evaluate_saved

    try:
        result = evaluate_saved(data, model, progress=not as_json)
    except CorruptModelError as e:  # its message names the file inside the folder only
        fail(f"the model in {model} is corrupt: {e}")
    if plot:
        from matcher.evaluation.plots import plot_system_comparison

        plot_system_comparison(result.summary, plot)
    if as_json:
        typer.echo(
            json.dumps(
                {"metrics": result.metrics(), "segments": result.segment_metrics()}, indent=2
            )
        )
    else:
        print_evaluation(result)


@app.command()
def match(
    model: ModelRef = CHAMPION,
    brief_file: Annotated[
        Path | None, typer.Option(help="A brief as JSON (see README: Brief).")
    ] = None,
    text: Annotated[str | None, typer.Option(help="Brief text (targeting defaults apply).")] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Rank the influencers/posts tables in this folder instead.")
    ] = None,
    k: Annotated[int, typer.Option(help="How many matches.", min=1, max=100)] = 10,
    interest: Annotated[
        list[str] | None,
        typer.Option(
            "--interest",
            help="IAB Content Taxonomy topic the brand wants: name, path ('Food & Drink > Vegan "
            "Diets') or id. Repeatable; added to the brief file's.",
        ),
    ] = None,
    strict_interests: Annotated[
        bool,
        typer.Option(
            "--strict-interests",
            help="Only creators with one of the interests (or a topic under one).",
        ),
    ] = False,
    exclude_interest: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-interest",
            help="IAB Content Taxonomy topic whose creators are never shown. Repeatable.",
        ),
    ] = None,
    exclude_category: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-category",
            help="Brand safety: IAB Ad Product category ('Alcohol', 'Gambling') that must "
            "not appear in a creator's content. Repeatable.",
        ),
    ] = None,
    like: Annotated[
        list[str] | None,
        typer.Option(
            "--like",
            help="Handle of an example creator the brand likes ('@handle'): its profile joins the brief "
            "text as the query. Repeatable; added to the brief file's.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the matches as JSON.")] = False,
    verbose: Verbose = False,
) -> None:
    """Rank influencers for one brief (with the champion model unless --model names another)."""
    setup_logging(verbose)
    from pydantic import ValidationError

    from matcher import schemas as S
    from matcher.cli.common import load_model, read_brief
    from matcher.data.io import DataValidationError, load_catalogue

    brief = read_brief(brief_file, text)
    topics = {
        S.INTERESTS: interest or [],
        S.EXCLUDED_INTERESTS: exclude_interest or [],
        S.EXCLUDED_CATEGORIES: exclude_category or [],
    }
    try:
        if like:  # example creators add to the brief's
            brief = S.Brief.model_validate({**brief.model_dump(), S.LIKE: [*brief.like, *like]})
        if strict_interests or any(topics.values()):  # the options add to what the brief says
            data = brief.model_dump()
            data.update({f: [*data[f], *extra] for f, extra in topics.items()})
            data[S.STRICT_INTERESTS] = data[S.STRICT_INTERESTS] or strict_interests
            brief = S.Brief.model_validate(data)
    except ValidationError as e:
        fail(f"invalid brief: {S.error_text(e)}")
    pipe = load_model(model)  # a missing or corrupt model: one error line (cli.errors)
    if catalog is not None:
        try:
            inf, posts = load_catalogue(catalog)
        except (DataValidationError, FileNotFoundError) as e:
            fail(e)
        pipe = pipe.with_catalogue(inf, posts)
    from matcher.ranking.examples import UnknownExampleError

    try:
        rec = pipe.recommend(brief, k=k)
    except UnknownExampleError as e:
        fail(e)
    if as_json:
        typer.echo(json.dumps([m.model_dump() for m in rec.matches], indent=2))
        return
    for ex in rec.excluded:
        console.print(f"[yellow]brand safety[/]: {ex.reason()}")
    if not rec.matches:
        console.print(f"no matches: {rec.reason}")
        return
    _print_matches(
        rec.matches, f"Top {len(rec.matches)} of {rec.n_candidates:,} creators passing the filters"
    )


# the command groups after the core commands (``matcher --help`` lists them in this order)
ab.register(app)
lifecycle.register(app)
keys.register(app)
db_cli.register(app)  # matcher db upgrade|current (issue 15)
plan_cli.register(app)  # matcher plan (issue 11)
catalogue_cli.register(app)  # matcher catalogue update|list (issue 12)
encoder_cli.register(app)  # matcher encoder export (issue 12)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
