"""The contract, checked by a fuzzer: ``schemathesis run <spec> --checks all`` against a real
``bentoml serve`` on loopback (the tiny pipeline), with a brand key and an admin key, bounded
examples (CI: the whole test runs in ~1-2 min on 2 cores). 0 failures, and no 5xx in the log."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_service import ENV_KEYS

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("MATCHER_FUZZ_EXAMPLES", "25"))


def schemathesis(url: str, key: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    # a dev dependency (make test installs it): missing is a broken set-up, never a silent skip
    assert exe is not None, "schemathesis is not installed (pip install -e '.[dev]')"
    config = Path(__file__).with_name("schemathesis.toml")
    cmd = [
        exe,
        "--config-file",
        str(config),
        "run",
        f"{url}/docs.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "10",
        "-H",
        f"Authorization: Bearer {key}",
        "--request-timeout",
        "30",
        "--no-color",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(out),
        *extra,
    ]
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )


def test_schemathesis_all_checks_pass(tiny_pipeline_dir, tmp_path):
    from matcher.online.keys import KeyStore
    from serving.process import ServiceProcess

    log = tmp_path / "requests.db"
    with KeyStore(tmp_path / "keys.db") as keys:
        brand_key, admin_key = keys.add("brand-fuzz"), keys.add("ops", admin=True)
    env = {
        "MATCHER_MODEL_FALLBACK": str(tmp_path / "none"),
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "MATCHER_RATE_LIMIT": "0",
        "MATCHER_MODEL_ROOT": str(tmp_path / "models"),
        "MATCHER_LOAD_RETRY_SECONDS": "0",
    }
    svc = ServiceProcess(model=tiny_pipeline_dir, request_log=log, env=env, ready_timeout=180)
    for k in ENV_KEYS:
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG", *env):
            svc.env.pop(k, None)
    with svc:
        # business endpoints as a brand; /reload and GET /model as the admin (every reload
        # the fuzzer makes is of a registry ref or a folder outside the root: refused fast)
        brand = schemathesis(svc.url, brand_key, tmp_path / "brand", "--exclude-path", "/reload")
        admin = schemathesis(
            svc.url,
            admin_key,
            tmp_path / "admin",
            "--include-path",
            "/reload",
            "--include-path",
            "/model",
        )
        server_log = svc.log_tail(200_000)
    for name, run in (("brand", brand), ("admin", admin)):
        assert run.returncode == 0, (
            f"{name} run failed:\n{run.stdout[-8000:]}\n{run.stderr[-2000:]}"
        )
        assert "No issues found" in run.stdout or "passed" in run.stdout, run.stdout[-3000:]
    assert " 500 " not in server_log and "Traceback" not in server_log, server_log[-5000:]
