"""``matcher catalogue update|list``: counts, a new current version, and one-line errors."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher import schemas as S
from matcher.cli.main import app
from matcher.ranking.catalogue_files import current_version, list_versions

runner = CliRunner()


def _err(r) -> str:
    return " ".join(r.stderr.split())


@pytest.fixture
def model_dir(tiny_pipeline_dir, tmp_path):
    return shutil.copytree(tiny_pipeline_dir, tmp_path / "model")


@pytest.fixture
def data_dir(tiny_market, tmp_path):
    """The tiny market's catalogue with one bio changed and one creator gone."""
    d = tmp_path / "data"
    d.mkdir()
    inf = tiny_market["influencers"].copy()
    inf.loc[inf[S.INFLUENCER_ID] == "gam02", S.BIO] = "Retro console repairs"
    inf = inf[inf[S.INFLUENCER_ID] != "gar09"]
    inf.to_csv(d / "influencers.csv", index=False)
    posts = tiny_market["posts"]
    posts[posts[S.INFLUENCER_ID] != "gar09"].to_parquet(d / "posts.parquet", index=False)
    return d


def test_dry_run_update_and_list(model_dir, data_dir):
    parent = current_version(model_dir)
    r = runner.invoke(
        app,
        ["catalogue", "update", "--model", str(model_dir), "--data", str(data_dir), "--dry-run"],
    )
    assert r.exit_code == 0, r.output
    assert "dry run: 0 added, 1 changed, 1 removed, 46 unchanged; would embed 5 texts" in r.stdout
    assert list_versions(model_dir) == [parent]

    r = runner.invoke(
        app, ["catalogue", "update", "--model", str(model_dir), "--data", str(data_dir), "--json"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert (rep["changed"], rep["removed"], rep["texts_embedded"]) == (1, 1, 5)
    assert rep["published"] and rep["parent"] == parent
    assert current_version(model_dir) == rep["version"]

    r = runner.invoke(
        app, ["catalogue", "update", "--model", str(model_dir), "--data", str(data_dir)]
    )
    assert r.exit_code == 0 and "nothing changed" in r.stdout

    r = runner.invoke(app, ["catalogue", "list", "--model", str(model_dir), "--json"])
    rows = json.loads(r.stdout)
    assert [(x["version"], x["current"], x["parent"]) for x in rows] == [
        (parent, False, None),
        (rep["version"], True, parent),
    ]
    table = runner.invoke(app, ["catalogue", "list", "--model", str(model_dir)]).stdout
    assert rep["version"] in table and "47" in table


def test_errors_are_one_line(model_dir, data_dir, tmp_path):
    r = runner.invoke(
        app, ["catalogue", "update", "--model", str(tmp_path / "nope"), "--data", str(data_dir)]
    )
    assert (
        r.exit_code == 2
        and "error: --model: model folder" in _err(r)
        and "Traceback" not in r.output
    )
    r = runner.invoke(
        app, ["catalogue", "update", "--model", str(data_dir), "--data", str(data_dir)]
    )
    assert r.exit_code == 2 and "is not a saved model" in _err(r)
    r = runner.invoke(
        app, ["catalogue", "update", "--model", str(model_dir), "--data", str(tmp_path / "none")]
    )
    assert r.exit_code == 2 and "data directory" in _err(r) and "does not exist" in _err(r)
    bad = tmp_path / "bad"
    bad.mkdir()
    pd.DataFrame(
        {
            S.INFLUENCER_ID: ["x"],
            S.HANDLE: ["@x"],
            S.PLATFORM: ["myspace"],
            S.FOLLOWERS: [10],
            S.BIO: ["hi"],
        }
    ).to_csv(bad / "influencers.csv", index=False)
    r = runner.invoke(app, ["catalogue", "update", "--model", str(model_dir), "--data", str(bad)])
    assert r.exit_code == 2 and "influencers.csv" in _err(r) and "platform" in _err(r)
    assert len(list_versions(model_dir)) == 1


def _add_versions(model_dir, names):
    """Copies of the current version under later names and ``created_at`` (cheap versions)."""
    from matcher.ranking.catalogue_files import META, version_dir

    src = version_dir(model_dir, current_version(model_dir))
    for i, name in enumerate(names):
        d = shutil.copytree(src, version_dir(model_dir, name))
        meta = json.loads((d / META).read_text())
        meta["created_at"] = f"2030-01-0{i + 1}T00:00:00+00:00"
        (d / META).write_text(json.dumps(meta))


def test_prune_keeps_the_current_and_the_newest(model_dir):
    from matcher.ranking.catalogue_files import publish_version

    first = current_version(model_dir)
    _add_versions(model_dir, ["v-a", "v-c", "v-b"])  # created in this order: a, c, b
    publish_version(model_dir, "v-c")  # the served one is not the newest
    args = ["catalogue", "prune", "--model", str(model_dir), "--keep", "2"]

    r = runner.invoke(app, [*args, "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["removed"] == [first, "v-a"] and rep["kept"] == ["v-c", "v-b"]
    assert rep["dry_run"] and rep["freed_bytes"] > 0
    assert len(list_versions(model_dir)) == 4  # nothing deleted

    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "deleted 2 version(s)" in r.stdout and "current v-c" in r.stdout
    assert list_versions(model_dir) == ["v-b", "v-c"] and current_version(model_dir) == "v-c"
    assert not list(model_dir.glob(".pruning-*"))

    r = runner.invoke(app, [*args[:-1], "1"])  # keep 1: the current version alone
    assert r.exit_code == 0 and list_versions(model_dir) == ["v-c"]


def test_prune_finishes_a_prune_that_died_and_refuses_during_an_update(model_dir):
    from matcher.ranking.catalogue_update import PRUNING_PREFIX, update_lock

    half = model_dir / f"{PRUNING_PREFIX}old"  # moved out, not yet deleted
    (half / "arrays").mkdir(parents=True)
    (half / "arrays" / "x.npy").write_bytes(b"0" * 100)
    args = ["catalogue", "prune", "--model", str(model_dir)]
    with update_lock(model_dir):
        r = runner.invoke(app, args)
    assert r.exit_code == 2 and "another catalogue update" in _err(r)
    assert half.exists()
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["freed_bytes"] == 100 and not half.exists()
    assert list_versions(model_dir) == [current_version(model_dir)]  # the only one stays

    r = runner.invoke(app, [*args, "--keep", "0"])
    assert r.exit_code == 2 and "--keep" in _err(r)
