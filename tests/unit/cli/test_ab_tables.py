"""The estimate cells of `matcher ab`'s tables: known answers."""

from __future__ import annotations

from matcher.cli.ab_tables import format_estimate


def test_format_estimate_known_answers() -> None:
    e = {"estimate": 0.0123, "ci_low": -0.003, "ci_high": 0.027}
    assert format_estimate(e, pct=True) == "+1.2% [-0.3%, +2.7%]"
    assert format_estimate(e) == "0.0123 [-0.003, 0.027]"
    assert format_estimate({"estimate": 0.5}) == "0.5"  # no CI
    assert format_estimate(None) == "-"
    assert format_estimate({"estimate": None, "ci_low": 0.1, "ci_high": 0.2}) == "-"
