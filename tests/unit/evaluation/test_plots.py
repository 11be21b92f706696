"""Each plot writes a real PNG; bad input fails loudly; importing draws nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.evaluation import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_MAGIC


def test_system_comparison(tmp_path: Path) -> None:
    summary = pd.DataFrame(
        {
            "view": ["test", "test", "cold", "cold", "test"],
            "system": ["popularity", "ranker", "popularity", "ranker", "ranker"],
            "metric": ["ndcg@10", "ndcg@10", "ndcg@10", "ndcg@10", "mrr"],
            "value": [0.2, 0.4, 0.1, 0.3, 0.5],
        }
    )
    out = plots.plot_system_comparison(summary, tmp_path / "sub" / "cmp.png")
    assert out == tmp_path / "sub" / "cmp.png" and _is_png(out)
    with_ci = summary.assign(ci_low=summary["value"] - 0.05, ci_high=summary["value"] + 0.05)
    assert _is_png(plots.plot_system_comparison(with_ci, tmp_path / "ci.png", metric="mrr"))
    with pytest.raises(ValueError, match="no rows for metric"):
        plots.plot_system_comparison(summary, tmp_path / "x.png", metric="auc")
    with pytest.raises(ValueError, match="lacks column"):
        plots.plot_system_comparison(summary.drop(columns="view"), tmp_path / "x.png")


def test_ndcg_at_k(tmp_path: Path) -> None:
    curves = {"ranker": {1: 0.3, 5: 0.35, 10: 0.4}, "random": {10: 0.1, 1: 0.05, 5: 0.08}}
    assert _is_png(plots.plot_ndcg_at_k(curves, tmp_path / "ndcg.png"))
    with pytest.raises(ValueError):
        plots.plot_ndcg_at_k({}, tmp_path / "x.png")


def test_feature_importance(tmp_path: Path) -> None:
    names = [f"f{i}" for i in range(30)]
    out = plots.plot_feature_importance(names, np.arange(30.0), tmp_path / "fi.png", top=5)
    assert _is_png(out)
    with pytest.raises(ValueError, match="one value per feature"):
        plots.plot_feature_importance(names, np.arange(3.0), tmp_path / "x.png")


def test_calibration(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 500)
    y = rng.binomial(1, p)
    assert _is_png(plots.plot_calibration(p, y, tmp_path / "cal.png", n_bins=8))
    assert _is_png(plots.plot_calibration([0.5], [1.0], tmp_path / "one.png"))
    with pytest.raises(ValueError):
        plots.plot_calibration([0.1, 0.2], [1.0], tmp_path / "x.png")


def test_paired_differences(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    diffs = {"ndcg@10": rng.normal(0.02, 0.1, 100), "mrr": np.array([0.0, np.nan, 0.1])}
    assert _is_png(plots.plot_paired_differences(diffs, tmp_path / "diff.png"))
    with pytest.raises(ValueError):
        plots.plot_paired_differences({}, tmp_path / "x.png")


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, matcher.evaluation.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
