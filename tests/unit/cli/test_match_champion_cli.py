"""``matcher match`` (and ``plan``) rank with the champion by default, resolved as the service
resolves it: the registry alias, else the exported copy in ``models/champion``; with neither,
one line says how to get a champion."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.schemas import Brief

runner = CliRunner()
TEXT = "sourdough starter and rye bread baking"


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """A working folder with no MLflow store and no exported model; no tracking URI in the env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    return tmp_path


def _ids(stdout: str) -> list[str]:
    return [m["influencer_id"] for m in json.loads(stdout)]


def _one_error_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


@pytest.mark.parametrize("cmd", [["match"], ["plan", "--budget", "500"]])
def test_no_champion_anywhere_says_how_to_get_one(empty_cwd, cmd):
    r = runner.invoke(app, [*cmd, "--text", TEXT])
    assert r.exit_code == 2
    line = _one_error_line(r)
    assert line.startswith("error: no champion model yet: no MLflow store at ")
    assert line.endswith(
        "Train and promote one first (matcher train --data DIR, then matcher promote) or pass "
        "--model FOLDER"
    )
    assert not (empty_cwd / "mlflow.db").exists()  # looking did not create a store


def test_a_store_without_a_champion_alias(empty_cwd):
    from mlflow import MlflowClient

    MlflowClient(
        tracking_uri=f"sqlite:///{empty_cwd / 'mlflow.db'}"
    ).search_experiments()  # an empty store
    r = runner.invoke(app, ["match", "--text", TEXT])
    assert r.exit_code == 2
    assert _one_error_line(r).startswith(
        "error: no champion model yet: model 'matcher' has no alias 'champion'"
    )


def test_the_exported_champion_is_the_fallback(empty_cwd, tiny_pipeline_dir, tiny_pipeline):
    shutil.copytree(tiny_pipeline_dir, empty_cwd / "models" / "champion")
    r = runner.invoke(app, ["match", "--text", TEXT, "--k", "4", "--json"])
    assert r.exit_code == 0, r.output
    assert _ids(r.stdout) == [
        m.influencer_id for m in tiny_pipeline.recommend(Brief(text=TEXT), 4).matches
    ]
    assert "from models/champion (exported copy: no MLflow store at" in " ".join(r.stderr.split())
    # an explicit other reference never falls back to the exported champion
    r = runner.invoke(app, ["match", "--model", "challenger", "--text", TEXT])
    assert r.exit_code == 2
    assert _one_error_line(r).startswith(
        "error: cannot resolve model 'challenger': no MLflow store at "
    )


@pytest.fixture
def fake_registry(monkeypatch, tiny_pipeline):
    """``resolve_pipeline`` recording its arguments and answering with the tiny pipeline as v7."""
    from matcher.lifecycle.loaded import LoadedModel, describe

    calls: list[tuple[str | None, object]] = []

    def resolve(ref=None, tracking=None, fallback_dir="models/champion"):
        calls.append((ref, fallback_dir))
        return LoadedModel(
            tiny_pipeline,
            describe(
                tiny_pipeline,
                ref=ref,
                source="models:/matcher/7",
                name="matcher",
                version="7",
                alias="champion",
            ),
        )

    monkeypatch.setattr("matcher.lifecycle.registry.resolve_pipeline", resolve)
    return calls


def test_default_model_is_the_registry_champion(fake_registry, tiny_pipeline):
    r = runner.invoke(app, ["match", "--text", TEXT, "--k", "3", "--json"])
    assert r.exit_code == 0, r.output
    assert fake_registry == [("champion", "models/champion")]
    assert _ids(r.stdout) == [
        m.influencer_id for m in tiny_pipeline.recommend(Brief(text=TEXT), 3).matches
    ]
    assert r.stderr.strip() == "model: matcher version 7 from models:/matcher/7"


@pytest.mark.parametrize(
    ("ref", "fallback"),
    [
        ("champion", "models/champion"),
        ("challenger", None),
        ("3", None),
        ("models:/matcher@champion", None),
    ],
)
def test_registry_references_are_resolved_and_only_champion_falls_back(
    fake_registry, ref, fallback
):
    r = runner.invoke(app, ["match", "--model", ref, "--text", TEXT, "--json"])
    assert r.exit_code == 0, r.output
    assert fake_registry == [(ref, fallback)]


def test_a_folder_is_loaded_without_the_registry(fake_registry, tiny_pipeline_dir):
    r = runner.invoke(app, ["match", "--model", str(tiny_pipeline_dir), "--text", TEXT, "--json"])
    assert r.exit_code == 0, r.output
    assert fake_registry == [] and r.stderr == ""
