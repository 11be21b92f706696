"""What the service is serving, and how it changes: resolve, load, warm up, swap.

Glue only (no feature logic): ``matcher.lifecycle.registry.resolve_pipeline`` resolves a reference to a
``MatchPipeline``; ``matcher.online.experiments.ExperimentRouter`` chooses between models per brief.
A reload builds a complete new ``Served`` (models loaded and warmed up) before one attribute
assignment swaps it in; a request reads ``holder.current`` once and keeps that snapshot, so no
request sees half a reload and none is dropped.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matcher.config import ServingConfig
from matcher.ranking.embeddings import MemoryCache
from matcher.ranking.pipeline import MatchPipeline
from matcher.schemas import Brief, Match, ModelInfo

logger = logging.getLogger(__name__)

Loaded = tuple[MatchPipeline, dict[str, Any]]
WARM_UP_BRIEF = Brief(text="warm-up brief: fitness and healthy food creators for a product launch")


class ReloadInProgressError(RuntimeError):
    """Another reload is building a model right now."""


class NoExperimentError(ValueError):
    """``force_variant`` named a variant that no running experiment has."""


def resolve(ref: str, fallback_dir: str | None) -> Loaded:
    """``matcher.lifecycle.registry.resolve_pipeline``: the registry, with the exported copy as fallback."""
    from matcher.lifecycle.registry import resolve_pipeline

    return resolve_pipeline(ref, fallback_dir=fallback_dir)


def quiet_encoder(pipe: MatchPipeline, brief_cache: int = 0) -> MatchPipeline:
    """Per-request settings for the encoder: no progress bar, and no on-disk embedding cache
    (it would write a new shard file for every unseen brief; the catalogue is precomputed);
    instead an in-memory LRU of ``brief_cache`` brief vectors (0 = none)."""
    enc: Any = pipe.encoder
    if hasattr(enc, "show_progress"):
        enc.show_progress = False
    if hasattr(enc, "cache"):
        enc.cache = MemoryCache(enc.dim, brief_cache) if brief_cache > 0 else None
    return pipe


def set_torch_threads(n: int) -> None:
    """Intra-op threads of torch (process-wide), when the encoder uses torch; 0 = leave alone.
    On 2 shared cores, 2 threads made one brief's embedding ~10x slower than 1 (spin-waits)."""
    if n > 0 and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def warm_up(pipe: MatchPipeline) -> None:
    """Load lazily loaded weights (the sentence-transformer) before taking traffic."""
    pipe.recommend(WARM_UP_BRIEF.model_copy(update={"min_followers": 0, "max_followers": 10**12}), k=1)


def _flat_metrics(metrics: Any, prefix: str = "") -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    if not isinstance(metrics, dict):
        return out
    for key, v in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(v, dict):
            out.update(_flat_metrics(v, name + "."))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[name] = float(v) if math.isfinite(v) else None
        elif v is None:
            out[name] = None
    return out


def model_info(pipe: MatchPipeline, info: dict[str, Any], ref: str) -> ModelInfo:
    meta = pipe.metadata
    version = info.get("version") or meta.get("version") or meta.get("model_version")
    if version in (None, ""):
        version = Path(str(info.get("path") or ref)).name or ref
    enc = pipe.encoder.spec()
    return ModelInfo(
        name=str(info.get("name") or meta.get("model_name") or "matcher"),
        version=str(version),
        alias=info.get("alias"),
        ref=ref,
        source=None if info.get("source") is None else str(info["source"]),
        fallback_reason=info.get("fallback_reason"),
        run_id=info.get("run_id"),
        trained_at=str(info.get("trained_at") or meta.get("trained_at") or "") or None,
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        metrics=_flat_metrics(info.get("metrics") or meta.get("test_metrics") or {}),
        catalogue_size=len(pipe.catalogue),
        catalogue_snapshot=pipe.catalogue.snapshot_at.isoformat(),
        encoder=f"{enc.get('name')} ({enc.get('dim')}-d)",
    )


@dataclass
class Answer:
    matches: list[Match]
    n_candidates: int
    reason: str | None
    model_version: str
    experiment: str | None = None
    variant: str | None = None
    sources: list[str] | None = None


@dataclass(frozen=True)
class Served:
    """One immutable snapshot: the default model, its info, and the experiment router."""

    pipeline: MatchPipeline
    info: dict[str, Any]
    model: ModelInfo
    router: Any = None  # matcher.online.experiments.ExperimentRouter | None

    def recommend(self, brief: Brief, k: int, force_variant: str | None = None) -> Answer:
        if self.router is None or not self.router.loaded_variants:
            if force_variant is not None:
                raise NoExperimentError(f"force_variant {force_variant!r}: no experiment is running")
            rec = self.pipeline.recommend(brief, k)
            return Answer(rec.matches, rec.n_candidates, rec.reason, self.model.version)
        try:
            r = self.router.route(brief, k, (self.pipeline, {**self.info, "version": self.model.version}),
                                  force_variant=force_variant)
        except ValueError as e:
            if force_variant is not None:
                raise NoExperimentError(f"force_variant: {e}") from e
            raise
        return Answer(r.matches, r.n_candidates, r.reason, r.model_version, r.experiment, r.variant,
                      r.sources)

    def recommend_batch(self, briefs: list[Brief], k: int) -> list[Answer]:
        if self.router is None or not self.router.loaded_variants:
            return [Answer(r.matches, r.n_candidates, r.reason, self.model.version)
                    for r in self.pipeline.recommend_batch(briefs, k)]
        return [self.recommend(b, k) for b in briefs]


def build(config: ServingConfig, ref: str | None = None) -> Served:
    """Resolve, load and warm up the default model and the experiment's models. The exported
    fallback copy is used only for the configured ref: an explicit ``ref`` loads exactly that."""
    pipe, info = resolve(ref or config.model, None if ref else config.fallback_dir)
    ref = ref or config.model
    quiet_encoder(pipe, config.brief_cache)
    warm_up(pipe)  # loads torch when the encoder needs it
    set_torch_threads(config.torch_threads)
    mi = model_info(pipe, info, ref)
    router = None
    if config.experiment:
        from matcher.online.experiments import ExperimentRouter, load_experiment

        exp = load_experiment(config.experiment)

        def load_variant(vref: str) -> Loaded:
            if vref in (ref, mi.version, f"models:/{mi.name}/{mi.version}"):
                return pipe, {**info, "version": mi.version}
            vpipe, vinfo = resolve(vref, None)  # a variant never silently falls back to the champion
            warm_up(quiet_encoder(vpipe, config.brief_cache))
            return vpipe, {**vinfo, "version": model_info(vpipe, vinfo, vref).version}

        router = ExperimentRouter(exp, load_variant)
        mi = mi.model_copy(update={"experiment": exp.name, "variants": router.loaded_variants})
    return Served(pipe, info, mi, router)


class ModelHolder:
    """Holds the current ``Served``; ``load`` swaps a fully built new one in (reloads are
    serialised, requests never wait for them)."""

    def __init__(self, config: ServingConfig, builder: Callable[[ServingConfig, str | None], Served] = build) -> None:
        self.config = config
        self.current: Served | None = None
        self.error: str | None = None
        self._builder = builder
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._retry: threading.Thread | None = None

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
            logger.info("serving model %s version %s (%s, %d creators) loaded in %.1fs", new.model.name,
                        new.model.version, new.model.source or "?", new.model.catalogue_size,
                        time.perf_counter() - t0)
            return previous, new
        finally:
            self._reload_lock.release()

    def start(self) -> None:
        """Initial load; on failure log one clear line, stay not ready, and retry in the background."""
        try:
            self.load()
        except Exception as e:  # noqa: BLE001 - any failure means "not ready", with the reason
            self.error = f"{type(e).__name__}: {e}"
            logger.error("NOT READY: no model could be loaded (model=%r, fallback=%r): %s",
                         self.config.model, self.config.fallback_dir, self.error)
            if self.config.retry_seconds > 0:
                self._retry = threading.Thread(target=self._retry_loop, name="model-retry", daemon=True)
                self._retry.start()

    def _retry_loop(self) -> None:
        while self.current is None and not self._stop.wait(self.config.retry_seconds):
            try:
                self.load()
            except Exception as e:  # noqa: BLE001
                self.error = f"{type(e).__name__}: {e}"
                logger.error("NOT READY: model load retry failed: %s", self.error)

    def stop(self) -> None:
        self._stop.set()
