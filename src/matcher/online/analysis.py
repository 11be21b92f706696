"""A/B evaluation of online experiments (A/B and team-draft interleaving) from the service's
request log. The offline paired comparison of two pipelines is ``matcher.evaluation.compare``;
``log_to_mlflow`` records either kind of result as an MLflow run.

Online A/B: the unit of assignment is the brand, so every rate is a ratio of sums whose CI
resamples whole brands (``stats.cluster_bootstrap_ratio``/``_lift``). The verdict reads the
primary metric (accepts per impression): a variant wins when the 95% CI of its relative lift
over the control excludes 0. A sample-ratio mismatch (chi-square on brands per arm,
p < 0.001) voids the verdict. Interleaving: per request the team whose creators earned more
credited events wins; the preference share gets an exact binomial CI, a brand-cluster
bootstrap CI and a two-sided sign test, which decides the verdict.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as sps

from matcher.evaluation.stats import (
    cluster_bootstrap_lift,
    cluster_bootstrap_ratio,
    required_sample_size_proportion,
    srm_test,
)
from matcher.evaluation.verdicts import NO_DIFFERENCE, json_safe
from matcher.online.experiments import INTERLEAVED

logger = logging.getLogger(__name__)

SRM_ALPHA = 0.001


# =========================================================================== request log
EVENTS: tuple[str, ...] = ("shortlisted", "contacted", "accepted", "post_engagements", "clicks",
                           "conversions", "rating")
BINARY_EVENTS: tuple[str, ...] = ("shortlisted", "contacted", "accepted")
COST_COLUMN = "estimated_cost_usd"
# metric -> (numerator column, denominator column) of the per-request table
RATE_METRICS: dict[str, tuple[str, str]] = {
    "accept_rate": ("accepted", "impressions"),
    "contact_rate": ("contacted", "impressions"),
    "shortlist_rate": ("shortlisted", "impressions"),
    "engagements_per_impression": ("post_engagements", "impressions"),
    "clicks_per_impression": ("clicks", "impressions"),
    "conversions_per_impression": ("conversions", "impressions"),
    "mean_rating": ("rating_sum", "rating_n"),
    "engagements_per_dollar": ("post_engagements", "spend_usd"),
    "conversions_per_dollar": ("conversions", "spend_usd"),
}
PRIMARY_METRIC = "accept_rate"


@dataclass
class RequestLogFrames:
    requests: pd.DataFrame
    impressions: pd.DataFrame
    feedback: pd.DataFrame

    def head(self, n_requests: int) -> RequestLogFrames:
        """The first ``n_requests`` requests (log order) and their impressions and feedback."""
        keep = self.requests.iloc[:n_requests]
        ids = set(keep["request_id"])
        return RequestLogFrames(keep, self.impressions[self.impressions["request_id"].isin(ids)],
                                self.feedback[self.feedback["request_id"].isin(ids)])


def read_request_log(path: str | Path, experiment: str | None = None) -> RequestLogFrames:
    """The three tables of the service's SQLite request log (one experiment, or all)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"request log {p} does not exist")
    where, params = ("WHERE experiment = ?", (experiment,)) if experiment else ("", ())
    sub = f"SELECT request_id FROM requests {where}"
    with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as con:
        req = pd.read_sql_query(f"SELECT * FROM requests {where} ORDER BY created_at, rowid", con, params=params)
        imp = pd.read_sql_query(f"SELECT * FROM impressions WHERE request_id IN ({sub})", con, params=params)
        fb = pd.read_sql_query(f"SELECT * FROM feedback WHERE request_id IN ({sub})", con, params=params)
    return RequestLogFrames(req, imp, fb)


def _event_table(frames: RequestLogFrames) -> pd.DataFrame:
    """Impressions with one column per event. Binary events count once per impression (retries
    are harmless); counts (engagements, clicks, conversions) add up; ratings average."""
    imp = frames.impressions[["request_id", "position", "influencer_id", "variant"]
                             + ([COST_COLUMN] if COST_COLUMN in frames.impressions.columns else [])].copy()
    fb = frames.feedback
    fb = fb[fb["event"].isin(EVENTS)]
    if len(fb):
        fb = fb.assign(value=pd.to_numeric(fb["value"], errors="coerce").fillna(1.0))
        g = fb.groupby(["request_id", "influencer_id", "event"])["value"]
        agg = pd.concat([g.max().rename("max"), g.sum().rename("sum"), g.mean().rename("mean")], axis=1)
        agg = agg.reset_index()
        agg["v"] = np.where(agg["event"].isin(BINARY_EVENTS), (agg["max"] > 0).astype(float),
                            np.where(agg["event"] == "rating", agg["mean"], agg["sum"]))
        wide = agg.pivot_table(index=["request_id", "influencer_id"], columns="event", values="v").reset_index()
        n_orphan = len(wide.merge(imp[["request_id", "influencer_id"]], how="left", indicator=True)
                       .query("_merge == 'left_only'"))
        if n_orphan:
            logger.warning("%d feedback (request, creator) pairs match no impression; ignored", n_orphan)
        imp = imp.merge(wide, on=["request_id", "influencer_id"], how="left")
    for e in EVENTS:
        if e not in imp.columns:
            imp[e] = np.nan
    imp["rating_n"] = imp["rating"].notna().astype(float)
    imp["rating_sum"] = imp["rating"].fillna(0.0)
    for e in EVENTS:
        if e != "rating":
            imp[e] = imp[e].fillna(0.0)
    if COST_COLUMN in imp.columns:
        imp["spend_usd"] = np.where(imp["accepted"] > 0, pd.to_numeric(imp[COST_COLUMN], errors="coerce"), 0.0)
    return imp


def _clusters(req: pd.DataFrame) -> pd.Series:
    """The brand; requests without one fall back to their brief (hashed on text when routed)."""
    brand = req["brand_id"].where(req["brand_id"].notna() & (req["brand_id"] != ""), None)
    return brand.fillna(req["brief_id"]).fillna(req["request_id"]).astype(str)


def per_request(frames: RequestLogFrames) -> pd.DataFrame:
    """One row per request: cluster (brand), variant, status, latency and event totals."""
    req = frames.requests.copy()
    req["cluster"] = _clusters(req)
    ev = _event_table(frames)
    cols = [c for c in (*EVENTS, "rating_sum", "rating_n", "spend_usd") if c in ev.columns and c != "rating"]
    sums = ev.groupby("request_id")[cols].sum()
    sums["impressions"] = ev.groupby("request_id").size()
    req = req.merge(sums, left_on="request_id", right_index=True, how="left")
    for c in [*cols, "impressions"]:
        req[c] = req[c].fillna(0.0)
    return req


def interleaving_credit(frames: RequestLogFrames, event: str = "accepted") -> pd.DataFrame:
    """Per interleaved request: credited ``event`` per team (the team that placed the creator,
    ``impressions.variant``), the winner (``None`` on a tie, including no events) and brand."""
    ev = _event_table(frames)
    req = frames.requests[frames.requests["variant"] == INTERLEAVED]
    ev = ev[ev["request_id"].isin(set(req["request_id"]))]
    credit = ev.pivot_table(index="request_id", columns="variant", values=event, aggfunc="sum", fill_value=0.0)
    credit = credit.reindex(req["request_id"]).fillna(0.0)
    teams = list(credit.columns)
    out = credit.copy()
    vals = credit.to_numpy()
    best = vals.max(axis=1) if len(teams) else np.zeros(len(credit))
    n_best = (vals == best[:, None]).sum(axis=1) if len(teams) else np.zeros(len(credit))
    winner = [teams[int(np.argmax(v))] if nb == 1 else None for v, nb in zip(vals, n_best, strict=True)]
    out["winner"] = winner
    out["cluster"] = _clusters(req).set_axis(req["request_id"]).reindex(out.index)
    return out.reset_index()


# =========================================================================== analysis
@dataclass
class Guardrails:
    latency_p95_ratio: float = 1.2  # treatment p95 latency / control p95
    error_rate_increase: float = 0.01  # absolute
    empty_rate_increase: float = 0.02  # absolute


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
        return json_safe({"experiment": self.experiment, "mode": self.mode, "control": self.control,
                       "primary_metric": self.primary_metric, "alpha": self.alpha, "variants": self.variants,
                       "srm": self.srm, "interleaving": self.interleaving, "sample_size": self.sample_size,
                       "verdict": self.verdict, "warnings": self.warnings, "notes": self.notes})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _est(t: tuple[float, float, float]) -> dict[str, float]:
    return {"estimate": t[0], "ci_low": t[1], "ci_high": t[2]}


def parse_shares(text: str) -> dict[str, float]:
    """``"A=0.5,B=0.5"`` -> ``{"A": 0.5, "B": 0.5}``."""
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected NAME=SHARE pairs like 'A=0.5,B=0.5', got {part!r}")
        out[name.strip()] = float(value)
    return out


def _available_metrics(req: pd.DataFrame, metrics: Iterable[str]) -> list[str]:
    return [m for m in metrics if all(c in req.columns for c in RATE_METRICS[m])]


def _variant_block(r: pd.DataFrame, metrics: list[str], alpha: float, n_boot: int, seed: int) -> dict[str, Any]:
    ok = r[r["status"] == "ok"]
    lat = pd.to_numeric(r["latency_ms"], errors="coerce").dropna()
    block: dict[str, Any] = {
        "requests": len(r), "brands": int(r["cluster"].nunique()), "impressions": int(r["impressions"].sum()),
        "metrics": {}, "guardrails": {
            "latency_p95_ms": float(np.percentile(lat, 95)) if len(lat) else math.nan,
            "error_rate": float((r["status"] == "error").mean()) if len(r) else math.nan,
            "empty_rate": float((r["status"] == "empty").mean()) if len(r) else math.nan,
        }}
    for m in metrics:
        num, den = RATE_METRICS[m]
        if len(ok) and ok[den].sum() > 0:
            block["metrics"][m] = _est(cluster_bootstrap_ratio(ok[num], ok[den], ok["cluster"], n_boot, alpha, seed))
        else:
            block["metrics"][m] = _est((math.nan, math.nan, math.nan))
    return block


def brand_permutation_test(num_a: Any, den_a: Any, clusters_a: Any, num_b: Any, den_b: Any, clusters_b: Any,
                           n_perm: int = 2000, seed: int = 0) -> float:
    """Two-sided randomization p-value of log(ratio_b / ratio_a), re-drawing which brands were
    in which arm (arm sizes fixed). Exact for brand-randomized experiments whatever the number
    of brands, where the percentile cluster bootstrap is too narrow with few or very unequal brands."""
    def sums(num: Any, den: Any, cl: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        g = pd.DataFrame({"n": np.asarray(num, float), "d": np.asarray(den, float), "c": np.asarray(cl)})
        t = g.groupby("c", sort=False)[["n", "d"]].sum()
        return t["n"].to_numpy(), t["d"].to_numpy()
    na, da = sums(num_a, den_a, clusters_a)
    nb, db = sums(num_b, den_b, clusters_b)
    n_all, d_all = np.concatenate([na, nb]), np.concatenate([da, db])
    is_b = np.r_[np.zeros(len(na), bool), np.ones(len(nb), bool)]

    def stat(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            rb = (mask * n_all).sum(-1) / (mask * d_all).sum(-1)
            ra = (~mask * n_all).sum(-1) / (~mask * d_all).sum(-1)
            return np.log(rb) - np.log(ra)
    obs = float(stat(is_b))
    if not np.isfinite(obs):
        return math.nan
    rng = np.random.default_rng(seed)
    step = max(1, 2_000_000 // len(is_b))  # bound the (permutations x brands) matrices
    t = np.concatenate([stat(is_b[np.argsort(rng.random((min(step, n_perm - i), len(is_b))), axis=1)])
                        for i in range(0, n_perm, step)])
    t = t[np.isfinite(t)]
    return float((1 + np.sum(np.abs(t) >= abs(obs) - 1e-12)) / (1 + t.size))


def _sample_size(ctrl: pd.DataFrame, block: dict[str, Any], primary: str, mde: float, alpha: float,
                 power: float) -> dict[str, Any] | None:
    """Per-arm sample size to detect a ``mde`` relative lift on the primary rate, inflated by
    the design effect the brand clustering causes (cluster-bootstrap variance / binomial variance)."""
    ok = ctrl[ctrl["status"] == "ok"]
    num, den = RATE_METRICS[primary]
    n_den = float(ok[den].sum())
    est = block["metrics"][primary]
    p = est["estimate"]
    if n_den <= 0 or not (0 < p < 1) or not 0 < p * (1 + mde) < 1:
        return None
    n_iid = required_sample_size_proportion(p, mde, alpha, power)
    se_iid = math.sqrt(p * (1 - p) / n_den)
    se_cluster = (est["ci_high"] - est["ci_low"]) / (2 * sps.norm.ppf(1 - alpha / 2))
    deff = max(1.0, (se_cluster / se_iid) ** 2) if se_iid > 0 else 1.0
    per_req = n_den / max(len(ok), 1)
    per_brand = len(ok) / max(ok["cluster"].nunique(), 1)
    n_imp = math.ceil(n_iid * deff)
    return {"metric": primary, "baseline": p, "relative_mde": mde, "alpha": alpha, "power": power,
            "impressions_per_arm_iid": n_iid, "design_effect": deff, "impressions_per_arm": n_imp,
            "requests_per_arm": math.ceil(n_imp / per_req), "brands_per_arm": math.ceil(n_imp / per_req / per_brand)}


def _interleaving_block(frames: RequestLogFrames, teams: Sequence[str] | None, event: str, alpha: float,
                        n_boot: int, seed: int) -> dict[str, Any]:
    c = interleaving_credit(frames, event)
    names = list(teams) if teams else sorted(t for t in c.columns if t not in ("request_id", "winner", "cluster"))
    if len(names) != 2:
        raise ValueError(f"interleaving compares two teams; the log has {names}")
    a, b = names
    for t in (a, b):
        if t not in c.columns:
            c[t] = 0.0
    decided = c[c["winner"].isin([a, b])]
    wins_a, wins_b = int((decided["winner"] == a).sum()), int((decided["winner"] == b).sum())
    n = wins_a + wins_b
    block: dict[str, Any] = {"event": event, "teams": [a, b], "requests": len(c), "decided": n,
                             "ties": len(c) - n, "wins": {a: wins_a, b: wins_b},
                             "credited": {a: float(c[a].sum()), b: float(c[b].sum())}}
    imp = frames.impressions[frames.impressions["request_id"].isin(set(c["request_id"]))]
    block["impressions_per_team"] = {t: int((imp["variant"] == t).sum()) for t in (a, b)}
    if n == 0:
        block.update(preference=_est((math.nan, math.nan, math.nan)), preference_cluster_ci=None, p_value=math.nan)
        return block
    test = sps.binomtest(wins_b, n, 0.5)
    ci = test.proportion_ci(confidence_level=1 - alpha)
    cl = cluster_bootstrap_ratio((decided["winner"] == b).astype(float), np.ones(n), decided["cluster"],
                                 n_boot, alpha, seed)
    block.update(preference={"team": b, "estimate": wins_b / n, "ci_low": ci.low, "ci_high": ci.high},
                 preference_cluster_ci={"ci_low": cl[1], "ci_high": cl[2]}, p_value=float(test.pvalue))
    return block


def analyze_experiment(frames: RequestLogFrames, *, experiment: str | None = None,
                       expected_shares: Mapping[str, float] | None = None, control: str | None = None,
                       mode: str | None = None, primary: str = PRIMARY_METRIC,
                       metrics: Sequence[str] | None = None, alpha: float = 0.05, mde: float = 0.10,
                       power: float = 0.8, guardrails: Guardrails | None = None,
                       exclude_brands: Iterable[str] = (), interleave_event: str = "accepted",
                       n_boot: int = 2000, seed: int = 0) -> ExperimentReport:
    """Read one experiment's log: per-variant rates with brand-clustered CIs, lifts over the
    control, SRM, guardrails, the verdict on ``primary`` and the sample size for ``mde``.

    ``expected_shares`` (the config's traffic) enables the SRM check; ``exclude_brands``
    drops QA brands that were forced into a variant.
    """
    g = guardrails or Guardrails()
    warnings: list[str] = []
    notes: list[str] = []
    req = per_request(frames)
    excluded = set(exclude_brands)
    if excluded:
        req = req[~req["cluster"].isin(excluded)]
    mode = mode or ("interleave" if len(req) and (req["variant"] == INTERLEAVED).mean() > 0.5 else "ab")
    wanted = list(metrics) if metrics is not None else list(RATE_METRICS)
    if primary not in wanted:
        wanted.insert(0, primary)
    mets = _available_metrics(req, wanted)
    if not any(m.endswith("_per_dollar") for m in mets) and metrics is None:
        notes.append(f"per-dollar metrics need an impressions.{COST_COLUMN} column (not in this log)")
    report = ExperimentReport(experiment, mode, None, primary, alpha, {}, None, None, None, NO_DIFFERENCE,
                              warnings, notes)
    if mode == "interleave":
        ir = req[req["variant"] == INTERLEAVED]
        sub = RequestLogFrames(ir, frames.impressions, frames.feedback)
        report.variants[INTERLEAVED] = _variant_block(ir, mets, alpha, n_boot, seed)
        teams = list(expected_shares) if expected_shares and len(expected_shares) == 2 else None
        block = _interleaving_block(sub, teams, interleave_event, alpha, n_boot, seed)
        report.interleaving = block
        report.control = block["teams"][0]
        pref = block["preference"]
        if block["decided"] and block["p_value"] < alpha:
            report.verdict = f"{pref['team'] if pref['estimate'] > 0.5 else block['teams'][0]} wins"
        return report

    names = [v for v in (expected_shares or {})] or sorted(v for v in req["variant"].dropna().unique()
                                                            if v != INTERLEAVED)
    if len(names) < 2:
        report.warnings.append(f"need two variants to compare, the log has {names}")
        return report
    control = control or names[0]
    report.control = control
    arms = {v: req[req["variant"] == v] for v in names}
    for v, r in arms.items():
        report.variants[v] = _variant_block(r, mets, alpha, n_boot, seed)
    multi = req.groupby("cluster")["variant"].nunique()
    if (multi > 1).any():
        warnings.append(f"{int((multi > 1).sum())} brands appear in several variants (assignment changed?)")
    if expected_shares:
        brands = {v: int(r["cluster"].nunique()) for v, r in arms.items()}
        stat, p = srm_test(brands, expected_shares)
        report.srm = {"unit": "brands", "observed": brands, "expected_shares": dict(expected_shares),
                      "statistic": stat, "p_value": p, "mismatch": bool(p < SRM_ALPHA)}
    ctrl = arms[control]
    cblock = report.variants[control]
    ok_c = ctrl[ctrl["status"] == "ok"]
    verdicts = []
    for v in names:
        if v == control:
            continue
        r = arms[v]
        ok_v = r[r["status"] == "ok"]
        lifts: dict[str, Any] = {}
        for m in mets:
            num, den = RATE_METRICS[m]
            if len(ok_c) and len(ok_v) and ok_c[den].sum() > 0 and ok_v[den].sum() > 0:
                res = cluster_bootstrap_lift(ok_c[num], ok_c[den], ok_c["cluster"], ok_v[num], ok_v[den],
                                             ok_v["cluster"], n_boot, alpha, seed)
                lifts[m] = {"estimate": res["lift"], "ci_low": res["ci_low"], "ci_high": res["ci_high"]}
                if m == primary:
                    lifts[m]["p_value"] = brand_permutation_test(ok_c[num], ok_c[den], ok_c["cluster"], ok_v[num],
                                                                 ok_v[den], ok_v["cluster"], n_boot, seed)
            else:
                lifts[m] = _est((math.nan, math.nan, math.nan))
        report.variants[v]["lift_vs_control"] = lifts
        gv, gc = report.variants[v]["guardrails"], cblock["guardrails"]
        if gc["latency_p95_ms"] > 0 and gv["latency_p95_ms"] > g.latency_p95_ratio * gc["latency_p95_ms"]:
            warnings.append(f"guardrail: {v} p95 latency {gv['latency_p95_ms']:.0f} ms > "
                            f"{g.latency_p95_ratio:.2f} x {control}'s {gc['latency_p95_ms']:.0f} ms")
        for key, tol in (("error_rate", g.error_rate_increase), ("empty_rate", g.empty_rate_increase)):
            if gv[key] - gc[key] > tol:
                warnings.append(f"guardrail: {v} {key} {gv[key]:.3f} exceeds {control}'s {gc[key]:.3f} by > {tol}")
        lift = lifts[primary]
        significant = lift.get("p_value", math.nan) < alpha
        if significant and lift["ci_low"] > 0:
            verdicts.append((v, f"{v} wins"))
        elif significant and lift["ci_high"] < 0:
            verdicts.append((v, f"{control} wins"))
        else:
            verdicts.append((v, NO_DIFFERENCE))
    report.sample_size = _sample_size(ctrl, cblock, primary, mde, alpha, power)
    if report.srm and report.srm["mismatch"]:
        report.verdict = "invalid: sample ratio mismatch"
        warnings.append(f"sample ratio mismatch (p={report.srm['p_value']:.2g} < {SRM_ALPHA}): assignment or "
                        "logging is broken; do not read the metrics")
    elif len(verdicts) == 1:
        report.verdict = verdicts[0][1]
    else:
        report.verdict = "; ".join(f"{v} vs {control}: {t}" for v, t in verdicts)
    return report


# =========================================================================== plots + MLflow
def report_plots(report: ExperimentReport, out_dir: str | Path) -> list[Path]:
    from matcher.evaluation.plots import plot_system_comparison

    out = Path(out_dir)
    rows, lift_rows = [], []
    for v, block in report.variants.items():
        for m, e in block["metrics"].items():
            if e["estimate"] is not None and np.isfinite(e["estimate"]):
                rows.append({"view": m, "system": v, "metric": "value", "value": e["estimate"],
                             "ci_low": e["ci_low"], "ci_high": e["ci_high"]})
        for m, e in block.get("lift_vs_control", {}).items():
            if e["estimate"] is not None and np.isfinite(e["estimate"]):
                lift_rows.append({"view": m, "system": f"{v} vs {report.control}", "metric": "relative lift",
                                  "value": e["estimate"], "ci_low": e["ci_low"], "ci_high": e["ci_high"]})
    files = []
    rate = [r for r in rows if r["view"].endswith("_rate")]
    if rate:
        files.append(plot_system_comparison(pd.DataFrame(rate), out / "rates_by_variant.png", metric="value"))
    if lift_rows:
        files.append(plot_system_comparison(pd.DataFrame(lift_rows), out / "lift_vs_control.png",
                                            metric="relative lift"))
    il = report.interleaving
    if il and il["decided"]:
        p = il["preference"]
        files.append(plot_system_comparison(pd.DataFrame([{
            "view": f"preference for {p['team']} ({il['event']})", "system": p["team"], "metric": "share",
            "value": p["estimate"], "ci_low": p["ci_low"], "ci_high": p["ci_high"]}]),
            out / "interleaving_preference.png", metric="share"))
    return files


def log_to_mlflow(run_name: str, params: Mapping[str, Any], metrics: Mapping[str, float],
                  artifacts: Iterable[Path], payload: Mapping[str, Any],
                  experiment_name: str = "matcher-ab") -> str:
    """One MLflow run in the project's store (``matcher.lifecycle.runs``); returns its id."""
    import mlflow

    from matcher.config import TrackingConfig
    from matcher.lifecycle.store import ensure_experiment, using_tracking

    cfg = TrackingConfig(experiment=experiment_name)
    with using_tracking(cfg) as client, mlflow.start_run(experiment_id=ensure_experiment(client, cfg),
                                                         run_name=run_name, tags={"matcher.kind": "ab"}) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        finite = {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}
        if finite:
            mlflow.log_metrics(finite)
        mlflow.log_dict(dict(payload), "result.json")
        for f in artifacts:
            mlflow.log_artifact(str(f), artifact_path="plots")
        return str(run.info.run_id)


def report_mlflow_metrics(report: ExperimentReport) -> dict[str, float]:
    from matcher.lifecycle.store import metric_key  # MLflow only when logging to it

    out: dict[str, float] = {}
    for v, block in report.variants.items():
        out[metric_key(v, "requests")] = block["requests"]
        for m, e in block["metrics"].items():
            out[metric_key(v, m)] = e["estimate"]
        for m, e in block.get("lift_vs_control", {}).items():
            out.update({metric_key(v, "lift", m, k): e[k] for k in ("estimate", "ci_low", "ci_high")})
    if report.srm:
        out["srm_p_value"] = report.srm["p_value"]
    if report.interleaving and report.interleaving["decided"]:
        out["interleaving.preference"] = report.interleaving["preference"]["estimate"]
        out["interleaving.p_value"] = report.interleaving["p_value"]
    return out

