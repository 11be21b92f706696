"""The pyfunc's input/output conversion and signature: briefs as DataFrame rows (list fields as
lists or "|"-joined strings, the IAB topics too), errors naming the row and the field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import schemas as S
from matcher.lifecycle.pyfunc import MatcherModel, requests_from_frame


def test_pyfunc_frame_conversion_matches_recommend(tiny_pipeline):
    df = pd.DataFrame([{"text": "marathon training and trail running shoes", "platforms": ["instagram"], "k": 3},
                       {"text": "sourdough starter", "platforms": "instagram|tiktok"}])
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
    df = pd.DataFrame([
        {"text": "vegan snacks", "interests": "Vegan Diets|Food & Drink > Vegetarian Diets",
         "strict_interests": True, "excluded_interests": "Soccer", "excluded_categories": "Alcohol|Gambling"},
        {"text": "football boots", "interests": ["Soccer"], "strict_interests": np.nan,
         "excluded_interests": None, "excluded_categories": ["Tobacco"], "excluded_keywords": "beer"},
    ])
    (b1, _), (b2, _) = requests_from_frame(df)
    assert (b1.interests, b1.strict_interests, b1.excluded_interests) == (["212", "213"], True, ["533"])
    assert b1.excluded_categories == ["1002", "1361"]
    assert (b2.interests, b2.strict_interests, b2.excluded_interests) == (["533"], False, [])
    assert b2.excluded_categories == ["1544", "1004"]  # Tobacco, then Beer (the excluded keyword)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("interests", "Soccer|Underwater Basketweaving",
     "row 1, interests: Value error, unknown content topic 'Underwater Basketweaving'"),
    ("excluded_categories", ["Cryptocurrency"],
     "row 1, excluded_categories: Value error, unknown ad_product topic 'Cryptocurrency'; did you mean"),
    ("strict_interests", True, "row 1, strict_interests: Value error, strict_interests needs at least one interest"),
])
def test_a_bad_topic_names_the_row_and_the_field(field, value, expected):
    df = pd.DataFrame([{"text": "fine"}, {"text": "bad", field: value}])
    with pytest.raises(ValueError) as e:
        requests_from_frame(df)
    assert str(e.value).startswith(expected)


def test_signature_lists_every_brief_field(tiny_pipeline):
    from mlflow.models.utils import _enforce_schema
    from mlflow.types.schema import AnyType, DataType

    from matcher.lifecycle.model_logging import model_input_example, model_signature

    example = model_input_example(tiny_pipeline)
    sig = model_signature(tiny_pipeline, example)
    cols = {c.name: c for c in sig.inputs.inputs}
    from matcher.planning.inputs import PLAN_INPUT_COLUMNS

    assert list(cols) == [*S.Brief.model_fields, "k", *PLAN_INPUT_COLUMNS]
    assert cols["text"].type == DataType.string and cols["text"].required
    assert cols[S.STRICT_INTERESTS].type == DataType.boolean and not cols[S.STRICT_INTERESTS].required
    for name in S.TOPIC_FIELDS:  # lists or "|"-joined strings
        assert isinstance(cols[name].type, AnyType) and not cols[name].required
    rows = pd.DataFrame([{"text": "vegan snacks", "interests": "Vegan Diets|Soccer", "strict_interests": True},
                         {"text": "beer", "excluded_categories": ["Alcohol"]}])
    checked = _enforce_schema(rows, sig.inputs)
    assert checked["interests"].iloc[0] == "Vegan Diets|Soccer" and checked["strict_interests"].iloc[0]
    with pytest.raises(Exception, match="strict_interests"):  # typed: a string is not a boolean
        _enforce_schema(pd.DataFrame([{"text": "x", "strict_interests": "sure"}]), sig.inputs)
