"""The retraining lifecycle against a REAL MLflow store (sqlite + artifacts in a temp folder):
train -> log -> register (challenger) -> promote through the gate (champion) -> load the
pyfunc / resolve for serving -> export -> tune. The fast hashing encoder keeps trainings at a
few seconds; one test runs the CLI with the real MiniLM encoder."""

from __future__ import annotations

import getpass
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from matcher.config import TrackingConfig
from matcher.data.briefs import briefs_to_models
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.pipeline import MatchPipeline
from tests.helpers import make_tiny_market, tiny_config

pytestmark = pytest.mark.integration


@dataclass
class Lab:
    root: Path
    market: Path
    tracking: TrackingConfig

    @property
    def client(self) -> MlflowClient:
        uri = self.tracking.resolved_uri()
        return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _write_market(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, df in make_tiny_market().items():
        df.to_csv(d / f"{name}.csv", index=False)
    return d


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory) -> Path:
    """An initialised MLflow sqlite database, copied by each test (migrations take seconds)."""
    db = tmp_path_factory.mktemp("mlflow_template") / "mlflow.db"
    uri = f"sqlite:///{db}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()
    return db


def _lab(root: Path, mp: pytest.MonkeyPatch, template: Path) -> Lab:
    shutil.copy(template, root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mp.setenv("MLFLOW_TRACKING_URI", uri)  # what `matcher train` / matcher.training.run.run resolve
    mp.setenv("MATCHER_CACHE_DIR", str(root / "cache"))
    return Lab(root, _write_market(root / "market"), TrackingConfig(uri=uri))


def train(lab: Lab, seed: int, name: str, **kw):
    from matcher.training.run import run

    cfg = tiny_config(
        data_dir=str(lab.market), out_dir=str(lab.root / "models" / name), seed=seed, **kw
    )
    return run(cfg, progress=False, encoder=HashingEncoder())


@pytest.fixture(scope="module")
def lab(tmp_path_factory, empty_store):
    """One store: run A (seed 1) -> v1, promoted (first champion); run B (same seed) -> v2 challenger."""
    from matcher.lifecycle.promotion import promote

    with pytest.MonkeyPatch.context() as mp:
        lab = _lab(tmp_path_factory.mktemp("lifecycle"), mp, empty_store)
        before = (_global_uri_state(), os.environ.get("MLFLOW_TRACKING_URI"))
        lab.run_a = train(lab, 1, "a")  # type: ignore[attr-defined]
        lab.global_state = (before, (_global_uri_state(), os.environ.get("MLFLOW_TRACKING_URI")))  # type: ignore[attr-defined]
        lab.first_promotion = promote(lab.tracking)  # type: ignore[attr-defined]
        lab.run_b = train(lab, 1, "b")  # type: ignore[attr-defined]
        yield lab


@pytest.fixture
def fresh_lab(tmp_path, monkeypatch, empty_store):
    return _lab(tmp_path, monkeypatch, empty_store)


def _rows(briefs, k):
    """Pyfunc input rows: Brief fields (lists as lists, dates as ISO strings) plus k."""
    rows = []
    for b in briefs:
        row = b.model_dump()
        row["created_at"] = row["created_at"].isoformat() if row["created_at"] else None
        rows.append({**row, "k": k})
    return rows


def _briefs(lab: Lab) -> pd.DataFrame:
    from matcher.data.io import load_market

    return load_market(lab.market).briefs


def _alias(client: MlflowClient, alias: str) -> str:
    return str(client.get_model_version_by_alias("matcher", alias).version)


def _global_uri_state():
    from mlflow.tracking._tracking_service import utils

    return utils._tracking_uri


# --------------------------------------------------------------------------- logging + registry
def test_training_run_is_logged_and_registered_as_challenger(lab):
    a, b = lab.run_a, lab.run_b
    assert (a.version, b.version) == ("1", "2")
    c = lab.client
    assert _alias(c, "challenger") == "2"
    assert _alias(c, "champion") == "1"

    run = c.get_run(a.run_id)
    p, m, t = run.data.params, run.data.metrics, run.data.tags
    assert run.info.status == "FINISHED"
    assert p["ranker.num_leaves"] == "7" and p["seed"] == "1" and p["features"] == "null"
    for table in ("influencers", "posts", "briefs", "outcomes"):
        assert len(p[f"data.{table}.sha256"]) == 64 and int(p[f"data.{table}.rows"]) > 0
    assert p["lib.lightgbm"] and p["lib.mlflow"] == mlflow.__version__ and "lib.torch" in p
    assert t["git_commit"] and t["matcher.kind"] == "train" and t["registered_version"] == "1"
    assert m["logged.model.ndcg_at_10"] == pytest.approx(
        a.evaluation.metrics()["logged"]["model"]["ndcg@10"]
    )
    assert {"logged.cosine.ndcg_at_10", "logged.random.mrr", "data.n_outcomes_new"} <= set(m)
    assert not any("@" in k for k in m)
    curve = c.get_metric_history(a.run_id, "ranker.valid_0.ndcg_at_10")
    assert len(curve) > 1 and [x.step for x in curve] == list(range(len(curve)))

    def files(path=""):
        out = []
        for f in c.list_artifacts(a.run_id, path):
            out.extend(files(f.path) if f.is_dir else [f.path])
        return out

    arts = set(files())
    assert {
        "evaluation/evaluation_summary.csv",
        "evaluation/metrics.json",
        "evaluation/ndcg10_by_system.png",
        "plots/feature_importance.png",
        "plots/engagement_calibration.png",
        "features.json",
        "config.yaml",
        "fingerprint.json",
    } <= arts
    # artifacts live under <store dir>/mlruns, not in the working directory
    assert (lab.root / "mlruns").is_dir()


def test_run_inputs_name_every_table_with_its_digest(lab):
    run = lab.client.get_run(lab.run_a.run_id)
    inputs = {d.dataset.name: d for d in run.inputs.dataset_inputs}
    assert set(inputs) == {
        "influencers",
        "posts",
        "briefs",
        "outcomes",
        "split.train",
        "split.valid",
        "split.test",
    }
    p = run.data.params
    for table in ("influencers", "posts", "briefs", "outcomes"):
        d = inputs[table]
        tags = {t.key: t.value for t in d.tags}
        assert d.dataset.digest and d.dataset.source_type == "local"
        assert json.loads(d.dataset.source)["uri"].endswith(f"{table}.csv")
        assert tags["mlflow.data.context"] == "training"
        assert (
            tags["matcher.sha256"] == p[f"data.{table}.sha256"]
        )  # the full-table hash of the params
        assert json.loads(d.dataset.profile)["num_rows"] == int(p[f"data.{table}.rows"])
    split = lab.run_a.report.split
    for part, context in (("train", "training"), ("valid", "validation"), ("test", "testing")):
        d = inputs[f"split.{part}"]
        assert {t.key: t.value for t in d.tags}["mlflow.data.context"] == context
        assert json.loads(d.dataset.profile)["num_rows"] == len(getattr(split, part))
    # the same data gives the same digests; run B trained on it too
    run_b = lab.client.get_run(lab.run_b.run_id)
    assert {d.dataset.name: d.dataset.digest for d in run_b.inputs.dataset_inputs} == {
        n: d.dataset.digest for n, d in inputs.items()
    }


def test_registered_model_and_versions_are_described(lab):
    c = lab.client
    assert "pyfunc" in c.get_registered_model("matcher").description
    v1, v2 = (
        c.get_model_version("matcher", "1").description,
        c.get_model_version("matcher", "2").description,
    )
    p = c.get_run(lab.run_a.run_id).data.params
    for table in ("influencers", "posts", "briefs", "outcomes"):
        assert (
            f"{table}: {p[f'data.{table}.rows']} rows, sha256 `{p[f'data.{table}.sha256'][:12]}`"
            in v1
        )
    model = lab.run_a.evaluation.metrics()["logged"]["model"]["ndcg@10"]
    assert f"- logged: model {model:.4f} vs best baseline" in v1
    assert "first version" in v1
    sha = c.get_run(lab.run_a.run_id).data.tags["catalogue_sha256"]
    assert f"- catalogue `{sha[:12]}`" in v1 and f"- catalogue `{sha[:12]}`" in v2  # the same one
    assert (
        "Changes vs version 1" in v2 and "- none: same config, data and libraries" in v2
    )  # same seed and data


def test_catalogue_is_stored_once_and_referenced_by_versions(lab, tmp_path):
    from mlflow.models import Model

    from matcher.lifecycle.catalogue_store import REF_FILE, CatalogueUnavailableError, materialize
    from matcher.lifecycle.registry import download_pipeline

    c = lab.client
    exp = c.get_experiment_by_name("matcher").experiment_id
    cats = c.search_runs([exp], filter_string="tags.`matcher.kind` = 'catalogue'")
    assert len(cats) == 1  # two versions trained on the same data: one catalogue
    sha = cats[0].data.tags["matcher.catalogue_sha256"]
    stored = {f.path for f in c.list_artifacts(cats[0].info.run_id, "catalogue")}
    assert {"catalogue/CATALOGUE", "catalogue/topics.npz", "catalogue/catalogues"} <= stored
    for run in (lab.run_a, lab.run_b):
        assert c.get_run(run.run_id).data.tags["catalogue_sha256"] == sha
        model_id = Model.load(f"runs:/{run.run_id}/model").model_id
        files = {f.path for f in c.list_artifacts(run.run_id)} | {
            a.path
            for a in mlflow.MlflowClient(lab.tracking.uri).list_logged_model_artifacts(
                model_id, "artifacts/pipeline"
            )
        }
        assert not any(
            p.endswith(("CATALOGUE", "topics.npz")) or "/catalogues" in p for p in files
        )  # referenced, not copied
        assert any(p.endswith(REF_FILE) for p in files) and any(
            p.endswith("pipeline.json") for p in files
        )
        assert not any(p.rstrip("/").endswith("/lexical") for p in files)
    # a download is complete again (and loads, checked against the manifest)
    folder = download_pipeline(c.get_model_version("matcher", "2"), tmp_path / "dl", lab.tracking)
    assert (folder / "CATALOGUE").is_file() and MatchPipeline.load(folder).catalogue is not None
    # a reference to a catalogue that is not there is a clear error
    (folder / "CATALOGUE").unlink()
    ref = json.loads((folder / REF_FILE).read_text())
    (folder / REF_FILE).write_text(json.dumps({**ref, "uri": (tmp_path / "nowhere").as_uri()}))
    with pytest.raises(CatalogueUnavailableError, match="cannot be fetched"):
        materialize(folder)


def test_tracking_functions_leave_global_uri_alone(lab):
    before, after = lab.global_state
    assert before == after and after[1] == lab.tracking.uri


def test_same_config_data_and_seed_give_identical_metrics(lab):
    c = lab.client
    ma, mb = (c.get_run(r.run_id).data.metrics for r in (lab.run_a, lab.run_b))
    pa, pb = (c.get_run(r.run_id).data.params for r in (lab.run_a, lab.run_b))
    keys = [k for k in ma if k.startswith(("logged.", "catalogue.", "engagement."))]
    assert keys and {k: ma[k] for k in keys} == {k: mb[k] for k in keys}
    assert pa["data.sha256"] == pb["data.sha256"]


def test_failed_logging_never_registers_or_moves_aliases(lab, monkeypatch):
    import matcher.lifecycle.runs as runs
    from matcher.training.run import run

    c = lab.client
    before = {a: _alias(c, a) for a in ("champion", "challenger")}
    n_versions = len(c.search_model_versions("name='matcher'"))

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "log_pipeline_model", boom)
    cfg = tiny_config(data_dir=str(lab.market), out_dir=str(lab.root / "models" / "failed"), seed=5)
    with pytest.raises(RuntimeError, match="disk full"):
        run(cfg, progress=False, encoder=HashingEncoder())
    assert len(c.search_model_versions("name='matcher'")) == n_versions
    assert {a: _alias(c, a) for a in before} == before
    exp = c.get_experiment_by_name("matcher")
    failed = c.search_runs([exp.experiment_id], "attributes.status = 'FAILED'")
    assert len(failed) == 1


# --------------------------------------------------------------------------- the pyfunc
def test_registered_pyfunc_returns_the_library_matches(lab, tmp_path, monkeypatch):
    from matcher.lifecycle.store import using_tracking

    tables = lab.run_a.tables
    briefs = briefs_to_models(tables.briefs.tail(3))
    expected = [MatchPipeline.load(lab.run_a.model_dir).recommend(b, 7) for b in briefs]
    # the model must not need the training output folder nor the working directory
    shutil.rmtree(lab.run_a.model_dir)
    monkeypatch.chdir(tmp_path)
    with using_tracking(lab.tracking):
        model = mlflow.pyfunc.load_model("models:/matcher@champion")
    out = model.predict(pd.DataFrame(_rows(briefs, 7)))  # lists as lists (the typed signature)
    for i, rec in enumerate(expected):
        got = out[out["brief_index"] == i].sort_values("rank")
        assert got["influencer_id"].tolist() == [m.influencer_id for m in rec.matches]
        assert got["rank"].tolist() == [m.rank for m in rec.matches]
        np.testing.assert_allclose(got["score"], [m.score for m in rec.matches])
        np.testing.assert_allclose(got["fit_score"], [m.fit_score for m in rec.matches])
        np.testing.assert_allclose(
            got["expected_er"], [m.expected_engagement.rate for m in rec.matches]
        )
        np.testing.assert_allclose(
            got["estimated_cost_usd"], [m.estimated_cost_usd for m in rec.matches]
        )
        assert got["reasons"].tolist() == [" | ".join(m.reasons) for m in rec.matches]
    assert {
        "expected_er_low",
        "expected_er_high",
        "expected_engagements",
        "handle",
        "followers",
    } <= set(out.columns)


def test_pyfunc_input_variants_and_errors(lab):
    from matcher.lifecycle.store import using_tracking

    with using_tracking(lab.tracking):
        model = mlflow.pyfunc.load_model("models:/matcher/1")
    # only text is required; a list may be None per row; nothing passing the filters = no rows
    out = model.predict(
        pd.DataFrame(
            [
                {
                    "text": "marathon training",
                    "k": 2,
                    "platforms": None,
                    "min_followers": 0,
                    "max_followers": 10_000_000,
                },
                {
                    "text": "sourdough bread",
                    "k": 10,
                    "platforms": ["tiktok"],
                    "min_followers": 0,
                    "max_followers": 10_000_000,
                },
                {
                    "text": "boss fight",
                    "k": 10,
                    "platforms": [],
                    "min_followers": 500_000,
                    "max_followers": 600_000,
                },
            ]
        )
    )
    assert out.groupby("brief_index").size().to_dict() == {0: 2, 1: 10}
    assert model.predict(pd.DataFrame([{"text": "marathon training"}]))["rank"].tolist() == list(
        range(1, 11)
    )  # k=10
    assert set(out.loc[out["brief_index"] == 1, "platform"]) == {"tiktok"}
    with pytest.raises(Exception, match="platform"):
        model.predict(pd.DataFrame([{"text": "running shoes", "platforms": ["myspace"]}]))
    with pytest.raises(Exception, match="text"):
        model.predict(pd.DataFrame([{"platforms": "tiktok"}]))
    with pytest.raises(Exception, match="column k"):  # the typed signature: k is a long
        model.predict(pd.DataFrame([{"text": "running shoes", "k": 2.5}]))
    with pytest.raises(Exception, match="k must be"):  # the model's own check
        model.predict(pd.DataFrame([{"text": "running shoes", "k": 0}]))


# --------------------------------------------------------------------------- resolving for serving
@pytest.mark.parametrize(
    ("ref", "version", "alias"),
    [
        (None, "1", "champion"),
        ("champion", "1", "champion"),
        ("challenger", "2", "challenger"),
        ("models:/matcher@champion", "1", "champion"),
        ("models:/matcher/2", "2", None),
        ("2", "2", None),
    ],
)
def test_resolve_pipeline_references(lab, ref, version, alias):
    from matcher.lifecycle.registry import resolve_pipeline

    loaded = resolve_pipeline(ref, lab.tracking, fallback_dir=None)
    pipe, info = loaded.pipeline, loaded.info
    assert (info.name, info.version, info.alias, info.ref) == ("matcher", version, alias, ref)
    assert info.source == f"models:/matcher/{version}" and info.fallback_reason is None
    run = lab.run_a if version == "1" else lab.run_b
    assert info.run_id == run.run_id
    assert info.metrics["logged.model.ndcg_at_10"] == pytest.approx(
        run.evaluation.metrics()["logged"]["model"]["ndcg@10"]
    )
    assert info.trained_at == run.pipeline.metadata["trained_at"]
    brief = briefs_to_models(run.tables.briefs.tail(1))[0]
    assert [m.influencer_id for m in pipe.recommend(brief, 5).matches] == [
        m.influencer_id for m in run.pipeline.recommend(brief, 5).matches
    ]


def test_export_then_serve_without_a_store(lab, tmp_path):
    from matcher.lifecycle.registry import export_model, resolve_pipeline
    from matcher.lifecycle.store import ModelResolutionError

    dest = export_model(tmp_path / "models", alias="champion", tracking=lab.tracking)
    assert dest == tmp_path / "models" / "champion"
    info = json.loads((dest / "MODEL_INFO.json").read_text())
    assert (info["name"], info["version"], info["alias"], info["run_id"]) == (
        "matcher",
        "1",
        "champion",
        lab.run_a.run_id,
    )
    assert info["exported_at"] and info["metrics"]["logged.model.ndcg_at_10"] > 0
    # a second export replaces the folder in place
    assert export_model(tmp_path / "models", alias="champion", tracking=lab.tracking) == dest
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["champion"]

    brief = briefs_to_models(lab.run_a.tables.briefs.tail(1))[0]
    expected = [m.influencer_id for m in lab.run_a.pipeline.recommend(brief, 5).matches]
    # directory reference
    d = resolve_pipeline(str(dest), lab.tracking, fallback_dir=None)
    assert d.info.version == "1" and d.info.metrics == info["metrics"]
    assert [m.influencer_id for m in d.pipeline.recommend(brief, 5).matches] == expected
    # the store is gone (missing sqlite file) or unreachable (closed port): fall back, fast
    for uri in (f"sqlite:///{tmp_path / 'nowhere' / 'mlflow.db'}", "http://127.0.0.1:9"):
        down = TrackingConfig(uri=uri)
        f = resolve_pipeline("champion", down, fallback_dir=dest)
        assert f.info.version == "1" and f.info.source == str(dest) and f.info.fallback_reason
        assert [m.influencer_id for m in f.pipeline.recommend(brief, 5).matches] == expected
        with pytest.raises(ModelResolutionError, match="matcher export"):
            resolve_pipeline("champion", down, fallback_dir=tmp_path / "empty")
    assert not (tmp_path / "nowhere").exists()  # resolving never creates a store
    # an unknown version falls back too
    fallback_reason = resolve_pipeline("99", lab.tracking, fallback_dir=dest).info.fallback_reason
    assert fallback_reason is not None and "no version 99" in fallback_reason


def test_runs_listing_and_cli(lab):
    from typer.testing import CliRunner

    from matcher.cli.main import app
    from matcher.lifecycle.runs import list_runs

    df = list_runs(10, tracking=lab.tracking)
    assert set(df["kind"]) >= {"train", "promotion"}
    train_rows = df[df["kind"] == "train"]
    assert train_rows["started"].is_monotonic_decreasing
    assert train_rows["logged.model.ndcg_at_10"].notna().all()
    res = CliRunner().invoke(app, ["runs", "--n", "5", "--tracking-uri", lab.tracking.uri])
    assert res.exit_code == 0, res.output
    assert "Recent runs" in res.output


# --------------------------------------------------------------------------- promotion gate
def test_promotion_gate_both_outcomes(fresh_lab):
    from matcher.lifecycle.promotion import promote

    lab, c = fresh_lab, fresh_lab.client
    train(lab, 1, "v1")
    first = promote(lab.tracking)
    assert first.decision == "promoted" and first.champion_version is None
    assert _alias(c, "champion") == "1"

    train(lab, 2, "v2")  # equal quality: passes
    equal = promote(lab.tracking)
    assert equal.decision == "promoted" and equal.gate_passed and equal.n_briefs > 0
    row = equal.comparison.set_index("metric").loc["ndcg@10"]
    assert row["mean_diff"] >= -0.01 and {"ci_low", "ci_high", "p_value", "wins", "n"} <= set(
        row.index
    )
    assert _alias(c, "champion") == "2"

    train(lab, 1, "bad", features=["sim_bio"])  # deliberately worse: rejected
    bad = promote(lab.tracking)
    assert bad.decision == "rejected" and bad.gate_passed is False
    assert bad.comparison.set_index("metric").loc["ndcg@10", "mean_diff"] < -0.01
    assert _alias(c, "champion") == "2"
    assert _alias(c, "challenger") == "3"
    run = c.get_run(bad.run_id)
    assert run.data.tags["decision"] == "rejected" and run.data.tags["forced"] == "False"
    assert run.data.metrics["compare.logged.model.ndcg_at_10.mean_diff"] < -0.01
    assert c.get_model_version("matcher", "3").tags["promotion_decision"] == "rejected"

    with pytest.raises(ValueError, match="reason"):
        promote(lab.tracking, force=True)
    forced = promote(lab.tracking, force=True, reason="hotfix for brand X")
    assert forced.decision == "promoted" and forced.gate_passed is False and forced.forced
    tags = c.get_run(forced.run_id).data.tags
    assert tags["forced_by"] == getpass.getuser() and tags["reason"] == "hotfix for brand X"
    assert _alias(c, "champion") == "3"
    assert promote(lab.tracking).decision == "unchanged"
    rollback = promote(lab.tracking, version=2)  # a pinned version in the challenger's place
    assert rollback.decision == "promoted" and rollback.gate_passed and _alias(c, "champion") == "2"
    assert _alias(c, "challenger") == "3"


def test_promote_cli_with_tolerance(fresh_lab):
    from typer.testing import CliRunner

    from matcher.cli.main import app

    lab = fresh_lab
    train(lab, 1, "v1")
    runner = CliRunner()
    uri = ["--tracking-uri", lab.tracking.uri]
    assert runner.invoke(app, ["promote", *uri]).exit_code == 0
    train(lab, 1, "bad", features=["sim_bio"])
    res = runner.invoke(app, ["promote", "--fail-on-reject", *uri])
    assert res.exit_code == 1 and "REJECTED" in res.output and "ndcg@10" in res.output
    res = runner.invoke(app, ["promote", "--tolerance", "0.5", "--data", str(lab.market), *uri])
    assert res.exit_code == 0 and "PROMOTED" in res.output, res.output
    res = runner.invoke(app, ["export", "--out", str(lab.root / "exported"), *uri])
    assert res.exit_code == 0, res.output
    assert (
        json.loads((lab.root / "exported" / "champion" / "MODEL_INFO.json").read_text())["version"]
        == "2"
    )


# --------------------------------------------------------------------------- tuning
def test_tune_uses_validation_only_and_writes_a_config(fresh_lab, monkeypatch):
    import matcher.evaluation.offline as offline_eval
    from matcher.data.labels import time_split
    from matcher.training.tuning import tune

    lab = fresh_lab
    seen: list[str] = []
    real = offline_eval.evaluate

    def spy(pipe, tables, brief_ids, *a, **k):
        seen.extend(brief_ids)
        return real(pipe, tables, brief_ids, *a, **k)

    monkeypatch.setattr(offline_eval, "evaluate", spy)
    cfg = tiny_config(data_dir=str(lab.market), seed=3)
    res = tune(
        cfg,
        n_trials=3,
        out_path=lab.root / "tuned.yaml",
        tracking=lab.tracking,
        encoder=HashingEncoder(),
    )
    split = time_split(_briefs(lab), cfg.split)
    assert seen and set(seen) <= set(split.valid) and not set(seen) & set(split.test)
    from matcher.config import TrainConfig

    tuned = TrainConfig.from_yaml(res.config_path)
    assert tuned.ranker.num_leaves == res.best_params["num_leaves"]
    assert tuned.scoring.engagement_weight == pytest.approx(res.best_params["engagement_weight"])
    assert res.best_value >= res.trials["value"].iloc[0]  # never worse than the base config
    c = lab.client
    exp = c.get_experiment_by_name("matcher")
    trials = c.search_runs([exp.experiment_id], f"tags.mlflow.parentRunId = '{res.run_id}'")
    assert len(trials) == 3 and all(r.info.status == "FINISHED" for r in trials)
    assert all("valid.logged.model.ndcg_at_10" in r.data.metrics for r in trials)
    assert c.get_run(res.run_id).data.tags["matcher.kind"] == "tune"


# --------------------------------------------------------------------------- the real encoder, via the CLI
@pytest.mark.slow
def test_cli_train_with_minilm_then_pyfunc_parity(fresh_lab):
    from typer.testing import CliRunner

    from matcher.cli.main import app
    from matcher.lifecycle.registry import resolve_pipeline
    from matcher.lifecycle.store import using_tracking

    lab = fresh_lab
    small = ["negatives_per_brief=5"] + [
        f"{m}.{k}={v}"
        for m in ("ranker", "engagement")
        for k, v in (("n_estimators", 100), ("num_leaves", 7), ("min_child_samples", 5))
    ]
    args = [
        "train",
        "--data",
        str(lab.market),
        "--out",
        str(lab.root / "models" / "minilm"),
        "--seed",
        "1",
    ]
    for s in small:
        args += ["--set", s]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    loaded = resolve_pipeline("challenger", lab.tracking, fallback_dir=None)
    pipe = loaded.pipeline
    assert loaded.info.version == "1" and pipe.encoder.spec()["kind"] == "sentence-transformers"
    brief = briefs_to_models(_briefs(lab).tail(1))[0]
    expected = pipe.recommend(brief, 5)
    with using_tracking(lab.tracking):
        model = mlflow.pyfunc.load_model("models:/matcher@challenger")
    out = model.predict(pd.DataFrame(_rows([brief], 5)))
    assert out["influencer_id"].tolist() == [m.influencer_id for m in expected.matches]
    np.testing.assert_allclose(out["score"], [m.score for m in expected.matches], rtol=1e-6)
