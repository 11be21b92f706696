"""An online experiment's report (what ``matcher.online.analysis`` concludes) and where it goes:
JSON, plots, MLflow metrics. ``log_to_mlflow`` records any A/B result as a run, the offline
paired comparison's too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.evaluation.verdicts import json_safe

logger = logging.getLogger(__name__)


@dataclass
class ExperimentReport:
    experiment: str | None
    mode: str
    control: str | None
    primary_metric: str
    alpha: float
    variants: dict[str, dict[str, Any]]
    srm: dict[str, Any] | None
    interleaving: dict[str, Any] | None
    sample_size: dict[str, Any] | None
    verdict: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "experiment": self.experiment,
                "mode": self.mode,
                "control": self.control,
                "primary_metric": self.primary_metric,
                "alpha": self.alpha,
                "variants": self.variants,
                "srm": self.srm,
                "interleaving": self.interleaving,
                "sample_size": self.sample_size,
                "verdict": self.verdict,
                "warnings": self.warnings,
                "notes": self.notes,
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def report_plots(report: ExperimentReport, out_dir: str | Path) -> list[Path]:
    """Rates per variant, lifts over the control and the interleaving preference, with CIs."""
    from matcher.evaluation.plots import plot_system_comparison  # matplotlib only when plotting

    out = Path(out_dir)
    rows, lift_rows = [], []
    for v, block in report.variants.items():
        for m, e in block["metrics"].items():
            if e["estimate"] is not None and np.isfinite(e["estimate"]):
                rows.append(
                    {
                        "view": m,
                        "system": v,
                        "metric": "value",
                        "value": e["estimate"],
                        "ci_low": e["ci_low"],
                        "ci_high": e["ci_high"],
                    }
                )
        for m, e in block.get("lift_vs_control", {}).items():
            if e["estimate"] is not None and np.isfinite(e["estimate"]):
                lift_rows.append(
                    {
                        "view": m,
                        "system": f"{v} vs {report.control}",
                        "metric": "relative lift",
                        "value": e["estimate"],
                        "ci_low": e["ci_low"],
                        "ci_high": e["ci_high"],
                    }
                )
    files = []
    rate = [r for r in rows if r["view"].endswith("_rate")]
    if rate:
        files.append(
            plot_system_comparison(pd.DataFrame(rate), out / "rates_by_variant.png", metric="value")
        )
    if lift_rows:
        files.append(
            plot_system_comparison(
                pd.DataFrame(lift_rows), out / "lift_vs_control.png", metric="relative lift"
            )
        )
    il = report.interleaving
    if il and il["decided"]:
        p = il["preference"]
        files.append(
            plot_system_comparison(
                pd.DataFrame(
                    [
                        {
                            "view": f"preference for {p['team']} ({il['event']})",
                            "system": p["team"],
                            "metric": "share",
                            "value": p["estimate"],
                            "ci_low": p["ci_low"],
                            "ci_high": p["ci_high"],
                        }
                    ]
                ),
                out / "interleaving_preference.png",
                metric="share",
            )
        )
    return files


def report_mlflow_metrics(report: ExperimentReport) -> dict[str, float]:
    """Flat MLflow metric names: per variant its rates, request count and lifts; SRM and
    interleaving p-values."""
    from matcher.lifecycle.store import metric_key  # MLflow only when logging to it

    out: dict[str, float] = {}
    for v, block in report.variants.items():
        out[metric_key(v, "requests")] = block["requests"]
        for m, e in block["metrics"].items():
            out[metric_key(v, m)] = e["estimate"]
        for m, e in block.get("lift_vs_control", {}).items():
            out.update(
                {metric_key(v, "lift", m, k): e[k] for k in ("estimate", "ci_low", "ci_high")}
            )
    if report.srm:
        out["srm_p_value"] = report.srm["p_value"]
    if report.interleaving and report.interleaving["decided"]:
        out["interleaving.preference"] = report.interleaving["preference"]["estimate"]
        out["interleaving.p_value"] = report.interleaving["p_value"]
    return out


def log_to_mlflow(
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    artifacts: Iterable[Path],
    payload: Mapping[str, Any],
    experiment_name: str = "matcher-ab",
) -> str:
    """One MLflow run in the project's store (``matcher.lifecycle.store``); returns its id."""
    import mlflow

    from matcher.config import TrackingConfig
    from matcher.lifecycle.store import ensure_experiment, flat_metrics, using_tracking

    cfg = TrackingConfig(experiment=experiment_name)
    with (
        using_tracking(cfg) as client,
        mlflow.start_run(
            experiment_id=ensure_experiment(client, cfg),
            run_name=run_name,
            tags={"matcher.kind": "ab"},
        ) as run,
    ):
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        finite = flat_metrics(metrics)  # MLflow cannot store missing or non-finite values
        if finite:
            mlflow.log_metrics(finite)
        mlflow.log_dict(dict(payload), "result.json")
        for f in artifacts:
            mlflow.log_artifact(str(f), artifact_path="plots")
        return str(run.info.run_id)
