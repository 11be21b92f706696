"""``bentoml build`` offline with the model through BentoML's model store (serving/bento_model.py,
serving/bentofile.yaml), and the built Bento served: it answers with the stored model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest

from serving.process import ROOT, ServiceProcess
from tests.integration.test_service import BRAND, BRIEF, ENV_KEYS, bearer

BIN = Path(sys.executable).parent


def run(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    p = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, (
        f"{args} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    )
    return p.stdout


class BentoProcess(ServiceProcess):
    """``bentoml serve <bento tag>`` (the built Bento, not the source tree)."""

    def __init__(self, tag: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.tag = tag

    def start(self) -> BentoProcess:
        import tempfile

        self._logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix="matcher-bento-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [
                str(BIN / "bentoml"),
                "serve",
                self.tag,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        return self


@pytest.fixture(scope="module")
def built(tiny_pipeline_dir, tmp_path_factory) -> tuple[str, dict[str, str], Path]:
    home = tmp_path_factory.mktemp("bentoml_home")
    env = {
        **os.environ,
        "BENTOML_HOME": str(home),
        "BENTOML_DO_NOT_TRACK": "true",
        # offline: pip may not reach any index (what the issue saw fail with "Failed to install uv")
        "PIP_NO_INDEX": "1",
        "PIP_INDEX_URL": "http://127.0.0.1:9/none",
        "UV_OFFLINE": "1",
    }
    model_tag = run(
        [sys.executable, "-m", "serving.bento_model", str(tiny_pipeline_dir)], env
    ).strip()
    assert model_tag.startswith("matcher:")
    out = run(
        [str(BIN / "bentoml"), "build", "-f", "serving/bentofile.yaml", ".", "--output", "tag"], env
    )
    bento_tag = out.strip().splitlines()[-1].removeprefix("__tag__:")
    assert bento_tag.startswith("matcher:"), out
    return bento_tag, env, home


def test_import_refuses_a_folder_that_is_not_a_model(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "serving.bento_model", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "BENTOML_HOME": str(tmp_path / "home")},
    )
    assert p.returncode == 1 and "not an exported matcher model (missing pipeline.json" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.integration
def test_offline_build_lists_the_model(built, tiny_pipeline_dir):
    bento_tag, env, home = built
    info = json.loads(run([str(BIN / "bentoml"), "get", bento_tag, "-o", "json"], env))
    models = info["models"]
    assert len(models) == 1 and models[0]["tag"].startswith("matcher:"), info
    assert models[0]["module"] == "serving.bento_model"
    # the local store references the model; an exported Bento (what is shipped) carries it
    archive = home / "matcher.bento"
    run([str(BIN / "bentoml"), "export", bento_tag, str(archive)], env)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    model_dir = "./models/matcher/" + models[0]["tag"].split(":")[1]
    assert f"{model_dir}/pipeline.json" in names and f"{model_dir}/ranker.json" in names
    assert not [n for n in names if n.startswith("./src/models")]  # no model as source any more


@pytest.mark.integration
def test_built_bento_carries_the_corrected_openapi_document(built):
    """The Bento's apis/openapi.yaml is the document /docs.json serves (serving.openapi), not
    BentoML's raw one (BentoML's boilerplate info, no GET /model)."""
    import yaml

    from serving.openapi import version

    bento_tag, _, home = built
    name, ver = bento_tag.split(":")
    doc = yaml.safe_load((home / "bentos" / name / ver / "apis" / "openapi.yaml").read_text())
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "matcher" and doc["info"]["version"] == version()
    assert "contact" not in doc["info"]  # BentoML's "BentoML Team" boilerplate is gone
    assert {"/model", "/plan", "/match", "/match_batch", "/feedback", "/reload"} <= set(
        doc["paths"]
    )
    assert doc["paths"]["/model"]["get"]["operationId"] == "model"
    assert doc["paths"]["/plan"]["post"]["security"] == [{"apiKey": []}]
    assert doc["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.integration
def test_built_bento_serves_the_stored_model(built, tmp_path):
    from matcher.online.keys import KeyStore

    bento_tag, env, _ = built
    with KeyStore(tmp_path / "keys.db") as keys:
        key = keys.add(BRAND)
    svc = BentoProcess(
        bento_tag,
        request_log=tmp_path / "requests.db",
        ready_timeout=180,
        model=tmp_path / "no-such-model",
    )  # unresolvable: the Bento's stored copy serves
    svc.env.update({k: v for k, v in env.items() if k.startswith(("BENTOML_", "PIP_"))})
    for k in ENV_KEYS:
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG"):
            svc.env.pop(k, None)
    # what the bentofile's envs set in the container image (`bentoml serve <bento>` on the host
    # applies only the service's own envs, not the bentofile's: docs/serving.md)
    svc.env["MATCHER_MODEL_FALLBACK"] = "bento:matcher:latest"
    with svc, httpx.Client(base_url=svc.url, timeout=30, headers=bearer(key)) as http:
        model = http.get("/model").json()
        assert model["catalogue_size"] == 48 and "no-such-model" in (model["fallback_reason"] or "")
        r = http.post("/match", json={"brief": BRIEF, "k": 3})
        assert r.status_code == 200 and len(r.json()["matches"]) == 3, r.text
