"""The promotion gate's comparison and decision rule, without a tracking store: the paired
comparison of ``matcher.evaluation.compare`` on the tiny market, and ``gate_passes`` on
hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.config import GateConfig
from matcher.evaluation.compare import compare_offline
from matcher.evaluation.offline import evaluate
from matcher.lifecycle.promotion import COMPARED_METRICS, compare_pipelines, gate_passes
from matcher.ranking.pipeline import MatchPipeline
from tests.helpers import TinyTruth

COLUMNS = [
    "metric",
    "primary",
    "mean_a",
    "mean_b",
    "mean_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "wins",
    "ties",
    "losses",
    "n",
]  # p_adjusted: added with the segment p-value correction (issue 15)


@pytest.fixture
def worse_pipeline(tiny_pipeline_dir):
    """The same models, with the final score dominated by predicted engagement (which says
    nothing about a creator's niche): clearly worse, without training another model."""
    pipe = MatchPipeline.load(tiny_pipeline_dir)
    scoring = pipe.config.scoring.model_copy(update={"engagement_weight": 50.0})
    pipe.config = pipe.config.model_copy(update={"scoring": scoring})
    return pipe


def test_identical_pipelines_tie_exactly(tiny_pipeline, tiny_tables):
    ids = tiny_tables.briefs["brief_id"].astype(str).tolist()[:10]
    comparison, per_brief = compare_pipelines(
        tiny_pipeline, tiny_pipeline, tiny_tables, ids, GateConfig()
    )
    assert list(comparison.columns) == COLUMNS
    assert comparison["metric"].tolist() == list(COMPARED_METRICS)
    assert comparison["primary"].tolist() == [m == "ndcg@10" for m in COMPARED_METRICS]
    assert (comparison["mean_diff"] == 0).all() and (comparison["p_value"] == 1).all()
    assert (comparison["wins"] == 0).all() and (comparison["losses"] == 0).all()
    assert (comparison["ties"] == comparison["n"]).all() and comparison.set_index("metric").loc[
        "ndcg@10", "n"
    ] == 10
    assert list(per_brief.columns) == ["brief_id", "metric", "champion", "challenger"]
    assert per_brief["metric"].tolist() == [
        m for m in COMPARED_METRICS for _ in ids
    ]  # metric by metric
    assert per_brief["brief_id"].tolist() == ids * len(COMPARED_METRICS)
    assert gate_passes(comparison, GateConfig())[0]


def test_per_brief_values_are_each_versions_evaluation(tiny_pipeline, worse_pipeline, tiny_tables):
    ids = tiny_tables.briefs["brief_id"].astype(str).tolist()[:10]
    _, per_brief = compare_pipelines(tiny_pipeline, worse_pipeline, tiny_tables, ids, GateConfig())
    for role, pipe in (("champion", tiny_pipeline), ("challenger", worse_pipeline)):
        pq = evaluate(pipe, tiny_tables, ids, progress=False).per_query
        pq = pq[pq["system"] == "model"].set_index("brief_id")
        for m in COMPARED_METRICS:
            got = per_brief.loc[per_brief["metric"] == m].set_index("brief_id")[role]
            np.testing.assert_array_equal(got.to_numpy(), pq.loc[ids, m].to_numpy())


def test_a_worse_challenger_fails_the_gate_in_the_catalogue_view(
    tiny_pipeline, worse_pipeline, tiny_tables
):
    ids = tiny_tables.briefs["brief_id"].astype(str).tolist()
    truth = TinyTruth(tiny_tables.briefs)
    gate = GateConfig(view="catalogue")
    comparison, _ = compare_pipelines(tiny_pipeline, worse_pipeline, tiny_tables, ids, gate, truth)
    row = comparison.set_index("metric").loc["ndcg@10"]
    assert row["mean_diff"] < -0.2 and row["losses"] > row["wins"] and row["n"] == len(ids)
    ok, message = gate_passes(comparison, gate)
    assert not ok and message.startswith("fails: catalogue ndcg@10 challenger")
    # the same creators in both catalogues: the gate's numbers are the offline A/B's overall numbers
    ab = compare_offline(
        tiny_pipeline,
        worse_pipeline,
        tiny_tables,
        ids,
        truth,
        metrics=COMPARED_METRICS,
        views=("catalogue",),
        segments=False,
    )
    pd.testing.assert_frame_equal(
        comparison.drop(columns="primary"),
        ab.comparisons.drop(columns=["view", "segment_type", "segment"]),
    )


def test_compare_pipelines_refuses_what_it_cannot_compare(tiny_pipeline, tiny_tables):
    with pytest.raises(ValueError, match="needs the simulator's truth"):
        compare_pipelines(
            tiny_pipeline, tiny_pipeline, tiny_tables, ["b000"], GateConfig(view="catalogue")
        )
    with pytest.raises(ValueError, match="gate metric 'ndcg@3' is not computed"):
        compare_pipelines(
            tiny_pipeline, tiny_pipeline, tiny_tables, ["b000"], GateConfig(metric="ndcg@3")
        )
    with pytest.raises(ValueError, match="no held-out brief could be evaluated in the logged view"):
        compare_pipelines(tiny_pipeline, tiny_pipeline, tiny_tables, ["nope"], GateConfig())


def _table(diff: float, n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": "ndcg@10",
                "primary": True,
                "mean_a": 0.5,
                "mean_b": 0.5 + diff,
                "mean_diff": diff,
                "ci_low": diff - 0.01,
                "ci_high": diff + 0.01,
                "p_value": 0.2,
                "wins": 5,
                "ties": 10,
                "losses": 5,
                "n": n,
            }
        ]
    )


@pytest.mark.parametrize(
    ("diff", "tolerance", "passes"),
    [
        (-0.005, 0.01, True),
        (-0.01, 0.01, True),
        (-0.02, 0.01, False),
        (0.0, 0.0, True),
        (-1e-6, 0.0, False),
    ],
)
def test_gate_is_a_tolerance_on_the_mean_difference(diff, tolerance, passes):
    ok, message = gate_passes(_table(diff), GateConfig(tolerance=tolerance))
    assert ok is passes
    assert (
        message.startswith("passes" if passes else "fails") and f"tolerance {tolerance}" in message
    )
    assert f"diff {diff:+.4f}" in message and "n=20" in message


def test_gate_fails_when_no_brief_has_the_metric():
    ok, message = gate_passes(_table(float("nan"), n=0), GateConfig())
    assert not ok and message == "no held-out brief has a defined ndcg@10: nothing to compare"
