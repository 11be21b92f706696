"""Loading and validation of the four market tables: influencers, posts, briefs, outcomes.

Tables are checked once, here at the boundary; inner code trusts them. Every error names the
file, the line and the column the way a spreadsheet user finds them: the header is line 1, so
the first data row is line 2 (line = 0-based row position + 2, for Parquet files too). Up to
``MAX_PROBLEMS`` problems are collected and raised together as one ``DataValidationError``.

Cleaned frames hold every required and optional column in schema order (absent optional
columns are all-missing), then any extra input columns untouched. Types: ids and text are
``str`` (missing = NaN); counts ``int64`` when required, nullable ``Int64`` otherwise; money,
shares and ratings ``float64``; flags ``bool`` when required, nullable ``boolean`` otherwise;
times naive UTC ``datetime64``. Audience columns hold canonical JSON strings. Brief list
columns hold ``LIST_SEP``-joined strings (missing = any), and brief defaults (target_gender,
min/max followers) are filled in so the frame and the ``Brief`` model agree.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from matcher import schemas as S

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 10
TABLES: tuple[str, ...] = ("influencers", "posts", "briefs", "outcomes")
_BOOLS = {"true": True, "1": True, "1.0": True, "yes": True,
          "false": False, "0": False, "0.0": False, "no": False}
_LIST_FIELDS = (S.PLATFORMS_COL, S.TARGET_COUNTRIES, S.TARGET_AGES, S.EXCLUDED_HANDLES,
                S.EXCLUDED_KEYWORDS)
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
            text = f"{source}: {self.n_total} problems{shown}\n" + "\n".join(f"  {x}" for x in lines)
        super().__init__(text)


@dataclass
class MarketTables:
    influencers: pd.DataFrame
    posts: pd.DataFrame
    briefs: pd.DataFrame
    outcomes: pd.DataFrame  # may be empty (with the right columns)


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


class _Table:
    """Coerces and checks one raw table column by column, collecting problems."""

    def __init__(self, df: pd.DataFrame, source: str, required: Iterable[str],
                 optional: Iterable[str]) -> None:
        self.raw = df.reset_index(drop=True)
        self.source = source
        self.columns = list(required) + list(optional)
        missing = [c for c in required if c not in self.raw.columns]
        if missing:
            raise DataValidationError(source, [Problem(
                None, None, f"missing required column(s) {missing}; found {list(self.raw.columns)}")])
        self.n = len(self.raw)
        self.out: dict[str, pd.Series] = {}
        self.problems: list[Problem] = []
        self.n_problems = 0

    # ----------------------------------------------------------------- bookkeeping
    def add(self, pos: int | None, column: str | None, message: str) -> None:
        self.n_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(None if pos is None else pos + 2, column, message))

    def flag(self, mask: NDArray[np.bool_] | pd.Series, column: str | None,
             message: Callable[[int], str]) -> None:
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        room = max(0, MAX_PROBLEMS - len(self.problems))
        for pos in idx[:room]:
            self.problems.append(Problem(int(pos) + 2, column, message(int(pos))))
        self.n_problems += len(idx)

    def cell(self, column: str, pos: int) -> str:
        return _shown(self.raw[column].iloc[pos])

    def result(self) -> pd.DataFrame:
        if self.n_problems:
            shown = sorted(self.problems, key=lambda p: (p.line or 0))
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
    def string(self, column: str, required: bool = False, case: str | None = None,
               max_len: int | None = None) -> None:
        s = self.text(column)
        s = s.str.lower() if case == "lower" else s.str.upper() if case == "upper" else s
        self._required(s.notna(), column, required)
        if max_len is not None:
            self.flag(s.str.len() > max_len, column,
                      lambda i: f"must be at most {max_len} characters, got {len(s[i])}")
        self.out[column] = s

    def category(self, column: str, vocab: tuple[str, ...], case: str, what: str,
                 required: bool = False, default: str | None = None) -> None:
        self.string(column, required, case)
        s = self.out[column]
        bad = s.notna() & ~s.isin(vocab)
        self.flag(bad, column, lambda i: f"unknown {what} {s[i]!r}; expected {_expected(vocab)}")
        self.out[column] = s.fillna(default) if default is not None else s

    def _numbers(self, column: str) -> tuple[pd.Series, pd.Series]:
        """(float values, present mask); unparseable present cells are NaN."""
        raw = self.raw[column] if column in self.raw.columns else None
        if raw is not None and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            vals = raw.astype("float64")
            return vals, vals.notna()
        s = self.text(column)
        return pd.to_numeric(s, errors="coerce").astype("float64"), s.notna()

    def integer(self, column: str, min_value: int | None = None, required: bool = False,
                default: int | None = None) -> None:
        vals, present = self._numbers(column)
        desc = {0: "a non-negative integer", None: "an integer"}.get(min_value, f"an integer >= {min_value}")
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

    def number(self, column: str, low: float | None = None, high: float | None = None,
               low_exclusive: bool = False, required: bool = False) -> None:
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

    def boolean(self, column: str, required: bool = False) -> None:
        s = self.text(column)
        vals = s.str.lower().map(_BOOLS)
        self.flag(s.notna() & vals.isna(), column,
                  lambda i: f"must be true/false (also 1/0, yes/no), got {self.cell(column, i)}")
        self._required(s.notna(), column, required)
        self.out[column] = vals.astype("bool") if required and vals.notna().all() else vals.astype("boolean")

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
        self.flag(present & vals.isna(), column,
                  lambda i: f"must be {_DATE_HINT}, got {self.cell(column, i)}")
        self._required(present, column, required)
        self.out[column] = vals.dt.tz_convert(None).astype("datetime64[us]")

    def shares(self, column: str, keys: tuple[str, ...] | None) -> None:
        """JSON object of audience shares; keys=None means ISO country codes."""
        raw = self.raw[column] if column in self.raw.columns else pd.Series([None] * self.n)
        out: list[str | float] = []
        for pos, cell in enumerate(raw.tolist()):
            if not isinstance(cell, Mapping) and _missing(cell):  # blank = unknown audience
                out.append(np.nan)
                continue
            parsed, problem = _parse_shares(cell, keys)
            if problem:
                self.add(pos, column, problem)
            out.append(json.dumps(parsed, sort_keys=True) if parsed else np.nan)
        self.out[column] = pd.Series(out, dtype="str")

    def listcol(self, column: str, vocab: tuple[str, ...] | None = None, case: str | None = None,
                what: str = "value", handles: bool = False) -> None:
        s = self.text(column)
        out: list[str | float] = []
        for pos, cell in enumerate(s.tolist()):
            if not isinstance(cell, str):
                out.append(np.nan)
                continue
            items = [x.strip() for x in cell.split(S.LIST_SEP) if x.strip()]
            items = [x.lower() if case == "lower" else x.upper() if case == "upper" else x for x in items]
            if handles:
                items = [x.lower().lstrip("@") for x in items]
            bad = [x for x in items if vocab is not None and x not in vocab]
            if bad:
                self.add(pos, column, f"unknown {what} {bad[0]!r}; expected "
                                      f"{_expected(vocab or ())}, separated by {S.LIST_SEP!r}")
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
        self.flag(dup, column,
                  lambda i: f"duplicate {column} {s[i]!r}{where(i)} (first on line {first[k[i]] + 2})")

    def foreign_key(self, column: str, valid: Iterable[Any], table: str) -> None:
        s = self.out[column]
        bad = s.notna() & ~s.isin(set(map(str, valid)))
        self.flag(bad, column, lambda i: f"{column} {s[i]!r} not found in {table}")


# --------------------------------------------------------------------------- validators
def validate_influencers(df: pd.DataFrame, source: str = "influencers.csv") -> pd.DataFrame:
    """Clean and check the catalogue of creators (ids and handles unique per platform)."""
    t = _Table(df, source, S.INFLUENCER_REQUIRED, S.INFLUENCER_OPTIONAL)
    t.string(S.INFLUENCER_ID, required=True)
    t.string(S.HANDLE, required=True)
    t.category(S.PLATFORM, S.PLATFORMS, "lower", "platform", required=True)
    t.integer(S.FOLLOWERS, min_value=0, required=True)
    t.string(S.BIO)
    t.out[S.BIO] = t.out[S.BIO].fillna("")  # an empty bio is allowed
    t.integer(S.FOLLOWING, min_value=0)
    t.category(S.COUNTRY, S.COUNTRIES, "upper", "country code")
    t.category(S.LANGUAGE, S.LANGUAGES, "lower", "language")
    t.shares(S.AUDIENCE_COUNTRIES, keys=None)
    t.shares(S.AUDIENCE_AGES, keys=S.AGE_BUCKETS)
    t.number(S.AUDIENCE_FEMALE, low=0.0, high=1.0)
    t.number(S.PRICE_USD, low=0.0)
    t.datetime(S.JOINED_AT)
    t.unique(S.INFLUENCER_ID)
    t.unique(S.HANDLE, scope=S.PLATFORM)
    return t.result()


def validate_posts(df: pd.DataFrame, influencers: pd.DataFrame | None = None,
                   source: str = "posts.csv") -> pd.DataFrame:
    """Clean and check posts; posts with empty text are dropped (counted, logged)."""
    t = _Table(df, source, S.POST_REQUIRED, S.POST_OPTIONAL)
    t.string(S.POST_ID, required=True)
    t.string(S.INFLUENCER_ID, required=True)
    t.datetime(S.POSTED_AT, required=True)
    t.string(S.TEXT)
    t.integer(S.LIKES, min_value=0, required=True)
    t.integer(S.COMMENTS, min_value=0, required=True)
    t.integer(S.VIEWS, min_value=0)
    t.boolean(S.IS_SPONSORED)
    t.unique(S.POST_ID)
    if influencers is not None:
        t.foreign_key(S.INFLUENCER_ID, influencers[S.INFLUENCER_ID], "influencers")
    out = t.result()
    empty = out[S.TEXT].isna()
    if empty.any():
        logger.warning("%s: dropped %d post(s) with empty text", source, int(empty.sum()))
        out = out[~empty].reset_index(drop=True)
    return out


def validate_briefs(df: pd.DataFrame, source: str = "briefs.csv") -> pd.DataFrame:
    """Clean and check briefs so that every row builds a valid ``schemas.Brief``."""
    t = _Table(df, source, S.BRIEF_REQUIRED, S.BRIEF_OPTIONAL)
    t.string(S.BRIEF_ID, required=True)
    t.string(S.BRAND_ID, required=True)
    t.datetime(S.CREATED_AT, required=True)
    t.string(S.TEXT, required=True, max_len=S.MAX_BRIEF_TEXT_CHARS)
    t.string(S.BRAND)
    t.listcol(S.PLATFORMS_COL, S.PLATFORMS, "lower", "platform")
    t.listcol(S.TARGET_COUNTRIES, S.COUNTRIES, "upper", "country code")
    t.listcol(S.TARGET_AGES, S.AGE_BUCKETS, None, "age bucket")
    t.category(S.TARGET_GENDER, S.GENDERS, "lower", "gender", default="any")
    t.integer(S.MIN_FOLLOWERS, min_value=0, default=S.DEFAULT_MIN_FOLLOWERS)
    t.integer(S.MAX_FOLLOWERS, min_value=1, default=S.DEFAULT_MAX_FOLLOWERS)
    t.number(S.BUDGET_USD, low=0.0, low_exclusive=True)
    t.listcol(S.EXCLUDED_HANDLES, handles=True)
    t.listcol(S.EXCLUDED_KEYWORDS, case="lower")
    t.category(S.BRIEF_LANGUAGE, S.LANGUAGES, "lower", "language")
    t.unique(S.BRIEF_ID)
    lo, hi = t.out[S.MIN_FOLLOWERS], t.out[S.MAX_FOLLOWERS]
    t.flag((lo > hi).fillna(False), S.MAX_FOLLOWERS,
           lambda i: f"must be >= min_followers ({lo[i]}), got {hi[i]}")
    out = t.result()
    for pos, row in enumerate(out.to_dict("records")):  # safety net: the model has the last word
        try:
            brief_from_row(row)
        except ValidationError as e:
            for err in e.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                t.add(pos, col, err["msg"])
    return t.result()


def validate_outcomes(df: pd.DataFrame, briefs: pd.DataFrame | None = None,
                      influencers: pd.DataFrame | None = None,
                      source: str = "outcomes.csv") -> pd.DataFrame:
    """Clean and check shown lists and what happened; duplicate (brief, influencer) rows keep
    the last one (counted, logged)."""
    t = _Table(df, source, S.OUTCOME_REQUIRED, S.OUTCOME_OPTIONAL)
    t.string(S.BRIEF_ID, required=True)
    t.string(S.INFLUENCER_ID, required=True)
    t.integer(S.SHOWN_POSITION, min_value=1, required=True)
    t.boolean(S.CONTACTED, required=True)
    t.boolean(S.ACCEPTED, required=True)
    t.integer(S.POST_ENGAGEMENTS, min_value=0)
    t.integer(S.CLICKS, min_value=0)
    t.integer(S.CONVERSIONS, min_value=0)
    t.number(S.BRAND_RATING, low=1.0, high=5.0)
    accepted = t.out[S.ACCEPTED].fillna(False).astype(bool)
    contacted = t.out[S.CONTACTED].fillna(True).astype(bool)
    t.flag(accepted & ~contacted, S.ACCEPTED,
           lambda i: "is true but contacted is false (accepted implies contacted)")
    if briefs is not None:
        t.foreign_key(S.BRIEF_ID, briefs[S.BRIEF_ID], "briefs")
    if influencers is not None:
        t.foreign_key(S.INFLUENCER_ID, influencers[S.INFLUENCER_ID], "influencers")
    out = t.result()
    dup = out.duplicated([S.BRIEF_ID, S.INFLUENCER_ID], keep="last")
    if dup.any():
        logger.warning("%s: dropped %d outcome row(s) duplicated on (%s, %s), kept the last",
                       source, int(dup.sum()), S.BRIEF_ID, S.INFLUENCER_ID)
        out = out[~dup].reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- files
def read_table(path: str | Path) -> pd.DataFrame:
    """Read a raw CSV (every cell as text, so errors quote what the user typed) or Parquet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix != ".csv":
        raise ValueError(f"{path}: unsupported table format {suffix!r}; use .csv or .parquet")
    try:  # utf-8-sig: spreadsheets often prepend a BOM to the first header
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataValidationError(path.name, [Problem(None, None, f"cannot parse CSV: {e}")]) from e


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet by suffix (parent folders are created)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"{path}: unsupported table format {suffix!r}; use .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    return path


def _find(data_dir: Path, name: str) -> Path | None:
    found = [p for p in (data_dir / f"{name}.csv", data_dir / f"{name}.parquet") if p.is_file()]
    if len(found) > 1:
        raise DataValidationError(name, [Problem(None, None, f"both {name}.csv and {name}.parquet "
                                                             f"exist in {data_dir}; keep only one")])
    return found[0] if found else None


def _empty(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})


def _data_dir(data_dir: str | Path) -> Path:
    d = Path(data_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"data directory {d} does not exist")
    return d


def _catalogue(d: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    inf_path = _find(d, "influencers")
    if inf_path is None:
        raise FileNotFoundError(f"no influencers.csv or influencers.parquet in {d} (required)")
    influencers = validate_influencers(read_table(inf_path), source=inf_path.name)
    posts_path = _find(d, "posts")
    if posts_path is None:
        logger.warning("no posts.csv or posts.parquet in %s; creators are described by bio only", d)
        posts = validate_posts(_empty(S.POST_REQUIRED), None, source="posts.csv")
    else:
        posts = validate_posts(read_table(posts_path), influencers, source=posts_path.name)
    return influencers, posts


def load_catalogue(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Influencers (required) and posts (optional) only: what serving needs."""
    return _catalogue(_data_dir(data_dir))


def load_market(data_dir: str | Path, require_outcomes: bool = False,
                require_briefs: bool = True) -> MarketTables:
    """Load and validate ``<name>.csv`` or ``<name>.parquet`` for the four tables.

    Influencers are required; briefs unless ``require_briefs=False``; outcomes only with
    ``require_outcomes=True``. Absent optional tables are empty frames (a warning is logged).
    Outcomes are checked against briefs only when a briefs file exists.
    """
    d = _data_dir(data_dir)
    influencers, posts = _catalogue(d)
    briefs_path = _find(d, "briefs")
    if briefs_path is None:
        if require_briefs or require_outcomes:
            raise FileNotFoundError(f"no briefs.csv or briefs.parquet in {d} (required)")
        logger.warning("no briefs.csv or briefs.parquet in %s; briefs table is empty", d)
        briefs = validate_briefs(_empty(S.BRIEF_REQUIRED), source="briefs.csv")
    else:
        briefs = validate_briefs(read_table(briefs_path), source=briefs_path.name)
    outcomes_path = _find(d, "outcomes")
    if outcomes_path is None:
        if require_outcomes:
            raise FileNotFoundError(f"no outcomes.csv or outcomes.parquet in {d} (required)")
        logger.warning("no outcomes.csv or outcomes.parquet in %s; outcomes table is empty", d)
        outcomes = validate_outcomes(_empty(S.OUTCOME_REQUIRED), source="outcomes.csv")
    else:
        outcomes = validate_outcomes(read_table(outcomes_path),
                                     briefs if briefs_path is not None else None, influencers,
                                     source=outcomes_path.name)
    return MarketTables(influencers=influencers, posts=posts, briefs=briefs, outcomes=outcomes)


# --------------------------------------------------------------------------- briefs <-> rows
def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return bool(pd.api.types.is_scalar(v) and pd.isna(v))


def _as_list(v: Any) -> list[str]:
    if isinstance(v, list | tuple | np.ndarray | pd.Series):
        return [str(x).strip() for x in v if not _missing(x)]
    if _missing(v):
        return []
    return [x.strip() for x in str(v).split(S.LIST_SEP) if x.strip()]


def brief_from_row(row: pd.Series | Mapping[str, Any]) -> S.Brief:
    """Build a ``Brief`` from a table row: list cells split on LIST_SEP, missing -> defaults.
    Extra keys (columns the model does not know) are ignored."""
    data = row.to_dict() if isinstance(row, pd.Series) else dict(row)
    kwargs: dict[str, Any] = {}
    for name in S.Brief.model_fields:
        if name not in data:
            continue
        v = data[name]
        if name in _LIST_FIELDS:
            kwargs[name] = _as_list(v)
            continue
        if _missing(v):
            continue
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif isinstance(v, np.generic):
            v = v.item()
        if name in (S.BRIEF_ID, S.BRAND_ID, S.BRAND, S.TEXT):
            v = str(v)
        kwargs[name] = v
    return S.Brief(**kwargs)


def briefs_to_models(df: pd.DataFrame) -> list[S.Brief]:
    return [brief_from_row(row) for row in df.to_dict("records")]


def brief_to_row(brief: S.Brief) -> dict[str, Any]:
    """Inverse of ``brief_from_row``: lists joined with LIST_SEP (empty list -> None)."""
    row = brief.model_dump()
    for name in _LIST_FIELDS:
        row[name] = S.LIST_SEP.join(row[name]) or None
    return row
