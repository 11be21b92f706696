"""End to end on the tiny market: real pipelines behind the router, simulated brands and
feedback from a known utility, the SQLite request log, the analysis and the CLI with MLflow."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from matcher.evaluation.verdicts import NO_DIFFERENCE
from matcher.lifecycle.loaded import LoadedModel, describe
from matcher.online.analysis import analyze_experiment
from matcher.online.experiments import ExperimentConfig, ExperimentRouter
from matcher.online.requestlog import read_request_log, write_request_log
from matcher.online.synthetic import synthetic_log
from matcher.online.traffic import MemoPipeline, detection_study, simulate_inprocess
from matcher.ranking.embeddings import HashingEncoder
from matcher.ranking.pipeline import MatchPipeline
from tests.helpers import NICHES, TinyTruth, make_tiny_market, tiny_config, tiny_tables_from

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worse_dir(tmp_path_factory):
    """A clearly worse model trained through the library (follower count only)."""
    from matcher.training.trainer import fit_pipeline

    pipe, _ = fit_pipeline(
        tiny_tables_from(make_tiny_market()),
        tiny_config(features=["log_followers"]),
        encoder=HashingEncoder(),
        progress=False,
    )
    return pipe.save(tmp_path_factory.mktemp("worse"))


@pytest.fixture(scope="module")
def market():
    tables = tiny_tables_from(make_tiny_market())
    truth = TinyTruth(tables.briefs)
    from matcher.data.briefs import briefs_to_models

    by_niche: dict[str, list] = {}
    for b in briefs_to_models(tables.briefs):
        by_niche.setdefault(truth.brief_niche(b.brief_id), []).append(b)
    # 80 brands, each with 3 briefs of one niche: several requests per brand, as in production;
    # brands differ in how much they contact (the variance interleaving removes)
    niches = list(NICHES)
    pool = [
        b.model_copy(update={"brand_id": f"brand{j:03d}", "brief_id": f"{b.brief_id}@brand{j:03d}"})
        for j in range(80)
        for b in by_niche[niches[j % 4]][(j // 4) % 8 : (j // 4) % 8 + 3]
    ]
    return pool, TinyTruth(tables.briefs, brand_sd=1.0)


def _router(mode: str, a_dir, b_dir, name: str) -> tuple[ExperimentRouter, LoadedModel]:
    cache: dict[str, LoadedModel] = {}

    def load(ref: str) -> LoadedModel:
        if ref not in cache:
            pipe = MemoPipeline(MatchPipeline.load(ref))
            cache[ref] = LoadedModel(pipe, describe(pipe, version=ref[-12:]))
        return cache[ref]

    cfg = ExperimentConfig(name=name, mode=mode, variants={"A": str(a_dir), "B": str(b_dir)})
    return ExperimentRouter(cfg, load, seed=0), load(str(a_dir))


def test_ab_run_detects_the_worse_model(tmp_path, tiny_pipeline_dir, worse_dir, market):
    briefs, truth = market
    router, default = _router("ab", tiny_pipeline_dir, worse_dir, "e2e-ab")
    db = tmp_path / "requests.db"
    simulate_inprocess(router, default, briefs, truth, 800, k=10, seed=0, log_path=db)
    frames = read_request_log(db, "e2e-ab")
    assert len(frames.requests) == 800 and (frames.requests["status"] == "ok").all()
    assert frames.impressions.groupby("request_id").size().eq(10).all()
    sticky = frames.requests.groupby("brand_id")["variant"].nunique()
    assert (sticky == 1).all()  # a brand sees one variant
    rep = analyze_experiment(
        frames, experiment="e2e-ab", expected_shares=router.config.traffic, n_boot=1000
    )
    assert not rep.srm["mismatch"]
    assert rep.verdict == "A wins", rep.to_json()
    assert rep.variants["B"]["lift_vs_control"]["accept_rate"]["ci_high"] < 0


def test_aa_run_finds_no_difference(tiny_pipeline_dir, market):
    briefs, truth = market
    router, default = _router("ab", tiny_pipeline_dir, tiny_pipeline_dir, "e2e-aa")
    frames = simulate_inprocess(router, default, briefs, truth, 800, seed=1)
    rep = analyze_experiment(frames, expected_shares=router.config.traffic, n_boot=1000)
    assert rep.verdict == NO_DIFFERENCE, rep.to_json()


def test_interleaving_run_detects_the_worse_model(tmp_path, tiny_pipeline_dir, worse_dir, market):
    briefs, truth = market
    router, default = _router("interleave", tiny_pipeline_dir, worse_dir, "e2e-il")
    db = tmp_path / "requests.db"
    simulate_inprocess(router, default, briefs, truth, 200, seed=2, log_path=db)
    frames = read_request_log(db, "e2e-il")
    assert set(frames.requests["variant"]) == {"interleaved"}
    assert set(frames.impressions["variant"]) == {"A", "B"}
    rep = analyze_experiment(frames, experiment="e2e-il", n_boot=1000)
    assert rep.mode == "interleave" and rep.verdict == "A wins", rep.to_json()
    assert (
        rep.interleaving["preference"]["team"] == "B"
        and rep.interleaving["preference"]["ci_high"] < 0.5
    )


def test_interleaving_needs_fewer_requests(tiny_pipeline_dir, worse_dir, market):
    briefs, truth = market
    pipes = {"A": MatchPipeline.load(tiny_pipeline_dir), "B": MatchPipeline.load(worse_dir)}
    res = detection_study(
        pipes, briefs, truth, [10, 20, 40, 80, 160, 320], [0, 1, 2], "A wins", n_boot=500
    )
    need = res.groupby("design")["requests_needed"].mean()  # every run detects by 320 requests
    assert res["requests_needed"].notna().all() and need["interleave"] < need["ab"], res.to_string()


def test_cli_offline_logs_to_mlflow(
    tmp_path, monkeypatch, tiny_pipeline_dir, worse_dir, tiny_market_dir
):
    from matcher.cli.main import app

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # default artifact root ./mlruns lands in the temp dir
    res = CliRunner().invoke(
        app,
        [
            "ab",
            "offline",
            "--a",
            str(tiny_pipeline_dir),
            "--b",
            str(worse_dir),
            "--data",
            str(tiny_market_dir),
            "--json",
            "--n-boot",
            "200",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["n_briefs"] > 0 and set(d["views"]) == {"logged"}
    assert set(d["views"]["logged"]["overall"]) == {"ndcg@10", "recall@50", "map", "mrr"}
    import mlflow

    run = mlflow.get_run(d["mlflow_run_id"])
    assert "logged.ndcg_at_10.mean_diff" in run.data.metrics
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "plots")}
    assert "plots/paired_differences_logged.png" in arts


def test_cli_report_logs_to_mlflow(tmp_path, monkeypatch):
    from matcher.cli.main import app

    db = write_request_log(
        synthetic_log(600, {"A": 0.5, "B": 0.5}, lift={"B": -0.5}, experiment="exp", seed=6),
        tmp_path / "requests.db",
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(
        app,
        [
            "ab",
            "report",
            "--experiment",
            "exp",
            "--log",
            str(db),
            "--expected",
            "A=0.5,B=0.5",
            "--json",
            "--n-boot",
            "200",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    import mlflow

    run = mlflow.get_run(d["mlflow_run_id"])
    m = run.data.metrics
    assert m["A.accept_rate"] == pytest.approx(
        d["variants"]["A"]["metrics"]["accept_rate"]["estimate"]
    )
    assert m["B.lift.accept_rate.estimate"] == pytest.approx(
        d["variants"]["B"]["lift_vs_control"]["accept_rate"]["estimate"]
    )
    assert m["A.requests"] == d["variants"]["A"]["requests"] and "srm_p_value" in m
    assert (
        d["variants"]["A"]["metrics"]["mean_rating"]["estimate"] is None
        and "A.mean_rating" not in m
    )
    assert run.data.params["verdict"] == d["verdict"] and run.data.tags["matcher.kind"] == "ab"
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "plots")}
    assert arts == {"plots/rates_by_variant.png", "plots/lift_vs_control.png"}


def test_simulated_traffic_over_http_against_the_real_service(
    tmp_path, tiny_pipeline_dir, worse_dir, market
):
    """``matcher ab simulate``'s driver against ``bentoml serve`` running an experiment: the
    request shapes, the variant in the answers and the log the analysis reads. Briefs of many
    brands: the loopback service runs with MATCHER_AUTH=off (a brand key acts for one brand)."""
    from matcher.online.traffic import drive_service
    from serving.process import ServiceProcess

    briefs, truth = market
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: http-e2e\nvariants: {{A: '{tiny_pipeline_dir}', B: '{worse_dir}'}}\n")
    log = tmp_path / "requests.db"
    env = {
        "MATCHER_EXPERIMENT": str(exp),
        "MATCHER_MODEL_FALLBACK": str(tmp_path / "none"),
        "MATCHER_LOG_SYNC": "NORMAL",
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "MATCHER_AUTH": "off",
    }
    with ServiceProcess(
        model=tiny_pipeline_dir, request_log=log, env=env, ready_timeout=120
    ) as svc:
        summary = drive_service(svc.url, briefs, truth, 60, k=10, seed=0, experiment="http-e2e")
    assert summary["ok"] == 60 and summary["errors"] == 0 and summary["feedback_events"] > 0
    assert set(summary["variants"]) == {"A", "B"}
    frames = read_request_log(log, "http-e2e")
    assert (
        len(frames.requests) == 60
        and (frames.requests.groupby("brand_id")["variant"].nunique() == 1).all()
    )
    assert len(frames.feedback) == summary["feedback_events"]
    rep = analyze_experiment(
        frames, experiment="http-e2e", expected_shares={"A": 0.5, "B": 0.5}, n_boot=200
    )
    assert rep.srm is not None and rep.variants["A"]["impressions"] > 0 and rep.verdict
