"""ExperimentReport outputs: JSON (NaN -> null), flat MLflow metric names, plots."""

from __future__ import annotations

import json
import math

from matcher.online.report import ExperimentReport, report_mlflow_metrics, report_plots


def est(v: float, lo: float, hi: float) -> dict[str, float]:
    return {"estimate": v, "ci_low": lo, "ci_high": hi}


def ab_report() -> ExperimentReport:
    a = {
        "requests": 10,
        "metrics": {
            "accept_rate": est(0.1, 0.05, 0.15),
            "mean_rating": est(math.nan, math.nan, math.nan),
        },
    }
    b = {
        "requests": 12,
        "metrics": {"accept_rate": est(0.2, 0.1, 0.3)},
        "lift_vs_control": {"accept_rate": {**est(1.0, 0.2, 2.0), "p_value": 0.01}},
    }
    srm = {"unit": "brands", "p_value": 0.5, "mismatch": False}
    return ExperimentReport(
        "exp", "ab", "A", "accept_rate", 0.05, {"A": a, "B": b}, srm, None, None, "B wins"
    )


def test_json_turns_nan_into_null():
    d = json.loads(ab_report().to_json())
    assert d["variants"]["A"]["metrics"]["mean_rating"] == {
        "estimate": None,
        "ci_low": None,
        "ci_high": None,
    }
    assert d["verdict"] == "B wins" and d["warnings"] == [] and d["srm"]["p_value"] == 0.5


def test_mlflow_metric_names():
    m = report_mlflow_metrics(ab_report())
    assert {k: v for k, v in m.items() if not (isinstance(v, float) and math.isnan(v))} == {
        "A.requests": 10,
        "A.accept_rate": 0.1,
        "B.requests": 12,
        "B.accept_rate": 0.2,
        "B.lift.accept_rate.estimate": 1.0,
        "B.lift.accept_rate.ci_low": 0.2,
        "B.lift.accept_rate.ci_high": 2.0,
        "srm_p_value": 0.5,
    }
    assert math.isnan(m["A.mean_rating"])  # dropped by log_to_mlflow, not here
    il = {"decided": 3, "preference": est(2 / 3, 0.1, 0.99), "p_value": 1.0, "event": "accepted"}
    rep = ExperimentReport("e", "interleave", "A", "accept_rate", 0.05, {}, None, il, None, "no")
    assert report_mlflow_metrics(rep) == {
        "interleaving.preference": 2 / 3,
        "interleaving.p_value": 1.0,
    }


def test_plots_are_written_for_rates_lifts_and_preference(tmp_path):
    files = report_plots(ab_report(), tmp_path)
    assert [f.name for f in files] == ["rates_by_variant.png", "lift_vs_control.png"]
    assert all(f.stat().st_size > 0 for f in files)
    il = {
        "decided": 3,
        "preference": {**est(2 / 3, 0.1, 0.99), "team": "B"},
        "p_value": 1.0,
        "event": "accepted",
    }
    rep = ExperimentReport("e", "interleave", "A", "accept_rate", 0.05, {}, None, il, None, "no")
    assert [f.name for f in report_plots(rep, tmp_path / "il")] == ["interleaving_preference.png"]
