"""Request limits (issue 10): every list, string and number of a brief or an API body is bounded,
numbers and booleans are strict, and the error names the field."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from matcher import schemas as S
from matcher.api import (
    MAX_FEEDBACK_COUNT,
    BatchMatchRequest,
    FeedbackEvent,
    MatchApiRequest,
    MatchRequest,
)
from matcher.schemas import Brief, error_text

# field -> (largest accepted, smallest refused)
LIST_LIMITS = {
    "excluded_keywords": (["w"] * S.MAX_EXCLUDED_KEYWORDS, ["w"] * (S.MAX_EXCLUDED_KEYWORDS + 1)),
    "excluded_handles": (["h"] * S.MAX_EXCLUDED_HANDLES, ["h"] * (S.MAX_EXCLUDED_HANDLES + 1)),
    "platforms": (["tiktok"] * S.MAX_VOCAB_ITEMS, ["tiktok"] * (S.MAX_VOCAB_ITEMS + 1)),
    "target_countries": (["US"] * S.MAX_VOCAB_ITEMS, ["US"] * (S.MAX_VOCAB_ITEMS + 1)),
    "target_ages": (["18-24"] * S.MAX_VOCAB_ITEMS, ["18-24"] * (S.MAX_VOCAB_ITEMS + 1)),
}
ITEM_LIMITS = {
    "excluded_keywords": S.MAX_KEYWORD_CHARS,
    "excluded_handles": S.MAX_HANDLE_CHARS,
    "platforms": S.MAX_VOCAB_ITEM_CHARS,
}


def errors_of(model, data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as e:
        model.model_validate_json(json.dumps(data))
    return e.value.errors()


@pytest.mark.parametrize("field", list(LIST_LIMITS))
def test_list_lengths(field: str) -> None:
    ok, bad = LIST_LIMITS[field]
    Brief.model_validate({"text": "x", field: ok})
    (err,) = errors_of(Brief, {"text": "x", field: bad})
    assert err["loc"] == (field,) and err["type"] == "too_long"


@pytest.mark.parametrize("field", list(ITEM_LIMITS))
def test_item_lengths(field: str) -> None:
    errs = errors_of(Brief, {"text": "x", field: ["ok", "y" * (ITEM_LIMITS[field] + 1)]})
    assert errs[0]["loc"] == (field, 1) and errs[0]["type"] == "string_too_long"


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("text", "x" * (S.MAX_BRIEF_TEXT_CHARS + 1), "string_too_long"),
        ("brief_id", "b" * 201, "string_too_long"),
        ("brand_id", "b" * 201, "string_too_long"),
        ("language", "e" * 21, "string_too_long"),
        ("min_followers", 10**12 + 1, "less_than_equal"),
        ("max_followers", 10**13, "less_than_equal"),
        ("max_followers", 10**400, "less_than_equal"),
        ("budget_usd", 1e10, "less_than_equal"),
        ("budget_usd", 0, "greater_than"),
    ],
)
def test_scalar_bounds(field: str, value: object, kind: str) -> None:
    (err,) = errors_of(Brief, {"text": "x", field: value})
    assert err["loc"] == (field,) and err["type"] == kind


def test_the_issue_54kb_brief_is_refused_naming_the_field() -> None:
    data = {
        "text": "healthy breakfast",
        "min_followers": 0,
        "max_followers": 10**12,
        "excluded_keywords": [f"nonsense{i}" for i in range(5000)] + ["the", "a", "i", "and"],
    }
    errs = errors_of(Brief, data)
    assert [e["loc"] for e in errs] == [("excluded_keywords",)]
    assert "excluded_keywords: List should have at most 200 items" in error_text(
        ValidationError.from_exception_data("Brief", errs)
    )
    assert Brief.model_validate({**data, "excluded_keywords": data["excluded_keywords"][-200:]})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_followers", True),
        ("min_followers", "5"),
        ("min_followers", 5.0),
        ("max_followers", "100000"),
        ("budget_usd", True),
        ("budget_usd", "100"),
        ("strict_interests", 1),
        ("strict_interests", "true"),
    ],
)
def test_brief_numbers_and_booleans_are_strict(field: str, value: object) -> None:
    data = {"text": "x", field: value, "interests": ["Soccer"]}
    for parse in (lambda d: Brief.model_validate_json(json.dumps(d)), Brief.model_validate):
        with pytest.raises(ValidationError) as e:
            parse(data)
        assert [err["loc"] for err in e.value.errors()] == [(field,)]
    assert Brief.model_validate_json(
        json.dumps(
            {
                "text": "x",
                "budget_usd": 100,
                "min_followers": 5,
                "strict_interests": True,
                "interests": ["Soccer"],
            }
        )
    )


@pytest.mark.parametrize("k", [True, "5", 5.0, 0, 101])
@pytest.mark.parametrize("model", [MatchRequest, MatchApiRequest, BatchMatchRequest])
def test_k_is_a_strict_bounded_int(model, k: object) -> None:
    body = {"briefs": [{"text": "x"}]} if model is BatchMatchRequest else {"brief": {"text": "x"}}
    for parse in (lambda d: model.model_validate_json(json.dumps(d)), model.model_validate):
        with pytest.raises(ValidationError) as e:
            parse({**body, "k": k})
        assert [err["loc"] for err in e.value.errors()] == [("k",)]
    assert model.model_validate_json(json.dumps({**body, "k": 5})).k == 5


def test_batch_size_is_bounded() -> None:
    (err,) = errors_of(BatchMatchRequest, {"briefs": [{"text": "x"}] * 101})
    assert err["loc"] == ("briefs",) and err["type"] == "too_long"
    errs = errors_of(
        BatchMatchRequest, {"briefs": [{"text": "x", "excluded_keywords": ["w"] * 201}]}
    )
    assert errs[0]["loc"] == ("briefs", 0, "excluded_keywords")


@pytest.mark.parametrize(
    ("event", "value", "ok"),
    [
        ("clicks", 0, True),
        ("clicks", MAX_FEEDBACK_COUNT, True),
        ("clicks", MAX_FEEDBACK_COUNT + 1, False),
        ("post_engagements", 1e308, False),
        ("conversions", 2.5, False),
        ("clicks", -1, False),
        ("clicks", "5", False),
        ("clicks", True, False),
        ("rating", "5", False),
        ("rating", 5, True),
        ("shortlisted", True, False),
        ("shortlisted", 1, True),
    ],
)
def test_feedback_values_are_bounded_and_strict(event: str, value: object, ok: bool) -> None:
    body = {"request_id": "r1", "influencer_id": "i1", "event": event, "value": value}
    if ok:
        assert FeedbackEvent.model_validate_json(json.dumps(body)).value == float(value)  # type: ignore[arg-type]
    else:
        assert [e["loc"] for e in errors_of(FeedbackEvent, body)] == [("value",)]


def test_feedback_ids_are_bounded() -> None:
    body = {"request_id": "r" * 101, "influencer_id": "i" * 201, "event": "clicks", "value": 1}
    assert {e["loc"] for e in errors_of(FeedbackEvent, body)} == {
        ("request_id",),
        ("influencer_id",),
    }


def test_nullable_fields_say_so_in_the_schema() -> None:
    props = Brief.model_json_schema()["properties"]
    for field in ("brief_id", "brand_id", "brand", "created_at", "budget_usd", "language"):
        assert {"type": "null"} in props[field]["anyOf"], field
    value = FeedbackEvent.model_json_schema()["properties"]["value"]
    assert {"type": "null"} in value["anyOf"]
    assert props["excluded_keywords"]["maxItems"] == S.MAX_EXCLUDED_KEYWORDS
    assert props["excluded_keywords"]["items"]["maxLength"] == S.MAX_KEYWORD_CHARS
