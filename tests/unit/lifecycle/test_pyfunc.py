"""The pyfunc's input/output conversion and signature: briefs as DataFrame rows (list fields as
lists or "|"-joined strings in the library, lists in the typed MLflow signature), errors naming
the row and the field; the requirements and code shipped with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.lifecycle.pyfunc import MatcherModel, requests_from_frame


def test_pyfunc_frame_conversion_matches_recommend(tiny_pipeline):
    df = pd.DataFrame(
        [
            {
                "text": "marathon training and trail running shoes",
                "platforms": ["instagram"],
                "k": 3,
            },
            {"text": "sourdough starter", "platforms": "instagram|tiktok"},
        ]
    )
    reqs = requests_from_frame(df)
    assert [b.platforms for b, _ in reqs] == [["instagram"], ["instagram", "tiktok"]]
    assert [k for _, k in reqs] == [3, 10]
    out = MatcherModel(tiny_pipeline).predict(None, df)
    for i, (brief, k) in enumerate(reqs):
        rec = tiny_pipeline.recommend(brief, k)
        got = out[out["brief_index"] == i]
        assert got["influencer_id"].tolist() == [m.influencer_id for m in rec.matches]
        assert got["score"].tolist() == [m.score for m in rec.matches]
    with pytest.raises(ValueError, match="row 0"):
        requests_from_frame(pd.DataFrame([{"text": "x", "target_countries": "Narnia"}]))


def test_topics_as_joined_strings_or_lists():
    df = pd.DataFrame(
        [
            {
                "text": "vegan snacks",
                "interests": "Vegan Diets|Food & Drink > Vegetarian Diets",
                "strict_interests": True,
                "excluded_interests": "Soccer",
                "excluded_categories": "Alcohol|Gambling",
            },
            {
                "text": "football boots",
                "interests": ["Soccer"],
                "strict_interests": np.nan,
                "excluded_interests": None,
                "excluded_categories": ["Tobacco"],
                "excluded_keywords": "beer",
            },
        ]
    )
    (b1, _), (b2, _) = requests_from_frame(df)
    assert (b1.interests, b1.strict_interests, b1.excluded_interests) == (
        ["212", "213"],
        True,
        ["533"],
    )
    assert b1.excluded_categories == ["1002", "1361"]
    assert (b2.interests, b2.strict_interests, b2.excluded_interests) == (["533"], False, [])
    assert b2.excluded_categories == ["1544", "1004"]  # Tobacco, then Beer (the excluded keyword)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "interests",
            "Soccer|Underwater Basketweaving",
            "row 1, interests: Value error, unknown content topic 'Underwater Basketweaving'",
        ),
        (
            "excluded_categories",
            ["Cryptocurrency"],
            "row 1, excluded_categories: Value error, unknown ad_product topic 'Cryptocurrency'; did you mean",
        ),
        (
            "strict_interests",
            True,
            "row 1, strict_interests: Value error, strict_interests needs at least one interest",
        ),
    ],
)
def test_a_bad_topic_names_the_row_and_the_field(field, value, expected):
    df = pd.DataFrame([{"text": "fine"}, {"text": "bad", field: value}])
    with pytest.raises(ValueError) as e:
        requests_from_frame(df)
    assert str(e.value).startswith(expected)


def test_signature_types_every_column(tiny_pipeline):
    from mlflow.models.utils import _enforce_schema
    from mlflow.types.schema import AnyType, Array, DataType

    from matcher.lifecycle.model_logging import model_input_example, model_signature
    from matcher.lifecycle.pyfunc import OUTPUT_COLUMNS, PLAN_OUTPUT_COLUMNS
    from matcher.planning.inputs import PLAN_INPUT_COLUMNS

    example = model_input_example(tiny_pipeline)
    sig = model_signature(
        tiny_pipeline, example
    )  # also checks the example's prediction against the output types
    cols = {c.name: c for c in sig.inputs.inputs}
    assert list(cols) == [*S.Brief.model_fields, "k", *PLAN_INPUT_COLUMNS]
    assert not [c.name for c in sig.inputs.inputs if isinstance(c.type, AnyType)]
    assert [c.name for c in sig.inputs.inputs if c.required] == ["text"]  # everything else optional
    expected = {
        "text": DataType.string,
        "brief_id": DataType.string,
        "created_at": DataType.string,
        "target_gender": DataType.string,
        "min_followers": DataType.long,
        "max_followers": DataType.long,
        "budget_usd": DataType.double,
        "strict_interests": DataType.boolean,
        "language": DataType.string,
        "k": DataType.long,
        "mode": DataType.string,
        "plan_budget_usd": DataType.double,
        "min_creators": DataType.long,
        "platform_mix": DataType.string,
    }
    for name, t in expected.items():
        assert cols[name].type == t, name
    for name in (
        "platforms",
        "target_countries",
        "target_ages",
        "excluded_handles",
        "excluded_keywords",
        *S.TOPIC_FIELDS,
        "like",
    ):
        assert cols[name].type == Array(DataType.string), name
    out = {c.name: c for c in sig.outputs.inputs}
    assert list(out) == [*OUTPUT_COLUMNS, *PLAN_OUTPUT_COLUMNS]
    assert not [c for c in out.values() if isinstance(c.type, AnyType)]
    assert (out["rank"].type, out["score"].type, out["influencer_id"].type) == (
        DataType.long,
        DataType.double,
        DataType.string,
    )
    assert (
        out["rank"].required and not out["marginal_gain"].required
    )  # plan columns only in plan mode

    rows = pd.DataFrame(
        [
            {
                "text": "vegan snacks",
                "interests": ["Vegan Diets", "Soccer"],
                "strict_interests": True,
                "k": 3,
                "budget_usd": 250.5,
                "excluded_categories": None,
            },  # a missing list: None or []
            {
                "text": "beer",
                "interests": [],
                "excluded_categories": ["Alcohol"],
                "k": 5,
                "budget_usd": None,
            },
        ]
    )
    checked = _enforce_schema(rows, sig.inputs)
    assert (
        checked["interests"].iloc[0] == ["Vegan Diets", "Soccer"]
        and checked["strict_interests"].iloc[0]
    )
    for bad, column in (
        [
            {"text": "x", "strict_interests": "sure"},
            "strict_interests",
        ],  # a string is not a boolean
        [{"text": "x", "k": 2.5}, "k"],  # k is a whole number
        [{"text": "x", "platforms": "tiktok"}, "list or numpy array"],
    ):  # lists are lists
        # (MLflow's array error does not name the column: a known limitation of its enforcement)
        with pytest.raises(Exception, match=column):
            _enforce_schema(pd.DataFrame([bad]), sig.inputs)


def test_every_brief_field_type_maps_or_fails_loudly():
    from typing import Annotated, Literal

    from mlflow.types.schema import Array, DataType

    from matcher.lifecycle.model_logging import mlflow_type

    assert mlflow_type(int | None) == DataType.long
    assert mlflow_type(list[Annotated[str, "x"]]) == Array(DataType.string)
    assert mlflow_type(Literal["a", "b"]) == DataType.string
    with pytest.raises(TypeError, match="'weird'"):
        mlflow_type(dict[str, int], "weird")
    with pytest.raises(TypeError, match="'both'"):
        mlflow_type(int | str, "both")


def test_output_types_are_checked_against_a_prediction(tiny_pipeline):
    from matcher.lifecycle.model_logging import (
        check_output_types,
        model_input_example,
        output_schema,
    )

    out = MatcherModel(tiny_pipeline).predict(None, model_input_example(tiny_pipeline))
    assert len(out)
    check_output_types(out, output_schema())  # passes as logged
    with pytest.raises(TypeError, match="'rank'"):
        check_output_types(out.assign(rank=out["rank"].astype(str)), output_schema())
    with pytest.raises(TypeError, match="'extra'"):
        check_output_types(out.assign(extra=1), output_schema())


def test_model_requirements_cover_the_shipped_package():
    from matcher.lifecycle.model_logging import model_requirements, package_requirements

    core = package_requirements("matcher")
    assert {"pydantic", "bm25s", "lightgbm", "pyahocorasick"} <= set(
        core
    ) and "bentoml" not in core  # no extras
    assert len(core) == len(set(core))
    names = {r.split("==")[0] for r in model_requirements()}
    assert set(core) <= names and "matcher" not in names and "mlflow" in names
    assert all("==" in r for r in model_requirements())
    assert package_requirements("no-such-distribution-xyz") == ()


def test_package_source_is_a_clean_copy(tmp_path):
    from matcher.lifecycle.model_logging import package_source

    out = package_source(tmp_path)
    assert (out / "__init__.py").is_file() and (out / "lifecycle" / "pyfunc.py").is_file()
    assert (out / "iab" / "content_taxonomy_3.1.tsv").is_file()  # data files travel with the code
    assert not list(out.rglob("__pycache__"))
