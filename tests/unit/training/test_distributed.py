"""Scale-out on a real two-process Dask LocalCluster: the distributed paths must give the
single-process answers (embeddings, catalogue) or a known answer (ranker)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

from matcher.config import LGBMParams  # noqa: E402
from matcher.evaluation.metrics import ndcg_at_k  # noqa: E402
from matcher.ranking.boosting import ranker_params  # noqa: E402
from matcher.ranking.catalogue import Catalogue  # noqa: E402
from matcher.ranking.embeddings import EmbeddingCache, HashingEncoder, text_key  # noqa: E402
from matcher.ranking.ranker import FitRanker  # noqa: E402
from matcher.training.distributed import (  # noqa: E402
    build_catalogue_distributed,
    embed_texts_distributed,
    fit_ranker_distributed,
    group_partitions,
)

WORDS = [
    "marathon",
    "sourdough",
    "speedrun",
    "compost",
    "tempo",
    "croissant",
    "boss",
    "roses",
    "trail",
    "frosting",
    "console",
    "seedlings",
]


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each (LightGBM's network needs separate processes)."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 9)))) for _ in range(n)]


# --------------------------------------------------------------------------- embeddings
def test_embed_texts_equals_single_process_in_input_order(client):
    texts = _texts(300) + ["", "marathon"] + _texts(50, seed=1)  # duplicates and an empty text
    enc = HashingEncoder(dim=64)
    expected = enc.encode(texts)
    for n_partitions in (None, 1, 7):
        got = embed_texts_distributed(texts, enc.spec(), client, n_partitions=n_partitions)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, expected)


def test_embed_texts_empty_and_tiny(client):
    spec = HashingEncoder(dim=32).spec()
    assert embed_texts_distributed([], spec, client).shape == (0, 32)
    one = embed_texts_distributed(["tempo run"], spec, client, n_partitions=5)
    np.testing.assert_array_equal(one, HashingEncoder(dim=32).encode(["tempo run"]))


def test_embed_texts_fills_the_shared_cache_and_builds_one_encoder_per_worker(client, tmp_path):
    texts = _texts(200, seed=2)
    enc = HashingEncoder(dim=48)
    first = embed_texts_distributed(texts, enc.spec(), client, cache_dir=str(tmp_path))
    again = embed_texts_distributed(texts, enc.spec(), client, cache_dir=str(tmp_path))
    np.testing.assert_array_equal(first, again)
    # a fresh process-local reader sees every vector the workers wrote
    unique = list(dict.fromkeys(texts))
    vecs, hit = EmbeddingCache(tmp_path, enc.name, enc.dim).get([text_key(t) for t in unique])
    assert hit.all()
    np.testing.assert_array_equal(vecs, enc.encode(unique))

    def encoders(dask_worker):
        return [
            id(p.encoder)
            for n, p in dask_worker.plugins.items()
            if n.startswith("matcher-encoder-") and p.cache_dir == str(tmp_path.resolve())
        ]

    per_worker = client.run(encoders)
    assert len(per_worker) == 2 and all(len(ids) == 1 for ids in per_worker.values())


def test_build_catalogue_distributed_equals_local(client, tiny_tables):
    enc = HashingEncoder()
    local = Catalogue.build(tiny_tables.influencers, tiny_tables.posts, enc).to_arrays()
    dist = build_catalogue_distributed(
        tiny_tables.influencers, tiny_tables.posts, enc, client, n_partitions=3
    ).to_arrays()
    assert local.keys() == dist.keys()
    for name in local:
        np.testing.assert_array_equal(dist[name], local[name], err_msg=name)


# --------------------------------------------------------------------------- ranker
def test_group_partitions_keep_groups_whole_and_balance_rows():
    group = np.array([5, 1, 9, 3, 3, 7, 2, 10, 4, 6])
    runs = group_partitions(group, 3)
    assert runs[0][0] == 0 and runs[-1][1] == len(group)
    assert all(a < b for a, b in runs) and all(
        runs[i][1] == runs[i + 1][0] for i in range(len(runs) - 1)
    )
    rows = [int(group[a:b].sum()) for a, b in runs]
    assert sum(rows) == group.sum() and max(rows) - min(rows) <= group.max()
    assert group_partitions(group, 1) == [(0, len(group))]
    assert group_partitions(np.array([4, 4]), 5) == [(0, 1), (1, 2)]


def _ranking_problem(n_groups: int, size: int, seed: int):
    """Relevance 0..3 is a monotone step function of feature 0; the rest is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_groups * size, 4)).astype(np.float32)
    y = np.digitize(X[:, 0], [-0.6, 0.3, 1.0]).astype(np.int64)
    return X, y, np.full(n_groups, size, dtype=np.int64)


def test_fit_ranker_distributed_orders_held_out_groups(client):
    X, y, group = _ranking_problem(120, 20, seed=0)
    Xt, yt, gt = _ranking_problem(40, 20, seed=1)
    names = ["signal", "noise_a", "noise_b", "noise_c"]
    params = LGBMParams(n_estimators=40, num_leaves=7, min_child_samples=5)
    ranker = fit_ranker_distributed(X, y, group, names, client, params, random_state=0)

    assert isinstance(ranker, FitRanker) and ranker.feature_names_ == names
    scores = ranker.decision_function(Xt)
    ndcg = np.mean(
        [ndcg_at_k(yt[i : i + 20], scores[i : i + 20], k=5) for i in range(0, len(yt), 20)]
    )
    assert ndcg > 0.95
    imp = ranker.feature_importance()
    assert max(imp, key=imp.get) == "signal"
    prob = ranker.fit_probability(scores)
    assert prob[yt >= 2].mean() > prob[yt < 2].mean()

    # saved and reloaded like any FitRanker
    reloaded = FitRanker.from_state(ranker.state())
    np.testing.assert_allclose(reloaded.decision_function(Xt), scores)
    assert reloaded.calibration_ == ranker.calibration_


def test_distributed_and_local_rankers_train_with_the_same_parameters(client):
    """Both build their LightGBM parameters with ``ranking.boosting.ranker_params``; only the
    threads differ (a Dask worker uses its own nthreads, here 1)."""
    X, y, group = _ranking_problem(40, 10, seed=2)
    names = ["signal", "noise_a", "noise_b", "noise_c"]
    params = LGBMParams(n_estimators=5, num_leaves=5, min_child_samples=7, subsample=0.7)
    dist = fit_ranker_distributed(
        X, y, group, names, client, params, random_state=4
    ).booster_.params
    local = FitRanker(params, random_state=4).fit(X, y, group, names).booster_.params
    shared = set(ranker_params(params, 4, threads=None)) - {"verbose"}
    assert {k: dist[k] for k in shared} == {k: local[k] for k in shared}
    assert (
        dist["min_data_in_leaf"] == 7 and dist["label_gain"] == [0, 1, 3, 7] and dist["seed"] == 4
    )
    assert dist["num_threads"] == 1 and local["num_threads"] == 2


def test_fit_ranker_distributed_rejects_bad_groups(client):
    X, y, group = _ranking_problem(4, 5, seed=0)
    with pytest.raises(ValueError, match="group sizes"):
        fit_ranker_distributed(X, y, group[:-1], ["a", "b", "c", "d"], client)
