"""``matcher ab``: offline comparison, experiment reports and simulated traffic (thin commands)."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from matcher.cli.ab_tables import print_offline, print_report
from matcher.cli.common import AsJson, Verbose, fail, out, setup_logging

if TYPE_CHECKING:
    from matcher.lifecycle.loaded import LoadedModel

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENTS_DIR = Path("serving/experiments")
MAX_SIMULATED_REQUESTS = 100_000

Track = Annotated[
    bool, typer.Option("--mlflow/--no-mlflow", help="Log a run with the plots to MLflow.")
]
Seed = Annotated[int, typer.Option(help="Random seed (bootstrap, simulation).")]
NBoot = Annotated[int, typer.Option(help="Bootstrap resamples.", min=100)]


def _publish(
    d: dict[str, Any],
    *,
    plots: Path | None,
    track: bool,
    make_plots: Callable[[Path], list[Path]],
    run_name: str,
    params: dict[str, Any],
    metrics: Callable[[], dict[str, float]],
    as_json: bool,
    show: Callable[[dict[str, Any]], None],
) -> None:
    """Plots (to ``plots``, or a temporary folder when only MLflow wants them), the MLflow run
    (its id goes into ``d``), then ``d`` as JSON or as tables."""
    from matcher.online.report import log_to_mlflow

    with tempfile.TemporaryDirectory(prefix="matcher-ab-") as tmp:
        pdir = plots if plots is not None else (Path(tmp) if track else None)
        files = make_plots(pdir) if pdir is not None else []
        if track:
            d["mlflow_run_id"] = log_to_mlflow(run_name, params, metrics(), files, d)
    if as_json:
        typer.echo(json.dumps(d, indent=2))
    else:
        show(d)


def _resolve(ref: str) -> LoadedModel:
    """A registry alias or version, or a model directory; never the exported champion in its
    place (a fallback would silently compare the champion to itself)."""
    from matcher.lifecycle.registry import resolve_pipeline

    return resolve_pipeline(ref, fallback_dir=None)


def _find_config(name: str) -> Path | None:
    """``serving/experiments/NAME.yaml``, else the file there whose ``name:`` is NAME."""
    import yaml

    direct = DEFAULT_EXPERIMENTS_DIR / f"{name}.yaml"
    if direct.is_file():
        return direct
    for p in sorted(DEFAULT_EXPERIMENTS_DIR.glob("*.y*ml")):
        try:
            if (yaml.safe_load(p.read_text()) or {}).get("name") == name:
                return p
        except (yaml.YAMLError, AttributeError, OSError):
            continue
    return None


def register(app: typer.Typer) -> None:
    """Add the ``ab`` command group to the main ``matcher`` app."""
    ab = typer.Typer(
        no_args_is_help=True,
        help="A/B evaluation: offline comparison, experiment reports, simulated traffic.",
    )
    app.add_typer(ab, name="ab")

    @ab.command()
    def offline(
        a: Annotated[
            str, typer.Option("--a", help="Model A (control): alias, version or model dir.")
        ],
        b: Annotated[str, typer.Option("--b", help="Model B: alias, version or model dir.")],
        data: Annotated[
            Path | None, typer.Option(help="Market folder (default: A's training data).")
        ] = None,
        plots: Annotated[
            Path | None, typer.Option(help="Write the plots (PNG) to this folder.")
        ] = None,
        as_json: AsJson = False,
        track: Track = True,
        n_boot: NBoot = 2000,
        seed: Seed = 0,
        verbose: Verbose = False,
    ) -> None:
        """Both models rank A's held-out briefs: paired differences per metric, overall and per segment."""
        setup_logging(verbose)
        from matcher.evaluation import report
        from matcher.lifecycle.store import metric_key

        try:
            ma, mb = _resolve(a), _resolve(b)
            comp = report.compare_held_out(
                ma.pipeline,
                mb.pipeline,
                data,
                refs=(a, b),
                n_boot=n_boot,
                seed=seed,
                versions=(ma.info.version, mb.info.version),
            )
        except (FileNotFoundError, ValueError, KeyError) as e:
            fail(e)
        _publish(
            comp.to_dict(),
            plots=plots,
            track=track,
            make_plots=lambda pdir: [
                f for v in ("logged", "catalogue") for f in report.offline_plots(comp, pdir, v)
            ],
            run_name=f"offline {a} vs {b}",
            params=comp.info,
            metrics=lambda: report.offline_mlflow_metrics(comp, metric_key),
            as_json=as_json,
            show=print_offline,
        )

    @ab.command()
    def report(
        experiment: Annotated[
            str, typer.Option(help="Experiment name (as logged by the service).")
        ],
        log: Annotated[
            str,
            typer.Option(
                help="The service's request log: a SQLite file or a postgresql+psycopg:// URL."
            ),
        ] = "requests.db",
        config: Annotated[
            Path | None,
            typer.Option(
                help="Experiment YAML (default: the file in serving/experiments/ named NAME)."
            ),
        ] = None,
        expected: Annotated[
            str | None,
            typer.Option(
                help="Planned traffic shares when there is no config, e.g. 'A=0.5,B=0.5'."
            ),
        ] = None,
        control: Annotated[
            str | None, typer.Option(help="Control variant (default: the config's first).")
        ] = None,
        mde: Annotated[
            float, typer.Option(help="Relative lift the sample-size estimate targets.", min=0.001)
        ] = 0.10,
        alpha: Annotated[float, typer.Option(help="Significance level.", min=1e-6, max=0.5)] = 0.05,
        event: Annotated[
            str, typer.Option(help="Event credited per team when interleaving.")
        ] = "accepted",
        plots: Annotated[
            Path | None, typer.Option(help="Write the plots (PNG) to this folder.")
        ] = None,
        as_json: AsJson = False,
        track: Track = True,
        n_boot: NBoot = 2000,
        seed: Seed = 0,
        verbose: Verbose = False,
    ) -> None:
        """Read an experiment from the request log: rates with brand-clustered CIs, lift, SRM, guardrails, verdict."""
        setup_logging(verbose)
        from matcher.online import analysis as AB
        from matcher.online.db import safe_name
        from matcher.online.experiments import load_experiment
        from matcher.online.report import report_mlflow_metrics, report_plots
        from matcher.online.requestlog import read_request_log

        cfg_path = config or _find_config(experiment)
        try:
            cfg = load_experiment(cfg_path) if cfg_path is not None else None
            shares = AB.parse_shares(expected) if expected else (cfg.traffic if cfg else None)
            frames = read_request_log(log, experiment)
        except (FileNotFoundError, ValueError) as e:
            fail(e)
        if cfg is not None and cfg.name != experiment:
            fail(f"{cfg_path} configures experiment {cfg.name!r}, not {experiment!r}")
        if len(frames.requests) == 0:
            fail(f"no requests of experiment {experiment!r} in {safe_name(log)}")
        try:
            rep = AB.analyze_experiment(
                frames,
                experiment=experiment,
                expected_shares=shares,
                control=control or (cfg.control if cfg else None),
                mode=cfg.mode if cfg else None,
                alpha=alpha,
                mde=mde,
                interleave_event=event,
                exclude_brands=cfg.forced if cfg else (),
                n_boot=n_boot,
                seed=seed,
            )
        except ValueError as e:
            fail(e)
        params = {
            "experiment": experiment,
            "log": safe_name(log),  # a URL without its password
            "mode": rep.mode,
            "control": rep.control,
            "verdict": rep.verdict,
            "alpha": alpha,
            "mde": mde,
        }
        _publish(
            rep.to_dict(),
            plots=plots,
            track=track,
            make_plots=lambda pdir: report_plots(rep, pdir),
            run_name=f"report {experiment}",
            params=params,
            metrics=lambda: report_mlflow_metrics(rep),
            as_json=as_json,
            show=print_report,
        )

    @ab.command()
    def simulate(
        experiment: Annotated[
            str, typer.Option(help="Experiment the service runs (checked in its answers).")
        ],
        requests: Annotated[
            int,
            typer.Option("--requests", help="Requests to send.", min=1, max=MAX_SIMULATED_REQUESTS),
        ] = 500,
        url: Annotated[
            str, typer.Option(help="The running service (loopback only).")
        ] = "http://127.0.0.1:3000",
        data: Annotated[Path, typer.Option(help="Simulated market folder (with truth/).")] = Path(
            "data/market"
        ),
        k: Annotated[int, typer.Option(help="Matches per request.", min=1, max=100)] = 10,
        api_key: Annotated[
            str | None,
            typer.Option(
                "--api-key",
                envvar="MATCHER_API_KEY",
                show_default=False,
                help="Sent as 'Authorization: Bearer'. A brand key acts for its brand only: briefs of many brands "
                "need a loopback service started with MATCHER_AUTH=off.",
            ),
        ] = None,
        seed: Seed = 0,
        verbose: Verbose = False,
    ) -> None:
        """Drive the running service with held-out market briefs and post feedback from the hidden utility."""
        setup_logging(verbose)
        from matcher.online import traffic

        try:
            traffic.check_loopback(url)
            briefs = traffic.held_out_briefs(data)
            truth = traffic.require_truth(data)
            summary = traffic.drive_service(
                url, briefs, truth, requests, k=k, seed=seed, experiment=experiment, api_key=api_key
            )
        except (FileNotFoundError, ValueError, ConnectionError) as e:
            fail(e)
        typer.echo(json.dumps(summary, indent=2))

    @ab.command()
    def sensitivity(
        a: Annotated[str, typer.Option("--a", help="Model A: alias, version or model dir.")],
        b: Annotated[str, typer.Option("--b", help="Model B (the one expected to differ).")],
        data: Annotated[Path, typer.Option(help="Simulated market folder (with truth/).")] = Path(
            "data/market"
        ),
        grid: Annotated[
            str, typer.Option(help="Traffic sizes (requests) to test.")
        ] = "250,500,1000,2000,4000,8000",
        seeds: Annotated[
            int, typer.Option(help="Number of seeded simulations per design.", min=1)
        ] = 3,
        expected: Annotated[
            str, typer.Option(help="The verdict counted as a detection.")
        ] = "A wins",
        k: Annotated[int, typer.Option(help="Matches per request.", min=1, max=100)] = 10,
        as_json: AsJson = False,
        verbose: Verbose = False,
    ) -> None:
        """Requests A/B and interleaving need to detect the A-B difference (in-process simulation)."""
        setup_logging(verbose)
        from matcher.online import traffic

        try:
            pipes = {"A": _resolve(a).pipeline, "B": _resolve(b).pipeline}
            briefs = traffic.held_out_briefs(data)
            truth = traffic.require_truth(data)
            sizes = [int(x) for x in grid.split(",") if x.strip()]
        except (FileNotFoundError, ValueError) as e:
            fail(e)
        res = traffic.detection_study(
            pipes, briefs, truth, sizes, list(range(seeds)), expected, k=k
        )
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "expected": expected,
                        "grid": sizes,
                        "runs": json.loads(res.to_json(orient="records")),
                    },
                    indent=2,
                )
            )
            return
        t = Table(
            title=f"Requests until '{expected}' holds at every larger size (grid {sizes}; '-' = never)"
        )
        for col in ("design", *[f"seed {s}" for s in range(seeds)], "median"):
            t.add_column(col, justify="right")
        for design, g in res.groupby("design", sort=False):
            need = g["requests_needed"].tolist()
            med = g["requests_needed"].fillna(float("inf")).median()
            t.add_row(
                str(design),
                *["-" if n != n else f"{int(n):,}" for n in need],
                "-" if med == float("inf") else f"{med:,.0f}",
            )
        out.print(t)
