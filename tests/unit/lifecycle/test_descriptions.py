"""What a run's Datasets and a model version's description say (pure helpers; the end-to-end
checks against a real store are in tests/integration/test_lifecycle.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from matcher.data.labels import Split
from matcher.lifecycle.datasets import SHA_TAG, market_datasets, table_source
from matcher.lifecycle.descriptions import metric_lines, params_diff, version_description
from matcher.lifecycle.runs import data_fingerprint

METRICS = {
    "logged": {
        "model": {"ndcg@10": 0.5},
        "cosine": {"ndcg@10": 0.4},
        "random": {"ndcg@10": 0.1},
        "oracle": {"ndcg@10": 0.9},
    },
    "catalogue": {"model": {"ndcg@10": 0.3}, "followers": {"ndcg@10": 0.35}},
    "empty": {"cosine": {"ndcg@10": 0.2}},
}


def test_metric_lines_compare_the_model_with_the_best_baseline_per_view():
    assert (
        metric_lines(METRICS)
        == [
            "- logged: model 0.5000 vs best baseline cosine 0.4000 (+0.1000)",  # the oracle is not a baseline
            "- catalogue: model 0.3000 vs best baseline followers 0.3500 (-0.0500)",
        ]
    )
    assert metric_lines({"v": {"model": {"ndcg@10": 0.25}}}) == ["- v: model 0.2500 (no baseline)"]


def test_params_diff_lists_changed_added_and_removed_params_but_not_paths():
    assert params_diff(
        {"seed": "2", "ranker.num_leaves": "7", "out_dir": "b", "new": "x"},
        {"seed": "1", "ranker.num_leaves": "7", "lib.x": "1", "out_dir": "a"},
    ) == ["- `lib.x`: 1 -> (absent)", "- `new`: (absent) -> x", "- `seed`: 1 -> 2"]
    assert params_diff({"a": "1"}, {"a": "1"}) == []


def test_version_description_says_data_metrics_and_changes(tiny_tables):
    fp = data_fingerprint(tiny_tables)
    first = version_description(
        fingerprint=fp, metrics=METRICS, params={"seed": "1"}, git_commit="abc123def4567890"
    )
    assert (
        f"- influencers: {len(tiny_tables.influencers)} rows, sha256 `{fp['influencers']['sha256'][:12]}`"
        in first
    )
    assert "- logged: model 0.5000 vs best baseline cosine 0.4000 (+0.1000)" in first
    assert (
        "code `abc123def456`" in first and "first version" in first and "catalogue `" not in first
    )
    many = {f"p{i}": str(i) for i in range(40)}
    later = version_description(
        fingerprint=fp,
        metrics={},
        params=many,
        git_commit="x",
        previous=SimpleNamespace(version="3"),
        previous_params={},
        catalogue_sha256="f" * 64,
    )
    assert "**Changes vs version 3**" in later and "- (not evaluated)" in later
    assert "- `p0`: (absent) -> 0" in later and "... and 10 more" in later
    assert "- catalogue `ffffffffffff` (stored once" in later


def test_market_datasets_name_each_table_with_its_source_and_hash(tiny_tables, tmp_path):
    (tmp_path / "influencers.csv").write_text("x\n")
    (tmp_path / "posts.parquet").write_bytes(b"")
    assert table_source(tmp_path, "influencers") == str(tmp_path.resolve() / "influencers.csv")
    assert table_source(tmp_path, "posts") == str(tmp_path.resolve() / "posts.parquet")
    assert table_source(tmp_path, "outcomes") == str(tmp_path.resolve())  # no file of its own
    fp = data_fingerprint(tiny_tables)
    split = Split(train=["b1", "b2"], valid=["b3"], test=["b4"])
    items = market_datasets(tiny_tables, tmp_path, split, fp)
    got = {ds.name: (ctx, tags, ds) for ds, ctx, tags in items}
    assert list(got) == [
        "influencers",
        "posts",
        "briefs",
        "outcomes",
        "split.train",
        "split.valid",
        "split.test",
    ]
    ctx, tags, ds = got["briefs"]
    assert (
        ctx == "training"
        and tags[SHA_TAG] == fp["briefs"]["sha256"]
        and tags["rows"] == str(len(tiny_tables.briefs))
    )
    assert ds.profile["num_rows"] == len(tiny_tables.briefs) and len(ds.digest) > 0
    assert [got[f"split.{p}"][0] for p in ("train", "valid", "test")] == [
        "training",
        "validation",
        "testing",
    ]
    assert got["split.train"][2].df["brief_id"].tolist() == ["b1", "b2"]
    changed = tiny_tables.briefs.copy()
    changed.loc[changed.index[0], "text"] = "something else entirely"
    other = market_datasets(
        SimpleNamespace(**{**vars(tiny_tables), "briefs": changed}), tmp_path, None, fp
    )
    assert {ds.name: ds.digest for ds, _, _ in other}[
        "briefs"
    ] != ds.digest  # the digest sees the data
    assert len(other) == 4 and isinstance(changed, pd.DataFrame)
