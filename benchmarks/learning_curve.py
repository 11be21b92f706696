"""The learning curve: how good the model is with 150 ... 5,000 briefs of history.

For each market seed, one market is simulated at the largest size (plus the test briefs) and
every size is a window of it, as the product would see it: the ``n`` briefs just before a fixed
test period (the latest ``--test-briefs`` briefs), split by time into train and validation like
``matcher train`` does (65:15). The creators, the catalogue (built once per market; embeddings
from the on-disk cache) and the test briefs are the same for every size, so only the amount of
history moves. Every size is trained and evaluated in the three views (logged, catalogue,
profile-only); the table and the plot show NDCG@10 of the model, the best baseline (the best
of cosine, engagement, followers, random, per view and run) and the oracle, mean and spread
(min..max) over seeds.

    python benchmarks/learning_curve.py                                  # the full curve (hours)
    python benchmarks/learning_curve.py --sizes 150,600 --seeds 90210 --influencers 1000   # quick
    python benchmarks/learning_curve.py --seeds 3 --variant today:small_data.adaptive=false,small_data.smooth_rounds=0 \\
        --variant default:                                                # compare settings (tuning: seeds 3, 4)

Each ``--variant NAME:key=value,key=value`` is a training config (``--set`` syntax) trained on
the same windows; without one, the default config. Writes ``<out>.csv`` (one row per seed, size,
variant, view and system) and ``<out>.png``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from matcher import schemas as S
from matcher.config import TrainConfig
from matcher.data.io import MarketTables, load_market
from matcher.data.labels import Split
from matcher.evaluation.offline import evaluate
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.embeddings import SentenceEncoder
from matcher.simulator.market import MarketConfig, simulate_market, write_market
from matcher.simulator.truth import load_truth
from matcher.training.trainer import fit_pipeline

logger = logging.getLogger("learning_curve")

SIZES = (150, 300, 600, 1200, 2500, 5000)
SEEDS = (90210, 11, 2024)  # never used for tuning (tuning: seeds 3 and 4)
VIEWS = ("logged", "catalogue", "profile-only")
BASELINES = ("cosine", "engagement", "followers", "random")
METRIC = "ndcg@10"


def parse_ints(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from e
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return out


def parse_variant(text: str) -> tuple[str, list[str]]:
    name, _, rest = text.partition(":")
    if not name:
        raise argparse.ArgumentTypeError(f"--variant {text!r}: expected NAME:key=value,...")
    overrides = [x for x in rest.split(",") if x.strip()]
    try:
        TrainConfig().with_overrides(overrides)  # fail early on an unknown key or a bad value
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--variant {text!r}: {e}") from e
    return name, overrides


def market(root: Path, seed: int, influencers: int, briefs: int) -> Path:
    """The market folder for ``seed``, simulated once (reused when it already has enough briefs)."""
    d = root / f"seed{seed}-{influencers}x{briefs}"
    if not (d / "briefs.csv").exists():
        write_market(
            simulate_market(
                MarketConfig(n_influencers=influencers, n_briefs=briefs, seed=seed), progress=False
            ),
            d,
        )
    return d


def windows(
    tables: MarketTables, sizes: list[int], n_test: int, valid_fraction: float
) -> tuple[list[str], dict[int, Split]]:
    """The fixed test briefs (the latest ``n_test``) and, per size, the split of the ``size``
    briefs just before them: the latest ``valid_fraction`` of the window validate."""
    order = tables.briefs.sort_values([S.CREATED_AT, S.BRIEF_ID])[S.BRIEF_ID].astype(str).tolist()
    if len(order) < max(sizes) + n_test:
        raise ValueError(
            f"the market has {len(order)} briefs: fewer than {max(sizes)} + {n_test} test briefs"
        )
    test, history = order[-n_test:], order[:-n_test]
    out = {}
    for n in sizes:
        window = history[-n:]
        n_valid = max(1, round(n * valid_fraction))
        out[n] = Split(train=window[:-n_valid], valid=window[-n_valid:], test=test)
    return test, out


def memoize_catalogue_builds() -> None:
    """Within this process, ``Catalogue.build`` on tables it has seen returns the catalogue it
    built then: every run of a market rebuilds the same three (the market's, its feature-dropout
    copy: the same masks for every size, and the profile-only copy), which is most of a run's time."""
    build = Catalogue.build.__func__  # type: ignore[attr-defined]
    memo: dict[tuple, Catalogue] = {}

    def key(df: pd.DataFrame | None) -> tuple:
        if df is None:
            return (None,)
        return (
            tuple(df.columns),
            len(df),
            int(pd.util.hash_pandas_object(df.astype(str), index=False).sum()),
        )

    def cached(cls, influencers, posts, encoder, config=None, *a, **kw):  # noqa: ANN001
        k = (
            key(influencers),
            key(posts),
            repr(config),
            id(encoder),
            repr(a),
            repr(sorted(kw.items())),
        )
        if k not in memo:
            memo[k] = build(cls, influencers, posts, encoder, config, *a, **kw)
        return memo[k]

    Catalogue.build = classmethod(cached)  # type: ignore[method-assign]


def run_one(
    tables: MarketTables, truth, catalogue: Catalogue, encoder, cfg: TrainConfig, split: Split
) -> pd.DataFrame:
    pipe, _ = fit_pipeline(
        tables, cfg, encoder=encoder, split=split, progress=False, catalogue=catalogue
    )
    res = evaluate(
        pipe, tables, split.test, truth=truth, seed=cfg.seed, progress=False, segments=False
    )
    s = res.summary[res.summary["metric"] == METRIC]
    return s[["view", "system", "value"]]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per variant, size and view: model, best baseline and oracle NDCG@10, mean and min..max over
    seeds, and the model's lift over the best baseline and share of the oracle (means of per-seed values)."""
    wide = rows.pivot_table(
        index=["variant", "size", "seed", "view"], columns="system", values="value"
    ).reset_index()
    wide["best_baseline"] = wide[[b for b in BASELINES if b in wide.columns]].max(axis=1)
    wide["lift"] = wide["model"] / wide["best_baseline"] - 1.0
    wide["of_oracle"] = wide["model"] / wide["oracle"]
    g = wide.groupby(["variant", "size", "view"], sort=False)
    out = g[["model", "best_baseline", "oracle", "lift", "of_oracle"]].mean()
    out["model_min"], out["model_max"] = g["model"].min(), g["model"].max()
    out["baseline_min"], out["baseline_max"] = g["best_baseline"].min(), g["best_baseline"].max()
    out["n_seeds"] = g["seed"].nunique()
    return out.reset_index()


def print_table(summary: pd.DataFrame) -> None:
    print(
        f"\n{METRIC}, mean over seeds (min..max): model | best baseline | oracle | lift | share of oracle"
    )
    for (variant, size), g in summary.groupby(["variant", "size"], sort=False):
        cells = []
        for view in VIEWS:
            r = g[g["view"] == view]
            if r.empty:
                continue
            r = r.iloc[0]
            cells.append(
                f"{view}: {r.model:.3f} ({r.model_min:.3f}..{r.model_max:.3f}) | {r.best_baseline:.3f} | "
                f"{r.oracle:.3f} | {r.lift:+.0%} | {r.of_oracle:.2f}"
            )
        print(f"{variant:>14} {size:>5}  " + "   ".join(cells))


def plot(summary: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = list(dict.fromkeys(summary["variant"]))
    fig, axes = plt.subplots(1, len(VIEWS), figsize=(5 * len(VIEWS), 4), sharex=True)
    for ax, view in zip(axes, VIEWS, strict=True):
        for i, variant in enumerate(variants):
            s = summary[(summary["view"] == view) & (summary["variant"] == variant)].sort_values(
                "size"
            )
            if s.empty:
                continue
            tag = "" if len(variants) == 1 else f" ({variant})"
            line = ax.plot(s["size"], s["model"], marker="o", label=f"model{tag}")[0]
            ax.fill_between(
                s["size"], s["model_min"], s["model_max"], color=line.get_color(), alpha=0.2
            )
            if i == 0:
                ax.plot(
                    s["size"], s["best_baseline"], marker="s", color="grey", label="best baseline"
                )
                ax.fill_between(
                    s["size"], s["baseline_min"], s["baseline_max"], color="grey", alpha=0.2
                )
                ax.plot(s["size"], s["oracle"], ls="--", color="black", label="oracle")
        ax.set_xscale("log")
        sizes = sorted(set(summary["size"]))
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes])  # the sizes themselves, not 2x10^2 ...
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(view)
        ax.set_xlabel("briefs the model is fitted on")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"{METRIC} (band: min..max over seeds)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", type=parse_ints, default=list(SIZES), help="Briefs fitted on (comma-separated)."
    )
    p.add_argument(
        "--seeds", type=parse_ints, default=list(SEEDS), help="Market seeds (comma-separated)."
    )
    p.add_argument("--influencers", type=int, default=4000, help="Creators per market.")
    p.add_argument(
        "--test-briefs",
        type=int,
        default=400,
        help="Latest briefs held out (the same for every size).",
    )
    p.add_argument("--train-seed", type=int, default=42, help="Training seed.")
    p.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=None,
        help="NAME:key=value,... a training config to compare (repeatable).",
    )
    p.add_argument("--data-root", type=Path, default=Path("data/learning_curve"))
    p.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks/results/learning_curve"),
        help="Writes <out>.csv and <out>.png.",
    )
    args = p.parse_args(argv)
    if args.influencers < 10 or args.test_briefs < 10:
        p.error("--influencers and --test-briefs must be at least 10")
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    variants = args.variant or [("default", [])]
    base = TrainConfig(seed=args.train_seed)
    encoder = SentenceEncoder(base.encoder.model_copy(update={"show_progress": False}))
    sizes = sorted(args.sizes)
    memoize_catalogue_builds()
    rows = []
    runs = [(seed, n, name, ov) for seed in args.seeds for n in sizes for name, ov in variants]
    bar = tqdm(runs, desc="learning curve", unit="run")
    current = None
    for seed, n, name, overrides in bar:
        if current != seed:
            d = market(args.data_root, seed, args.influencers, max(sizes) + args.test_briefs)
            tables, truth = load_market(d), load_truth(d)
            catalogue = Catalogue.build(tables.influencers, tables.posts, encoder, base.catalogue)
            _, splits = windows(tables, sizes, args.test_briefs, 0.15 / 0.8)
            current = seed
        bar.set_postfix(seed=seed, size=n, variant=name)
        t0 = time.perf_counter()
        cfg = base.with_overrides(overrides)
        got = run_one(tables, truth, catalogue, encoder, cfg, splits[n])
        rows.append(got.assign(seed=seed, size=n, variant=name, seconds=time.perf_counter() - t0))
        done = pd.concat(rows, ignore_index=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        done.to_csv(
            args.out.with_suffix(".csv"), index=False
        )  # partial results survive an interruption
    summary = summarise(pd.concat(rows, ignore_index=True))
    print_table(summary)
    print(
        f"\nwrote {args.out.with_suffix('.csv')} and {plot(summary, args.out.with_suffix('.png'))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
