"""The router passes the request's deadline to the pipeline(s) it calls and checks it itself."""

from __future__ import annotations

import time

import pytest

from matcher.online.experiments import ExperimentConfig, ExperimentRouter
from matcher.ranking.budget import DeadlineExceeded
from matcher.schemas import Brief
from tests.unit.online.test_experiments import FakePipe, _loaded, _loader


class DeadlinePipe(FakePipe):
    """Records the deadline it was given."""

    def recommend(self, brief, k=10, *, deadline=None):
        self.deadline = deadline
        return super().recommend(brief, k)


def test_deadline_reaches_every_pipeline():
    pipes = {"ma": DeadlinePipe(["a"], 1), "mb": DeadlinePipe(["b"], 2)}
    default = _loaded(DeadlinePipe(["d"], 0), "0")
    dl = time.monotonic() + 60
    ExperimentRouter(None, _loader(pipes, [])).route(Brief(text="t"), 1, default, deadline=dl)
    assert default.pipeline.deadline == dl
    il = ExperimentRouter(
        ExperimentConfig(name="il", mode="interleave", variants={"A": "ma", "B": "mb"}),
        _loader(pipes, []),
        seed=0,
    )
    r = il.recommend(Brief(text="t", brand_id="b1"), 1, default, deadline=dl)
    assert r.variant == "interleaved" and pipes["ma"].deadline == dl and pipes["mb"].deadline == dl
    batch = il.recommend_batch(
        [Brief(text="t", brand_id="b1"), Brief(text="u", brand_id="b2")], 1, default, deadline=dl
    )
    assert len(batch) == 2 and pipes["ma"].calls == 3


def test_past_deadline_is_refused_before_any_pipeline_runs():
    pipes = {"champion": FakePipe(["a"], 1), "challenger": FakePipe(["b"], 2)}
    router = ExperimentRouter(
        ExperimentConfig(name="e", variants={"A": "champion", "B": "challenger"}),
        _loader(pipes, []),
    )
    default = _loaded(FakePipe(["d"], 0), "0")
    with pytest.raises(DeadlineExceeded, match="routing"):
        router.route(Brief(text="t", brand_id="b1"), 1, default, deadline=time.monotonic() - 1)
    with pytest.raises(DeadlineExceeded, match="batch"):
        router.route_batch([Brief(text="t")], 1, default, deadline=time.monotonic() - 1)
    assert pipes["champion"].calls == pipes["challenger"].calls == default.pipeline.calls == 0
    # a pipeline without a deadline keyword still serves requests that have no deadline
    assert router.route(Brief(text="t", brand_id="b1"), 1, default).matches
