"""Online experiments: the experiment config, sticky assignment and the router the service calls.

Assignment is deterministic: ``sha256(salt, unit)`` maps a unit to [0, 1), and the variants'
cumulative traffic shares (in config order) cut that interval. The unit is the brief's
``brand_id``, so a brand sees one variant for the whole experiment and no state is stored.
Briefs without ``brand_id`` are hashed on their text (``text:<sha256>``): the same brief text
always lands in the same arm, but one anonymous brand's different briefs may not. The salt
(default: the experiment name) makes assignments of two experiments independent.

Interleaving mode merges the two variants' rankings per request with team-draft interleaving
(Radlinski, Kurup & Joachims, CIKM 2008); ``Routed.sources`` records the team per position so
``matcher.online.analysis`` can credit feedback to the team that placed each creator.

The router works on ``matcher.lifecycle.loaded.LoadedModel`` (a pipeline and its ``ModelInfo``),
handed in by the caller's loader, and answers with ``Routed``: the pipeline's ``Recommendation``
plus the model version, experiment, variant and interleaving teams.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.ranking.budget import check
from matcher.ranking.pipeline import Recommendation
from matcher.schemas import Brief

if TYPE_CHECKING:
    from matcher.lifecycle.loaded import LoadedModel

logger = logging.getLogger(__name__)

INTERLEAVED = "interleaved"
_SHARE_TOL = 1e-6


class ExperimentConfig(BaseModel):
    """One online experiment (``serving/experiments/*.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    mode: Literal["ab", "interleave"] = "ab"
    variants: dict[str, str] = Field(
        description="Variant name -> model ref (alias, version or model dir). "
        "The first variant is the control."
    )
    traffic: dict[str, float] = Field(
        default_factory=dict,
        description="Variant -> share of brands; sums to 1. Default: equal. "
        "Unused in interleave mode (every request is interleaved).",
    )
    start: datetime | None = None
    stop: datetime | None = None
    forced: dict[str, str] = Field(default_factory=dict, description="brand_id -> variant (QA).")
    salt: str | None = Field(default=None, description="Hash salt; default the experiment name.")
    description: str | None = None

    @field_validator("start", "stop")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        """Naive datetimes are read as UTC."""
        return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if len(self.variants) < 2:
            raise ValueError("an experiment needs at least two variants")
        if INTERLEAVED in self.variants:
            raise ValueError(f"{INTERLEAVED!r} is reserved and cannot name a variant")
        if self.mode == "interleave" and len(self.variants) != 2:
            raise ValueError("interleave mode compares exactly two variants")
        if not self.traffic:
            self.traffic = {v: 1.0 / len(self.variants) for v in self.variants}
        if set(self.traffic) != set(self.variants):
            raise ValueError(
                f"traffic names {sorted(self.traffic)} must match variants {sorted(self.variants)}"
            )
        if any(not (0.0 <= s <= 1.0) for s in self.traffic.values()):
            raise ValueError(f"traffic shares must be in [0, 1], got {self.traffic}")
        if abs(sum(self.traffic.values()) - 1.0) > _SHARE_TOL:
            raise ValueError(f"traffic shares must sum to 1, got {sum(self.traffic.values()):.6f}")
        allowed = set(self.variants) | ({INTERLEAVED} if self.mode == "interleave" else set())
        bad = {b: v for b, v in self.forced.items() if v not in allowed}
        if bad:
            raise ValueError(f"forced brands point to unknown variants: {bad}")
        if self.start and self.stop and self.start >= self.stop:
            raise ValueError("start must be before stop")
        return self

    @property
    def control(self) -> str:
        return next(iter(self.variants))

    @property
    def hash_salt(self) -> str:
        return self.salt or self.name

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return (self.start is None or now >= self.start) and (self.stop is None or now < self.stop)

    def is_over(self, now: datetime | None = None) -> bool:
        return self.stop is not None and (now or datetime.now(UTC)) >= self.stop


def load_experiment(path: str | Path) -> ExperimentConfig:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"experiment config {p} does not exist")
    return ExperimentConfig.model_validate(yaml.safe_load(p.read_text()) or {})


# --------------------------------------------------------------------------- assignment
def assignment_unit(brief: Brief) -> str:
    """The brand id, else a hash of the brief text (see module docstring)."""
    if brief.brand_id:
        return brief.brand_id
    return "text:" + hashlib.sha256(brief.text.encode()).hexdigest()


def bucket(salt: str, unit: str) -> float:
    """Uniform in [0, 1), a pure function of (salt, unit)."""
    digest = hashlib.sha256(f"{salt}\x1f{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(config: ExperimentConfig, unit: str) -> str:
    """The unit's variant: forced brands first, then the hash bucket over cumulative shares."""
    if unit in config.forced:
        return config.forced[unit]
    u = bucket(config.hash_salt, unit)
    acc = 0.0
    names = list(config.variants)
    for name in names:
        acc += config.traffic[name]
        if u < acc:
            return name
    return next(n for n in reversed(names) if config.traffic[n] > 0)  # float rounding at the top


# --------------------------------------------------------------------------- interleaving
def team_draft_interleave(
    ranking_a: Sequence[str],
    ranking_b: Sequence[str],
    k: int,
    rng: np.random.Generator,
    teams: tuple[str, str] = ("A", "B"),
) -> tuple[list[str], list[str]]:
    """Team-draft interleaving of two rankings into at most ``k`` distinct items.

    Each round, the team with fewer picks (a coin flip on ties) adds its highest-ranked item
    not yet in the list; an item both rankings hold belongs to the team that placed it first.
    When one ranking runs out the other fills the list. Returns (items, team per position).
    """
    lists = (list(ranking_a), list(ranking_b))
    ptr = [0, 0]
    picks = [0, 0]
    seen: set[str] = set()
    items: list[str] = []
    sources: list[str] = []

    def next_item(t: int) -> str | None:
        lst = lists[t]
        while ptr[t] < len(lst) and lst[ptr[t]] in seen:
            ptr[t] += 1
        return lst[ptr[t]] if ptr[t] < len(lst) else None

    while len(items) < k:
        avail = [next_item(0), next_item(1)]
        if avail[0] is None and avail[1] is None:
            break
        if avail[0] is None or avail[1] is None:
            t = 0 if avail[0] is not None else 1
        elif picks[0] != picks[1]:
            t = 0 if picks[0] < picks[1] else 1
        else:
            t = int(rng.integers(2))
        item = avail[t]
        assert item is not None
        seen.add(item)
        items.append(item)
        sources.append(teams[t])
        picks[t] += 1
    return items, sources


# --------------------------------------------------------------------------- router
@dataclass(kw_only=True)
class Routed(Recommendation):
    """A recommendation and where it came from: the answer the service returns and logs."""

    model_version: str
    experiment: str | None = None
    variant: str | None = None
    sources: list[str] | None = None  # team per position when interleaving

    @classmethod
    def of(
        cls,
        rec: Recommendation,
        model_version: str,
        experiment: str | None = None,
        variant: str | None = None,
    ) -> Routed:
        return cls(
            rec.matches,
            rec.n_candidates,
            rec.reason,
            model_version=model_version,
            experiment=experiment,
            variant=variant,
        )


Loader = Callable[[str], "LoadedModel"]


class ExperimentRouter:
    """Chooses the model(s) for each request. Built once at service start-up.

    Only the experiment's models are loaded (once, here; a ref shared by two variants is
    loaded once). After ``stop`` they are released and every request gets the default model.
    Raises ``ValueError`` in ``route`` for a ``force_variant`` the experiment does not have.
    """

    def __init__(
        self, config: ExperimentConfig | None, load: Loader, seed: int | None = None
    ) -> None:
        self.config = config
        self._models: dict[str, LoadedModel] = {}
        self._rng = np.random.default_rng(seed if seed is not None else secrets.randbits(64))
        self._lock = threading.Lock()
        if config is None:
            return
        if config.is_over():
            logger.warning(
                "experiment %s stopped at %s: serving the default model only",
                config.name,
                config.stop,
            )
            return
        by_ref: dict[str, LoadedModel] = {}
        for name, ref in config.variants.items():
            if ref not in by_ref:
                logger.info("experiment %s: loading %s for variant %s", config.name, ref, name)
                by_ref[ref] = load(ref)
            self._models[name] = by_ref[ref]

    @property
    def loaded_variants(self) -> list[str]:
        return list(self._models)

    def variant_for(self, brief: Brief, now: datetime | None = None) -> str | None:
        """The variant this brief would get now (``None``: no experiment running)."""
        cfg = self.config
        if cfg is None or not self._models or not cfg.is_active(now):
            return None
        if cfg.mode == "interleave":
            unit = assignment_unit(brief)
            return cfg.forced.get(unit, INTERLEAVED)
        return assign(cfg, assignment_unit(brief))

    def route(
        self,
        brief: Brief,
        k: int,
        default: LoadedModel,
        force_variant: str | None = None,
        *,
        deadline: float | None = None,
    ) -> Routed:
        """The answer for one brief. ``deadline`` (``time.monotonic()``) is passed to the pipeline(s):
        past it ``matcher.ranking.budget.DeadlineExceeded`` is raised naming the stage reached."""
        cfg = self.config
        if cfg is not None and self._models and cfg.is_over():
            logger.info("experiment %s is over: releasing its models", cfg.name)
            self._models = {}
        if force_variant is not None:
            allowed = set(self._models) | (
                {INTERLEAVED} if cfg and cfg.mode == "interleave" else set()
            )
            if force_variant not in allowed or not self._models:
                raise ValueError(
                    f"variant {force_variant!r} is not part of a running experiment "
                    f"(have {sorted(allowed) if self._models else []})"
                )
            variant: str | None = force_variant
        else:
            variant = self.variant_for(brief)
        if variant is None or cfg is None:
            return Routed.of(_recommend(default.pipeline, brief, k, deadline), default.info.version)
        if variant == INTERLEAVED:
            return self._interleave(brief, k, deadline)
        model = self._models[variant]
        return Routed.of(
            _recommend(model.pipeline, brief, k, deadline), model.info.version, cfg.name, variant
        )

    # the agreed name for the service (same call as ``route``)
    recommend = route

    def route_batch(
        self, briefs: list[Brief], k: int, default: LoadedModel, *, deadline: float | None = None
    ) -> list[Routed]:
        """``route`` for each brief in order, under one ``deadline`` for the whole batch."""
        out = []
        for b in briefs:
            check(deadline, "batch")
            out.append(self.route(b, k, default, deadline=deadline))
        return out

    recommend_batch = route_batch

    def _interleave(self, brief: Brief, k: int, deadline: float | None = None) -> Routed:
        assert self.config is not None
        (name_a, a), (name_b, b) = list(self._models.items())
        ra, rb = (
            _recommend(a.pipeline, brief, k, deadline),
            _recommend(b.pipeline, brief, k, deadline),
        )
        by_team = {
            name_a: {m.influencer_id: m for m in ra.matches},
            name_b: {m.influencer_id: m for m in rb.matches},
        }
        with self._lock:  # numpy Generators are not thread-safe
            rng = np.random.default_rng(self._rng.integers(2**63))
        items, sources = team_draft_interleave(
            [m.influencer_id for m in ra.matches],
            [m.influencer_id for m in rb.matches],
            k,
            rng,
            (name_a, name_b),
        )
        matches = [
            by_team[t][i].model_copy(update={"rank": pos})
            for pos, (i, t) in enumerate(zip(items, sources, strict=True), start=1)
        ]
        reason = None if matches else (ra.reason or rb.reason)
        return Routed(
            matches,
            max(ra.n_candidates, rb.n_candidates),
            reason,
            model_version=f"{a.info.version}+{b.info.version}",
            experiment=self.config.name,
            variant=INTERLEAVED,
            sources=sources,
        )


def _recommend(pipeline: Any, brief: Brief, k: int, deadline: float | None) -> Recommendation:
    """``pipeline.recommend`` with the deadline (a pipeline-like object without a ``deadline``
    keyword, e.g. a test double or a memoising wrapper, is called without one when there is none)."""
    check(deadline, "routing")
    if deadline is None:
        return pipeline.recommend(brief, k)
    return pipeline.recommend(brief, k, deadline=deadline)
