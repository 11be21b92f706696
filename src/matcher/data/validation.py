"""The validation machinery behind ``matcher.data.io``: problems, the error that lists them,
and ``TableChecker``, which coerces and checks a raw table column by column.

Lines are counted the way a spreadsheet user finds them: the header is line 1, so the first
data row is line 2 (line = 0-based row position + 2). Up to ``MAX_PROBLEMS`` problems are
collected and raised together as one ``DataValidationError``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 10
_BOOLS = {
    "true": True,
    "1": True,
    "1.0": True,
    "yes": True,
    "false": False,
    "0": False,
    "0.0": False,
    "no": False,
}
_ISO2 = re.compile(r"^[A-Z]{2}$")
_DATE_HINT = "an ISO 8601 date/time such as 2024-05-01 or 2024-05-01T12:00:00Z"


@dataclass(frozen=True)
class Problem:
    """One bad cell (or a whole-table problem when ``line`` is None)."""

    line: int | None
    column: str | None
    message: str

    def render(self, source: str) -> str:
        where = source if self.line is None else f"{source} line {self.line}"
        col = "" if self.column is None else f", column '{self.column}'"
        return f"{where}{col}: {self.message}"


class DataValidationError(ValueError):
    """A table broke the data contract; the message lists up to ``MAX_PROBLEMS`` problems."""

    def __init__(self, source: str, problems: list[Problem], n_total: int | None = None) -> None:
        self.source = source
        self.problems = problems
        self.n_total = max(n_total or 0, len(problems))
        lines = [p.render(source) for p in problems]
        if len(lines) == 1 and self.n_total == 1:
            text = lines[0]
        else:
            shown = "" if self.n_total == len(lines) else f", first {len(lines)} shown"
            text = f"{source}: {self.n_total} problems{shown}\n" + "\n".join(
                f"  {x}" for x in lines
            )
        super().__init__(text)


def is_missing(v: Any) -> bool:
    """Blank for the contract: None, NaN, NA or a whitespace-only string."""
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return bool(pd.api.types.is_scalar(v) and pd.isna(v))


# --------------------------------------------------------------------------- cell coercion
def _shown(value: Any) -> str:
    s = str(value)
    return repr(s if len(s) <= 60 else s[:57] + "...")


def _parse_shares(cell: Any, keys: tuple[str, ...] | None) -> tuple[dict[str, float] | None, str]:
    """Parse an audience JSON cell; returns (shares or None, problem or '')."""
    hint = 'must be a JSON object of shares such as {"US": 0.4, "GB": 0.2}'
    if isinstance(cell, Mapping):
        obj: Any = dict(cell)
    else:
        try:
            obj = json.loads(str(cell))
        except json.JSONDecodeError:
            return None, f"{hint}, got {_shown(cell)}"
    if not isinstance(obj, dict):
        return None, f"{hint}, got {_shown(cell)}"
    out: dict[str, float] = {}
    for k, v in obj.items():
        key = str(k).strip() if keys is not None else str(k).strip().upper()
        if keys is not None and key not in keys:
            return None, f"unknown key {str(k)!r}; expected any of {', '.join(keys)}"
        if keys is None and not _ISO2.match(key):
            return None, f"key {str(k)!r} is not an ISO 3166-1 alpha-2 country code"
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or not 0.0 <= v <= 1.0:
            return None, f"share for {str(k)!r} must be a number in [0, 1], got {v!r}"
        out[key] = out.get(key, 0.0) + float(v)
    total = sum(out.values())
    if total > 1.001:
        return None, f"shares must sum to at most 1, got {total:.3f}"
    return (out or None), ""


def _expected(vocab: tuple[str, ...]) -> str:
    if len(vocab) > 12:  # the country list: examples beat a wall of codes
        return f"a known code such as {', '.join(vocab[:3])} (see schemas)"
    return f"one of {', '.join(vocab)}"


class TableChecker:
    """Coerces and checks one raw table column by column, collecting problems."""

    def __init__(
        self, df: pd.DataFrame, source: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        self.raw = df.reset_index(drop=True)
        self.source = source
        self.columns = list(required) + list(optional)
        missing = [c for c in required if c not in self.raw.columns]
        if missing:
            raise DataValidationError(
                source,
                [
                    Problem(
                        None,
                        None,
                        f"missing required column(s) {missing}; found {list(self.raw.columns)}",
                    )
                ],
            )
        self.n = len(self.raw)
        self.out: dict[str, pd.Series] = {}
        self.problems: list[Problem] = []
        self.n_problems = 0

    # ----------------------------------------------------------------- bookkeeping
    def add(self, pos: int | None, column: str | None, message: str) -> None:
        self.n_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(None if pos is None else pos + 2, column, message))

    def flag(
        self, mask: NDArray[np.bool_] | pd.Series, column: str | None, message: Callable[[int], str]
    ) -> None:
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        room = max(0, MAX_PROBLEMS - len(self.problems))
        for pos in idx[:room]:
            self.problems.append(Problem(int(pos) + 2, column, message(int(pos))))
        self.n_problems += len(idx)

    def cell(self, column: str, pos: int) -> str:
        return _shown(self.raw[column].iloc[pos])

    def result(self) -> pd.DataFrame:
        if self.n_problems:
            shown = sorted(self.problems, key=lambda p: p.line or 0)
            raise DataValidationError(self.source, shown, self.n_problems)
        extra = [c for c in self.raw.columns if c not in self.out]
        data = {c: self.out[c] for c in self.columns} | {c: self.raw[c] for c in extra}
        return pd.DataFrame(data, index=pd.RangeIndex(self.n))

    # ----------------------------------------------------------------- raw views
    def text(self, column: str) -> pd.Series:
        """Stripped strings, blank = NaN."""
        if column not in self.raw.columns:
            return pd.Series(np.nan, index=range(self.n), dtype="str")
        s = self.raw[column].astype("str").str.strip()
        return s.mask(s == "")

    def _required(self, present: pd.Series, column: str, required: bool) -> None:
        if required:
            self.flag(~present, column, lambda i: "is required but empty")

    # ----------------------------------------------------------------- column kinds
    def string(
        self,
        column: str,
        required: bool = False,
        case: str | None = None,
        max_len: int | None = None,
    ) -> None:
        s = self.text(column)
        s = s.str.lower() if case == "lower" else s.str.upper() if case == "upper" else s
        self._required(s.notna(), column, required)
        if max_len is not None:
            self.flag(
                s.str.len() > max_len,
                column,
                lambda i: f"must be at most {max_len} characters, got {len(s[i])}",
            )
        self.out[column] = s

    def category(
        self,
        column: str,
        vocab: tuple[str, ...],
        case: str,
        what: str,
        required: bool = False,
        default: str | None = None,
    ) -> None:
        self.string(column, required, case)
        s = self.out[column]
        bad = s.notna() & ~s.isin(vocab)
        self.flag(bad, column, lambda i: f"unknown {what} {s[i]!r}; expected {_expected(vocab)}")
        self.out[column] = s.fillna(default) if default is not None else s

    def _numbers(self, column: str) -> tuple[pd.Series, pd.Series]:
        """(float values, present mask); unparseable present cells are NaN."""
        raw = self.raw[column] if column in self.raw.columns else None
        if (
            raw is not None
            and pd.api.types.is_numeric_dtype(raw)
            and not pd.api.types.is_bool_dtype(raw)
        ):
            vals = raw.astype("float64")
            return vals, vals.notna()
        s = self.text(column)
        return pd.to_numeric(s, errors="coerce").astype("float64"), s.notna()

    def integer(
        self,
        column: str,
        min_value: int | None = None,
        required: bool = False,
        default: int | None = None,
    ) -> None:
        vals, present = self._numbers(column)
        desc = {0: "a non-negative integer", None: "an integer"}.get(
            min_value, f"an integer >= {min_value}"
        )
        ok = np.isfinite(vals) & (vals == np.round(vals))
        if min_value is not None:
            ok &= vals >= min_value
        self.flag(present & ~ok, column, lambda i: f"must be {desc}, got {self.cell(column, i)}")
        self._required(present, column, required)
        vals = vals.where(ok)
        if default is not None:
            vals = vals.fillna(default)
        always_set = (required or default is not None) and bool(vals.notna().all())
        self.out[column] = vals.astype("int64" if always_set else "Int64")

    def number(
        self,
        column: str,
        low: float | None = None,
        high: float | None = None,
        low_exclusive: bool = False,
        required: bool = False,
    ) -> None:
        vals, present = self._numbers(column)
        ok = np.isfinite(vals)
        if low is not None:
            ok &= (vals > low) if low_exclusive else (vals >= low)
        if high is not None:
            ok &= vals <= high
        if low is not None and high is not None:
            desc = f"a number in [{low:g}, {high:g}]"
        elif low is not None:
            desc = f"a number {'>' if low_exclusive else '>='} {low:g}"
        else:
            desc = "a finite number"
        self.flag(present & ~ok, column, lambda i: f"must be {desc}, got {self.cell(column, i)}")
        self._required(present, column, required)
        self.out[column] = vals.where(ok).astype("float64")

    def boolean(self, column: str, required: bool = False, default: bool | None = None) -> None:
        s = self.text(column)
        vals = s.str.lower().map(_BOOLS)
        self.flag(
            s.notna() & vals.isna(),
            column,
            lambda i: f"must be true/false (also 1/0, yes/no), got {self.cell(column, i)}",
        )
        self._required(s.notna(), column, required)
        if default is not None:
            vals = vals.fillna(default)  # bad cells are flagged above
        always_set = (required or default is not None) and bool(vals.notna().all())
        self.out[column] = vals.astype("bool") if always_set else vals.astype("boolean")

    def datetime(self, column: str, required: bool = False) -> None:
        raw = self.raw[column] if column in self.raw.columns else None
        if raw is not None and pd.api.types.is_datetime64_any_dtype(raw):
            present = raw.notna()
            vals = pd.to_datetime(raw, utc=True)
        else:
            s = self.text(column)
            present = s.notna()
            # ISO 8601 only: "05/01/2024" is ambiguous, and a silent day/month swap would
            # corrupt time-based splits
            vals = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601")
        self.flag(
            present & vals.isna(),
            column,
            lambda i: f"must be {_DATE_HINT}, got {self.cell(column, i)}",
        )
        self._required(present, column, required)
        self.out[column] = vals.dt.tz_convert(None).astype("datetime64[us]")

    def shares(self, column: str, keys: tuple[str, ...] | None) -> None:
        """JSON object of audience shares; keys=None means ISO country codes."""
        raw = self.raw[column] if column in self.raw.columns else pd.Series([None] * self.n)
        out: list[str | float] = []
        for pos, cell in enumerate(raw.tolist()):
            if not isinstance(cell, Mapping) and is_missing(cell):  # blank = unknown audience
                out.append(np.nan)
                continue
            parsed, problem = _parse_shares(cell, keys)
            if problem:
                self.add(pos, column, problem)
            out.append(json.dumps(parsed, sort_keys=True) if parsed else np.nan)
        self.out[column] = pd.Series(out, dtype="str")

    def listcol(
        self,
        column: str,
        vocab: tuple[str, ...] | None = None,
        case: str | None = None,
        what: str = "value",
        handles: bool = False,
        resolve: Callable[[str], str] | None = None,
        max_items: int | None = None,
    ) -> None:
        """``LIST_SEP``-joined cells, without repeats. ``vocab``: the allowed values; ``resolve``:
        maps each item to its canonical form (a taxonomy id), its ValueError is the problem."""
        s = self.text(column)
        out: list[str | float] = []
        for pos, cell in enumerate(s.tolist()):
            if not isinstance(cell, str):
                out.append(np.nan)
                continue
            items = [x.strip() for x in cell.split(S.LIST_SEP) if x.strip()]
            items = [
                x.lower() if case == "lower" else x.upper() if case == "upper" else x for x in items
            ]
            if handles:
                items = [x.lower().lstrip("@") for x in items]
            bad = [x for x in items if vocab is not None and x not in vocab]
            if bad:
                self.add(
                    pos,
                    column,
                    f"unknown {what} {bad[0]!r}; expected "
                    f"{_expected(vocab or ())}, separated by {S.LIST_SEP!r}",
                )
            if max_items is not None and len(items) > max_items:
                self.add(pos, column, f"must list at most {max_items} {what}s, got {len(items)}")
            elif resolve is not None:
                try:
                    items = [resolve(x) for x in items]
                except ValueError as e:
                    self.add(pos, column, str(e))
            items = list(dict.fromkeys(items))
            out.append(S.LIST_SEP.join(items) if items else np.nan)
        self.out[column] = pd.Series(out, dtype="str")

    # ----------------------------------------------------------------- cross checks
    def unique(self, column: str, scope: str | None = None) -> None:
        """Flag repeats of ``column`` (within ``scope``, e.g. handle per platform); handles
        compare case-insensitively without a leading '@'."""
        s = self.out[column]
        k = s.str.lower().str.lstrip("@") if column == S.HANDLE else s
        if scope is not None:
            k = self.out[scope] + "\x00" + k
        dup = k.notna() & k.duplicated(keep="first")
        first = {v: i for i, v in reversed(list(enumerate(k.tolist())))}
        where = (lambda i: f" on {scope} {self.out[scope][i]!r}") if scope else (lambda i: "")
        self.flag(
            dup,
            column,
            lambda i: f"duplicate {column} {s[i]!r}{where(i)} (first on line {first[k[i]] + 2})",
        )

    def foreign_key(self, column: str, valid: Iterable[Any], table: str) -> None:
        s = self.out[column]
        bad = s.notna() & ~s.isin(set(map(str, valid)))
        self.flag(bad, column, lambda i: f"{column} {s[i]!r} not found in {table}")
