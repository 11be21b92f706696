"""Single-pipeline evaluation on the tiny market: the three views, the profile-only view's
baselines, segments whose members and counts are known, and the ``evaluate --json`` layout."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.evaluation.metrics import METRICS, ndcg_at_k
from matcher.evaluation.offline import SEGMENT_COLUMNS, SYSTEMS, EvaluationResult, evaluate
from matcher.evaluation.segments import brief_language, profile_segmenter
from matcher.evaluation.views import (
    brief_queries,
    held_out_briefs,
    model_scores,
    profile_only,
    ranked_views,
)
from matcher.schemas import Brief
from tests.helpers import TinyTruth, make_tiny_market, tiny_tables_from

IDS = [
    f"b{i:03d}" for i in range(8)
]  # two briefs per niche: running, baking, gaming, gardening, ...
SPANISH = ["run00", "bak00"]  # creators whose language is set to "es"
NO_POSTS = ["gam01", "gar02"]  # creators whose posts are dropped


@pytest.fixture(scope="module")
def market():
    m = make_tiny_market()
    inf, posts, briefs = m["influencers"], m["posts"], m["briefs"]
    inf.loc[inf[S.INFLUENCER_ID].isin(SPANISH), S.LANGUAGE] = "es"
    m["posts"] = posts[~posts[S.INFLUENCER_ID].isin(NO_POSTS)].reset_index(drop=True)
    briefs.loc[briefs[S.BRIEF_ID] == "b001", S.BRIEF_LANGUAGE] = "es"
    return m


@pytest.fixture
def segmented(tiny_pipeline, market):
    """The tiny pipeline over the market's (edited) catalogue, evaluated on ``IDS`` with the truth."""
    tables = tiny_tables_from(market)
    pipe = tiny_pipeline.with_catalogue(tables.influencers, tables.posts)
    truth = TinyTruth(tables.briefs)
    return pipe, tables, truth, evaluate(pipe, tables, IDS, truth, progress=False)


def _row(
    seg: pd.DataFrame,
    view: str,
    seg_type: str,
    segment: str,
    system: str = "model",
    metric: str = "ndcg@10",
) -> pd.Series:
    r = seg[
        (seg["view"] == view)
        & (seg["segment_type"] == seg_type)
        & (seg["segment"] == segment)
        & (seg["system"] == system)
        & (seg["metric"] == metric)
    ]
    assert len(r) == 1, (view, seg_type, segment, system, metric)
    return r.iloc[0]


def test_every_view_and_system_is_evaluated(segmented):
    _, _, _, res = segmented
    m = res.metrics()
    assert list(m) == ["logged", "catalogue", "profile-only"]
    for view in m:
        assert list(m[view]) == list(SYSTEMS) and list(m[view]["model"]) == list(METRICS)
    assert m["profile-only"]["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert (res.per_query.groupby(["view", "system"]).size() == len(IDS)).all()


def test_profile_only_needs_the_truth_and_can_be_left_out(tiny_pipeline, tiny_tables):
    assert list(evaluate(tiny_pipeline, tiny_tables, IDS, progress=False).metrics()) == ["logged"]
    truth = TinyTruth(tiny_tables.briefs)
    two = evaluate(
        tiny_pipeline, tiny_tables, IDS, truth, views=("logged", "catalogue"), progress=False
    )
    three = evaluate(tiny_pipeline, tiny_tables, IDS, truth, progress=False)
    assert list(two.metrics()) == ["logged", "catalogue"]
    # the new view comes after the others: their numbers (random baseline included) do not move
    pd.testing.assert_frame_equal(
        two.summary, three.summary[three.summary["view"] != "profile-only"]
    )


def test_profile_only_cosine_is_bio_only_cosine(segmented):
    """The profile-only cosine baseline ranks by the bio vector alone: the full catalogue's bio
    embeddings give the same per-brief numbers, its profile vectors (bio + posts) do not."""
    pipe, tables, truth, res = segmented
    briefs = held_out_briefs(tables, IDS)
    q = brief_queries(pipe, briefs)
    bare = profile_only(pipe, tables)
    bio, mixed = [], []
    for v in ranked_views(bare, tables, briefs, truth, ("catalogue",)):
        rows = pipe.catalogue.rows_for(v.ids)
        bio.append(ndcg_at_k(v.y, pipe.catalogue.bio_emb[rows] @ q[v.brief_id], 10))
        mixed.append(ndcg_at_k(v.y, pipe.catalogue.profile[rows] @ q[v.brief_id], 10))
    pq = res.per_query
    got = pq[(pq["view"] == "profile-only") & (pq["system"] == "cosine")]
    assert got["brief_id"].tolist() == IDS
    np.testing.assert_allclose(got["ndcg@10"], bio, atol=1e-9)
    assert not np.allclose(got["ndcg@10"], mixed, atol=1e-6)
    # no engagement is known without posts: that baseline keeps list order, for every brief
    eng = pq[(pq["view"] == "profile-only") & (pq["system"] == "engagement")]["ndcg@10"].to_numpy()
    in_order = [
        ndcg_at_k(v.y, -np.arange(len(v.y)), 10)
        for v in ranked_views(bare, tables, briefs, truth, ("catalogue",))
    ]
    np.testing.assert_allclose(eng, in_order, atol=1e-9)


def test_segments_long_table_known_counts(segmented):
    """Brief b001 is Spanish; run00 and bak00 are Spanish creators; gam01 and gar02 have no posts.
    No filter binds, so every catalogue list holds all 48 creators; a sub-list has a defined
    ndcg only where one of its creators is of the brief's niche."""
    _, _, _, res = segmented
    seg = res.segments
    assert list(seg.columns) == list(SEGMENT_COLUMNS)
    assert list(dict.fromkeys(seg["segment_type"])) == [
        "brief_language",
        "creator_language",
        "completeness",
    ]
    for view in ("logged", "catalogue", "profile-only"):
        assert _row(seg, view, "brief_language", "es")["n_briefs"] == 1
        assert _row(seg, view, "brief_language", "en")["n_briefs"] == 7
    for view in ("catalogue", "profile-only"):
        assert _row(seg, view, "creator_language", "en")["n_briefs"] == 8
        assert (
            _row(seg, view, "creator_language", "es")["n_briefs"] == 4
        )  # running and baking briefs
        assert _row(seg, view, "completeness", "with-posts")["n_briefs"] == 8
        assert (
            _row(seg, view, "completeness", "bio-only")["n_briefs"] == 4
        )  # gaming and gardening briefs
        assert _row(seg, view, "creator_language", "es", "oracle")["value"] == pytest.approx(1.0)
        # a two-creator sub-list with one relevant: ndcg 1 (first) or 1/log2(3) (second)
        assert _row(seg, view, "creator_language", "es", "random", "recall@50")[
            "value"
        ] == pytest.approx(1.0)
    assert "unknown" not in set(seg["segment"])  # every creator has a language


def test_segment_values_are_the_re_scored_sub_lists(segmented):
    """Known answer by hand: the model's ndcg@10 on the Spanish creators of each catalogue list."""
    pipe, tables, truth, res = segmented
    briefs = held_out_briefs(tables, IDS)
    q = brief_queries(pipe, briefs)
    split = profile_segmenter([pipe.catalogue])
    values = []
    for v in ranked_views(pipe, tables, briefs, truth, ("catalogue",)):
        (mask,) = [m for t, s, m in split(v.ids) if (t, s) == ("creator_language", "es")]
        assert [i for i, keep in zip(v.ids, mask, strict=True) if keep] == SPANISH
        values.append(ndcg_at_k(v.y[mask], model_scores(pipe, v, q[v.brief_id])[mask], 10))
    assert sum(np.isfinite(values)) == 4
    assert set(np.round(np.array(values)[np.isfinite(values)], 6)) <= {
        1.0,
        round(1 / np.log2(3), 6),
    }
    assert _row(res.segments, "catalogue", "creator_language", "es")["value"] == pytest.approx(
        np.nanmean(values)
    )


def test_profile_segmenter_known_members():
    from types import SimpleNamespace

    a = SimpleNamespace(
        ids=np.array(["x", "y", "z"], dtype=object),
        languages=np.array(["en", "", "es"], dtype=object),
        post_offsets=np.array([0, 2, 2, 5]),
    )
    b = SimpleNamespace(
        ids=np.array(["z", "w"], dtype=object),
        languages=np.array(["de", "de"], dtype=object),
        post_offsets=np.array([0, 0, 0]),
    )
    got = {(t, s): m.tolist() for t, s, m in profile_segmenter([a, b])(["x", "y", "z", "w"])}
    assert got == {
        ("creator_language", "de"): [False, False, False, True],
        ("creator_language", "en"): [True, False, False, False],
        ("creator_language", "es"): [False, False, True, False],  # z from the first catalogue
        ("creator_language", "unknown"): [False, True, False, False],
        ("completeness", "bio-only"): [False, True, False, True],
        ("completeness", "with-posts"): [True, False, True, False],
    }
    assert (
        brief_language(Brief(text="x")) == "en"
        and brief_language(Brief(text="x", language="pt")) == "pt"
    )


def test_json_layouts_and_segment_table(segmented):
    _, _, _, res = segmented
    nested = res.segment_metrics()
    assert list(nested) == ["logged", "catalogue", "profile-only"]
    r = _row(res.segments, "profile-only", "completeness", "bio-only", "cosine", "map")
    assert nested["profile-only"]["completeness"]["bio-only"]["cosine"]["map"] == pytest.approx(
        r["value"]
    )
    json.dumps({"metrics": res.metrics(), "segments": nested}, allow_nan=False)  # NaN became null
    t = res.segment_table("ndcg@10", ("model", "cosine"))
    assert list(t.columns[:3]) == [
        ("logged", "model"),
        ("logged", "cosine"),
        ("logged", "n_briefs"),
    ]
    assert list(t.index[:2]) == [("brief_language", "en"), ("brief_language", "es")]
    assert t.loc[("creator_language", "es"), ("catalogue", "n_briefs")] == 4
    assert t.loc[("completeness", "bio-only"), ("profile-only", "cosine")] == pytest.approx(
        _row(res.segments, "profile-only", "completeness", "bio-only", "cosine")["value"]
    )
    assert EvaluationResult(res.per_query, res.summary).segment_table().empty


def test_segments_can_be_skipped(tiny_pipeline, tiny_tables):
    res = evaluate(tiny_pipeline, tiny_tables, IDS[:2], progress=False, segments=False)
    assert res.segments.empty and list(res.segments.columns) == list(SEGMENT_COLUMNS)


def test_metric_names_are_valid_in_mlflow(segmented):
    from mlflow.utils.validation import _validate_metric_name

    from matcher.lifecycle.store import flat_metrics

    names = flat_metrics(segmented[3].metrics())
    assert "profile-only.model.ndcg_at_10" in names
    for name in names:
        _validate_metric_name(name)  # raises on a bad name


def test_cli_evaluate_prints_segments_and_their_json(tiny_pipeline_dir, tiny_market_dir):
    from typer.testing import CliRunner

    from matcher.cli.main import app

    runner = CliRunner()
    args = ["evaluate", "--data", str(tiny_market_dir), "--model", str(tiny_pipeline_dir)]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert list(d) == ["metrics", "segments"] and list(d["metrics"]) == [
        "logged"
    ]  # no truth: logged only
    seg = d["segments"]["logged"]
    assert list(seg) == ["brief_language", "creator_language", "completeness"]
    assert list(seg["brief_language"]) == ["en"] and list(seg["completeness"]) == ["with-posts"]
    assert seg["brief_language"]["en"]["model"]["ndcg@10"] == pytest.approx(
        d["metrics"]["logged"]["model"]["ndcg@10"]
    )
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert (
        "ndcg@10 by segment" in r.stdout
        and "creator lang: en" in r.stdout
        and "data: with-posts" in r.stdout
    )
