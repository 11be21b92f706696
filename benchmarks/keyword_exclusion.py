"""Cost of a brief's exclusion lists, before and after the compiled matcher (issue 10).

Run on demand: ``python benchmarks/keyword_exclusion.py [--creators 3000]``.

The brief of issue 10: 5,000 nonsense keywords (4,000 words, 1,000 two-word phrases) plus
"the", "a", "i", "and", followers 0..1e12 (54 KB of JSON). It is built without validation
(``Brief.model_construct``): the service now rejects it with a 400 (``MAX_EXCLUDED_KEYWORDS``), and
this measures what the ranking code would do with it anyway.

1. the matcher alone: every creator's text of a simulated catalogue against the list, with the old
   per-keyword scan (``text.keyword_hit``) and with ``keywords.KeywordMatcher`` (compile included);
2. ``MatchPipeline.recommend`` with that brief, with the old ``exclude_keywords`` patched back in
   vs the current code (the old candidate search re-scanned every creator each time it widened);
3. 100,000 ``excluded_handles``: the old ``np.isin`` on object arrays vs the set.

The pipeline uses the fast hashing encoder: the exclusion cost depends on the creators' texts,
not on the vectors (brief embedding is outside what is compared here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _old_exclude_keywords(
    brief, cat, rows, matcher=None, deadline=None
):  # the code before issue 10
    from matcher.ranking.text import keyword_hit

    if not brief.excluded_keywords or len(rows) == 0:
        return rows
    keep = [r for r in rows if not keyword_hit(cat.search_text[r], brief.excluded_keywords)]
    return np.asarray(keep, dtype=np.int64)


def nonsense(rng: np.random.Generator, n_words: int, n_phrases: int) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, int(rng.integers(6, 13)))) for _ in range(n_words)]
    phrases = [
        " ".join("".join(rng.choice(letters, 6)) for _ in range(2)) for _ in range(n_phrases)
    ]
    return words + phrases


def timed(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--creators", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()

    from unittest import mock

    from matcher.data.io import load_market
    from matcher.ranking import retrieval
    from matcher.ranking.embeddings import HashingEncoder
    from matcher.ranking.keywords import KeywordMatcher
    from matcher.ranking.text import keyword_hit
    from matcher.schemas import Brief
    from matcher.simulator.market import MarketConfig, simulate_market, write_market
    from matcher.training.trainer import fit_pipeline
    from tests.helpers import tiny_config

    rng = np.random.default_rng(0)
    keywords = [*nonsense(rng, 4000, 1000), "the", "a", "i", "and"]
    brief = Brief.model_construct(
        **{
            **Brief(text="x").model_dump(),
            "text": "healthy breakfast recipes for busy parents",
            "min_followers": 0,
            "max_followers": 10**12,
            "excluded_keywords": keywords,
        }
    )
    size_kb = len(brief.model_dump_json()) / 1000
    with tempfile.TemporaryDirectory() as tmp:
        market = simulate_market(
            MarketConfig(n_influencers=a.creators, n_briefs=300, seed=3), progress=False
        )
        write_market(market, tmp)
        tables = load_market(tmp)
        pipe, _ = fit_pipeline(tables, tiny_config(), encoder=HashingEncoder(), progress=False)
    cat = pipe.catalogue
    texts = [str(t) for t in cat.search_text]
    print(
        f"catalogue: {len(cat):,} creators, mean text {np.mean([len(t) for t in texts]):,.0f} chars; "
        f"brief: {len(keywords):,} keywords, {size_kb:.0f} KB of JSON"
    )

    old = timed(lambda: [keyword_hit(t, keywords) for t in texts], 1)
    new = timed(
        lambda: [m.hit(t) for m in [KeywordMatcher(keywords)] for t in texts], a.repeats
    )  # compile too
    m = KeywordMatcher(keywords)
    assert [m.hit(t) for t in texts] == [keyword_hit(t, keywords) for t in texts]
    print(
        f"| matcher alone, {len(texts):,} texts x {len(keywords):,} keywords | {old:.2f} s | {new * 1000:.0f} ms |"
    )
    nonsense_only = keywords[:-4]
    old = timed(lambda: [keyword_hit(t, nonsense_only) for t in texts], 1)
    new = timed(
        lambda: [m2.hit(t) for m2 in [KeywordMatcher(nonsense_only)] for t in texts], a.repeats
    )
    print(
        f"| matcher alone, nonsense keywords only (no hits) | {old:.2f} s | {new * 1000:.0f} ms |"
    )

    q = pipe.embed_briefs([brief])[0]
    after = timed(lambda: pipe.recommend(brief, k=10, query=q), a.repeats)
    rec = pipe.recommend(brief, k=10, query=q)
    with mock.patch.object(retrieval, "exclude_keywords", _old_exclude_keywords):
        before = timed(lambda: pipe.recommend(brief, k=10, query=q), 1)
        rec_old = pipe.recommend(brief, k=10, query=q)
    assert [x.influencer_id for x in rec.matches] == [x.influencer_id for x in rec_old.matches]
    print(
        f"| recommend, the 54 KB brief ({rec.n_candidates:,} pass the filters, {len(rec.matches)} shown) | "
        f"{before:.2f} s | {after * 1000:.0f} ms |"
    )

    handles = [f"nobody{i}" for i in range(100_000)] + [
        str(h).lower().lstrip("@") for h in cat.handles[:5]
    ]
    hb = Brief.model_construct(
        **{**brief.model_dump(), "excluded_keywords": [], "excluded_handles": handles}
    )
    old = timed(lambda: ~np.isin(cat.handles_normalised, hb.excluded_handles), 1)
    new = timed(
        lambda: retrieval.hard_filter(hb, cat, pipe.costs, pipe.config.retrieval), a.repeats
    )
    mask = retrieval.hard_filter(hb, cat, pipe.costs, pipe.config.retrieval)
    assert int((~mask).sum()) >= 5
    print(
        f"| hard filter, {len(handles):,} excluded_handles | {old * 1000:.0f} ms (np.isin alone) | "
        f"{new * 1000:.0f} ms (whole filter) |"
    )


if __name__ == "__main__":
    main()
