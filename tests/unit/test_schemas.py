"""The ``Brief``'s IAB topic fields: known topics resolve to canonical ids, unknown ones are
rejected naming the field and the topic, excluded keywords that name an Ad Product category add
it, and the ``matcher match`` options reach the same model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from matcher import schemas as S
from matcher.schemas import Brief, error_text, keyword_categories

VEGAN = "212"  # Content 3.1: Food & Drink > Vegan Diets
SOCCER = "533"
ALCOHOL, BEER, GAMBLING, NON_FIAT = "1002", "1004", "1361", "1448"  # Ad Product 2.0


def rejection(**fields: Any) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        Brief(text="a brief", **fields)
    return e.value


# --------------------------------------------------------------------------- resolving
@pytest.mark.parametrize(
    "ref",
    [
        "Vegan Diets",
        "Food & Drink > Vegan Diets",
        "food & drink>vegan diets",
        "  VEGAN DIETS ",
        VEGAN,
    ],
)
def test_vegan_diets_resolves_by_name_path_or_id(ref: str) -> None:
    assert Brief(text="x", interests=[ref]).interests == [VEGAN]
    assert Brief(text="x", excluded_interests=[ref]).excluded_interests == [VEGAN]


def test_topics_keep_order_without_repeats_or_blanks() -> None:
    b = Brief(text="x", interests=["Soccer", "Vegan Diets", "", "Food & Drink > Vegan Diets"])
    assert b.interests == [SOCCER, VEGAN]
    assert b.topic_names(S.INTERESTS) == ["Soccer", "Vegan Diets"]


def test_cryptocurrency_is_the_ad_products_non_fiat_currency() -> None:
    """IAB has no topic named "Cryptocurrency": the Ad Product category is Non-Fiat Currency
    (Cryptocurrency Exchanges and Cryptocurrency Stock under it); the bare word gets a hint."""
    b = Brief(
        text="x",
        excluded_categories=["Non-Fiat Currency", "Non-Fiat Currency > Cryptocurrency Exchanges"],
    )
    assert b.excluded_categories == [NON_FIAT, "1449"]
    err = rejection(excluded_categories=["Cryptocurrency"]).errors()[0]
    assert err["loc"] == (S.EXCLUDED_CATEGORIES,)
    assert (
        "'Cryptocurrency'; did you mean 'Non-Fiat Currency > Cryptocurrency Exchanges'"
        in err["msg"]
    )


@pytest.mark.parametrize("field", [S.INTERESTS, S.EXCLUDED_INTERESTS])
def test_unknown_topic_is_rejected_naming_the_field_and_the_topic(field: str) -> None:
    e = rejection(**{field: ["Vegan Diets", "Underwater Basketweaving"]})
    assert [err["loc"] for err in e.errors()] == [(field,)]
    assert (
        error_text(e) == f"{field}: Value error, unknown content topic 'Underwater Basketweaving'"
    )


def test_categories_use_the_ad_product_taxonomy() -> None:
    assert Brief(text="x", excluded_categories=["alcohol", "Gambling"]).excluded_categories == [
        ALCOHOL,
        GAMBLING,
    ]
    assert "unknown content topic 'Alcohol'" in error_text(rejection(interests=["Alcohol"]))
    # a name two categories share must be given by path or id
    assert "names several ad_product topics" in error_text(
        rejection(excluded_categories=["Skin Care"])
    )


def test_lists_and_entries_are_bounded() -> None:
    ok = Brief(text="x", interests=[str(i) for i in range(1, 21)])
    assert len(ok.interests) == S.MAX_BRIEF_TOPICS
    too_many = rejection(interests=["Soccer"] * (S.MAX_BRIEF_TOPICS + 1)).errors()[0]
    assert too_many["loc"] == (S.INTERESTS,) and too_many["type"] == "too_long"
    too_long = rejection(excluded_interests=["x" * (S.MAX_TOPIC_CHARS + 1)]).errors()[0]
    assert too_long["loc"] == (S.EXCLUDED_INTERESTS, 0) and too_long["type"] == "string_too_long"


def test_strict_interests_needs_an_interest() -> None:
    assert Brief(text="x", interests=["Soccer"], strict_interests=True).strict_interests is True
    assert error_text(rejection(strict_interests=True)) == (
        "strict_interests: Value error, strict_interests needs at least one interest"
    )
    # a bad interests list is the one error reported, not a second one about strictness
    assert [
        err["loc"] for err in rejection(interests=["nope nope"], strict_interests=True).errors()
    ] == [(S.INTERESTS,)]


# --------------------------------------------------------------------------- keywords name categories
def test_excluded_keyword_alcohol_adds_the_category() -> None:
    b = Brief(text="x", excluded_keywords=["Alcohol"])
    assert b.excluded_keywords == ["alcohol"] and b.excluded_categories == [ALCOHOL]


def test_keyword_categories_are_exact_names_after_the_given_ones() -> None:
    b = Brief(
        text="x",
        excluded_categories=["Gambling"],
        excluded_keywords=["crypto", "beer", "gambling", "alcoholic", "1002", "skin care"],
    )
    # "beer" names a category; "crypto", "alcoholic", an id and a shared name do not
    assert b.excluded_categories == [GAMBLING, BEER]
    assert keyword_categories(["GAMBLING", "vape", "Alcohol"]) == [GAMBLING, ALCOHOL]
    assert keyword_categories([]) == []


def test_a_brief_read_back_is_the_same_brief() -> None:
    b = Brief(
        text="x",
        interests=["Vegan Diets"],
        excluded_interests=["Soccer"],
        excluded_keywords=["alcohol"],
        strict_interests=True,
    )
    assert Brief.model_validate(b.model_dump()) == b
    assert Brief.model_validate_json(b.model_dump_json()) == b


def test_example_brief_file_excludes_alcohol_and_gambling() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "brief.json"
    b = Brief.model_validate_json(path.read_bytes())
    assert b.topic_names(S.EXCLUDED_CATEGORIES) == ["Alcohol", "Gambling"]


def test_nothing_is_loaded_for_a_brief_without_topics() -> None:
    """Taxonomies are read when a topic is first given, then shared; never at import."""
    code = (
        "from matcher import schemas as S; S.Brief(text='x', excluded_keywords=['vape']); "
        "n = S.taxonomy.cache_info().currsize; S.Brief(text='x', interests=['Soccer']); "
        "print(n, S.taxonomy.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "2"]  # the keyword needed the ad product names only
    assert S.taxonomy("content") is S.taxonomy("content")


# --------------------------------------------------------------------------- the CLI boundary
def run_match(*args: str) -> Any:
    from typer.testing import CliRunner

    from matcher.cli.main import app

    return CliRunner().invoke(app, ["match", *args])


def test_cli_unknown_interest_is_one_line_naming_the_field(tmp_path: Path) -> None:
    r = run_match(
        "--model", str(tmp_path), "--text", "vegan snacks", "--interest", "Underwater Basketweaving"
    )
    assert r.exit_code == 2
    line = " ".join(r.output.split())
    assert (
        "invalid brief: interests: Value error, unknown content topic 'Underwater Basketweaving'"
        in line
    )
    r = run_match("--model", str(tmp_path), "--text", "vegan snacks", "--strict-interests")
    assert r.exit_code == 2 and "strict_interests needs at least one interest" in " ".join(
        r.output.split()
    )


def test_cli_options_add_to_the_brief_file(
    tiny_pipeline_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.ranking.pipeline import MatchPipeline, Recommendation

    seen: list[Brief] = []

    def fake_recommend(
        self: MatchPipeline, brief: Brief, k: int = 10, *a: Any, **kw: Any
    ) -> Recommendation:
        seen.append(brief)
        return Recommendation(matches=[], n_candidates=0, reason="test")

    monkeypatch.setattr(MatchPipeline, "recommend", fake_recommend)
    brief = tmp_path / "brief.json"
    brief.write_text(
        json.dumps(
            {
                "text": "vegan snacks",
                "interests": ["Vegan Diets"],
                "excluded_keywords": ["gambling"],
            }
        )
    )
    r = run_match(
        "--model",
        str(tiny_pipeline_dir),
        "--brief-file",
        str(brief),
        "--interest",
        "Soccer",
        "--strict-interests",
        "--exclude-interest",
        "Food & Drink > Barbecues and Grilling",
        "--exclude-category",
        "Alcohol",
        "--json",
    )
    assert r.exit_code == 0, r.output
    (b,) = seen
    assert b.interests == [VEGAN, SOCCER] and b.strict_interests
    assert b.topic_names(S.EXCLUDED_INTERESTS) == ["Barbecues and Grilling"]
    assert b.excluded_categories == [
        GAMBLING,
        ALCOHOL,
    ]  # the file's (its keyword's), then the option's
