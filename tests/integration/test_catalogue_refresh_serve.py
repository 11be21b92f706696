"""Issue 12, a real ``bentoml serve``: ``matcher catalogue update`` publishes a new version while
a client keeps matching; the service picks it up without a restart, no request fails, and the
new creator is served (the tiny hashing pipeline, its catalogue refreshed in place)."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import pandas as pd

from matcher import schemas as S
from matcher.ranking.catalogue_update import update_catalogue
from tests.integration.test_service import BRAND, BRIEF, ENV_KEYS, bearer


def test_a_running_service_swaps_to_a_refreshed_catalogue(tiny_pipeline_dir, tiny_tables, tmp_path):
    from matcher.online.keys import KeyStore
    from serving.process import ServiceProcess

    model = shutil.copytree(tiny_pipeline_dir, tmp_path / "model")
    log = tmp_path / "requests.db"
    with KeyStore(tmp_path / "keys.db") as keys:
        key = keys.add(BRAND)
    env = {
        "MATCHER_MODEL_FALLBACK": str(tmp_path / "none"),
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "MATCHER_CATALOGUE_POLL_S": "0.2",
        "MATCHER_RATE_LIMIT": "0",
    }
    svc = ServiceProcess(model=model, request_log=log, env=env, ready_timeout=120)
    for k in ENV_KEYS:
        if k not in ("MATCHER_MODEL", "MATCHER_REQUEST_LOG", *env):
            svc.env.pop(k, None)
    inf, posts = tiny_tables.influencers, tiny_tables.posts
    tea = inf.iloc[:1].assign(
        **{S.INFLUENCER_ID: "tea01", S.HANDLE: "@tea01", S.BIO: "Matcha and oolong tea tasting"}
    )
    tea_post = posts.iloc[:1].assign(
        **{S.POST_ID: "tea01-p0", S.INFLUENCER_ID: "tea01", S.TEXT: "Gongfu oolong tea session"}
    )
    with svc, httpx.Client(base_url=svc.url, timeout=30, headers=bearer(key)) as http:
        assert http.get("/model").json()["catalogue_size"] == 48
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=svc.url, timeout=30, headers=bearer(key)) as c:
                while not stop.is_set():
                    statuses.append(c.post("/match", json={"brief": BRIEF, "k": 3}).status_code)

        t = threading.Thread(target=hammer)
        t.start()
        try:
            rep = update_catalogue(
                model,
                pd.concat([inf, tea], ignore_index=True),
                pd.concat([posts, tea_post], ignore_index=True),
            )
            assert rep.version is not None and rep.added == 1 and rep.texts_embedded == 2
            deadline = time.monotonic() + 60
            while http.get("/model").json()["catalogue_size"] != 49:
                assert time.monotonic() < deadline, "the service did not pick the new version up"
                time.sleep(0.2)
            time.sleep(0.5)
        finally:
            stop.set()
            t.join()
        assert len(statuses) > 5 and set(statuses) == {200}
        brief = {**BRIEF, "text": "matcha and oolong tea tasting", "min_followers": 0}
        r = http.post("/match", json={"brief": brief, "k": 3})
        assert r.status_code == 200, r.text
        assert r.json()["matches"][0]["influencer_id"] == "tea01"
