"""Descriptions on the registry (Markdown, shown by the MLflow UI and ``MlflowClient``).

The registered model says what the model is and how to call it. Each version says what data it
was trained on (rows and sha256 per table), how it scored (NDCG@10 per evaluation view, the model
vs the best baseline) and what changed against the previous version (params that differ, data
hash). Written by ``matcher.lifecycle.runs.log_training_run`` right after registration.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

logger = logging.getLogger(__name__)

PRIMARY_METRIC = "ndcg@10"
NOT_BASELINES = ("model", "oracle")  # the oracle is an upper bound, not a baseline
TABLES = ("influencers", "posts", "briefs", "outcomes")
MAX_DIFF_LINES = 30
IGNORED_PARAMS = ("data_dir", "out_dir")  # paths differ between machines; the data hash says more

MODEL_DESCRIPTION = """\
Brand -> micro-influencer matcher: one MLflow pyfunc running the whole pipeline (MiniLM brief \
embedding -> candidate filters -> LightGBM lambdarank ranker -> engagement model).

**Input**: a DataFrame of briefs, one row each: `text` (required) and the optional `Brief` fields \
(`platforms`, `interests`, ... as lists of strings; `min_followers`, `k` as integers), see the \
signature. **Output**: one row per match (`brief_index`, `rank`, `influencer_id`, `score`, \
`expected_er`, `reasons`, ...).

Every version is a training run (`matcher train`) registered with alias `challenger`; `champion` \
moves only through the promotion gate (`matcher promote`). Load with \
`mlflow.pyfunc.load_model("models:/<name>@champion")`; the model carries the `matcher` package \
(`code/`), so it loads where `matcher` is not installed. Its catalogue (creators and embeddings) is \
stored once per content hash and fetched from the artifact store at load time \
(`catalogue_ref.json`; `matcher export` writes a complete folder).
"""


def metric_lines(
    metrics: Mapping[str, Mapping[str, Mapping[str, Any]]], metric: str = PRIMARY_METRIC
) -> list[str]:
    """One line per view: the model's value vs the best baseline (name, value and difference)."""
    lines = []
    for view, systems in metrics.items():
        model = (systems.get("model") or {}).get(metric)
        if model is None:
            continue
        base: dict[str, float] = {
            s: float(v[metric])
            for s, v in systems.items()
            if s not in NOT_BASELINES and v.get(metric) is not None
        }
        if base:
            best = max(base, key=lambda s: base[s])
            lines.append(
                f"- {view}: model {model:.4f} vs best baseline {best} {base[best]:.4f} "
                f"({model - base[best]:+.4f})"
            )
        else:
            lines.append(f"- {view}: model {model:.4f} (no baseline)")
    return lines


def params_diff(new: Mapping[str, str], old: Mapping[str, str]) -> list[str]:
    """``- key: old -> new`` for every param that changed, was added or removed (``lib.*`` and
    data params included: they explain a difference as much as the config does)."""
    keys = sorted((set(new) | set(old)) - set(IGNORED_PARAMS))
    out = []
    for k in keys:
        a, b = old.get(k), new.get(k)
        if a != b:
            out.append(
                f"- `{k}`: {a if a is not None else '(absent)'} -> {b if b is not None else '(absent)'}"
            )
    return out


def previous_version(client: MlflowClient, name: str, version: str) -> Any | None:
    """The highest registered version below ``version`` (None for the first one)."""
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    older = [v for v in versions if int(v.version) < int(version)]
    return max(older, key=lambda v: int(v.version)) if older else None


def version_description(
    *,
    fingerprint: Mapping[str, Any],
    metrics: Mapping[str, Any],
    params: Mapping[str, str],
    git_commit: str,
    previous: Any | None = None,
    previous_params: Mapping[str, str] | None = None,
    catalogue_sha256: str | None = None,
) -> str:
    """The Markdown description of one model version."""
    lines = ["**Data** (sha256 of every row; the run's Datasets tab has each table):"]
    for t in TABLES:
        fp = fingerprint.get(t) or {}
        lines.append(
            f"- {t}: {fp.get('rows', '?')} rows, sha256 `{str(fp.get('sha256', ''))[:12]}`"
        )
    lines.append(
        f"- market sha256 `{str(fingerprint.get('sha256', ''))[:12]}`; code `{git_commit[:12]}`"
    )
    if catalogue_sha256:
        lines.append(
            f"- catalogue `{catalogue_sha256[:12]}` (stored once, referenced by this version)"
        )
    lines += ["", f"**Held-out {PRIMARY_METRIC}** per evaluation view (model vs best baseline):"]
    lines += metric_lines(metrics) or ["- (not evaluated)"]
    lines.append("")
    if previous is None:
        lines.append("**Changes**: first version.")
    else:
        diff = params_diff(params, previous_params or {})
        lines.append(f"**Changes vs version {previous.version}** (run params):")
        if not diff:
            lines.append("- none: same config, data and libraries")
        lines += diff[:MAX_DIFF_LINES]
        if len(diff) > MAX_DIFF_LINES:
            lines.append(
                f"- ... and {len(diff) - MAX_DIFF_LINES} more (compare the runs in the UI)"
            )
    return "\n".join(lines)


def describe_version(
    client: MlflowClient,
    name: str,
    version: str,
    *,
    fingerprint: Mapping[str, Any],
    metrics: Mapping[str, Any],
    params: Mapping[str, str],
    git_commit: str,
    catalogue_sha256: str | None = None,
) -> str:
    """Set the registered model's description and this version's; returns the version's."""
    prev = previous_version(client, name, version)
    prev_params: dict[str, str] = {}
    if prev is not None and prev.run_id:
        try:
            prev_params = dict(client.get_run(prev.run_id).data.params)
        except MlflowException:
            logger.warning(
                "cannot read the run of %s version %s; its params are not compared",
                name,
                prev.version,
            )
    text = version_description(
        fingerprint=fingerprint,
        metrics=metrics,
        params=params,
        git_commit=git_commit,
        previous=prev,
        previous_params=prev_params,
        catalogue_sha256=catalogue_sha256,
    )
    client.update_registered_model(name, description=MODEL_DESCRIPTION)
    client.update_model_version(name, version, description=text)
    return text
