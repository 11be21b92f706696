"""``matcher encoder export`` refuses bad input with one line naming the option (no export runs)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from matcher.cli.main import app

runner = CliRunner()


def _err(r) -> str:  # type: ignore[no-untyped-def]
    return " ".join(r.stderr.split())  # rich wraps long lines


def test_unknown_weight_type_is_refused(tmp_path: Path) -> None:
    r = runner.invoke(app, ["encoder", "export", "--weights", "int4", "--onnx-dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "--weights must be one of qint8, quint8, got 'int4'" in _err(r)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_no_model_is_refused(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["encoder", "export", "--model-path", str(tmp_path), "--onnx-dir", str(tmp_path)]
    )
    assert r.exit_code == 2
    assert "--model-path" in _err(r) and "no modules.json" in _err(r)


def test_the_group_is_listed() -> None:
    r = runner.invoke(app, ["encoder", "--help"])
    assert r.exit_code == 0 and "export" in r.stdout
