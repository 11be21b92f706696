"""A/B evaluation of online experiments (A/B and team-draft interleaving) from the service's
request log (read by ``matcher.online.requestlog``, joined by ``matcher.online.events``). The
offline paired comparison of two pipelines is ``matcher.evaluation.compare``; reports are
published by ``matcher.online.report``.

Online A/B: the unit of assignment is the brand, so every rate is a ratio of sums whose CI
resamples whole brands (``stats.cluster_bootstrap_ratio``/``_lift``). The verdict reads the
primary metric (accepts per impression): a variant wins when the 95% CI of its relative lift
over the control excludes 0. A sample-ratio mismatch (chi-square on brands per arm,
p < 0.001) voids the verdict. Interleaving: per request the team whose creators earned more
credited events wins; the preference share gets an exact binomial CI, a brand-cluster
bootstrap CI and a two-sided sign test, which decides the verdict.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from matcher.evaluation.verdicts import NO_DIFFERENCE
from matcher.online.events import per_request
from matcher.online.experiments import INTERLEAVED
from matcher.online.preference import preference_block
from matcher.online.report import ExperimentReport

# ``X as X``: re-exported for ``matcher.cli.ab`` until it imports them from report/requestlog
from matcher.online.requestlog import COST_COLUMN, RequestLogFrames

logger = logging.getLogger(__name__)

SRM_ALPHA = 0.001
# metric -> (numerator column, denominator column) of the per-request table (``events.per_request``)
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
class Guardrails:
    latency_p95_ratio: float = 1.2  # treatment p95 latency / control p95
    error_rate_increase: float = 0.01  # absolute
    empty_rate_increase: float = 0.02  # absolute


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


def _variant_block(
    r: pd.DataFrame, metrics: list[str], alpha: float, n_boot: int, seed: int
) -> dict[str, Any]:
    ok = r[r["status"] == "ok"]
    lat = pd.to_numeric(r["latency_ms"], errors="coerce").dropna()
    block: dict[str, Any] = {
        "requests": len(r),
        "brands": int(r["cluster"].nunique()),
        "impressions": int(r["impressions"].sum()),
        "metrics": {},
        "guardrails": {
            "latency_p95_ms": float(np.percentile(lat, 95)) if len(lat) else math.nan,
            "error_rate": float((r["status"] == "error").mean()) if len(r) else math.nan,
            "empty_rate": float((r["status"] == "empty").mean()) if len(r) else math.nan,
        },
    }
    for m in metrics:
        num, den = RATE_METRICS[m]
        if len(ok) and ok[den].sum() > 0:
            block["metrics"][m] = _est(
                cluster_bootstrap_ratio(ok[num], ok[den], ok["cluster"], n_boot, alpha, seed)
            )
        else:
            block["metrics"][m] = _est((math.nan, math.nan, math.nan))
    return block


def brand_permutation_test(
    num_a: Any,
    den_a: Any,
    clusters_a: Any,
    num_b: Any,
    den_b: Any,
    clusters_b: Any,
    n_perm: int = 2000,
    seed: int = 0,
) -> float:
    """Two-sided randomization p-value of log(ratio_b / ratio_a), re-drawing which brands were
    in which arm (arm sizes fixed). Exact for brand-randomized experiments whatever the number
    of brands, where the percentile cluster bootstrap is too narrow with few or very unequal brands.

    ``scipy.stats.permutation_test`` of the brands' arm labels (one sample, ``permutation_type=
    "pairings"``: a permutation re-assigns the labels to the brands, which also works for an arm
    of one brand, where ``"independent"`` needs two per sample). The statistic is
    ``|log(ratio_b / ratio_a)|`` with ``alternative="greater"``: p = share of splits at least as
    extreme in either direction (scipy's ``"two-sided"`` would instead double the smaller
    one-sided p). p = (1 + #extreme) / (1 + n_perm), or exact when scipy can enumerate every
    ordering (brands! <= n_perm). A split that leaves an arm without events (log 0) or without
    impressions (0 / 0) counts as extreme (conservative). NaN when the observed ratio is not defined on both arms."""
    if n_perm < 1:
        raise ValueError(f"n_perm must be >= 1, got {n_perm}")

    def sums(num: Any, den: Any, cl: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        g = pd.DataFrame(
            {"n": np.asarray(num, float), "d": np.asarray(den, float), "c": np.asarray(cl)}
        )
        t = g.groupby("c", sort=False)[["n", "d"]].sum()
        return t["n"].to_numpy(), t["d"].to_numpy()

    na, da = sums(num_a, den_a, clusters_a)
    nb, db = sums(num_b, den_b, clusters_b)
    n_all, d_all = np.concatenate([na, nb]), np.concatenate([da, db])
    is_b = np.r_[np.zeros(len(na)), np.ones(len(nb))]  # labels, float: scipy permutes them

    def log_ratio(b: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            rb = (b * n_all).sum(axis) / (b * d_all).sum(axis)
            ra = ((1 - b) * n_all).sum(axis) / ((1 - b) * d_all).sum(axis)
            return np.asarray(np.log(rb) - np.log(ra), dtype=np.float64)

    def stat(b: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
        t = np.abs(log_ratio(b, axis))
        return np.where(np.isnan(t), np.inf, t)  # |log 0| is already inf

    if not len(na) or not len(nb) or not np.isfinite(log_ratio(is_b)):
        return math.nan
    res = sps.permutation_test(
        (is_b,),
        stat,
        permutation_type="pairings",
        vectorized=True,
        n_resamples=n_perm,
        batch=max(1, 2_000_000 // len(is_b)),  # bound the (permutations x brands) matrices
        alternative="greater",
        rng=np.random.default_rng(seed),
    )
    return float(res.pvalue)


def _sample_size(
    ctrl: pd.DataFrame, block: dict[str, Any], primary: str, mde: float, alpha: float, power: float
) -> dict[str, Any] | None:
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
    return {
        "metric": primary,
        "baseline": p,
        "relative_mde": mde,
        "alpha": alpha,
        "power": power,
        "impressions_per_arm_iid": n_iid,
        "design_effect": deff,
        "impressions_per_arm": n_imp,
        "requests_per_arm": math.ceil(n_imp / per_req),
        "brands_per_arm": math.ceil(n_imp / per_req / per_brand),
    }


def analyze_experiment(
    frames: RequestLogFrames,
    *,
    experiment: str | None = None,
    expected_shares: Mapping[str, float] | None = None,
    control: str | None = None,
    mode: str | None = None,
    primary: str = PRIMARY_METRIC,
    metrics: Sequence[str] | None = None,
    alpha: float = 0.05,
    mde: float = 0.10,
    power: float = 0.8,
    guardrails: Guardrails | None = None,
    exclude_brands: Iterable[str] = (),
    interleave_event: str = "accepted",
    n_boot: int = 2000,
    seed: int = 0,
) -> ExperimentReport:
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
    mode = mode or (
        "interleave" if len(req) and (req["variant"] == INTERLEAVED).mean() > 0.5 else "ab"
    )
    wanted = list(metrics) if metrics is not None else list(RATE_METRICS)
    if primary not in wanted:
        wanted.insert(0, primary)
    mets = _available_metrics(req, wanted)
    if not any(m.endswith("_per_dollar") for m in mets) and metrics is None:
        notes.append(
            f"per-dollar metrics need an impressions.{COST_COLUMN} column (not in this log)"
        )
    report = ExperimentReport(
        experiment, mode, None, primary, alpha, {}, None, None, None, NO_DIFFERENCE, warnings, notes
    )
    if mode == "interleave":
        ir = req[req["variant"] == INTERLEAVED]
        sub = RequestLogFrames(ir, frames.impressions, frames.feedback)
        report.variants[INTERLEAVED] = _variant_block(ir, mets, alpha, n_boot, seed)
        teams = list(expected_shares) if expected_shares and len(expected_shares) == 2 else None
        block = preference_block(sub, teams, interleave_event, alpha, n_boot, seed)
        report.interleaving = block
        report.control = block["teams"][0]
        pref = block["preference"]
        if block["decided"] and block["p_value"] < alpha:
            report.verdict = f"{pref['team'] if pref['estimate'] > 0.5 else block['teams'][0]} wins"
        return report

    names = [v for v in (expected_shares or {})] or sorted(
        v for v in req["variant"].dropna().unique() if v != INTERLEAVED
    )
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
        warnings.append(
            f"{int((multi > 1).sum())} brands appear in several variants (assignment changed?)"
        )
    if expected_shares:
        brands = {v: int(r["cluster"].nunique()) for v, r in arms.items()}
        stat, p = srm_test(brands, expected_shares)
        report.srm = {
            "unit": "brands",
            "observed": brands,
            "expected_shares": dict(expected_shares),
            "statistic": stat,
            "p_value": p,
            "mismatch": bool(p < SRM_ALPHA),
        }
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
                res = cluster_bootstrap_lift(
                    ok_c[num],
                    ok_c[den],
                    ok_c["cluster"],
                    ok_v[num],
                    ok_v[den],
                    ok_v["cluster"],
                    n_boot,
                    alpha,
                    seed,
                )
                lifts[m] = {
                    "estimate": res["lift"],
                    "ci_low": res["ci_low"],
                    "ci_high": res["ci_high"],
                }
                if m == primary:
                    lifts[m]["p_value"] = brand_permutation_test(
                        ok_c[num],
                        ok_c[den],
                        ok_c["cluster"],
                        ok_v[num],
                        ok_v[den],
                        ok_v["cluster"],
                        n_boot,
                        seed,
                    )
            else:
                lifts[m] = _est((math.nan, math.nan, math.nan))
        report.variants[v]["lift_vs_control"] = lifts
        gv, gc = report.variants[v]["guardrails"], cblock["guardrails"]
        if (
            gc["latency_p95_ms"] > 0
            and gv["latency_p95_ms"] > g.latency_p95_ratio * gc["latency_p95_ms"]
        ):
            warnings.append(
                f"guardrail: {v} p95 latency {gv['latency_p95_ms']:.0f} ms > "
                f"{g.latency_p95_ratio:.2f} x {control}'s {gc['latency_p95_ms']:.0f} ms"
            )
        for key, tol in (
            ("error_rate", g.error_rate_increase),
            ("empty_rate", g.empty_rate_increase),
        ):
            if gv[key] - gc[key] > tol:
                warnings.append(
                    f"guardrail: {v} {key} {gv[key]:.3f} exceeds {control}'s {gc[key]:.3f} by > {tol}"
                )
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
        warnings.append(
            f"sample ratio mismatch (p={report.srm['p_value']:.2g} < {SRM_ALPHA}): assignment or "
            "logging is broken; do not read the metrics"
        )
    elif len(verdicts) == 1:
        report.verdict = verdicts[0][1]
    else:
        report.verdict = "; ".join(f"{v} vs {control}: {t}" for v, t in verdicts)
    return report
