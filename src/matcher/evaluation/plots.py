"""Report figures (PNG). Each function draws on its own Agg-backed ``Figure``, so nothing
touches pyplot's global state or needs a display, and it is safe in servers and threads.
matplotlib is imported inside the functions: importing this module stays cheap."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from matcher.evaluation.stats import bootstrap_ci

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)


def _figure(width: float = 7.0, height: float = 4.5) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas: no GUI backend, no global state
    return fig


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, format="png")
    logger.info("wrote %s", out)
    return out


def plot_system_comparison(
    summary: pd.DataFrame, path: str | Path, metric: str = "ndcg@10"
) -> Path:
    """Grouped bars: one group per view (e.g. test split, cold-start), one bar per system.
    ``summary`` is long format with columns view, system, metric, value (optional ci_low,
    ci_high draw error bars)."""
    missing = {"view", "system", "metric", "value"} - set(summary.columns)
    if missing:
        raise ValueError(f"summary lacks column(s) {sorted(missing)}")
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        raise ValueError(
            f"no rows for metric {metric!r}; have {sorted(summary['metric'].unique())}"
        )
    views = list(dict.fromkeys(rows["view"]))
    systems = list(dict.fromkeys(rows["system"]))
    width = 0.8 / len(systems)
    x = np.arange(len(views))
    fig = _figure(max(6.0, 1.5 * len(views) + 3), 4.5)
    ax = fig.add_subplot()
    has_ci = {"ci_low", "ci_high"} <= set(rows.columns)
    for j, system in enumerate(systems):
        sub = rows[rows["system"] == system].drop_duplicates("view", keep="last").set_index("view")
        sub = sub.reindex(views)
        values = sub["value"].to_numpy(dtype=float)
        yerr = None
        if has_ci:
            yerr = np.vstack(
                [values - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - values]
            )
        ax.bar(
            x + (j - (len(systems) - 1) / 2) * width,
            values,
            width,
            yerr=yerr,
            capsize=3,
            label=str(system),
        )
    ax.set_xticks(x, [str(v) for v in views])
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by system")
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_ndcg_at_k(curves: Mapping[str, Mapping[int, float]], path: str | Path) -> Path:
    """NDCG@k against k, one line per system."""
    if not curves:
        raise ValueError("no curves to plot")
    fig = _figure()
    ax = fig.add_subplot()
    for name, curve in curves.items():
        ks = sorted(curve)
        ax.plot(ks, [curve[k] for k in ks], marker="o", label=str(name))
    ax.set_xlabel("k")
    ax.set_ylabel("NDCG@k")
    ax.set_title("NDCG@k")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_feature_importance(
    names: Sequence[str], values: ArrayLike, path: str | Path, top: int = 20
) -> Path:
    """Horizontal bars of the ``top`` most important features, largest on top."""
    vals = np.asarray(values, dtype=float).ravel()
    if len(names) != vals.size or vals.size == 0:
        raise ValueError(
            f"need one value per feature name, got {len(names)} names, {vals.size} values"
        )
    order = np.argsort(-vals, kind="stable")[:top][::-1]
    fig = _figure(7.0, max(3.0, 0.3 * len(order) + 1.2))
    ax = fig.add_subplot()
    ax.barh([str(names[i]) for i in order], vals[order])
    ax.set_xlabel("importance")
    ax.set_title(f"Top {len(order)} features")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def plot_calibration(
    predicted: ArrayLike, observed: ArrayLike, path: str | Path, n_bins: int = 10
) -> Path:
    """Mean observed vs mean predicted per equal-count bin of predictions, with the diagonal.
    Equal-count bins keep every point meaningful when predictions are skewed."""
    p = np.asarray(predicted, dtype=float).ravel()
    o = np.asarray(observed, dtype=float).ravel()
    if p.size != o.size or p.size == 0:
        raise ValueError(f"need aligned non-empty arrays, got {p.size} and {o.size}")
    keep = np.isfinite(p) & np.isfinite(o)
    p, o = p[keep], o[keep]
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, min(n_bins, p.size)) if b.size]
    mp = np.array([p[b].mean() for b in bins])
    mo = np.array([o[b].mean() for b in bins])
    fig = _figure(5.5, 5.0)
    ax = fig.add_subplot()
    lo, hi = float(min(mp.min(), mo.min())), float(max(mp.max(), mo.max()))
    ax.plot([lo, hi], [lo, hi], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(mp, mo, marker="o", label="model")
    ax.set_xlabel("mean predicted")
    ax.set_ylabel("mean observed")
    ax.set_title(f"Calibration ({len(bins)} equal-count bins)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_paired_differences(diffs: Mapping[str, ArrayLike], path: str | Path) -> Path:
    """Per metric: histogram of per-query differences (b - a), zero line, mean and 95% CI."""
    if not diffs:
        raise ValueError("no differences to plot")
    n = len(diffs)
    fig = _figure(4.0 * n, 3.6)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (metric, values) in zip(axes, diffs.items(), strict=True):
        d = np.asarray(values, dtype=float).ravel()
        d = d[np.isfinite(d)]
        if d.size:
            ax.hist(d, bins=min(30, max(5, d.size // 5)), color="tab:blue", alpha=0.7)
            mean, low, high = bootstrap_ci(d)
            ax.axvspan(low, high, color="tab:orange", alpha=0.3, label="95% CI of mean")
            ax.axvline(mean, color="tab:orange", label=f"mean {mean:+.4f}")
        ax.axvline(0.0, color="black", linestyle="--", linewidth=1)
        ax.set_title(f"{metric} (b - a), n={d.size}")
        ax.set_xlabel("difference")
        if d.size:
            ax.legend(fontsize="x-small")
    return _save(fig, path)
