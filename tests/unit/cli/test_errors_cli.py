"""Every command's input errors end as one ``error: ...`` line on stderr and exit status 2, with
the traceback only under ``-v``; an unexpected exception exits 1 with a hint (``cli.errors``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli.main import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def _one_error_line(r) -> str:
    """The whole of stderr, which must be one ``error:`` line (no traceback, no wrapping)."""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.output
    return lines[0]


def _brief_file(tmp_path: Path, content: str, name: str = "brief.json") -> Path:
    p = tmp_path / name
    p.write_text(content)
    return p


def test_train_with_a_missing_data_folder(tmp_path):
    missing = tmp_path / "no-such-market"
    r = _run("train", "--data", str(missing), "--out", str(tmp_path / "m"), "--no-track")
    assert r.exit_code == 2
    assert _one_error_line(r) == f"error: data directory {missing} does not exist"


def test_verbose_adds_the_traceback_and_keeps_the_message_and_status(tmp_path):
    missing = tmp_path / "no-such-market"
    r = _run("train", "--data", str(missing), "--no-track", "-v")
    assert r.exit_code == 2
    assert "Traceback (most recent call last)" in r.stderr
    assert f"FileNotFoundError: data directory {missing} does not exist" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"error: data directory {missing} does not exist"


def test_train_with_a_bad_csv_names_the_file_line_and_column(tiny_market_dir, tmp_path):
    path = tiny_market_dir / "influencers.csv"
    text = path.read_text().splitlines()
    header = text[0].split(",")
    row = text[3].split(",")  # line 4 of the file
    row[header.index("followers")] = "lots"
    text[3] = ",".join(row)
    path.write_text("\n".join(text) + "\n")
    r = _run("train", "--data", str(tiny_market_dir), "--out", str(tmp_path / "m"), "--no-track")
    assert r.exit_code == 2
    assert _one_error_line(r) == (
        "error: influencers.csv line 4, column 'followers': must be a non-negative "
        "integer, got 'lots'"
    )


def test_train_with_an_unparseable_csv(tiny_market_dir, tmp_path):
    (tiny_market_dir / "posts.csv").write_text('post_id,influencer_id\n"p1,i1\n')
    r = _run("train", "--data", str(tiny_market_dir), "--out", str(tmp_path / "m"), "--no-track")
    assert r.exit_code == 2
    line = _one_error_line(r)
    assert line.startswith("error: posts.csv: cannot parse CSV")


def test_train_with_a_config_value_of_the_wrong_type_names_the_field(tiny_market_dir):
    r = _run(
        "train", "--data", str(tiny_market_dir), "--set", "ranker.num_leaves=abc", "--no-track"
    )
    assert r.exit_code == 2
    assert _one_error_line(r) == (
        "error: invalid TrainConfig: ranker.num_leaves: Input should be a valid "
        "integer, unable to parse string as an integer"
    )


def test_train_with_a_missing_config_file(tmp_path):
    r = _run("train", "--config", str(tmp_path / "nope.yaml"), "--no-track")
    assert r.exit_code == 2
    assert _one_error_line(r) == f"error: no such file or directory: {tmp_path / 'nope.yaml'}"


def test_evaluate_with_a_missing_model_folder(tiny_market_dir, tmp_path):
    r = _run("evaluate", "--data", str(tiny_market_dir), "--model", str(tmp_path / "nomodel"))
    assert r.exit_code == 2
    assert "nomodel" in _one_error_line(r)


def test_match_with_a_corrupt_model_names_the_changed_file(tiny_pipeline_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_pipeline_dir, model)
    with (model / "ranker.json").open("a") as f:
        f.write(" ")
    expected = (
        f"error: the model in {model} is corrupt: model file ranker.json does not match its sha256 in "
        "manifest.json: it was changed after the model was saved"
    )
    r = _run("match", "--model", str(model), "--text", "sourdough")
    assert r.exit_code == 2 and _one_error_line(r) == expected
    r = _run("evaluate", "--model", str(model), "--data", str(tmp_path))
    assert r.exit_code == 2 and _one_error_line(r) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"text": ', "is not valid JSON: Expecting value at line 1 column 10"),
        (
            '{"text": "vegan snacks",\n "k": 3,}',
            "is not valid JSON: Expecting property name enclosed in double "
            "quotes at line 2 column 9",
        ),
        ('{"text": ""}', ": text: String should have at least 1 character"),
        (
            '{"text": "vegan snacks", "min_followers": "many"}',
            ": min_followers: Input should be a valid integer",
        ),
        ('["vegan snacks"]', ": brief: Input should be an object"),
    ],
)
def test_a_bad_brief_file_names_the_file_and_the_field(
    tiny_pipeline_dir, tmp_path, content, expected
):
    f = _brief_file(tmp_path, content)
    for cmd in (["match"], ["plan", "--budget", "500"]):
        r = _run(*cmd, "--model", str(tiny_pipeline_dir), "--brief-file", str(f))
        assert r.exit_code == 2, (cmd, r.output)
        line = _one_error_line(r)
        prefix = f"error: {f} " if "JSON" in expected else f"error: invalid brief in {f}"
        assert line == prefix + expected, (cmd, line)


def test_an_unreadable_brief_file(tiny_pipeline_dir, tmp_path):
    missing = tmp_path / "brief[1].json"  # brackets: printed as written, not read as rich markup
    r = _run("match", "--model", str(tiny_pipeline_dir), "--brief-file", str(missing))
    assert r.exit_code == 2
    assert (
        _one_error_line(r)
        == f"error: cannot read the brief file {missing}: No such file or directory"
    )
    r = _run("match", "--model", str(tiny_pipeline_dir), "--brief-file", str(tmp_path))
    assert _one_error_line(r) == f"error: cannot read the brief file {tmp_path}: Is a directory"


def test_an_empty_text_names_the_option(tiny_pipeline_dir):
    r = _run("match", "--model", str(tiny_pipeline_dir), "--text", "  ")
    assert r.exit_code == 2
    assert (
        _one_error_line(r)
        == "error: invalid brief: --text: String should have at least 1 character"
    )


def test_a_valid_brief_file_still_matches(tiny_pipeline_dir, tmp_path):
    f = _brief_file(
        tmp_path, json.dumps({"text": "sourdough starter and rye bread", "min_followers": 0})
    )
    r = _run(
        "match", "--model", str(tiny_pipeline_dir), "--brief-file", str(f), "--k", "3", "--json"
    )
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)) == 3


def test_an_unexpected_error_is_short_and_points_to_verbose(tiny_pipeline_dir, monkeypatch):
    def boom(ref):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("matcher.cli.common.load_model", boom)
    r = _run("match", "--text", "sourdough")
    assert r.exit_code == 1
    assert _one_error_line(r) == (
        "error: RuntimeError: the disk is on fire (run the command again with -v for the traceback)"
    )
    r = _run("match", "--text", "sourdough", "-v")
    assert r.exit_code == 1
    assert "Traceback (most recent call last)" in r.stderr and "in boom" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == "error: RuntimeError: the disk is on fire"


def test_verbose_does_not_leak_into_the_next_command(tmp_path):
    """The -v of one invocation is not remembered by the next one in the same process."""
    assert _run("train", "--data", str(tmp_path / "x"), "--no-track", "-v").exit_code == 2
    r = _run("train", "--data", str(tmp_path / "x"), "--no-track")
    assert "Traceback" not in r.stderr and r.exit_code == 2


def test_usage_errors_stay_clicks(tiny_pipeline_dir):
    r = _run("match", "--model", str(tiny_pipeline_dir), "--text", "x", "--k", "0")
    assert r.exit_code == 2 and "Invalid value for '--k'" in r.stderr
    r = _run("match", "--model", str(tiny_pipeline_dir))
    assert (
        r.exit_code == 2
        and _one_error_line(r) == "error: give exactly one of --brief-file or --text"
    )
