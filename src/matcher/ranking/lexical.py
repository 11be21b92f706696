"""Lexical (BM25) search over one document per creator, and its fusion with dense search.

Dense vectors blur exact words: a brief naming a rare product ("kombucha", "padel", a brand
name) should find the creators who wrote that word. ``LexicalIndex`` is BM25 (``bm25s``:
scores precomputed into a sparse term x document matrix, so a query costs the postings of its
words). The caller chooses the document text (handle words + bio + post captions).

Tokens are multilingual-safe (bios are ~35% non-English): NFKC + casefold, runs of unicode
letters/digits (so ``#SourdoughLife`` -> ``sourdoughlife``, ``@trail_runs`` -> ``trail``,
``runs``), Han/kana runs as overlapping character bigrams (no spaces to split on), no stemming
(a stemmer is per language), and by default only Lucene's 33 English stop words: briefs are
mostly English boilerplate, while a union of every language's list would delete content words
of another (Spanish "son", German "will").

``fuse`` combines dense and lexical scores of the same candidates, two standard ways:

- ``"rrf"``, reciprocal rank fusion (Cormack et al. 2009): ``(1-w)/(k+rank_dense) +
  w/(k+rank_lexical)``, k=60. Scale-free, nothing to normalise, robust to outliers; ignores
  how far ahead a candidate is. A candidate with lexical score 0 (no shared word) gets no
  lexical term, as a document missing from a ranked list does. Tied scores share the best rank.
  ``w=0.5`` orders as standard RRF.
- ``"convex"``: ``(1-w)*norm(dense) + w*norm(lexical)``, norm = min-max (default) or z-score
  over the candidate set. Keeps score gaps (a lone exact match can win by a margin), but the
  weight must be tuned and min-max is sensitive to one extreme score; Bruch et al. 2023 find a
  tuned convex combination usually beats RRF. ``w=0``/``w=1`` give the dense/lexical order.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np
from bm25s import stopwords as bm25s_stopwords
from numpy.typing import NDArray

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG when imported ("Building index from tokens" on every build):
# back to WARNING here, after the import, so the CLI and service logs stay quiet
logging.getLogger("bm25s").setLevel(logging.WARNING)

FORMAT_VERSION = 1
META_FILE = "lexical.json"

# Hiragana, Katakana, CJK ideographs (+ ext. A, compatibility), half-width katakana
_CJK = "\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

STOPWORDS: dict[str, Sequence[str]] = {
    "en": bm25s_stopwords.STOPWORDS_EN,
    "es": bm25s_stopwords.STOPWORDS_SPANISH,
    "pt": bm25s_stopwords.STOPWORDS_PORTUGUESE,
    "de": bm25s_stopwords.STOPWORDS_GERMAN,
    "fr": bm25s_stopwords.STOPWORDS_FRENCH,
    "it": bm25s_stopwords.STOPWORDS_ITALIAN,
    "nl": bm25s_stopwords.STOPWORDS_DUTCH,
}

RRF_K = 60
RECENT_QUERIES = 4  # BM25 score vectors kept per index (4 MB each at 1M documents)
FusionMethod = Literal["rrf", "convex"]
Normalisation = Literal["minmax", "zscore"]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def stopword_set(languages: Iterable[str]) -> frozenset[str]:
    """The union of the library's stop-word lists for these language codes (see ``STOPWORDS``)."""
    unknown = [lang for lang in languages if lang not in STOPWORDS]
    if unknown:
        raise ValueError(f"no stop-word list for {unknown}; known: {sorted(STOPWORDS)}")
    return frozenset(_fold(w) for lang in languages for w in STOPWORDS[lang])


def tokenize(
    text: object, stopwords: frozenset[str] = frozenset(), min_chars: int = 2
) -> list[str]:
    """Words of a text as BM25 terms: the same function for documents and queries."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    out: list[str] = []
    for run in _TOKEN.findall(_fold(str(text))):
        if _CJK_CHAR.match(run):  # runs are either all CJK or free of it
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        elif len(run) >= min_chars and run not in stopwords:
            out.append(run)
    return out


class LexicalIndex:
    """BM25 over a fixed list of documents; row i scores document i (a catalogue row).

    sklearn contract: ``__init__`` stores parameters, ``fit(texts)`` learns the vocabulary and
    term weights and returns ``self``.
    """

    def __init__(
        self,
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: tuple[str, ...] = ("en",),
        min_chars: int = 2,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.stopwords = stopwords
        self.min_chars = min_chars
        self._recent: list[tuple[str, NDArray[np.float32]]] = []  # see ``_all_scores``
        self._recent_lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.pop("_recent_lock", None)  # a lock does not pickle; the cache is not worth it
        state["_recent"] = []
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._recent_lock = threading.Lock()

    def fit(self, texts: Sequence[object]) -> LexicalIndex:
        self._recent = []
        stop = stopword_set(self.stopwords)
        docs = [tokenize(t, stop, self.min_chars) for t in texts]
        self.n_docs_ = len(docs)
        self.stop_ = stop
        self.bm25_: bm25s.BM25 | None = None
        if any(docs):  # bm25s cannot index a corpus without a single word
            self.bm25_ = bm25s.BM25(k1=self.k1, b=self.b)
            self.bm25_.index(docs, create_empty_token=False, show_progress=False)
        logger.info("lexical index: %d documents, %d terms", self.n_docs_, self.vocab_size)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_docs_"):
            raise RuntimeError(
                "LexicalIndex is not fitted: call fit(texts) or LexicalIndex.load(folder)"
            )

    def __len__(self) -> int:
        self._check_fitted()
        return self.n_docs_

    @property
    def vocab_size(self) -> int:
        self._check_fitted()
        return 0 if self.bm25_ is None else len(self.bm25_.vocab_dict)

    def query_terms(self, query_text: str) -> list[int]:
        """Vocabulary ids of the query's words; unknown words are dropped, repeats kept (BM25
        sums over query terms, so a word said twice counts twice)."""
        self._check_fitted()
        if self.bm25_ is None:
            return []
        return self.bm25_.get_tokens_ids(tokenize(query_text, self.stop_, self.min_chars))

    def _all_scores(self, query_text: str) -> NDArray[np.float32] | None:
        """BM25 of every document (read-only), None when no query word is in the vocabulary.
        The last ``RECENT_QUERIES`` queries are kept: one request scores its brief three times
        (candidate search, fusion, the ``lexical_score`` feature), at 1M documents ~2M postings
        each (docs/scaling.md)."""
        with self._recent_lock:
            for text, full in self._recent:
                if text == query_text:
                    return full
        terms = self.query_terms(query_text)
        if not terms or self.bm25_ is None:
            return None
        # a query costs the postings of its words plus one pass over n_docs; gathering rows
        # afterwards is cheaper than filtering postings (see the benchmark in the report)
        full = np.asarray(self.bm25_.get_scores_from_ids(terms), dtype=np.float32)
        full.setflags(write=False)
        with self._recent_lock:
            self._recent = [(query_text, full), *self._recent[: RECENT_QUERIES - 1]]
        return full

    def prepare(self, query_text: str) -> None:
        """Score ``query_text`` now (kept with the recent queries), e.g. while the brief is
        being embedded: the searches and scores that follow reuse it."""
        self._check_fitted()
        self._all_scores(query_text)

    def scores(self, query_text: str, rows: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """BM25 score of every document (or of ``rows``, in that order); 0 = no shared word."""
        self._check_fitted()
        full = self._all_scores(query_text)
        if full is None:
            n = self.n_docs_ if rows is None else len(rows)
            return np.zeros(n, dtype=np.float32)
        return full.copy() if rows is None else full[np.asarray(rows, dtype=np.int64)]

    def search(
        self, query_text: str, k: int, mask: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Top-k rows by BM25 among rows where ``mask`` is True, best first (ties by row).
        Only documents sharing a word with the query are returned, so there may be fewer than k."""
        self._check_fitted()
        full = self._all_scores(query_text)
        if full is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        hit = full > 0  # the documents sharing a word: one pass, no copy of every passing row
        if mask is not None:
            hit &= mask
        rows = np.flatnonzero(hit)
        sims = full[rows]
        k = min(k, len(rows))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-sims, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -sims[top]))]
        return rows[top].astype(np.int64), sims[top].astype(np.float32)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """bm25s's own format (npy arrays, allow_pickle=False, JSON vocabulary) plus our
        tokenizer settings, so a loaded index tokenises queries exactly as it was built."""
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.bm25_ is not None:
            self.bm25_.save(folder, show_progress=False)
        meta = {
            "format": FORMAT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "stopwords": list(self.stopwords),
            "min_chars": self.min_chars,
            "n_docs": self.n_docs_,
            "empty": self.bm25_ is None,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, mmap: bool = False) -> LexicalIndex:
        """``mmap``: map bm25s's arrays read-only (shared by the processes that load them)."""
        folder = Path(folder)
        f = folder / META_FILE
        if not f.exists():
            raise FileNotFoundError(f"{folder} is not a saved LexicalIndex (no {META_FILE})")
        meta = json.loads(f.read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: lexical index format {meta.get('format')}, expected {FORMAT_VERSION}"
            )
        index = cls(
            k1=meta["k1"],
            b=meta["b"],
            stopwords=tuple(meta["stopwords"]),
            min_chars=meta["min_chars"],
        )
        index.n_docs_ = int(meta["n_docs"])
        index.stop_ = stopword_set(index.stopwords)
        index.bm25_ = (
            None
            if meta["empty"]
            else bm25s.BM25.load(folder, allow_pickle=False, show_progress=False, mmap=mmap)
        )
        return index


# ---------------------------------------------------------------------- fusion
def competition_ranks(scores: NDArray[np.floating]) -> NDArray[np.int64]:
    """1-based ranks, best = 1; tied scores share the best rank of their group (1, 2, 2, 4)."""
    s = np.asarray(scores, dtype=np.float64)
    return np.searchsorted(np.sort(-s), -s, side="left").astype(np.int64) + 1


def _normalise(s: NDArray[np.float64], norm: Normalisation) -> NDArray[np.float64]:
    if norm == "minmax":
        span = s.max() - s.min()
        return (s - s.min()) / span if span > 0 else np.zeros_like(s)
    if norm == "zscore":
        sd = s.std()
        return (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    raise ValueError(f"unknown normalisation {norm!r}; expected 'minmax' or 'zscore'")


def fuse(
    dense_scores: NDArray[np.floating],
    lexical_scores: NDArray[np.floating],
    weight: float = 0.5,
    method: FusionMethod = "rrf",
    k: int = RRF_K,
    norm: Normalisation = "minmax",
) -> NDArray[np.float64]:
    """One fused score per candidate (higher = better); ``weight`` is the lexical share in [0, 1].
    Both arrays score the same candidates in the same order (see the module docstring)."""
    dense = np.asarray(dense_scores, dtype=np.float64)
    lexical = np.asarray(lexical_scores, dtype=np.float64)
    if dense.shape != lexical.shape or dense.ndim != 1:
        raise ValueError(
            f"dense {dense.shape} and lexical {lexical.shape} must be 1-d and the same length"
        )
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    if len(dense) == 0:
        return np.zeros(0, dtype=np.float64)
    if method == "rrf":
        lex_term = np.where(lexical > 0, weight / (k + competition_ranks(lexical)), 0.0)
        return (1.0 - weight) / (k + competition_ranks(dense)) + lex_term
    if method == "convex":
        return (1.0 - weight) * _normalise(dense, norm) + weight * _normalise(lexical, norm)
    raise ValueError(f"unknown fusion method {method!r}; expected 'rrf' or 'convex'")
