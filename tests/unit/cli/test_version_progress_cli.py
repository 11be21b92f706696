"""``matcher --version``, and progress bars only for work of many items."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.ranking import embeddings
from matcher.ranking.embeddings import PROGRESS_MIN_TEXTS, HashingEncoder

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[3]


def test_version_prints_the_installed_version_and_exits_0():
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout == f"matcher {expected}\n" and r.stderr == ""


def test_version_wins_over_a_command():
    r = runner.invoke(app, ["--version", "match", "--text", "x"])
    assert r.exit_code == 0 and r.stdout.startswith("matcher ")


def test_no_bar_for_one_text_a_bar_for_many(capsys):
    enc = HashingEncoder(dim=32)
    enc.show_progress = True
    enc.encode(["one brief about sourdough"], desc="embedding briefs")
    assert capsys.readouterr().err == ""
    n = PROGRESS_MIN_TEXTS + 44
    enc.encode([f"creator bio number {i}" for i in range(n)], desc="embedding catalogue")
    err = capsys.readouterr().err
    assert "embedding catalogue" in err and f"{n}/{n}" in err


def test_no_bar_when_progress_is_off(capsys):
    enc = HashingEncoder(dim=32)
    enc.show_progress = False
    enc.encode([f"text {i}" for i in range(PROGRESS_MIN_TEXTS * 2)], desc="embedding catalogue")
    assert capsys.readouterr().err == ""


def test_match_of_one_brief_shows_no_bar(tiny_pipeline_dir, monkeypatch):
    monkeypatch.setattr(HashingEncoder, "show_progress", True)  # as the real encoder's default
    r = runner.invoke(
        app,
        [
            "match",
            "--model",
            str(tiny_pipeline_dir),
            "--text",
            "sourdough rye baking",
            "--k",
            "3",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)) == 3
    assert r.stderr == ""


def test_loading_the_sentence_transformer_shows_no_weights_bar(monkeypatch, tmp_path):
    """transformers' "Loading weights 103/103" bar is off while the model loads, and its setting
    is restored afterwards (other code may want transformers' bars)."""
    pytest.importorskip("sentence_transformers")
    import sentence_transformers
    from transformers.utils import logging as hf_logging

    seen: list[bool] = []

    class FakeST:
        def __init__(self, path, device):
            seen.append(hf_logging.is_progress_bar_enabled())

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", FakeST)
    hf_logging.enable_progress_bar()
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path))
    enc = embeddings.SentenceEncoder()
    enc.warm_up()
    assert seen == [False]
    assert hf_logging.is_progress_bar_enabled()
