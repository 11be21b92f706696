"""The IAB Tech Lab taxonomies as vocabularies: Content Taxonomy 3.1 (what content is about) and
Ad Product Taxonomy 2.0 (what is sold: Alcohol, Gambling, ...), loaded from the TSV files next to
this module (CC BY 3.0, IAB Tech Lab; see README.md here). Pure data: briefs validate their
``interests`` against it at the boundary; ``matcher.ranking.interests`` classifies texts into it.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

logger = logging.getLogger(__name__)

Kind = Literal["content", "ad_product"]
_FILES = {
    "content": ("content_taxonomy_3.1.tsv", 2, 4),  # file, header lines, tier columns
    "ad_product": ("ad_product_taxonomy_2.0.tsv", 1, 3),
}
DESCRIPTIONS_FILE = "descriptions.tsv"
PATH_SEP = " > "

# Ad product categories brand-safety rules are commonly written in (names as in the taxonomy;
# ``Taxonomy.load("ad_product").validate(SENSITIVE_AD_CATEGORIES)`` gives their ids).
SENSITIVE_AD_CATEGORIES: tuple[str, ...] = (
    "Adult Products and Services",
    "Alcohol",
    "Cannabis",
    "Dating",
    "Debated Sensitive Social Issue",
    "Dieting and Weightloss",
    "Gambling",
    "HFSS Products [High Fat, Sugar, Salt]",
    "Non-Fiat Currency",
    "Payday and Emergency Loans",
    "Pharmaceuticals",
    "Politics",
    "Religion and Spirituality",
    "Sexual Health",
    "Tobacco",
    "Weapons and Ammunition",
)


@dataclass(frozen=True)
class Topic:
    """One taxonomy node. ``path`` holds the tier names from the root down to this node."""

    id: str
    name: str
    parent_id: str | None
    path: tuple[str, ...]
    description: str = ""
    extension: str = ""  # the content taxonomy's "Extension" column (e.g. "SCD"), kept verbatim

    @property
    def tier(self) -> int:
        return len(self.path)

    @property
    def path_text(self) -> str:
        return PATH_SEP.join(self.path)

    @property
    def label_text(self) -> str:
        """What the encoder embeds: the name, where it sits, and what it means when ambiguous."""
        text = self.name if self.tier == 1 else f"{self.name} ({PATH_SEP.join(self.path[:-1])})"
        return f"{text}: {self.description}" if self.description else text


def _norm(ref: str) -> str:
    return " ".join(ref.replace(">", " > ").split()).casefold()


def _open_text(file: Traversable) -> io.TextIOWrapper:
    """A packaged TSV opened for the csv module (UTF-8, newline=""): Traversable.open only
    promises `encoding`/`errors`, so wrap the binary stream ourselves."""
    return io.TextIOWrapper(file.open("rb"), encoding="utf-8", newline="")


class Taxonomy:
    """An immutable tree of topics in file order, with lookups by id, name or tier path."""

    def __init__(self, kind: str, topics: Sequence[Topic]) -> None:
        self.kind = kind
        self.topics: tuple[Topic, ...] = tuple(topics)
        self.ids: tuple[str, ...] = tuple(t.id for t in self.topics)
        self._index = {tid: i for i, tid in enumerate(self.ids)}
        if len(self._index) != len(self.topics):
            raise ValueError(f"{kind} taxonomy has duplicate ids")
        self._children: dict[str | None, list[str]] = {}
        self._by_ref: dict[str, set[str]] = {}  # normalised name, tier name or path -> ids
        for t in self.topics:
            self._children.setdefault(t.parent_id, []).append(t.id)
            for ref in (t.name, t.path[-1], t.path_text):
                self._by_ref.setdefault(_norm(ref), set()).add(t.id)

    @classmethod
    def load(cls, kind: Kind = "content") -> Taxonomy:
        """The packaged copy of an IAB taxonomy, with our label descriptions."""
        folder = resources.files("matcher.iab")
        fname, skip, n_tiers = _FILES[kind]
        with _open_text(folder.joinpath(fname)) as f:
            rows = list(csv.reader(f, delimiter="\t"))[skip:]
        with _open_text(folder.joinpath(DESCRIPTIONS_FILE)) as f:
            desc = [r for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")][1:]
        return cls.from_rows(
            kind, rows, n_tiers, {r[1]: (r[2], r[3]) for r in desc if r[0] == kind}
        )

    @classmethod
    def from_rows(
        cls,
        kind: str,
        rows: Iterable[Sequence[str]],
        n_tiers: int,
        descriptions: dict[str, tuple[str, str]] | None = None,
    ) -> Taxonomy:
        """Rows of ``id, parent id, name, tier 1..n[, extension]``; ``descriptions``: id -> (name, as a
        check, description). Parents follow the tier paths: the file's parent column has
        self-references and links against the tiers (Horse Racing under Sports, not Equine Sports)."""
        cells = [[c.strip() for c in r] for r in rows if any(c.strip() for c in r)]
        by_path = {tuple(c for c in r[3 : 3 + n_tiers] if c): r[0] for r in cells}
        if len(by_path) != len(cells):
            raise ValueError(f"{kind} taxonomy has two topics at the same tier path")
        todo = dict(descriptions or {})
        topics = []
        for (path, tid), r in zip(by_path.items(), cells, strict=True):
            parent = by_path.get(path[:-1]) if len(path) > 1 else None
            if len(path) > 1 and parent is None:
                raise ValueError(f"{kind} topic {tid}: no topic at the parent path {path[:-1]}")
            if parent != (r[1] or None):
                logger.debug("%s %s: parent %s from the tier path, not %s", kind, tid, parent, r[1])
            name, desc = todo.pop(tid, (r[2], ""))
            if name != r[2]:
                raise ValueError(
                    f"description of {kind} topic {tid} is for {name!r}, the topic is {r[2]!r}"
                )
            topics.append(
                Topic(tid, r[2], parent, path, desc, r[3 + n_tiers] if len(r) > 3 + n_tiers else "")
            )
        if todo:
            raise ValueError(f"descriptions for unknown {kind} topics: {sorted(todo)}")
        return cls(kind, topics)

    def __len__(self) -> int:
        return len(self.topics)

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._index

    def __getitem__(self, topic_id: str) -> Topic:
        return self.topics[self.index(topic_id)]

    def index(self, topic_id: str) -> int:
        """Row of the topic in ``ids``, ``topics`` and a classifier's label matrix."""
        try:
            return self._index[topic_id]
        except KeyError:
            raise KeyError(f"no topic with id {topic_id!r} in the {self.kind} taxonomy") from None

    def children(self, topic_id: str | None) -> list[Topic]:
        """Direct children; ``None`` gives the tier-1 topics."""
        return [self[c] for c in self._children.get(topic_id, [])]

    def subtree(self, topic_id: str) -> list[str]:
        """The topic and all its descendants: excluding "Alcohol" excludes Beer and Wine too."""
        out, stack = [], [self[topic_id].id]
        while stack:
            out.append(stack.pop())
            stack.extend(reversed(self._children.get(out[-1], [])))
        return out

    def resolve(self, ref: str) -> str:
        """The id behind an id, a name or a tier path ("Food & Drink > Vegan Diets"), any case."""
        if ref in self._index:
            return ref
        found = sorted(self._by_ref.get(_norm(ref), set()), key=self.index)
        if len(found) == 1:
            return found[0]
        if found:
            options = "; ".join(f"{t} = {self[t].path_text!r}" for t in found)
            raise ValueError(
                f"{ref!r} names several {self.kind} topics ({options}): give the path or id"
            )
        near = [t.path_text for t in self.topics if _norm(ref) in _norm(t.name)][:3] or [
            self[min(self._by_ref[c], key=self.index)].path_text
            for c in difflib.get_close_matches(_norm(ref), list(self._by_ref), n=3, cutoff=0.75)
        ]
        hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
        raise ValueError(f"unknown {self.kind} topic {ref!r}{hint}")

    def validate(self, refs: Iterable[str]) -> list[str]:
        """Ids for names, paths or ids, in order without repeats; a ValueError names the first
        unknown or ambiguous one (for briefs' ``interests`` / ``excluded_interests``)."""
        return list(dict.fromkeys(self.resolve(r) for r in refs))


def validate_topics(refs: Iterable[str], taxonomy: Taxonomy | None = None) -> list[str]:
    """``Taxonomy.validate`` on the content taxonomy unless another one is given."""
    return (taxonomy or Taxonomy.load("content")).validate(refs)


# --------------------------------------------------------------------------- shared copies
@functools.cache
def taxonomy(kind: Kind) -> Taxonomy:
    """The IAB taxonomy briefs are validated against: read on first use, then shared (immutable)."""
    return Taxonomy.load(kind)


@functools.cache
def _category_names() -> dict[str, str]:
    """Casefolded Ad Product names that name exactly one category -> its id."""
    ids: dict[str, set[str]] = {}
    for t in taxonomy("ad_product"):
        ids.setdefault(t.name.casefold(), set()).add(t.id)
    return {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}


def keyword_categories(keywords: Sequence[str]) -> list[str]:
    """Ids of the Ad Product categories that free keywords name exactly, any case ("alcohol" ->
    Alcohol): brand safety speaks the standard vocabulary even when a brand wrote a keyword."""
    names = _category_names() if keywords else {}  # the taxonomy is read only when needed
    return list(dict.fromkeys(names[k.casefold()] for k in keywords if k.casefold() in names))
