"""What the service is serving, and how it changes: resolve, load, warm up, swap.

Glue only (no feature logic): ``matcher.lifecycle.registry.resolve_pipeline`` resolves a reference to a
``LoadedModel`` (pipeline + ``ModelInfo``); ``matcher.online.experiments.ExperimentRouter`` chooses between
models per brief and answers with ``Routed``, which the service returns as is.
A reload builds a complete new ``Served`` (models loaded and warmed up) before one attribute
assignment swaps it in; a request reads ``holder.current`` once and keeps that snapshot, so no
request sees half a reload and none is dropped.

A catalogue refresh (``matcher catalogue update``) is picked up the same way: every
``MATCHER_CATALOGUE_POLL_S`` seconds a thread reads the served model folder's ``CATALOGUE``
pointer; a new version is loaded (memory-mapped) into a new pipeline sharing the models and the
encoder, warmed up, and swapped in with one assignment. A version that fails to load is logged
and skipped (the old catalogue keeps serving) until the pointer names another one.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from matcher.api import ModelInfo
from matcher.config import ServingConfig
from matcher.online.experiments import ExperimentRouter, Routed, load_experiment
from matcher.ranking.embeddings import MemoryCache
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief
from serving.catalogue_watch import next_version, with_version
from serving.metrics import CountingCache, set_serving_model

if TYPE_CHECKING:
    from matcher.lifecycle.loaded import LoadedModel

logger = logging.getLogger(__name__)

WARM_UP_BRIEF = Brief(text="warm-up brief: fitness and healthy food creators for a product launch")


class ReloadInProgressError(RuntimeError):
    """Another reload is building a model right now."""


class NoExperimentError(ValueError):
    """``force_variant`` named a variant that no running experiment has."""


def resolve(ref: str, fallback_dir: str | None) -> LoadedModel:
    """``matcher.lifecycle.registry.resolve_pipeline``: the registry, with the exported copy as fallback
    (imported here: MLflow loads only when a model does); ``bento:<tag>`` names a model in BentoML's
    model store (``serving.bento_model``)."""
    from matcher.lifecycle.registry import resolve_pipeline
    from serving.bento_model import store_path  # bento:matcher:latest -> a model store folder

    return resolve_pipeline(store_path(ref), fallback_dir=store_path(fallback_dir, strict=False))


def quiet_encoder(pipe: MatchPipeline, brief_cache: int = 0) -> MatchPipeline:
    """Per-request settings for the encoder: no progress bar, and no on-disk embedding cache
    (it would write a new shard file for every unseen brief; the catalogue is precomputed);
    instead an in-memory LRU of ``brief_cache`` brief vectors (0 = none)."""
    enc: Any = pipe.encoder
    if hasattr(enc, "show_progress"):
        enc.show_progress = False
    if hasattr(enc, "cache"):
        # counted into /metrics (matcher_brief_cache_hits / _misses)
        enc.cache = CountingCache(MemoryCache(enc.dim, brief_cache)) if brief_cache > 0 else None
    return pipe


def set_torch_threads(n: int) -> None:
    """Intra-op threads of torch (process-wide), when the encoder uses torch; 0 = leave alone.
    On 2 shared cores, 2 threads made one brief's embedding ~10x slower than 1 (spin-waits)."""
    if n > 0 and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def limit_threads(n: int) -> None:
    """Cap every OpenMP and BLAS thread pool loaded in this process (LightGBM, faiss, numpy) at
    ``n`` threads (threadpoolctl, process-wide); 0 = leave alone."""
    if n > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n)


def warm_up(pipe: MatchPipeline) -> None:
    """Load lazily loaded weights (the sentence-transformer), build the catalogue's filter
    lookup tables (seconds at a million creators) and map the ANN index's pages before taking
    traffic."""
    from matcher.ranking.signals import prepare_catalogue

    prepare_catalogue(pipe.catalogue)
    prefault = getattr(pipe.index, "prefault", None)  # a memory-mapped ANN index
    if prefault is not None:
        prefault()
    pipe.recommend(
        WARM_UP_BRIEF.model_copy(update={"min_followers": 0, "max_followers": 10**12}), k=1
    )


@dataclass(frozen=True)
class Served:
    """One immutable snapshot: the default model (its info is what ``GET /model`` shows) and
    the experiment router."""

    default: LoadedModel
    router: ExperimentRouter | None = None

    @property
    def model(self) -> ModelInfo:
        return self.default.info

    def recommend(
        self,
        brief: Brief,
        k: int,
        force_variant: str | None = None,
        *,
        deadline: float | None = None,
    ) -> Routed:
        """``deadline`` (``time.monotonic()``): past it ``DeadlineExceeded`` stops the work."""
        if self.router is None or not self.router.loaded_variants:
            if force_variant is not None:
                raise NoExperimentError(
                    f"force_variant {force_variant!r}: no experiment is running"
                )
            return Routed.of(
                self.default.pipeline.recommend(brief, k, deadline=deadline), self.model.version
            )
        try:
            return self.router.route(
                brief, k, self.default, force_variant=force_variant, deadline=deadline
            )
        except ValueError as e:
            if force_variant is not None:
                raise NoExperimentError(f"force_variant: {e}") from e
            raise

    def recommend_batch(
        self, briefs: list[Brief], k: int, *, deadline: float | None = None
    ) -> list[Routed]:
        if self.router is None or not self.router.loaded_variants:  # one embedding batch for all
            return [
                Routed.of(r, self.model.version)
                for r in self.default.pipeline.recommend_batch(briefs, k, deadline=deadline)
            ]
        return [self.recommend(b, k, deadline=deadline) for b in briefs]


def build(config: ServingConfig, ref: str | None = None) -> Served:
    """Resolve, load and warm up the default model and the experiment's models. The exported
    fallback copy is used only for the configured ref: an explicit ``ref`` loads exactly that."""
    default = resolve(ref or config.model, None if ref else config.fallback_dir)
    ref = ref or config.model
    quiet_encoder(default.pipeline, config.brief_cache)
    warm_up(default.pipeline)  # loads torch when the encoder needs it
    set_torch_threads(config.torch_threads)
    limit_threads(config.threads)
    if not config.experiment:
        return Served(default)
    exp = load_experiment(config.experiment)
    name, version = default.info.name, default.info.version

    def load_variant(vref: str) -> LoadedModel:
        if vref in (ref, version, f"models:/{name}/{version}"):
            return default
        variant = resolve(vref, None)  # a variant never silently falls back to the champion
        warm_up(quiet_encoder(variant.pipeline, config.brief_cache))
        return variant

    router = ExperimentRouter(exp, load_variant)
    info = default.info.model_copy(
        update={"experiment": exp.name, "variants": router.loaded_variants}
    )
    return Served(replace(default, info=info), router)


class ModelHolder:
    """Holds the current ``Served``; ``load`` swaps a fully built new one in (reloads are
    serialised, requests never wait for them)."""

    def __init__(
        self, config: ServingConfig, builder: Callable[[ServingConfig, str | None], Served] = build
    ) -> None:
        self.config = config
        self.current: Served | None = None
        self.error: str | None = None
        self._builder = builder
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._retry: threading.Thread | None = None
        self._watch: threading.Thread | None = None
        self._failed_version: str | None = None  # a catalogue version that did not load

    def load(self, ref: str | None = None, blocking: bool = True) -> tuple[Served | None, Served]:
        """Build and swap; returns (previous, current). Raises when building fails (the
        previous model keeps serving) or, with ``blocking=False``, when a reload is running."""
        if not self._reload_lock.acquire(blocking=blocking):
            raise ReloadInProgressError("a reload is already in progress")
        try:
            t0 = time.perf_counter()
            new = self._builder(self.config, ref)
            previous, self.current = self.current, new  # the atomic swap
            self.error = None
            set_serving_model(
                new.model.name,
                new.model.version,
                (previous.model.name, previous.model.version) if previous else None,
            )
            logger.info(
                "serving model %s version %s (%s, %d creators) loaded in %.1fs",
                new.model.name,
                new.model.version,
                new.model.source or "?",
                new.model.catalogue_size,
                time.perf_counter() - t0,
            )
            return previous, new
        finally:
            self._reload_lock.release()

    def start(self) -> None:
        """Initial load; on failure log one clear line, stay not ready, and retry in the background.
        Then follow the model folder's catalogue pointer (``catalogue_poll_s``; 0 = never)."""
        if self.config.catalogue_poll_s > 0 and self._watch is None:
            self._watch = threading.Thread(
                target=self._watch_loop, name="catalogue-watch", daemon=True
            )
            self._watch.start()
        try:
            self.load()
        except Exception as e:  # noqa: BLE001 - any failure means "not ready", with the reason
            self.error = f"{type(e).__name__}: {e}"
            logger.error(
                "NOT READY: no model could be loaded (model=%r, fallback=%r): %s",
                self.config.model,
                self.config.fallback_dir,
                self.error,
            )
            if self.config.retry_seconds > 0:
                self._retry = threading.Thread(
                    target=self._retry_loop, name="model-retry", daemon=True
                )
                self._retry.start()

    def _retry_loop(self) -> None:
        while self.current is None and not self._stop.wait(self.config.retry_seconds):
            try:
                self.load()
            except Exception as e:  # noqa: BLE001
                self.error = f"{type(e).__name__}: {e}"
                logger.error("NOT READY: model load retry failed: %s", self.error)

    def check_catalogue(self) -> bool:
        """One look at the served folder's ``CATALOGUE``: when it names another version, load it
        off the request path and swap it in. True when a new catalogue is now served."""
        served = self.current
        found = next_version(served, self._failed_version) if served is not None else None
        if served is None or found is None:
            return False
        folder, version = found
        if not self._reload_lock.acquire(blocking=False):
            return False  # a reload is building a model: look again at the next poll
        try:
            if self.current is not served:  # a reload swapped the model in the meantime
                return False
            t0 = time.perf_counter()
            try:
                new = with_version(served, folder, version, warm_up)
            except Exception as e:  # noqa: BLE001 - any failure keeps the old catalogue serving
                self._failed_version = version
                logger.error(
                    "catalogue version %s of %s not loaded, still serving %s: %s: %s",
                    version,
                    folder,
                    served.default.pipeline.catalogue_version,
                    type(e).__name__,
                    e,
                )
                return False
            self.current = new  # the atomic swap
            self._failed_version = None
            logger.info(
                "serving catalogue %s of %s (%d creators, was %s) loaded in %.1fs",
                version,
                folder,
                new.model.catalogue_size,
                served.default.pipeline.catalogue_version,
                time.perf_counter() - t0,
            )
            return True
        finally:
            self._reload_lock.release()

    def _watch_loop(self) -> None:
        while not self._stop.wait(self.config.catalogue_poll_s):
            try:
                self.check_catalogue()
            except Exception:  # noqa: BLE001 - the watch must outlive any one failure
                logger.exception("catalogue watch failed; trying again at the next poll")

    def stop(self) -> None:
        self._stop.set()
