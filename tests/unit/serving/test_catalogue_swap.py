"""The service follows ``CATALOGUE``: a new version is loaded off the request path and swapped
in with one assignment; requests keep being answered, in-flight ones finish on the old
catalogue, and a version that fails to load leaves the old one serving."""

from __future__ import annotations

import logging
import shutil
import threading
import time

import pandas as pd
import pytest

from matcher import schemas as S
from matcher.api import ModelInfo
from matcher.config import ServingConfig
from matcher.ranking.catalogue_files import current_version, publish_version, version_dir
from matcher.ranking.catalogue_update import update_catalogue
from matcher.schemas import Brief
from serving.model_state import ModelHolder

TEA = Brief(text="matcha and oolong tea tasting", min_followers=0, max_followers=10**9)
BAKE = Brief(text="sourdough starter and bread baking", min_followers=0, max_followers=10**9)


@pytest.fixture
def model_dir(tiny_pipeline_dir, tmp_path):
    return shutil.copytree(tiny_pipeline_dir, tmp_path / "model")


def tables_with(tables, iid: str, bio: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tiny market plus one creator ``iid`` with ``bio`` and one post saying the same."""
    inf, posts = tables.influencers, tables.posts
    new = inf.iloc[:1].assign(**{S.INFLUENCER_ID: iid, S.HANDLE: f"@{iid}", S.BIO: bio})
    post = posts.iloc[:1].assign(**{S.POST_ID: f"{iid}-p0", S.INFLUENCER_ID: iid, S.TEXT: bio})
    return pd.concat([inf, new], ignore_index=True), pd.concat([posts, post], ignore_index=True)


def top_ids(served, brief: Brief, k: int = 3) -> list[str]:
    return [m.influencer_id for m in served.recommend(brief, k).matches]


@pytest.fixture
def holder(model_dir):
    h = ModelHolder(
        ServingConfig(model=str(model_dir), fallback_dir="", catalogue_poll_s=0, retry_seconds=0)
    )
    h.start()
    yield h
    h.stop()


def test_a_new_version_is_swapped_in_while_requests_are_answered(holder, model_dir, tiny_tables):
    assert holder.check_catalogue() is False  # nothing new
    old = holder.current
    assert old is not None and "tea01" not in top_ids(old, TEA, 48)
    errors: list[BaseException] = []
    answered = [0]
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                served = holder.current  # a request reads the snapshot once
                assert served is not None and len(top_ids(served, BAKE)) == 3
                answered[0] += 1
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    t = threading.Thread(target=hammer)
    t.start()
    try:
        rep = update_catalogue(
            model_dir, *tables_with(tiny_tables, "tea01", "Matcha and oolong tea tasting")
        )
        before = answered[0]
        assert holder.check_catalogue() is True
        time.sleep(0.2)
    finally:
        stop.set()
        t.join()
    assert errors == [] and answered[0] > before > 0
    new = holder.current
    assert new is not old and new.default.pipeline.catalogue_version == rep.version
    assert top_ids(new, TEA)[0] == "tea01" and new.model.catalogue_size == 49
    if "catalogue_version" in ModelInfo.model_fields:  # GET /model shows the version served
        assert new.model.catalogue_version == rep.version
    assert new.default.pipeline.ranker is old.default.pipeline.ranker  # models shared
    # a request that took the old snapshot finishes on it
    assert "tea01" not in top_ids(old, TEA, 48) and old.model.catalogue_size == 48


def test_a_version_that_fails_to_load_keeps_the_old_one(holder, model_dir, tiny_tables, caplog):
    served = holder.current
    good = current_version(model_dir)
    assert served is not None and good is not None
    broken = "20990101T000000Z-broken"
    shutil.copytree(version_dir(model_dir, good), version_dir(model_dir, broken))
    (version_dir(model_dir, broken) / "arrays" / "profile.npy").write_bytes(b"garbage")
    publish_version(model_dir, broken)
    with caplog.at_level(logging.ERROR, logger="serving.model_state"):
        assert holder.check_catalogue() is False
    assert holder.current is served and f"catalogue version {broken}" in caplog.text
    assert "still serving" in caplog.text
    assert holder.check_catalogue() is False  # the broken version is not retried every poll
    publish_version(model_dir, good)  # back to the version served: nothing to swap
    assert holder.check_catalogue() is False and holder.current is served
    rep = update_catalogue(model_dir, *tables_with(tiny_tables, "tea01", "Matcha tea tasting"))
    assert rep.version is not None and holder.check_catalogue() is True
    assert top_ids(holder.current, TEA)[0] == "tea01"


def test_the_watch_thread_polls_the_pointer(model_dir, tiny_tables):
    h = ModelHolder(
        ServingConfig(model=str(model_dir), fallback_dir="", catalogue_poll_s=0.05, retry_seconds=0)
    )
    h.start()
    try:
        rep = update_catalogue(model_dir, *tables_with(tiny_tables, "tea01", "Oolong tea tasting"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (
                h.current is not None
                and h.current.default.pipeline.catalogue_version == rep.version
            ):
                break
            time.sleep(0.05)
        assert h.current is not None
        assert h.current.default.pipeline.catalogue_version == rep.version
    finally:
        h.stop()


def test_the_service_answers_during_an_update_and_then_serves_the_new_creators(
    model_dir, tiny_tables, tmp_path
):
    """In process over ASGI (``MatcherService.to_asgi()``): no request fails during the swap."""
    from tests.integration.test_service import BRIEF, serve_in_process

    with serve_in_process(
        MATCHER_MODEL=str(model_dir),
        MATCHER_REQUEST_LOG=str(tmp_path / "requests.db"),
        MATCHER_CATALOGUE_POLL_S="0.05",
    ) as (client, _):
        assert client.get("/model").json()["catalogue_size"] == 48
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                statuses.append(client.post("/match", json={"brief": BRIEF, "k": 3}).status_code)

        t = threading.Thread(target=hammer)
        t.start()
        try:
            update_catalogue(
                model_dir, *tables_with(tiny_tables, "tea01", "Matcha and oolong tea tasting")
            )
            deadline = time.monotonic() + 15
            while client.get("/model").json()["catalogue_size"] != 49:
                assert time.monotonic() < deadline, "the new catalogue was not picked up"
                time.sleep(0.05)
            time.sleep(0.1)
        finally:
            stop.set()
            t.join()
        assert statuses and set(statuses) == {200}
        tea = {**BRIEF, "text": "matcha and oolong tea tasting", "min_followers": 0}
        r = client.post("/match", json={"brief": tea, "k": 3})
        assert r.status_code == 200, r.text
        assert r.json()["matches"][0]["influencer_id"] == "tea01"
