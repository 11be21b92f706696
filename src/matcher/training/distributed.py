"""Scale-out on a Dask cluster: embed a large catalogue and train the ranker across workers.

Every function takes a ``distributed.Client`` built by the caller (entry points own the
cluster) and returns the same objects as the single-process path, so the pipeline saves and
serves them unchanged:

- ``embed_texts_distributed``: unique texts split into partitions; each worker rebuilds the
  encoder from its spec once (a worker plugin) and shares the on-disk embedding cache.
- ``build_catalogue_distributed``: ``Catalogue.build`` with its two big embedding calls sent
  to the cluster (one catalogue-building code path).
- ``fit_ranker_distributed``: LambdaRank with ``lightgbm.dask.DaskLGBMRanker`` (whole query
  groups per partition), returned as a regular ``FitRanker``.

Needs the ``scale`` extra (``dask[distributed]``). Nothing happens at import: no cluster is
started here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from distributed import Client, WorkerPlugin, get_worker
from numpy.typing import NDArray

from matcher.config import CatalogueConfig, EncoderConfig, LGBMParams
from matcher.ranking.boosting import categorical_index, ranker_params
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.embeddings import (
    EmbeddingCache,
    HashingEncoder,
    TextEncoder,
    encoder_from_spec,
)
from matcher.ranking.ranker import FitRanker

logger = logging.getLogger(__name__)

MAX_TEXTS_PER_PARTITION = 2048
_PLUGIN_PREFIX = "matcher-encoder-"


# --------------------------------------------------------------------------- embeddings
def _worker_encoder(spec: dict[str, Any], cache_dir: str | None) -> TextEncoder:
    encoder = encoder_from_spec(spec, EncoderConfig(cache_dir=cache_dir, show_progress=False))
    if cache_dir is not None and isinstance(encoder, HashingEncoder):  # caches only on request
        encoder.cache = EmbeddingCache(Path(cache_dir), encoder.name, encoder.dim)
    return encoder


def _plugin_name(spec: dict[str, Any], cache_dir: str | None) -> str:
    blob = json.dumps([spec, cache_dir], sort_keys=True, default=str).encode()
    return _PLUGIN_PREFIX + hashlib.blake2b(blob, digest_size=8).hexdigest()


class EncoderPlugin(WorkerPlugin):
    """One encoder per worker, built from its spec when the plugin is attached to the worker
    and reused by every partition that worker embeds."""

    idempotent = True  # registering the same spec again keeps the loaded encoders

    def __init__(self, spec: dict[str, Any], cache_dir: str | None) -> None:
        self.spec = spec
        self.cache_dir = cache_dir

    def setup(self, worker: Any) -> None:
        self.encoder = _worker_encoder(self.spec, self.cache_dir)
        self.lock = threading.Lock()  # one encode at a time per worker (torch is threaded)

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        with self.lock:
            return self.encoder.encode(texts, desc="embedding partition")


def _encode_partition(texts: list[str], plugin_name: str) -> NDArray[np.float32]:
    plugin: EncoderPlugin = get_worker().plugins[plugin_name]  # type: ignore[assignment]
    return plugin.encode(texts)


def _n_threads(client: Client) -> int:
    return max(1, sum(client.nthreads().values()))


def embed_texts_distributed(
    texts: list[str],
    encoder_spec: dict[str, Any],
    client: Client,
    n_partitions: int | None = None,
    cache_dir: str | None = None,
) -> NDArray[np.float32]:
    """Embed ``texts`` on the cluster; rows come back in input order and equal
    ``encoder_from_spec(encoder_spec).encode(texts)`` (up to float rounding for models whose
    output depends on batch padding).

    Duplicates are embedded once. ``cache_dir`` must be readable and writable by every worker
    (shared storage on a real cluster); None = each worker's default cache
    (``$MATCHER_CACHE_DIR`` or ``.cache/embeddings`` in its working directory; the hashing
    encoder does not cache). ``n_partitions`` defaults to a multiple of the cluster's threads
    with at most ``MAX_TEXTS_PER_PARTITION`` texts each.
    """
    dim = int(encoder_spec["dim"])
    texts = [t if t else "" for t in texts]
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    position: dict[str, int] = {}
    inverse = np.fromiter(
        (position.setdefault(t, len(position)) for t in texts), dtype=np.int64, count=len(texts)
    )
    unique = list(position)
    if n_partitions is None:
        threads = _n_threads(client)
        n_partitions = threads * math.ceil(len(unique) / (threads * MAX_TEXTS_PER_PARTITION))
    n_partitions = max(1, min(n_partitions, len(unique)))
    bounds = np.linspace(0, len(unique), n_partitions + 1).round().astype(int)
    parts = [unique[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    cache_dir = None if cache_dir is None else str(Path(cache_dir).resolve())
    name = _plugin_name(encoder_spec, cache_dir)
    client.register_plugin(EncoderPlugin(encoder_spec, cache_dir), name=name)
    logger.info(
        "embedding %d texts (%d unique) in %d partitions on %d threads",
        len(texts),
        len(unique),
        n_partitions,
        _n_threads(client),
    )
    scattered = client.scatter(parts, hash=False)
    futures = client.map(_encode_partition, scattered, plugin_name=name, pure=False)
    vecs = np.concatenate(client.gather(futures)).astype(np.float32, copy=False)
    if vecs.shape != (len(unique), dim):
        raise ValueError(
            f"workers returned {vecs.shape}, expected ({len(unique)}, {dim}): "
            "does the encoder spec match the model the workers load?"
        )
    return vecs[inverse]


def _cache_root(encoder: TextEncoder) -> str | None:
    cache = getattr(encoder, "cache", None)
    return str(cache.dir.parent.resolve()) if isinstance(cache, EmbeddingCache) else None


def build_catalogue_distributed(
    influencers: pd.DataFrame,
    posts: pd.DataFrame | None,
    encoder: TextEncoder,
    client: Client,
    config: CatalogueConfig | None = None,
    *,
    n_partitions: int | None = None,
    cache_dir: str | None = None,
) -> Catalogue:
    """``Catalogue.build`` with the bio and post embeddings computed on the cluster.

    Workers rebuild ``encoder`` from ``encoder.spec()``; ``cache_dir`` defaults to the
    encoder's own cache folder, which must be shared storage on a multi-machine cluster.
    """
    spec = encoder.spec()
    root = cache_dir if cache_dir is not None else _cache_root(encoder)

    def embed(texts: list[str], desc: str) -> NDArray[np.float32]:
        logger.info("%s on the cluster", desc)
        return embed_texts_distributed(texts, spec, client, n_partitions, root)

    return Catalogue.build(influencers, posts, encoder, config, embed=embed)


# --------------------------------------------------------------------------- ranker
def group_partitions(group: NDArray[np.int64], n_partitions: int) -> list[tuple[int, int]]:
    """Split query groups into at most ``n_partitions`` contiguous runs of about equal rows;
    returns (first group, end group) pairs so no group straddles two partitions."""
    group = np.asarray(group, dtype=np.int64)
    n_partitions = max(1, min(int(n_partitions), len(group)))
    ends = np.cumsum(group)
    targets = ends[-1] * np.arange(1, n_partitions) / n_partitions
    after = np.searchsorted(ends, targets, side="left")  # first group ending at or past target
    before = np.maximum(after - 1, 0)
    nearer_before = (after > 0) & (targets - ends[before] < ends[after] - targets)
    cuts = np.unique(np.where(nearer_before, after, after + 1))  # cut = groups before the cut
    cuts = cuts[(cuts > 0) & (cuts < len(group))]
    edges = [0, *cuts.tolist(), len(group)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def fit_ranker_distributed(
    X: NDArray[np.float32],
    y: NDArray[np.int64],
    group: NDArray[np.int64],
    feature_names: list[str],
    client: Client,
    params: LGBMParams | None = None,
    *,
    random_state: int = 0,
    categorical: tuple[str, ...] = ("platform",),
    n_partitions: int | None = None,
) -> FitRanker:
    """Train the LambdaRank model data-parallel across the cluster's workers and return it as
    a fitted ``FitRanker`` (``booster_`` + ``calibration_``), ready for ``MatchPipeline``.

    Partitions are whole runs of query groups of about equal rows, one per worker by default
    (pinned, so every worker trains on its share). No early stopping: all
    ``params.n_estimators`` trees are grown. Not bit-for-bit reproducible: LightGBM ranks follow
    Dask's (unordered) key order, and each rank bins some features and bags rows from its own
    partition, so reruns give slightly different trees of the same quality.
    """
    import dask.array as da
    import lightgbm as lgb
    from lightgbm.dask import DaskLGBMRanker

    params = params or LGBMParams()
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    if int(group.sum()) != len(X) or len(y) != len(X):
        raise ValueError("group sizes must add up to the number of rows, and y must match X")
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise RuntimeError("the Dask cluster has no workers")
    runs = group_partitions(group, n_partitions or len(workers))
    starts = np.concatenate([[0], np.cumsum(group)])
    dX: list[Any] = []
    dy: list[Any] = []
    dg: list[Any] = []
    for i, (g0, g1) in enumerate(runs):
        r0, r1 = int(starts[g0]), int(starts[g1])
        where = [workers[i % len(workers)]]
        for arr, out, shape in (
            (X[r0:r1], dX, (r1 - r0, X.shape[1])),
            (y[r0:r1], dy, (r1 - r0,)),
            (group[g0:g1], dg, (g1 - g0,)),
        ):
            fut = client.scatter(arr, workers=where, hash=False)
            out.append(da.from_delayed(fut, shape=shape, dtype=arr.dtype))
    # the local ranker's parameters; threads follow each worker's nthreads
    model = DaskLGBMRanker(
        client=client,
        n_estimators=params.n_estimators,
        **ranker_params(params, random_state, threads=None),
    )
    logger.info(
        "training LambdaRank on %d rows, %d queries, %d partitions over %d workers",
        len(X),
        len(group),
        len(runs),
        len(workers),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(
            da.concatenate(dX),
            da.concatenate(dy),
            group=da.concatenate(dg),
            feature_name=list(feature_names),
            categorical_feature=categorical_index(list(feature_names), categorical),
        )
    booster = lgb.Booster(model_str=model.to_local().booster_.model_to_string())
    return FitRanker(params, random_state, categorical).adopt(booster, feature_names, X, y)
