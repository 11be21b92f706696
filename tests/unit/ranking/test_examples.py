"""Example creators in a brief (``Brief.like``, ``matcher.ranking.examples``): validation, the
query text, unknown handles, and that the examples pull the query towards their content."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from matcher.lifecycle.pyfunc import MatcherModel
from matcher.ranking.examples import UnknownExampleError, example_rows, example_text, query_text
from matcher.schemas import MAX_LIKE_EXAMPLES, Brief

GAMING = "esports stream and gaming setup"


def test_like_is_cleaned_and_bounded():
    b = Brief(text="x", like=[" @Bak03 ", "bak03", "@run01", "  ", "@"])
    assert b.like == ["bak03", "run01"]
    assert Brief(text="x").like == []
    with pytest.raises(ValidationError, match="like"):
        Brief(text="x", like=[f"@h{i}" for i in range(MAX_LIKE_EXAMPLES + 1)])
    with pytest.raises(ValidationError, match="like"):
        Brief(text="x", like=["a" * 101])


def test_rows_and_text_of_examples(tiny_pipeline):
    cat = tiny_pipeline.catalogue
    rows = example_rows(cat, ["@BAK03", "run01", "bak03"])
    assert [cat.ids[r] for r in rows] == ["bak03", "run01"]
    text = example_text(cat, rows[0])
    # the bio ("I love <niche phrase> ...") and recent captions of the creator
    assert "Today:" in text and any(
        w in text for w in ("sourdough", "croissant", "cake", "bread", "pastry")
    )
    assert example_rows(cat, []) == []


def test_unknown_handles_are_named(tiny_pipeline):
    with pytest.raises(UnknownExampleError) as e:
        example_rows(tiny_pipeline.catalogue, ["@bak03", "@nobody", "ghost"])
    assert e.value.handles == ["nobody", "ghost"]
    assert "@nobody" in str(e.value) and "@ghost" in str(e.value) and "like" in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(UnknownExampleError):
        tiny_pipeline.recommend(Brief(text=GAMING, like=["@nobody"]), k=5)


def test_query_is_the_brief_text_then_the_examples(tiny_pipeline):
    cat = tiny_pipeline.catalogue
    plain = Brief(text=GAMING)
    liked = Brief(text=GAMING, like=["@bak03"])
    assert (
        tiny_pipeline.query_text(plain) == GAMING
    )  # no examples: unchanged (training is unaffected)
    q = tiny_pipeline.query_text(liked)
    assert q.startswith(GAMING + " ") and q.endswith(
        example_text(cat, example_rows(cat, ["bak03"])[0])
    )
    assert query_text(liked, "base", cat).startswith("base ")


def test_examples_pull_the_query_towards_their_content(tiny_pipeline):
    cat = tiny_pipeline.catalogue
    q_plain, q_liked = tiny_pipeline.embed_briefs(
        [Brief(text=GAMING), Brief(text=GAMING, like=["@bak03"])]
    )
    bak = cat.profile[cat.index["bak03"]]
    bakers = [i for i, x in enumerate(cat.ids) if str(x).startswith("bak")]
    assert float(q_liked @ bak) > float(q_plain @ bak) + 0.1
    assert float(np.mean(cat.profile[bakers] @ q_liked)) > float(
        np.mean(cat.profile[bakers] @ q_plain)
    )
    # and the ranked list changes accordingly: more bakers among the candidates the query retrieves
    rows_plain, _ = tiny_pipeline.candidates(Brief(text=GAMING), q_plain, 12)
    rows_liked, _ = tiny_pipeline.candidates(Brief(text=GAMING), q_liked, 12)
    n_bak = lambda rows: sum(str(cat.ids[r]).startswith("bak") for r in rows)  # noqa: E731
    assert n_bak(rows_liked) > n_bak(rows_plain)


def test_pyfunc_like_column(tiny_pipeline):
    model = MatcherModel(tiny_pipeline)
    out = model.predict(
        None,
        pd.DataFrame([{"text": GAMING, "like": "@bak03|@run01", "k": 5}, {"text": GAMING, "k": 5}]),
    )
    assert len(out) == 10 and set(out["brief_index"]) == {0, 1}
    with pytest.raises(ValueError, match=r"row 1, like: unknown creator handle\(s\) \['@nobody'\]"):
        model.predict(None, pd.DataFrame([{"text": GAMING}, {"text": GAMING, "like": ["@nobody"]}]))


def test_cli_like_option(tiny_pipeline_dir):
    import json

    from typer.testing import CliRunner

    from matcher.cli.main import app

    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "match",
            "--model",
            str(tiny_pipeline_dir),
            "--text",
            GAMING,
            "--like",
            "@bak03",
            "--like",
            "run01",
            "--k",
            "5",
            "--json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert len(json.loads(ok.stdout)) == 5
    bad = runner.invoke(
        app, ["match", "--model", str(tiny_pipeline_dir), "--text", GAMING, "--like", "@nobody"]
    )
    assert bad.exit_code != 0 and "@nobody" in bad.output
