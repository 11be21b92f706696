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

from matcher.cli.common import AsJson, Verbose, console, fail, out, setup_logging

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


def _fmt(e: dict[str, Any] | None, pct: bool = False) -> str:
    if not e or e.get("estimate") is None:
        return "-"
    f = (lambda v: f"{100 * v:+.1f}%") if pct else (lambda v: f"{v:.4g}")
    lo, hi = e.get("ci_low"), e.get("ci_high")
    ci = f" [{f(lo)}, {f(hi)}]" if lo is not None and hi is not None else ""
    return f"{f(e['estimate'])}{ci}"


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


def _print_offline(d: dict[str, Any], segment_metric: str = "ndcg@10") -> None:
    for view, v in d["views"].items():
        t = Table(
            title=f"{view} view: B ({d.get('b_ref', 'b')}) - A ({d.get('a_ref', 'a')}) on "
            f"{d.get('n_briefs', '?')} held-out briefs; 95% bootstrap CI, Wilcoxon p (p adj: Holm over "
            f"the view's segments); segments show {segment_metric}"
        )
        for col in (
            "segment",
            "metric",
            "mean A",
            "mean B",
            "B - A",
            "95% CI",
            "p",
            "p adj",
            "W/T/L",
            "n",
        ):
            t.add_column(
                col, justify="left" if col in ("segment", "metric") else "right", no_wrap=True
            )
        rows = [("all", m, r) for m, r in v.get("overall", {}).items()]
        for seg_type, segs in v.get("segments", {}).items():
            rows += [
                (f"{seg_type}: {seg}", segment_metric, ms[segment_metric])
                for seg, ms in segs.items()
                if segment_metric in ms
            ]
        for seg, m, r in rows:
            if r["mean_a"] is None:
                continue
            t.add_row(
                seg,
                m,
                f"{r['mean_a']:.3f}",
                f"{r['mean_b']:.3f}",
                f"{r['mean_diff']:+.3f}",
                f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]",
                f"{r['p_value']:.2g}",
                "-" if r.get("p_adjusted") is None else f"{r['p_adjusted']:.2g}",
                f"{r['wins']}/{r['ties']}/{r['losses']}",
                str(r["n"]),
            )
        out.print(t)
    out.print(f"verdict (NDCG@10, logged view): [bold]{d['verdict']}[/]")


def _print_report(d: dict[str, Any]) -> None:
    names = list(d["variants"])
    t = Table(title=f"Experiment {d['experiment']} ({d['mode']})")
    for col in (
        "variant",
        "requests",
        "brands",
        "impressions",
        "p95 latency ms",
        "errors",
        "empty",
    ):
        t.add_column(col, justify="right")
    for name, v in d["variants"].items():
        g = v["guardrails"]
        t.add_row(
            name,
            f"{v['requests']:,}",
            f"{v['brands']:,}",
            f"{v['impressions']:,}",
            "-" if g["latency_p95_ms"] is None else f"{g['latency_p95_ms']:.0f}",
            f"{100 * (g['error_rate'] or 0):.1f}%",
            f"{100 * (g['empty_rate'] or 0):.1f}%",
        )
    out.print(t)
    t = Table(title="Metrics per variant, 95% CIs clustered by brand; lift = variant / control - 1")
    t.add_column("metric")
    for name in names:
        t.add_column(name, justify="right", no_wrap=True)
    lifts = [n for n in names if "lift_vs_control" in d["variants"][n]]
    for name in lifts:
        t.add_column(f"lift {name}", justify="right", no_wrap=True)
    for m in d["variants"][names[0]]["metrics"]:
        cells = [_fmt(d["variants"][n]["metrics"].get(m)) for n in names]
        if all(c == "-" for c in cells):
            continue
        lift_cells = []
        for n in lifts:
            e = d["variants"][n]["lift_vs_control"].get(m)
            p = f" p={e['p_value']:.2g}" if e and e.get("p_value") is not None else ""
            lift_cells.append(_fmt(e, pct=True) + p)
        t.add_row(m + (" (primary)" if m == d["primary_metric"] else ""), *cells, *lift_cells)
    out.print(t)
    if d["srm"]:
        s = d["srm"]
        out.print(
            f"SRM ({s['unit']} per arm {s['observed']} vs {s['expected_shares']}): p = {s['p_value']:.3g}"
            + (" [bold red]MISMATCH[/]" if s["mismatch"] else " ok")
        )
    il = d["interleaving"]
    if il:
        p = il["preference"]
        out.print(
            f"interleaving on {il['event']}: {il['requests']} requests, {il['decided']} with a preference, "
            f"wins {il['wins']}, credited {il['credited']}; preference for {p.get('team', '-')}: {_fmt(p)} "
            f"(sign test p = {il['p_value'] if il['p_value'] is None else format(il['p_value'], '.3g')})"
        )
    ss = d["sample_size"]
    if ss:
        out.print(
            f"to detect a {100 * ss['relative_mde']:.0f}% relative change in {ss['metric']} "
            f"(baseline {ss['baseline']:.4f}, power {ss['power']:.0%}): ~{ss['requests_per_arm']:,} requests "
            f"/ {ss['brands_per_arm']:,} brands per arm (design effect {ss['design_effect']:.2f})"
        )
    for w in d["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")
    for n in d["notes"]:
        console.print(f"[dim]note: {n}[/]")
    basis = f"interleaving preference on {il['event']}" if il else d["primary_metric"]
    out.print(f"verdict ({basis}): [bold]{d['verdict']}[/]")


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
            show=_print_offline,
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
            show=_print_report,
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
