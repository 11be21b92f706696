"""Loading and validation of the market tables: every rule names file, line and column."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.data.briefs import brief_from_row, brief_to_row, briefs_to_models
from matcher.data.io import (
    MAX_PROBLEMS,
    DataValidationError,
    MarketTables,
    load_catalogue,
    load_market,
    read_table,
    validate_briefs,
    validate_influencers,
    validate_outcomes,
    validate_posts,
    write_table,
)

# --------------------------------------------------------------------------- fixtures


def influencer_rows() -> list[dict[str, Any]]:
    return [
        {
            "influencer_id": "i1",
            "handle": "alice",
            "platform": "Instagram",
            "followers": "12000",
            "bio": "vegan recipes",
            "country": "us",
            "audience_countries": '{"US": 0.6, "gb": 0.2}',
            "audience_ages": '{"18-24": 0.5, "25-34": 0.4}',
            "audience_female_share": "0.7",
            "price_usd": "150",
            "joined_at": "2019-03-01",
        },
        {
            "influencer_id": "i2",
            "handle": "bob",
            "platform": "tiktok",
            "followers": "3500",
            "bio": "",
            "country": "",
            "audience_countries": "",
            "audience_ages": "",
            "audience_female_share": "",
            "price_usd": "",
            "joined_at": "",
        },
        {
            "influencer_id": "i3",
            "handle": "alice",
            "platform": "youtube",
            "followers": "80000",
            "bio": "tech reviews",
            "country": "DE",
            "audience_countries": "{}",
            "audience_ages": "",
            "audience_female_share": "0.2",
            "price_usd": "900",
            "joined_at": "2020-01-02T10:00:00+02:00",
        },
    ]


def post_rows() -> list[dict[str, Any]]:
    return [
        {
            "post_id": "p1",
            "influencer_id": "i1",
            "posted_at": "2024-05-01",
            "text": "tofu bowl",
            "likes": "300",
            "comments": "12",
            "views": "",
            "is_sponsored": "no",
        },
        {
            "post_id": "p2",
            "influencer_id": "i1",
            "posted_at": "2024-05-03T08:00:00Z",
            "text": "#ad protein",
            "likes": "500",
            "comments": "40",
            "views": "9000",
            "is_sponsored": "yes",
        },
        {
            "post_id": "p3",
            "influencer_id": "i3",
            "posted_at": "2024-04-01",
            "text": "phone review",
            "likes": "2000",
            "comments": "150",
            "views": "40000",
            "is_sponsored": "",
        },
    ]


def brief_rows() -> list[dict[str, Any]]:
    return [
        {
            "brief_id": "b1",
            "brand_id": "br1",
            "brand": "Greens",
            "created_at": "2024-06-01",
            "text": "plant-based snacks for young adults",
            "platforms": "Instagram| tiktok",
            "target_countries": "us|GB",
            "target_ages": "25-34|18-24",
            "target_gender": "Female",
            "min_followers": "5000",
            "max_followers": "50000",
            "budget_usd": "300",
            "excluded_handles": "@Bob",
            "excluded_keywords": "Alcohol|gambling",
            "language": "EN",
            "interests": "Vegan Diets| food & drink > vegetarian diets|212",
            "strict_interests": "Yes",
            "excluded_interests": "Soccer",
            "excluded_categories": "Tobacco",
        },
        {
            "brief_id": "b2",
            "brand_id": "br2",
            "brand": "",
            "created_at": "2024-06-02",
            "text": "budget phone launch",
            "platforms": "",
            "target_countries": "",
            "target_ages": "",
            "target_gender": "",
            "min_followers": "",
            "max_followers": "",
            "budget_usd": "",
            "excluded_handles": "",
            "excluded_keywords": "",
            "language": "",
            "interests": "",
            "strict_interests": "",
            "excluded_interests": "",
            "excluded_categories": "",
        },
    ]


def outcome_rows() -> list[dict[str, Any]]:
    return [
        {
            "brief_id": "b1",
            "influencer_id": "i1",
            "shown_position": "1",
            "contacted": "true",
            "accepted": "true",
            "post_engagements": "700",
            "clicks": "30",
            "conversions": "2",
            "brand_rating": "5",
        },
        {
            "brief_id": "b1",
            "influencer_id": "i2",
            "shown_position": "2",
            "contacted": "1",
            "accepted": "0",
            "post_engagements": "",
            "clicks": "",
            "conversions": "",
            "brand_rating": "",
        },
        {
            "brief_id": "b2",
            "influencer_id": "i3",
            "shown_position": "1",
            "contacted": "no",
            "accepted": "No",
            "post_engagements": "",
            "clicks": "",
            "conversions": "",
            "brand_rating": "",
        },
    ]


def frame(rows: list[dict[str, Any]], **changes: dict[int, Any]) -> pd.DataFrame:
    """A string frame like ``read_table`` returns; ``changes`` = {column: {row index: value}}."""
    df = pd.DataFrame(rows, dtype="str")
    for col, cells in changes.items():
        if col not in df.columns:
            df[col] = pd.Series([""] * len(df), dtype="str")
        for i, v in cells.items():
            df.loc[i, col] = v
    return df.replace("", np.nan)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def market_dir(tmp_path: Path) -> Path:
    write_csv(tmp_path / "influencers.csv", influencer_rows())
    write_csv(tmp_path / "posts.csv", post_rows())
    write_csv(tmp_path / "briefs.csv", brief_rows())
    write_csv(tmp_path / "outcomes.csv", outcome_rows())
    return tmp_path


def error_of(fn: Any, *args: Any, **kwargs: Any) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        fn(*args, **kwargs)
    return info.value


def inf_error(**changes: dict[int, Any]) -> str:
    return str(error_of(validate_influencers, frame(influencer_rows(), **changes)))


# --------------------------------------------------------------------------- influencers


def test_influencers_clean_types_and_normalisation() -> None:
    df = validate_influencers(frame(influencer_rows()))
    assert list(df.columns) == list(S.INFLUENCER_REQUIRED + S.INFLUENCER_OPTIONAL)
    assert df[S.FOLLOWERS].dtype == np.int64
    assert df[S.FOLLOWERS].tolist() == [12000, 3500, 80000]
    assert df[S.PLATFORM].tolist() == ["instagram", "tiktok", "youtube"]
    assert df[S.COUNTRY].tolist()[0] == "US" and pd.isna(df[S.COUNTRY][1])
    assert df[S.BIO].tolist()[1] == ""
    assert df[S.FOLLOWING].isna().all()  # optional column absent -> added as missing
    assert str(df[S.FOLLOWING].dtype) == "Int64"
    assert df[S.AUDIENCE_COUNTRIES][0] == '{"GB": 0.2, "US": 0.6}'  # keys upper-cased
    assert pd.isna(df[S.AUDIENCE_COUNTRIES][1]) and pd.isna(df[S.AUDIENCE_COUNTRIES][2])  # "" / {}
    assert df[S.AUDIENCE_FEMALE].tolist()[0] == 0.7
    assert pd.api.types.is_datetime64_any_dtype(df[S.JOINED_AT])
    assert df[S.JOINED_AT][2] == pd.Timestamp("2020-01-02 08:00:00")  # converted to naive UTC
    assert pd.isna(df[S.JOINED_AT][1])


def test_extra_columns_are_kept() -> None:
    df = validate_influencers(frame(influencer_rows(), category={0: "food"}))
    assert df["category"].tolist()[0] == "food"


def test_missing_required_columns_are_listed() -> None:
    msg = str(
        error_of(validate_influencers, frame(influencer_rows()).drop(columns=["bio", "followers"]))
    )
    assert msg.startswith("influencers.csv: missing required column(s)")
    assert "'bio'" in msg and "'followers'" in msg


def test_negative_followers_message_names_file_line_and_column() -> None:
    msg = inf_error(followers={1: "-5"})
    assert (
        msg
        == "influencers.csv line 3, column 'followers': must be a non-negative integer, got '-5'"
    )


@pytest.mark.parametrize("value", ["12.5", "abc", "1e400"])
def test_followers_must_be_integer(value: str) -> None:
    assert (
        f"line 2, column 'followers': must be a non-negative integer, got '{value}'"
        in inf_error(followers={0: value})
    )


def test_integer_valued_floats_are_accepted() -> None:
    df = validate_influencers(frame(influencer_rows(), followers={0: "12000.0"}))
    assert df[S.FOLLOWERS][0] == 12000


def test_required_value_missing() -> None:
    assert "line 4, column 'followers': is required but empty" in inf_error(followers={2: " "})
    assert "line 2, column 'influencer_id': is required but empty" in inf_error(
        influencer_id={0: ""}
    )


def test_unknown_platform_is_rejected_after_lowercasing() -> None:
    msg = inf_error(platform={1: "Facebook"})
    assert "influencers.csv line 3, column 'platform': unknown platform 'facebook'" in msg


def test_duplicate_influencer_id() -> None:
    msg = inf_error(influencer_id={2: "i1"})
    assert "line 4, column 'influencer_id': duplicate influencer_id 'i1' (first on line 2)" in msg


def test_duplicate_handle_per_platform_is_case_insensitive() -> None:
    msg = inf_error(handle={1: "@Alice"}, platform={1: "instagram"})
    assert "line 3, column 'handle': duplicate handle '@Alice' on platform 'instagram'" in msg
    # the same handle on another platform is fine (fixture rows 1 and 3 share "alice")
    assert len(validate_influencers(frame(influencer_rows()))) == 3


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("not json", "must be a JSON object of shares"),
        ("[0.5]", "must be a JSON object of shares"),
        ('{"US": 1.5}', "share for 'US' must be a number in [0, 1], got 1.5"),
        ('{"US": -0.1}', "must be a number in [0, 1]"),
        ('{"US": "half"}', "must be a number in [0, 1]"),
        ('{"US": 0.7, "GB": 0.4}', "shares must sum to at most 1, got 1.100"),
        ('{"USA": 0.5}', "'USA' is not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_audience_countries_json(cell: str, expected: str) -> None:
    msg = inf_error(audience_countries={0: cell})
    assert "influencers.csv line 2, column 'audience_countries': " in msg
    assert expected in msg


def test_audience_countries_accepts_rounding_and_other_iso_codes() -> None:
    df = validate_influencers(
        frame(influencer_rows(), audience_countries={0: '{"US": 0.5005, "LT": 0.5}'})
    )
    assert df[S.AUDIENCE_COUNTRIES][0] == '{"LT": 0.5, "US": 0.5005}'


def test_audience_ages_unknown_bucket() -> None:
    msg = inf_error(audience_ages={1: '{"12-15": 0.2}'})
    assert "line 3, column 'audience_ages': unknown key '12-15'" in msg


def test_audience_female_share_range() -> None:
    assert (
        "line 2, column 'audience_female_share': must be a number in [0, 1], got '1.5'"
        in inf_error(audience_female_share={0: "1.5"})
    )


def test_country_code_must_be_known() -> None:
    assert "line 3, column 'country': unknown country code 'XX'" in inf_error(country={1: "xx"})


def test_language_price_and_date_checks() -> None:
    assert "column 'language': unknown language 'klingon'" in inf_error(language={0: "Klingon"})
    assert "column 'price_usd': must be a number >= 0, got '-1'" in inf_error(price_usd={0: "-1"})
    assert "column 'joined_at': must be an ISO 8601 date/time" in inf_error(
        joined_at={0: "yesterday"}
    )
    assert "column 'following': must be a non-negative integer" in inf_error(following={0: "-3"})


@pytest.mark.parametrize("value", ["05/01/2024", "yesterday", "2024-13-40"])
def test_dates_must_be_iso_8601(value: str) -> None:
    msg = inf_error(joined_at={1: value})
    assert "line 3, column 'joined_at': must be an ISO 8601 date/time such as 2024-05-01" in msg
    assert f"got '{value}'" in msg


def test_iso_8601_variants_are_accepted() -> None:
    df = validate_influencers(
        frame(influencer_rows(), joined_at={0: "2020-01-05 10:00", 1: "2020-01-05T10:00:00.5Z"})
    )
    assert df[S.JOINED_AT].tolist()[:2] == [
        pd.Timestamp("2020-01-05 10:00"),
        pd.Timestamp("2020-01-05 10:00:00.5"),
    ]


def test_problems_are_collected_up_to_the_limit() -> None:
    rows = influencer_rows() * 5  # 15 rows: 12 duplicate ids, 12 duplicate handles, + 1 bad
    df = frame(rows, followers={0: "-1"})
    err = error_of(validate_influencers, df)
    assert err.n_total == 1 + 12 + 12
    assert len(err.problems) == MAX_PROBLEMS
    msg = str(err)
    assert msg.startswith(f"influencers.csv: 25 problems, first {MAX_PROBLEMS} shown")
    assert "influencers.csv line 2, column 'followers'" in msg
    assert msg.count("\n") == MAX_PROBLEMS


def test_parquet_typed_input_is_accepted() -> None:
    df = validate_influencers(frame(influencer_rows()))
    again = validate_influencers(df)
    pd.testing.assert_frame_equal(df, again)


# --------------------------------------------------------------------------- posts


def influencers() -> pd.DataFrame:
    return validate_influencers(frame(influencer_rows()))


def test_posts_clean_types() -> None:
    df = validate_posts(frame(post_rows()), influencers())
    assert df[S.LIKES].dtype == np.int64 and df[S.COMMENTS].dtype == np.int64
    assert df[S.IS_SPONSORED].tolist()[:2] == [False, True] and pd.isna(df[S.IS_SPONSORED][2])
    assert df[S.POSTED_AT][1] == pd.Timestamp("2024-05-03 08:00:00")
    assert pd.isna(df[S.VIEWS][0]) and df[S.VIEWS][1] == 9000


@pytest.mark.parametrize("column", ["likes", "comments"])
def test_negative_engagement_counts(column: str) -> None:
    msg = str(error_of(validate_posts, frame(post_rows(), **{column: {2: "-7"}}), influencers()))
    assert f"posts.csv line 4, column '{column}': must be a non-negative integer, got '-7'" in msg


def test_posts_dangling_influencer_and_duplicate_id() -> None:
    msg = str(
        error_of(
            validate_posts,
            frame(post_rows(), influencer_id={0: "ghost"}, post_id={2: "p2"}),
            influencers(),
        )
    )
    assert (
        "posts.csv line 2, column 'influencer_id': influencer_id 'ghost' not found in influencers"
        in msg
    )
    assert "posts.csv line 4, column 'post_id': duplicate post_id 'p2' (first on line 3)" in msg


def test_posts_bad_flag_and_missing_date() -> None:
    msg = str(
        error_of(validate_posts, frame(post_rows(), is_sponsored={0: "maybe"}, posted_at={1: ""}))
    )
    assert (
        "line 2, column 'is_sponsored': must be true/false (also 1/0, yes/no), got 'maybe'" in msg
    )
    assert "line 3, column 'posted_at': is required but empty" in msg


def test_posts_with_empty_text_are_dropped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="matcher.data.io"):
        df = validate_posts(frame(post_rows(), text={0: "  ", 2: ""}), influencers())
    assert df[S.POST_ID].tolist() == ["p2"]
    assert "posts.csv: dropped 2 post(s) with empty text" in caplog.text


# --------------------------------------------------------------------------- briefs


def brief_error(**changes: dict[int, Any]) -> str:
    return str(error_of(validate_briefs, frame(brief_rows(), **changes)))


def test_briefs_clean_lists_and_defaults() -> None:
    df = validate_briefs(frame(brief_rows()))
    row = df.iloc[0]
    assert row[S.PLATFORMS_COL] == "instagram|tiktok"
    assert row[S.TARGET_COUNTRIES] == "US|GB"
    assert row[S.TARGET_GENDER] == "female"
    assert row[S.EXCLUDED_HANDLES] == "bob" and row[S.EXCLUDED_KEYWORDS] == "alcohol|gambling"
    assert row[S.LANGUAGE] == "en"
    empty = df.iloc[1]
    assert pd.isna(empty[S.PLATFORMS_COL]) and empty[S.TARGET_GENDER] == "any"
    assert (empty[S.MIN_FOLLOWERS], empty[S.MAX_FOLLOWERS]) == (
        S.DEFAULT_MIN_FOLLOWERS,
        S.DEFAULT_MAX_FOLLOWERS,
    )
    assert df[S.MIN_FOLLOWERS].dtype == np.int64 and pd.isna(empty[S.BUDGET_USD])


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("platforms", "instagram|myspace", "unknown platform 'myspace'"),
        ("target_countries", "US|Narnia", "unknown country code 'NARNIA'"),
        ("target_ages", "18-24|kids", "unknown age bucket 'kids'"),
        ("target_gender", "robots", "unknown gender 'robots'"),
        ("budget_usd", "0", "must be a number > 0, got '0'"),
        ("budget_usd", "-20", "must be a number > 0, got '-20'"),
        ("min_followers", "-1", "must be a non-negative integer, got '-1'"),
        ("max_followers", "0", "must be an integer >= 1, got '0'"),
        ("text", "", "is required but empty"),
        ("created_at", "soon", "must be an ISO 8601 date/time"),
        ("language", "xx", "unknown language 'xx'"),
        (
            "interests",
            "Vegan Diets|Underwater Basketweaving",
            "unknown content topic 'Underwater Basketweaving'",
        ),
        ("excluded_interests", "Soccer|Alcohol", "unknown content topic 'Alcohol'"),
        (
            "excluded_categories",
            "Alcohol|Cryptocurrency",
            "unknown ad_product topic 'Cryptocurrency'; did you mean 'Non-Fiat Currency > Cryptocurrency Exchanges'",
        ),
        ("excluded_categories", "Skin Care", "'Skin Care' names several ad_product topics"),
        ("interests", "|".join(["Soccer"] * 21), "must list at most 20 content topics, got 21"),
        ("strict_interests", "maybe", "must be true/false (also 1/0, yes/no), got 'maybe'"),
        ("strict_interests", "true", "Value error, strict_interests needs at least one interest"),
    ],
)
def test_brief_rules(column: str, value: str, expected: str) -> None:
    msg = brief_error(**{column: {1: value}})
    assert f"briefs.csv line 3, column '{column}': {expected}" in msg


def test_brief_topics_become_canonical_ids() -> None:
    """IAB topics by name, path or id -> ids without repeats; keywords naming an Ad Product
    category add it after the given ones; the frame says what the model says."""
    df = validate_briefs(frame(brief_rows()))
    row, empty = df.iloc[0], df.iloc[1]
    assert list(df.columns) == list(S.BRIEF_REQUIRED + S.BRIEF_OPTIONAL + S.BRIEF_TOPICS)
    assert row[S.INTERESTS] == "212|213" and row[S.EXCLUDED_INTERESTS] == "533"
    assert (
        row[S.EXCLUDED_CATEGORIES] == "1544|1002|1361"
    )  # Tobacco, then alcohol and gambling (keywords)
    assert df[S.STRICT_INTERESTS].tolist() == [True, False] and df[S.STRICT_INTERESTS].dtype == bool
    assert all(pd.isna(empty[c]) for c in S.TOPIC_FIELDS)
    b1, b2 = briefs_to_models(df)
    assert (b1.interests, b1.excluded_interests, b1.strict_interests) == (
        ["212", "213"],
        ["533"],
        True,
    )
    assert b1.excluded_categories == ["1544", "1002", "1361"]
    assert b1.topic_names(S.EXCLUDED_CATEGORIES) == ["Tobacco", "Alcohol", "Gambling"]
    assert (b2.interests, b2.excluded_categories, b2.strict_interests) == ([], [], False)


def test_keyword_categories_without_a_category_column() -> None:
    df = validate_briefs(frame(brief_rows()).drop(columns=list(S.BRIEF_TOPICS)))
    assert df[S.EXCLUDED_CATEGORIES].iloc[0] == "1002|1361" and pd.isna(df[S.INTERESTS].iloc[0])
    assert df[S.STRICT_INTERESTS].tolist() == [False, False]


def test_unknown_interest_in_a_csv_names_file_line_and_column(market_dir: Path) -> None:
    rows = brief_rows()
    rows[1]["interests"] = "Soccer|Underwater Basketweaving"
    write_csv(market_dir / "briefs.csv", rows)
    msg = str(error_of(load_market, market_dir))
    assert (
        msg
        == "briefs.csv line 3, column 'interests': unknown content topic 'Underwater Basketweaving'"
    )


def test_min_followers_must_not_exceed_max() -> None:
    msg = brief_error(min_followers={0: "60000"})
    assert (
        "briefs.csv line 2, column 'max_followers': must be >= min_followers (60000), got 50000"
        in msg
    )
    # the default max (100k) applies when max is empty
    assert "line 3, column 'max_followers'" in brief_error(min_followers={1: "200000"})


def test_duplicate_brief_id() -> None:
    assert "line 3, column 'brief_id': duplicate brief_id 'b1' (first on line 2)" in brief_error(
        brief_id={1: "b1"}
    )


def test_brief_text_too_long() -> None:
    assert "column 'text': must be at most" in brief_error(
        text={0: "x" * (S.MAX_BRIEF_TEXT_CHARS + 1)}
    )


# --------------------------------------------------------------------------- outcomes


def valid_briefs() -> pd.DataFrame:
    return validate_briefs(frame(brief_rows()))


def outcome_error(**changes: dict[int, Any]) -> str:
    return str(
        error_of(validate_outcomes, frame(outcome_rows(), **changes), valid_briefs(), influencers())
    )


def test_outcomes_clean_types() -> None:
    df = validate_outcomes(frame(outcome_rows()), valid_briefs(), influencers())
    assert df[S.CONTACTED].dtype == bool and df[S.ACCEPTED].tolist() == [True, False, False]
    assert df[S.SHOWN_POSITION].dtype == np.int64
    assert df[S.BRAND_RATING][0] == 5.0 and pd.isna(df[S.BRAND_RATING][1])
    assert str(df[S.CLICKS].dtype) == "Int64"


def test_accepted_implies_contacted() -> None:
    msg = outcome_error(accepted={2: "yes"})
    assert (
        "outcomes.csv line 4, column 'accepted': is true but contacted is false "
        "(accepted implies contacted)"
    ) in msg


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("brand_rating", "6", "must be a number in [1, 5], got '6'"),
        ("brand_rating", "0", "must be a number in [1, 5], got '0'"),
        ("shown_position", "0", "must be an integer >= 1, got '0'"),
        ("contacted", "maybe", "must be true/false"),
        ("accepted", "", "is required but empty"),
        ("clicks", "-2", "must be a non-negative integer, got '-2'"),
        ("brief_id", "b9", "brief_id 'b9' not found in briefs"),
        ("influencer_id", "i9", "influencer_id 'i9' not found in influencers"),
    ],
)
def test_outcome_rules(column: str, value: str, expected: str) -> None:
    assert f"outcomes.csv line 3, column '{column}': {expected}" in outcome_error(
        **{column: {1: value}}
    )


def test_duplicate_outcomes_keep_last_and_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    rows = outcome_rows() + [dict(outcome_rows()[0], shown_position="7")]
    with caplog.at_level(logging.WARNING, logger="matcher.data.io"):
        df = validate_outcomes(frame(rows), valid_briefs(), influencers())
    assert len(df) == 3
    kept = df[(df[S.BRIEF_ID] == "b1") & (df[S.INFLUENCER_ID] == "i1")]
    assert kept[S.SHOWN_POSITION].tolist() == [7]
    assert "dropped 1 outcome row(s) duplicated" in caplog.text


# --------------------------------------------------------------------------- files


def test_load_market_csv(market_dir: Path) -> None:
    tables = load_market(market_dir, require_outcomes=True)
    assert isinstance(tables, MarketTables)
    assert (
        len(tables.influencers),
        len(tables.posts),
        len(tables.briefs),
        len(tables.outcomes),
    ) == (3, 3, 2, 3)
    assert tables.influencers[S.FOLLOWERS].dtype == np.int64


def test_error_line_matches_the_csv_file(market_dir: Path) -> None:
    rows = influencer_rows()
    rows[2]["followers"] = "-5"
    path = write_csv(market_dir / "influencers.csv", rows)
    msg = str(error_of(load_market, market_dir))
    assert (
        msg
        == "influencers.csv line 4, column 'followers': must be a non-negative integer, got '-5'"
    )
    assert path.read_text().splitlines()[3].startswith("i3,")  # line 4 of the file, 1-based


def test_load_market_parquet_round_trip(market_dir: Path, tmp_path: Path) -> None:
    tables = load_market(market_dir)
    pq = tmp_path / "pq"
    for name in ("influencers", "posts", "briefs", "outcomes"):
        write_table(getattr(tables, name), pq / f"{name}.parquet")
    again = load_market(pq)
    for name in ("influencers", "posts", "briefs", "outcomes"):
        pd.testing.assert_frame_equal(
            getattr(tables, name), getattr(again, name), check_dtype=False
        )


def test_csv_round_trip_of_clean_frames(market_dir: Path, tmp_path: Path) -> None:
    tables = load_market(market_dir)
    out = tmp_path / "csv"
    for name in ("influencers", "posts", "briefs", "outcomes"):
        assert write_table(getattr(tables, name), out / f"{name}.csv").is_file()
    again = load_market(out)
    for name in ("influencers", "posts", "briefs", "outcomes"):
        pd.testing.assert_frame_equal(getattr(tables, name), getattr(again, name))


def test_parquet_errors_name_the_parquet_file(market_dir: Path) -> None:
    df = frame(influencer_rows(), followers={0: "-1"})
    (market_dir / "influencers.csv").unlink()
    write_table(df, market_dir / "influencers.parquet")
    assert str(error_of(load_market, market_dir)).startswith(
        "influencers.parquet line 2, column 'followers'"
    )


def test_missing_influencers_is_a_clear_error(market_dir: Path) -> None:
    (market_dir / "influencers.csv").unlink()
    with pytest.raises(FileNotFoundError, match="influencers.csv or influencers.parquet"):
        load_market(market_dir)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_market(market_dir / "nope")


def test_optional_tables_missing_give_empty_frames(
    market_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (market_dir / "posts.csv").unlink()
    (market_dir / "outcomes.csv").unlink()
    with caplog.at_level(logging.WARNING, logger="matcher.data.io"):
        tables = load_market(market_dir)
    assert tables.posts.empty and list(tables.posts.columns) == list(
        S.POST_REQUIRED + S.POST_OPTIONAL
    )
    assert tables.outcomes.empty
    assert list(tables.outcomes.columns) == list(S.OUTCOME_REQUIRED + S.OUTCOME_OPTIONAL)
    assert "no posts.csv" in caplog.text and "no outcomes.csv" in caplog.text
    with pytest.raises(FileNotFoundError, match="outcomes"):
        load_market(market_dir, require_outcomes=True)


def test_briefs_required_unless_told_otherwise(market_dir: Path) -> None:
    (market_dir / "briefs.csv").unlink()
    (market_dir / "outcomes.csv").unlink()
    with pytest.raises(FileNotFoundError, match="briefs"):
        load_market(market_dir)
    tables = load_market(market_dir, require_briefs=False)
    assert tables.briefs.empty and S.TARGET_GENDER in tables.briefs.columns


def test_both_formats_present_is_ambiguous(market_dir: Path) -> None:
    write_table(pd.read_csv(market_dir / "posts.csv"), market_dir / "posts.parquet")
    assert "keep only one" in str(error_of(load_market, market_dir))


def test_load_catalogue_ignores_briefs(market_dir: Path) -> None:
    (market_dir / "briefs.csv").write_text("garbage\n1\n")
    infl, posts = load_catalogue(market_dir)
    assert len(infl) == 3 and len(posts) == 3


def test_csv_with_bom_header(tmp_path: Path) -> None:
    path = tmp_path / "influencers.csv"
    pd.DataFrame(influencer_rows()).to_csv(path, index=False, encoding="utf-8-sig")
    assert read_table(path).columns[0] == "influencer_id"
    infl, posts = load_catalogue(tmp_path)
    assert len(infl) == 3 and posts.empty


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        write_table(pd.DataFrame(), tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="unsupported"):
        read_table(tmp_path / "x.json")


# --------------------------------------------------------------------------- briefs <-> models


def test_briefs_to_models_from_clean_frame() -> None:
    b1, b2 = briefs_to_models(valid_briefs())
    assert b1.platforms == ["instagram", "tiktok"]
    assert b1.target_countries == ["GB", "US"]
    assert b1.target_ages == ["18-24", "25-34"]
    assert (b1.min_followers, b1.max_followers, b1.budget_usd) == (5000, 50000, 300.0)
    assert b1.excluded_handles == ["bob"] and b1.language == "en"
    assert b2.platforms == [] and b2.target_gender == "any" and b2.brand is None
    assert b2.created_at is not None and b2.created_at.year == 2024


def test_brief_from_row_nan_means_default() -> None:
    brief = brief_from_row(
        {
            "text": "hi",
            "brief_id": 7,
            "budget_usd": float("nan"),
            "platforms": np.nan,
            "min_followers": np.int64(10),
            "unrelated": 1,
        }
    )
    assert brief.brief_id == "7" and brief.budget_usd is None and brief.platforms == []
    assert brief.min_followers == 10 and brief.max_followers == S.DEFAULT_MAX_FOLLOWERS
    from_series = brief_from_row(pd.Series({"text": "hi", "target_ages": ["55+", "18-24"]}))
    assert from_series.target_ages == ["18-24", "55+"]


def test_brief_to_row_round_trip() -> None:
    brief = S.Brief(
        text="vegan snacks",
        brief_id="b9",
        brand_id="x",
        platforms=["tiktok"],
        target_countries=["US", "GB"],
        excluded_keywords=["beer"],
        budget_usd=200,
    )
    row = brief_to_row(brief)
    assert row[S.TARGET_COUNTRIES] == "GB|US" and row[S.TARGET_AGES] is None
    assert brief_from_row(row) == brief
    df = pd.DataFrame(
        [
            row,
            brief_to_row(
                S.Brief(text="second", brief_id="b10", brand_id="y", created_at="2024-01-01")
            ),
        ]
    )
    df[S.CREATED_AT] = df[S.CREATED_AT].fillna(pd.Timestamp("2024-02-01"))
    models = briefs_to_models(validate_briefs(df, source="api"))
    assert models[0].model_dump(exclude={"created_at"}) == brief.model_dump(exclude={"created_at"})
    assert models[1].text == "second"


def test_brief_topics_round_trip_through_rows() -> None:
    brief = S.Brief(
        text="vegan snacks",
        interests=["Vegan Diets", "Soccer"],
        strict_interests=True,
        excluded_interests=["Food & Drink > Barbecues and Grilling"],
        excluded_keywords=["beer"],
    )
    row = brief_to_row(brief)
    assert row[S.INTERESTS] == "212|533" and row[S.STRICT_INTERESTS] is True
    assert (
        row[S.EXCLUDED_INTERESTS] == "215" and row[S.EXCLUDED_CATEGORIES] == "1004"
    )  # Beer, from the keyword
    assert brief_from_row(row) == brief
    assert (
        brief_from_row({**row, S.STRICT_INTERESTS: np.bool_(True), S.EXCLUDED_CATEGORIES: np.nan})
        == brief
    )
