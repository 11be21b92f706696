"""What an incremental catalogue refresh costs (docs/catalogue_refresh.md). Prints a table.

python benchmarks/catalogue_refresh.py --creators 1000000 --hash-only
    content hashes of N synthetic creators with 12 posts each (the vectorised pandas digest):
    seconds and peak RSS.
python benchmarks/catalogue_refresh.py --creators 100000 --changed 0.01
    builds a catalogue of N creators (fast hashing encoder, 384-d), changes the bio of a share of
    them, adds and removes as many, then plans and applies the refresh: seconds per stage, texts
    embedded vs a full rebuild, and the MiniLM time those texts would take at --texts-per-s.

python benchmarks/catalogue_refresh.py --model models/eval-seed11 --data data/eval-seed11 --changed 0.01
    the real thing on a copy of a trained model (its encoder, e.g. MiniLM): the market's tables
    with a share of bios changed, added and removed, ``update_catalogue`` dry run then for real:
    seconds per stage (load, plan, build, merge, save incl. lexical + vector index), texts embedded.

Synthetic tables are made with Arrow string arrays (no Python object per string), so the
numbers are the library's, not the generator's.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from matcher import schemas as S  # noqa: E402

WORDS = pa.array(
    ["running", "baking", "gaming", "garden", "trail", "bread", "coffee", "yoga", "travel", "style"]
)


def _strings(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def _numbered(prefix: str, n: int) -> pa.Array:
    return pc.binary_join_element_wise(
        pa.scalar(prefix), pc.cast(pa.array(np.arange(n)), pa.string()), ""
    )


def synthetic(n: int, per: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` creators with ``per`` posts each; validated-table dtypes."""
    rng = np.random.default_rng(seed)
    ids = _numbered("c", n)
    bio = pc.binary_join_element_wise(
        *[WORDS.take(pa.array(rng.integers(0, len(WORDS), n))) for _ in range(4)], " "
    )
    inf = pd.DataFrame(
        {
            S.INFLUENCER_ID: _strings(ids),
            S.HANDLE: _strings(_numbered("@h", n)),
            S.PLATFORM: _strings(pa.array(np.where(np.arange(n) % 2, "instagram", "tiktok"))),
            S.FOLLOWERS: rng.integers(1_000, 100_000, n),
            S.BIO: _strings(bio),
            S.COUNTRY: _strings(pa.array(["US"] * n)),
            S.LANGUAGE: _strings(pa.array(["en"] * n)),
            S.PRICE_USD: rng.uniform(50, 500, n),
        }
    )
    m = n * per
    text = pc.binary_join_element_wise(
        "Today ",
        WORDS.take(pa.array(rng.integers(0, len(WORDS), m))),
        " with friends #",
        pc.cast(pa.array(np.arange(m)), pa.string()),
        "",
    )
    posts = pd.DataFrame(
        {
            S.POST_ID: _strings(_numbered("p", m)),
            S.INFLUENCER_ID: _strings(ids.take(pa.array(np.repeat(np.arange(n), per)))),
            S.POSTED_AT: pd.Timestamp("2025-06-01")
            - pd.to_timedelta(rng.integers(0, 365 * 24, m), unit="h"),
            S.TEXT: _strings(text),
            S.LIKES: rng.integers(0, 5_000, m),
            S.COMMENTS: rng.integers(0, 200, m),
            S.IS_SPONSORED: pd.array(rng.random(m) < 0.1, dtype="boolean"),
        }
    )
    return inf, posts


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def changed_tables(
    inf: pd.DataFrame, posts: pd.DataFrame, share: float, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A share of bios rewritten, as many creators removed, as many added (copies, new ids)."""
    rng = np.random.default_rng(seed)
    k = max(1, int(len(inf) * share))
    pick = rng.choice(len(inf), size=3 * k, replace=False)
    new = inf.copy()
    new.loc[new.index[pick[:k]], S.BIO] = "now brewing kombucha and sourdough"
    gone = set(new[S.INFLUENCER_ID].iloc[pick[k : 2 * k]])
    added = inf.iloc[pick[2 * k :]].assign(
        **{S.INFLUENCER_ID: [f"new{i}" for i in range(k)], S.HANDLE: [f"@new{i}" for i in range(k)]}
    )
    new = pd.concat([new[~new[S.INFLUENCER_ID].isin(gone)], added], ignore_index=True)
    kept_posts = posts[~posts[S.INFLUENCER_ID].isin(gone)]
    return new, kept_posts


def model_update(a: argparse.Namespace) -> None:
    import shutil
    import tempfile

    from matcher.data.io import load_catalogue
    from matcher.ranking.catalogue_update import update_catalogue

    if a.data is None:
        raise SystemExit("--model needs --data (the market the model was trained on)")
    inf, posts = load_catalogue(a.data)
    inf2, posts2 = changed_tables(inf, posts, a.changed)
    with tempfile.TemporaryDirectory(prefix="refresh-bench-") as tmp:
        model = Path(
            shutil.copytree(
                a.model, Path(tmp) / "model", ignore=shutil.ignore_patterns("evaluation")
            )
        )
        dry = update_catalogue(model, inf2, posts2, dry_run=True)
        t = time.perf_counter()
        done = update_catalogue(model, inf2, posts2, progress=True)
        wall = time.perf_counter() - t
    if a.json:
        print(json.dumps({**done.to_dict(), "wall_s": wall, "dry_run_s": dry.seconds["total"]}))
        return
    print("| stage | result |\n|---|---|")
    print(f"| catalogue | {len(inf):,} creators, {len(posts):,} posts ({a.model}) |")
    counts = {k: getattr(done, k) for k in ("added", "changed", "removed", "unchanged")}
    print(f"| dry run | {dry.seconds['total']:.1f}s: {counts} |")
    for k, v in done.seconds.items():
        print(f"| {k} | {v:.1f}s |")
    print(
        f"| texts embedded | {done.texts_embedded:,} of {len(inf) + len(posts):,} in the tables |"
    )
    print(f"| peak RSS | {rss_gb():.2f} GB |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--creators", type=int, default=100_000)
    ap.add_argument("--posts-per-creator", type=int, default=12)
    ap.add_argument(
        "--changed", type=float, default=0.01, help="share changed (and added, removed)"
    )
    ap.add_argument("--hash-only", action="store_true")
    ap.add_argument("--texts-per-s", type=float, default=265.0, help="MiniLM throughput to convert")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--model", type=Path, help="a trained model folder (copied, never changed)")
    ap.add_argument("--data", type=Path, help="its market folder (with --model)")
    a = ap.parse_args()
    if a.model is not None:
        model_update(a)
        return

    from matcher.config import CatalogueConfig
    from matcher.ranking.content_hash import content_hashes

    rows: list[tuple[str, str]] = []
    t = time.perf_counter()
    inf, posts = synthetic(a.creators, a.posts_per_creator)
    rows.append(
        ("tables", f"{len(inf):,} creators, {len(posts):,} posts ({time.perf_counter() - t:.1f}s)")
    )
    t = time.perf_counter()
    hashes = content_hashes(inf, posts)
    rows.append(("content_hashes", f"{time.perf_counter() - t:.1f}s, peak RSS {rss_gb():.2f} GB"))
    out: dict[str, object] = {"creators": len(inf), "posts": len(posts), "hash_s": rows[-1][1]}
    if not a.hash_only:
        from matcher.ranking.catalogue import Catalogue
        from matcher.ranking.embeddings import HashingEncoder
        from matcher.ranking.refresh import apply_refresh, plan_refresh

        enc, cfg = HashingEncoder(dim=384), CatalogueConfig()
        t = time.perf_counter()
        cat = Catalogue.build(inf, posts, enc, cfg)
        full_s = time.perf_counter() - t
        full_texts = len(cat) + len(cat.post_texts)
        rows.append(("full build (hashing encoder)", f"{full_s:.1f}s, {full_texts:,} texts"))
        inf2, posts2 = changed_tables(inf, posts, a.changed)
        t = time.perf_counter()
        plan = plan_refresh(cat, hashes, inf2, posts2, cfg)
        plan_s = time.perf_counter() - t
        rows.append(("plan (hashes, diff, stats)", f"{plan_s:.1f}s: {plan.diff.counts()}"))
        t = time.perf_counter()
        done = apply_refresh(cat, plan, inf2, posts2, enc, cfg)
        rows.append(
            (
                "apply (build changed, merge)",
                f"{time.perf_counter() - t:.1f}s (build {done.seconds['build']:.1f}s, merge "
                f"{done.seconds['merge']:.1f}s), {done.texts_embedded:,} texts",
            )
        )
        rows.append(
            (
                "MiniLM time of the texts",
                f"refresh {done.texts_embedded / a.texts_per_s / 60:.1f} min vs full "
                f"{full_texts / a.texts_per_s / 3600:.1f} h at {a.texts_per_s:.0f} texts/s",
            )
        )
        rows.append(("peak RSS", f"{rss_gb():.2f} GB"))
        out.update(plan.diff.counts(), texts_embedded=done.texts_embedded, full_texts=full_texts)
    if a.json:
        print(json.dumps(out))
        return
    print("| stage | result |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
