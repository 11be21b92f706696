"""Loading and validation of the four market tables: influencers, posts, briefs, outcomes.

Tables are checked once, here at the boundary; inner code trusts them. Every error names the
file, the line and the column the way a spreadsheet user finds them: the header is line 1, so
the first data row is line 2 (line = 0-based row position + 2, for Parquet files too). Up to
``MAX_PROBLEMS`` problems are collected and raised together as one ``DataValidationError``
(the checking machinery lives in ``matcher.data.validation``; this module says what to check).

Cleaned frames hold every required and optional column in schema order (absent optional
columns are all-missing), then any extra input columns untouched. Types: ids and text are
``str`` (missing = NaN); counts ``int64`` when required, nullable ``Int64`` otherwise; money,
shares and ratings ``float64``; flags ``bool`` when required, nullable ``boolean`` otherwise;
times naive UTC ``datetime64``. Audience columns hold canonical JSON strings. Brief list
columns hold ``LIST_SEP``-joined strings (missing = any), IAB topics as canonical ids, and brief
defaults (target_gender, min/max followers, strict_interests, the categories excluded keywords
name) are filled in so the frame and the ``Brief`` model agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from matcher import schemas as S
from matcher.data.briefs import brief_from_row
from matcher.data.validation import (
    MAX_PROBLEMS,
    DataValidationError,
    Problem,
    TableChecker,
)

__all__ = [
    "MAX_PROBLEMS",
    "TABLES",
    "DataValidationError",
    "MarketTables",
    "Problem",
    "load_catalogue",
    "load_market",
    "read_table",
    "validate_briefs",
    "validate_influencers",
    "validate_outcomes",
    "validate_posts",
    "write_table",
]

logger = logging.getLogger(__name__)

TABLES: tuple[str, ...] = ("influencers", "posts", "briefs", "outcomes")


@dataclass
class MarketTables:
    influencers: pd.DataFrame
    posts: pd.DataFrame
    briefs: pd.DataFrame
    outcomes: pd.DataFrame  # may be empty (with the right columns)


# --------------------------------------------------------------------------- validators
def validate_influencers(df: pd.DataFrame, source: str = "influencers.csv") -> pd.DataFrame:
    """Clean and check the catalogue of creators (ids and handles unique per platform)."""
    t = TableChecker(df, source, S.INFLUENCER_REQUIRED, S.INFLUENCER_OPTIONAL)
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


def validate_posts(
    df: pd.DataFrame, influencers: pd.DataFrame | None = None, source: str = "posts.csv"
) -> pd.DataFrame:
    """Clean and check posts; posts with empty text are dropped (counted, logged)."""
    t = TableChecker(df, source, S.POST_REQUIRED, S.POST_OPTIONAL)
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


def _topic_resolver(kind: S.Kind) -> Callable[[str], str]:
    """Canonical id of a topic reference; the taxonomy is loaded when first used."""

    def resolve(ref: str) -> str:
        return S.taxonomy(kind).resolve(ref)

    return resolve


def validate_briefs(df: pd.DataFrame, source: str = "briefs.csv") -> pd.DataFrame:
    """Clean and check briefs so that every row builds a valid ``schemas.Brief``."""
    t = TableChecker(df, source, S.BRIEF_REQUIRED, S.BRIEF_OPTIONAL + S.BRIEF_TOPICS)
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
    for column, kind in S.TOPIC_FIELDS.items():
        t.listcol(
            column,
            what=f"{kind} topic",
            max_items=S.MAX_BRIEF_TOPICS,
            resolve=_topic_resolver(kind),
        )
    t.boolean(S.STRICT_INTERESTS, default=False)
    t.unique(S.BRIEF_ID)
    lo, hi = t.out[S.MIN_FOLLOWERS], t.out[S.MAX_FOLLOWERS]
    t.flag(
        (lo > hi).fillna(False),
        S.MAX_FOLLOWERS,
        lambda i: f"must be >= min_followers ({lo[i]}), got {hi[i]}",
    )
    out = t.result()
    categories: list[str | float] = []
    for pos, row in enumerate(out.to_dict("records")):  # safety net: the model has the last word
        try:
            categories.append(S.LIST_SEP.join(brief_from_row(row).excluded_categories) or np.nan)
        except ValidationError as e:
            for err in e.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                t.add(pos, col, err["msg"])
    if not t.n_problems:  # with the categories the model adds for excluded keywords
        t.out[S.EXCLUDED_CATEGORIES] = pd.Series(categories, dtype="str")
    return t.result()


def validate_outcomes(
    df: pd.DataFrame,
    briefs: pd.DataFrame | None = None,
    influencers: pd.DataFrame | None = None,
    source: str = "outcomes.csv",
) -> pd.DataFrame:
    """Clean and check shown lists and what happened; duplicate (brief, influencer) rows keep
    the last one (counted, logged)."""
    t = TableChecker(df, source, S.OUTCOME_REQUIRED, S.OUTCOME_OPTIONAL)
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
    t.flag(
        accepted & ~contacted,
        S.ACCEPTED,
        lambda i: "is true but contacted is false (accepted implies contacted)",
    )
    if briefs is not None:
        t.foreign_key(S.BRIEF_ID, briefs[S.BRIEF_ID], "briefs")
    if influencers is not None:
        t.foreign_key(S.INFLUENCER_ID, influencers[S.INFLUENCER_ID], "influencers")
    out = t.result()
    dup = out.duplicated([S.BRIEF_ID, S.INFLUENCER_ID], keep="last")
    if dup.any():
        logger.warning(
            "%s: dropped %d outcome row(s) duplicated on (%s, %s), kept the last",
            source,
            int(dup.sum()),
            S.BRIEF_ID,
            S.INFLUENCER_ID,
        )
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
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
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
        raise DataValidationError(
            name,
            [
                Problem(
                    None,
                    None,
                    f"both {name}.csv and {name}.parquet exist in {data_dir}; keep only one",
                )
            ],
        )
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


def load_market(
    data_dir: str | Path, require_outcomes: bool = False, require_briefs: bool = True
) -> MarketTables:
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
        outcomes = validate_outcomes(
            read_table(outcomes_path),
            briefs if briefs_path is not None else None,
            influencers,
            source=outcomes_path.name,
        )
    return MarketTables(influencers=influencers, posts=posts, briefs=briefs, outcomes=outcomes)
