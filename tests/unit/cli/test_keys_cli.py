"""``matcher keys``: add prints only the key on stdout, list never shows secrets, revoke works at once."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.online.keys import KeyStore

runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def _err(r) -> str:
    return " ".join(r.stderr.split())  # rich wraps long lines


def test_add_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "k" / "keys.db"
    r = _run("keys", "add", "--brand", "acme", "--db", str(db))
    assert r.exit_code == 0, r.output
    token = r.stdout.strip()
    assert "\n" not in token and token.startswith("mk_")  # stdout is the key and nothing else
    assert "not shown again" in _err(r)
    with KeyStore(db) as s:
        p = s.authenticate(token)
        assert p is not None and p.brand_id == "acme" and not p.admin

    r = _run("keys", "add", "--brand", "ops", "--admin", "--db", str(db))
    admin_token = r.stdout.strip()
    r = _run("keys", "list", "--db", str(db), "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["brand_id"], x["admin"], x["revoked_at"]) for x in rows] == [
        ("acme", False, None),
        ("ops", True, None),
    ]
    secret = token.split("_", 2)[2]
    assert secret not in r.stdout and admin_token.split("_", 2)[2] not in r.stdout
    table = _run("keys", "list", "--db", str(db)).stdout
    assert "acme" in table and "admin" in table and secret not in table

    key_id = token.split("_")[1]
    r = _run("keys", "revoke", key_id, "--db", str(db))
    assert r.exit_code == 0 and f"revoked key {key_id}" in _err(r)
    with KeyStore(db) as s:
        assert s.authenticate(token) is None and s.authenticate(admin_token) is not None
    r = _run("keys", "revoke", key_id, "--db", str(db))
    assert r.exit_code == 2 and "no active key" in _err(r)


def test_default_db_follows_the_request_log(tmp_path: Path) -> None:
    env = {"MATCHER_REQUEST_LOG": str(tmp_path / "logs" / "requests.db"), "MATCHER_KEYS_DB": ""}
    r = _run("keys", "add", "--brand", "acme", env=env)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "logs" / "keys.db").is_file()
    r = _run("keys", "add", "--brand", "acme", env={"MATCHER_KEYS_DB": str(tmp_path / "x.db")})
    assert r.exit_code == 0 and (tmp_path / "x.db").is_file()


def test_bad_brand_and_bad_db_are_clear_errors(tmp_path: Path) -> None:
    r = _run("keys", "add", "--brand", "bad brand", "--db", str(tmp_path / "keys.db"))
    assert r.exit_code == 2 and "brand_id" in _err(r) and r.stdout == ""
    bad = tmp_path / "not.db"
    bad.write_bytes(b"garbage" * 200)
    r = _run("keys", "list", "--db", str(bad))
    assert r.exit_code == 2 and "cannot open key store" in _err(r)
