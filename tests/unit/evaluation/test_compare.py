"""The paired comparison of two pipelines: the stats table over a hand-built per-brief table,
segments with known members, shared vs own lists, and the offline A/B report helpers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from matcher.evaluation.compare import (
    PER_BRIEF_COLUMNS,
    OfflineComparison,
    compare_offline,
    paired_rankings,
    paired_table,
)
from matcher.evaluation.offline import evaluate
from matcher.evaluation.report import compare_held_out, offline_mlflow_metrics
from matcher.evaluation.segments import brief_groups, brief_niches, creator_segmenter
from tests.helpers import TinyTruth


def _per_brief(
    a: list[float], b: list[float], metric: str = "ndcg@10", view: str = "logged"
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (view, "all", "all", f"b{i}", metric, x, y, y - x)
            for i, (x, y) in enumerate(zip(a, b, strict=True))
        ],
        columns=list(PER_BRIEF_COLUMNS),
    )


def test_paired_table_known_answer():
    pb = pd.concat(
        [
            _per_brief([0.5, 0.5, 0.5, 0.2], [1.0, 0.5, 0.0, 0.6]),
            _per_brief([0.1, np.nan], [0.3, 0.9], metric="map"),
        ],
        ignore_index=True,
    )
    t = paired_table(pb, n_boot=200).set_index("metric")
    assert list(t.index) == ["ndcg@10", "map"]  # first-seen order
    r = t.loc["ndcg@10"]
    assert r["mean_a"] == pytest.approx(0.425) and r["mean_b"] == pytest.approx(0.525)
    assert r["mean_diff"] == pytest.approx(0.1)
    assert (r["wins"], r["ties"], r["losses"], r["n"]) == (2, 1, 1, 4)
    m = t.loc["map"]  # the NaN pair is dropped
    assert m["n"] == 1 and m["mean_diff"] == pytest.approx(0.2) and m["wins"] == 1


def test_creator_segments_known_members():
    a = SimpleNamespace(
        ids=np.array(["x", "y", "z"], dtype=object), followers=np.array([5_000.0, 20_000, 60_000])
    )
    b = SimpleNamespace(
        ids=np.array(["z", "w"], dtype=object), followers=np.array([900.0, 200_000])
    )
    split = creator_segmenter([a, b], known={"y", "w"})
    got = {(t, s): m.tolist() for t, s, m in split(["x", "y", "z", "w"])}
    assert got == {
        ("tier", "nano"): [True, False, False, False],
        ("tier", "micro"): [False, True, False, False],
        ("tier", "mid"): [False, False, True, False],  # z's followers from the first catalogue
        ("tier", "macro"): [False, False, False, True],
        ("cold_start", "new"): [True, False, True, False],
        ("cold_start", "known"): [False, True, False, True],
    }
    assert [(t, s) for t, s, _ in split(["y"])] == [
        ("tier", "micro"),
        ("cold_start", "known"),
    ]  # no empty segment


def test_brief_groups_use_the_truth_niche_else_the_brand(tiny_tables):
    truth = TinyTruth(tiny_tables.briefs)
    assert brief_groups(tiny_tables, ["b000", "b005"], truth) == {
        "b000": "running",
        "b005": "baking",
    }
    assert brief_groups(tiny_tables, ["b000", "b005", "zz"]) == {
        "b000": "brand brand0",
        "b005": "brand brand1",
        "zz": "brand ?",
    }
    assert brief_niches(SimpleNamespace(brief_niches={"b000": "x"}), ["b000", "b001"]) == {
        "b000": "x",
        "b001": "unknown",
    }


def test_same_pipeline_twice_is_an_exact_tie_in_both_list_modes(tiny_pipeline, tiny_tables):
    ids = tiny_tables.briefs["brief_id"].astype(str).tolist()[:12]
    truth = TinyTruth(tiny_tables.briefs)
    for shared in (True, False):
        comp = compare_offline(
            tiny_pipeline,
            tiny_pipeline,
            tiny_tables,
            ids,
            truth,
            n_boot=100,
            shared=shared,
            segments=False,
        )
        c = comp.comparisons
        assert set(c["segment_type"]) == {"all"} and set(c["view"]) == {"logged", "catalogue"}
        assert (c["mean_diff"] == 0).all() and (c["wins"] == 0).all() and (c["losses"] == 0).all()
        assert (c["n"] == 12).all() and (c["p_value"] == 1).all()
        assert len(comp.per_brief) == 2 * 12 * 4 and (comp.per_brief["diff"] == 0).all()


def test_own_lists_are_each_pipeline_evaluation_and_shared_lists_are_common_creators(
    tiny_pipeline, tiny_tables
):
    """B's catalogue lacks the running creators: with own lists each side is its own evaluation;
    with shared lists both rank the creators both know, so A's number changes too."""
    ids = ["b000", "b001", "b002"]  # running, baking, gaming
    small = _without(tiny_pipeline, tiny_tables, "run")
    own = paired_rankings(tiny_pipeline, small, tiny_tables, ids, shared=False)
    shared = paired_rankings(tiny_pipeline, small, tiny_tables, ids, shared=True)
    assert [p.brief_id for p in own] == [p.brief_id for p in shared] == ids
    r_own, r_shared = own[0], shared[0]
    assert r_own.a.ids[:3] == ["run06", "run10", "run05"] and not any(
        i.startswith("run") for i in r_own.b.ids
    )
    assert r_shared.a.ids == r_shared.b.ids == r_own.b.ids
    comp = compare_offline(
        tiny_pipeline,
        small,
        tiny_tables,
        ids,
        metrics=("ndcg@10",),
        shared=False,
        segments=False,
        n_boot=100,
    )
    ev = evaluate(tiny_pipeline, tiny_tables, ids, progress=False).per_query
    np.testing.assert_array_equal(comp.per_brief["a"], ev.loc[ev["system"] == "model", "ndcg@10"])
    # B's b000 list has no running creator, and nobody else was contacted: no NDCG, no pair
    assert comp.per_brief["b"].isna().tolist() == [True, False, False]
    assert comp.comparisons.loc[0, "n"] == 2


def test_segments_cover_every_brief_and_creator_of_the_list(tiny_pipeline, tiny_tables):
    ids = tiny_tables.briefs["brief_id"].astype(str).tolist()[:8]
    comp = compare_offline(
        tiny_pipeline, tiny_pipeline, tiny_tables, ids, metrics=("ndcg@10",), n_boot=100
    )
    pb = comp.per_brief
    assert set(pb["segment_type"]) == {"all", "niche", "tier", "cold_start"}
    assert (pb.groupby("segment_type")["brief_id"].nunique() == 8).all()
    assert set(pb.loc[pb["segment_type"] == "niche", "segment"]) == {
        f"brand brand{i}" for i in range(4)
    }
    assert set(pb.loc[pb["segment_type"] == "cold_start", "segment"]) <= {"new", "known"}


def test_offline_mlflow_metrics_use_the_callers_names():
    comparisons = paired_table(_per_brief([0.2, 0.4], [0.4, 0.4]), n_boot=100)
    comp = OfflineComparison("A", "B", comparisons, pd.DataFrame())
    got = offline_mlflow_metrics(comp, lambda *parts: "/".join(parts))
    assert set(got) == {
        f"logged/ndcg@10/{k}"
        for k in ("mean_a", "mean_b", "mean_diff", "ci_low", "ci_high", "p_value")
    }
    assert got["logged/ndcg@10/mean_diff"] == pytest.approx(0.1) and got[
        "logged/ndcg@10/mean_a"
    ] == pytest.approx(0.3)


def test_compare_held_out_records_refs_and_versions(tiny_pipeline, tiny_market_dir):
    tiny_pipeline.metadata["test_brief_ids"] = ["b038", "b039", "zz"]
    comp = compare_held_out(
        tiny_pipeline,
        tiny_pipeline,
        tiny_market_dir,
        refs=("champion", "./m"),
        versions=("3", "./m"),
        n_boot=100,
    )
    assert comp.info == {
        "a_ref": "champion",
        "b_ref": "./m",
        "a_version": "3",
        "b_version": "./m",
        "data_dir": str(tiny_market_dir),
        "n_briefs": 2,
    }
    assert set(comp.per_brief["brief_id"]) == {"b038", "b039"} and set(comp.per_brief["view"]) == {
        "logged"
    }
    tiny_pipeline.metadata.pop("data_dir", None)
    with pytest.raises(ValueError, match="model champion does not record its data directory"):
        compare_held_out(tiny_pipeline, tiny_pipeline, refs=("champion", "x"))


def _without(pipe, tables, prefix: str):
    """The same models over the catalogue without the creators whose id starts with ``prefix``."""
    inf, posts = tables.influencers, tables.posts
    return pipe.with_catalogue(
        inf[~inf["influencer_id"].str.startswith(prefix)],
        posts[~posts["influencer_id"].str.startswith(prefix)],
    )
