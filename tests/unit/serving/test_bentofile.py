"""serving/bentofile.yaml installs what pyproject.toml declares (dependencies + the serve extra)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_bento_packages_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bento = yaml.safe_load((ROOT / "serving" / "bentofile.yaml").read_text())
    want = [*project["dependencies"], *project["optional-dependencies"]["serve"]]
    assert sorted(bento["python"]["packages"]) == sorted(want)
    assert bento["python"]["lock_packages"] is False
    assert bento["service"] == "serving.service:MatcherService"
    for pattern in bento["include"]:
        base = pattern.split("*")[0].rstrip("/")
        assert base.startswith("models/") or (ROOT / base).exists(), pattern
