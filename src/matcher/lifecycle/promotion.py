"""The promotion gate: move ``champion`` to the ``challenger`` only when it is not worse.

Both registered versions are evaluated on the SAME held-out briefs (the challenger's
``test_brief_ids``, data from its ``data_dir`` unless another folder is given). The gate reads
the paired per-brief difference of the primary metric (``TrackingConfig.gate``: ndcg@10 in
the logged view): the challenger passes when ``mean(challenger - champion) >= -tolerance``.
The bootstrap CI and Wilcoxon p-value are reported alongside, not used by the gate (a
tolerance on the mean is what a reviewer can reason about; with few briefs the CI is wide).

Every decision is a run in the experiment (tags ``decision``, ``gate_passed``, ``forced``,
``forced_by``), so the registry's history can be audited from MLflow alone.
"""

from __future__ import annotations

import getpass
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.config import GateConfig, TrackingConfig
from matcher.evaluation.compare import compare_offline
from matcher.evaluation.metrics import METRICS
from matcher.lifecycle.registry import get_alias_version, load_registered, version_for
from matcher.lifecycle.store import (
    CHALLENGER,
    CHAMPION,
    KIND_TAG,
    ModelResolutionError,
    as_metrics,
    check_reachable,
    client_for,
    ensure_experiment,
    log_batch,
    metric_key,
)
from matcher.simulator.truth import load_truth

logger = logging.getLogger(__name__)

COMPARED_METRICS: tuple[str, ...] = ("ndcg@5", "ndcg@10", "recall@10", "map", "mrr", "auc")


@dataclass
class PromotionResult:
    decision: str  # promoted | rejected | unchanged
    challenger_version: str
    champion_version: str | None  # the champion before the decision
    gate: GateConfig
    gate_passed: bool | None  # None when there was nothing to compare against
    forced: bool = False
    message: str = ""
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per metric
    per_brief: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # brief_id, metric, champion, challenger
    n_briefs: int = 0
    run_id: str | None = None

    @property
    def promoted(self) -> bool:
        return self.decision == "promoted"


def compare_pipelines(
    champion: Any,
    challenger: Any,
    tables: Any,
    brief_ids: list[str],
    gate: GateConfig,
    truth: Any | None = None,
    metrics: tuple[str, ...] = COMPARED_METRICS,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paired per-brief comparison of two pipelines on the same briefs (b = challenger,
    a = champion), each ranking its own lists as its evaluation would (``compare_offline`` with
    ``shared=False``). Returns (comparison: one row per metric, per_brief: long table)."""
    if gate.view == "catalogue" and truth is None:
        raise ValueError("the catalogue view needs the simulator's truth (data_dir/truth)")
    computed = [m for m in metrics if m in METRICS]
    if gate.metric not in computed:
        raise ValueError(f"gate metric {gate.metric!r} is not computed; have {computed}")
    comp = compare_offline(
        champion,
        challenger,
        tables,
        brief_ids,
        truth,
        metrics=computed,
        labels=("champion", "challenger"),
        views=(gate.view,),
        segments=False,
        shared=False,
        progress=progress,
    )
    if comp.per_brief.empty:
        raise ValueError(f"no held-out brief could be evaluated in the {gate.view} view")
    comparison = comp.comparisons.drop(columns=["view", "segment_type", "segment"])
    comparison.insert(1, "primary", comparison["metric"] == gate.metric)
    pb = comp.per_brief.rename(columns={"a": "champion", "b": "challenger"})
    per_brief = pd.concat(
        [
            pb.loc[pb["metric"] == m, ["brief_id", "metric", "champion", "challenger"]]
            for m in computed
        ],
        ignore_index=True,
    )
    return comparison, per_brief


def gate_passes(comparison: pd.DataFrame, gate: GateConfig) -> tuple[bool, str]:
    row = comparison[comparison["metric"] == gate.metric].iloc[0]
    diff = float(row["mean_diff"])
    if not np.isfinite(diff) or int(row["n"]) == 0:
        return False, f"no held-out brief has a defined {gate.metric}: nothing to compare"
    ok = diff >= -gate.tolerance
    word = "passes" if ok else "fails"
    return ok, (
        f"{word}: {gate.view} {gate.metric} challenger {row['mean_b']:.4f} vs champion "
        f"{row['mean_a']:.4f} (diff {diff:+.4f}, 95% CI [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}], "
        f"p={row['p_value']:.3g}, n={int(row['n'])}); tolerance {gate.tolerance}"
    )


def promote(
    tracking: TrackingConfig | None = None,
    data_dir: str | Path | None = None,
    tolerance: float | None = None,
    force: bool = False,
    reason: str | None = None,
    progress: bool = False,
    version: str | int | None = None,
) -> PromotionResult:
    """Evaluate challenger vs champion, apply the gate, move ``champion`` when it passes (or
    when forced, which needs a reason), and log the decision as a run. ``version`` puts that
    registered version in the challenger's place (e.g. a rollback: ``--version 2 --force``)."""
    cfg = tracking or TrackingConfig()
    gate = cfg.gate if tolerance is None else cfg.gate.model_copy(update={"tolerance": tolerance})
    if force and not (reason and reason.strip()):
        raise ValueError("--force needs --reason: say why the gate is overridden")
    check_reachable(cfg)
    client = client_for(cfg)
    name = cfg.model_name
    chal = (
        version_for(client, name, version=version)
        if version is not None
        else get_alias_version(client, name, CHALLENGER)
    )
    if chal is None:
        raise ModelResolutionError(
            f"model {name!r} has no {CHALLENGER!r} version: train a model first"
        )
    champ = get_alias_version(client, name, CHAMPION)
    result = PromotionResult(
        decision="rejected",
        challenger_version=str(chal.version),
        champion_version=str(champ.version) if champ else None,
        gate=gate,
        gate_passed=None,
        forced=force,
    )
    if champ is not None and str(champ.version) == str(chal.version):
        result.decision = "unchanged"
        result.message = f"version {chal.version} is already {CHAMPION}"
        return result

    if champ is None:
        result.decision = "promoted"
        result.message = f"no {CHAMPION} yet: version {chal.version} becomes {CHAMPION}"
    else:
        from matcher.data.io import load_market

        challenger = load_registered(chal, cfg, alias=CHALLENGER).pipeline
        champion = load_registered(champ, cfg, alias=CHAMPION).pipeline
        ddir = Path(data_dir or challenger.metadata.get("data_dir") or "")
        if not str(ddir) or not ddir.is_dir():
            raise FileNotFoundError(
                f"held-out data folder {str(ddir)!r} not found (the challenger's "
                "data_dir); pass --data"
            )
        tables = load_market(ddir)
        ids = [str(b) for b in challenger.metadata.get("test_brief_ids") or []]
        known = set(tables.briefs["brief_id"].astype(str))
        missing = [b for b in ids if b not in known]
        if missing:
            logger.warning(
                "%d of the challenger's %d held-out briefs are not in %s",
                len(missing),
                len(ids),
                ddir,
            )
        ids = [b for b in ids if b in known]
        if not ids:
            raise ValueError(
                f"none of the challenger's held-out briefs is in {ddir}: cannot compare"
            )
        _warn_if_champion_saw(champion, tables, ids)
        truth = load_truth(ddir) if gate.view == "catalogue" else None
        result.comparison, result.per_brief = compare_pipelines(
            champion, challenger, tables, ids, gate, truth, progress=progress
        )
        result.n_briefs = len(ids)
        result.gate_passed, result.message = gate_passes(result.comparison, gate)
        if result.gate_passed or force:
            result.decision = "promoted"
        if force and not result.gate_passed:
            result.message += f"; FORCED by {getpass.getuser()}: {reason}"

    result.run_id = _log_decision(client, cfg, result, reason)
    try:
        if result.promoted:
            client.set_registered_model_alias(name, CHAMPION, str(chal.version))
            client.set_model_version_tag(
                name, str(chal.version), "promoted_at", pd.Timestamp.now("UTC").isoformat()
            )
            if result.champion_version:
                client.set_model_version_tag(
                    name, str(chal.version), "previous_champion", result.champion_version
                )
        client.set_model_version_tag(name, str(chal.version), "promotion_decision", result.decision)
    except BaseException:
        client.set_terminated(result.run_id, "FAILED")
        raise
    client.set_terminated(result.run_id, "FINISHED")
    logger.info("promotion of version %s: %s (%s)", chal.version, result.decision, result.message)
    return result


def _warn_if_champion_saw(champion: Any, tables: Any, ids: list[str]) -> None:
    """The champion may have been trained on briefs the challenger holds out: say so."""
    end = champion.metadata.get("train_period_end")
    if not end:
        return
    b = tables.briefs[tables.briefs["brief_id"].astype(str).isin(ids)]
    seen = int((pd.to_datetime(b["created_at"]) <= pd.Timestamp(end)).sum())
    if seen:
        logger.warning(
            "the champion was trained on data up to %s, which covers %d of the %d held-out "
            "briefs: the comparison favours the champion",
            end,
            seen,
            len(ids),
        )


def _log_decision(client: Any, cfg: TrackingConfig, r: PromotionResult, reason: str | None) -> str:
    """A run in the experiment recording the decision, logged before the alias moves (the caller
    ends it FINISHED after the move, FAILED if the move fails): never a silent move."""
    exp_id = ensure_experiment(client, cfg)
    tags = {
        KIND_TAG: "promotion",
        "decision": r.decision,
        "gate_passed": str(r.gate_passed),
        "forced": str(r.forced),
        "challenger_version": r.challenger_version,
        "champion_version": r.champion_version or "none",
        "message": r.message,
        "gate.metric": r.gate.metric,
        "gate.view": r.gate.view,
        "gate.tolerance": str(r.gate.tolerance),
    }
    if r.forced:
        tags["forced_by"] = getpass.getuser()
        tags["reason"] = reason or ""
    elif reason:
        tags["reason"] = reason
    run = client.create_run(
        exp_id,
        run_name=f"promote v{r.challenger_version} vs "
        f"{'v' + r.champion_version if r.champion_version else 'none'}",
        tags=tags,
    )
    run_id = run.info.run_id
    values: dict[str, float] = {"n_briefs": float(r.n_briefs)}
    for row in r.comparison.to_dict("records"):
        base = f"compare.{metric_key(r.gate.view, 'model', row['metric'])}"
        for k in (
            "mean_a",
            "mean_b",
            "mean_diff",
            "ci_low",
            "ci_high",
            "p_value",
            "wins",
            "ties",
            "losses",
            "n",
        ):
            label = {"mean_a": "champion", "mean_b": "challenger"}.get(k, k)
            values[f"{base}.{label}"] = float(row[k])
    log_batch(
        client,
        run_id,
        metrics=as_metrics(values),
        params={
            "gate.metric": r.gate.metric,
            "gate.view": r.gate.view,
            "gate.tolerance": str(r.gate.tolerance),
        },
    )
    if not r.per_brief.empty:
        with tempfile.TemporaryDirectory() as tmp:
            r.comparison.to_csv(Path(tmp) / "comparison.csv", index=False)
            r.per_brief.to_csv(Path(tmp) / "per_brief.csv", index=False)
            client.log_artifacts(run_id, tmp, "promotion")
    return run_id
