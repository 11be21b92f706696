"""The audience-overlap model: what the catalogue knows about whom each creator reaches.

Public data only (no hidden truth): a creator's audience is spread over **cells**
(platform, interest topic, audience country):

- platform: its own (people on different platforms are counted as different people);
- interest topics: its ``top`` IAB Content Taxonomy topics (``Catalogue.topic_idx``, zero-shot
  from its bio and posts), weighted by ``max(cosine - floor, 0)`` and normalised;
- countries: its audience-country estimates (normalised), else its own country, else an
  "unknown" bucket.

Its mass in a cell is ``followers x topic weight x country share``. A cell's size is
``N = max(sum of the catalogue's masses in it / kappa, biggest mass / 0.9)``: ``kappa`` is how
many creators of the catalogue an average member of a community follows (tuned on the seed-3
market only, ``KAPPA``). A member follows creator i with probability ``p = mass / N``; the
objective (``planning.objective.Coverage``) multiplies it by what a member is worth for the goal:

- reach: the creator's estimated share of the brief's target ages x target gender (catalogue
  estimates; the catalogue mean when unknown), cells outside the brief's target countries
  dropped (the unknown bucket kept: such creators passed the country filter on their own country);
- engagements: the expected engagement rate (per follower) of the engagement model, so one
  creator alone is worth its expected engagements.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.ranking.catalogue import Catalogue

KAPPA = (
    2.0  # tuned on the seed-3 market (benchmarks/plan_eval.py --seed 3), never on the report seed
)
TOPIC_FLOOR = 0.2
P_MAX = 0.9
_N_COUNTRY = len(S.COUNTRIES) + 1  # + unknown
_CACHE: dict[
    int, tuple[weakref.ref[Catalogue], AudienceModel]
] = {}  # id(catalogue) -> (its ref, model)


@dataclass
class Cells:
    """Each creator's cells (``keys``, -1 = none) and masses, (n, slots)."""

    keys: NDArray[np.int64]
    mass: NDArray[np.float64]


class AudienceModel:
    def __init__(self, cat: Catalogue, kappa: float = KAPPA) -> None:
        if cat.topic_idx is None or cat.topic_score is None:
            raise ValueError(
                "the catalogue has no interest topics (build it through MatchPipeline)"
            )
        if not kappa > 0:
            raise ValueError(f"kappa must be positive, got {kappa}")
        self.cat, self.kappa = cat, float(kappa)
        self.cells = self._cells(np.arange(len(cat)))
        ok = self.cells.keys >= 0
        keys, inv = np.unique(self.cells.keys[ok], return_inverse=True)
        total = np.bincount(inv, weights=self.cells.mass[ok], minlength=len(keys))
        biggest = np.zeros(len(keys))
        np.maximum.at(biggest, inv, self.cells.mass[ok])
        self.keys = keys
        self.size = np.maximum(total / self.kappa, biggest / P_MAX)
        ages, female = cat.aud_ages, cat.aud_female
        self.mean_ages = (
            np.nan_to_num(np.nanmean(ages, axis=0), nan=1.0 / len(S.AGE_BUCKETS))
            if np.isfinite(ages).any()
            else np.full(len(S.AGE_BUCKETS), 1.0 / len(S.AGE_BUCKETS))
        )
        self.mean_female = float(np.nanmean(female)) if np.isfinite(female).any() else 0.5

    @classmethod
    def for_catalogue(cls, cat: Catalogue, kappa: float = KAPPA) -> AudienceModel:
        """One model per catalogue object, built on first use (the sizes need the whole catalogue)."""
        hit = _CACHE.get(id(cat))
        if hit is not None and hit[0]() is cat and hit[1].kappa == kappa:
            return hit[1]
        m = cls(cat, kappa)
        for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:  # catalogues gone
            del _CACHE[k]
        _CACHE[id(cat)] = (weakref.ref(cat), m)
        return m

    def _cells(self, rows: NDArray[np.int64]) -> Cells:
        cat = self.cat
        n_topics = int(cat.topic_idx.max()) + 1 if cat.topic_idx.size else 1  # type: ignore[union-attr]
        tw = np.maximum(cat.topic_score[rows].astype(np.float64) - TOPIC_FLOOR, 0.0)  # type: ignore[index]
        none = tw.sum(1) == 0
        tw[none, 0] = 1.0
        tw /= tw.sum(1, keepdims=True)
        ti = cat.topic_idx[rows].astype(np.int64)  # type: ignore[index]
        ac = cat.aud_countries[rows].astype(np.float64)
        known = np.isfinite(ac).all(1) & (np.nan_to_num(ac).sum(1) > 0)
        cs = np.zeros((len(rows), _N_COUNTRY))
        cs[known, :-1] = ac[known] / ac[known].sum(1, keepdims=True)
        cidx = {c: i for i, c in enumerate(S.COUNTRIES)}
        for j in np.flatnonzero(~known):
            cs[j, cidx.get(str(cat.countries[rows[j]]), _N_COUNTRY - 1)] = 1.0
        plat = {p: i for i, p in enumerate(S.PLATFORMS)}
        pi = np.array([plat.get(str(p), 0) for p in cat.platforms[rows]], dtype=np.int64)
        # key = ((platform * n_topics) + topic) * n_country + country, for every (topic, country) pair
        base = (pi[:, None] * max(n_topics, 1) + ti)[:, :, None] * _N_COUNTRY + np.arange(
            _N_COUNTRY
        )[None, None, :]
        mass = cat.followers[rows][:, None, None] * tw[:, :, None] * cs[:, None, :]
        keys = np.where(mass > 0, base, -1).reshape(len(rows), -1)
        return Cells(keys, mass.reshape(len(rows), -1))

    def target_share(self, rows: NDArray[np.int64], brief: S.Brief) -> NDArray[np.float64]:
        """Estimated share of each creator's audience in the brief's target ages x gender."""
        share = np.ones(len(rows))
        if brief.target_ages:
            ages = self.cat.aud_ages[rows].astype(np.float64)
            ages = np.where(np.isfinite(ages).all(1, keepdims=True), ages, self.mean_ages)
            cols = [S.AGE_BUCKETS.index(a) for a in brief.target_ages]
            share *= ages[:, cols].sum(1)
        if brief.target_gender in ("female", "male"):
            f = np.nan_to_num(self.cat.aud_female[rows].astype(np.float64), nan=self.mean_female)
            share *= f if brief.target_gender == "female" else 1.0 - f
        return np.clip(share, 0.0, 1.0)

    def coverage(
        self,
        rows: NDArray[np.int64],
        brief: S.Brief,
        goal: str,
        engagement_rate: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(sizes, probs)`` for ``planning.objective.Coverage`` over the cells these creators touch."""
        parts = self.parts(rows, brief, goal, engagement_rate)
        return parts.sizes, parts.probs()

    def parts(
        self,
        rows: NDArray[np.int64],
        brief: S.Brief,
        goal: str,
        engagement_rate: NDArray[np.float64] | None = None,
    ) -> CoverageParts:
        """The pieces of the coverage, so uncertainty draws can perturb them cheaply."""
        c = self._cells(np.asarray(rows, dtype=np.int64))
        keys, mass = c.keys, c.mass
        if goal == "reach":
            weight = self.target_share(rows, brief)
            if brief.target_countries:
                allowed = np.zeros(_N_COUNTRY, dtype=bool)
                allowed[
                    [S.COUNTRIES.index(x) for x in brief.target_countries if x in S.COUNTRIES]
                ] = True
                allowed[-1] = True
                keys = np.where(allowed[np.maximum(keys, 0) % _N_COUNTRY], keys, -1)
        elif goal == "engagements":
            if engagement_rate is None:
                raise ValueError("engagements need the expected engagement rate of each creator")
            weight = np.clip(np.asarray(engagement_rate, dtype=np.float64), 0.0, 1.0)
        else:
            raise ValueError(f"coverage is for reach or engagements, got goal {goal!r}")
        ok = keys >= 0
        used, col = np.unique(keys[ok], return_inverse=True)
        pos = np.clip(np.searchsorted(self.keys, used), 0, max(len(self.keys) - 1, 0))
        found = self.keys[pos] == used if len(self.keys) else np.zeros(len(used), dtype=bool)
        m = np.zeros((len(rows), len(used)))
        np.add.at(m, (np.nonzero(ok)[0], col), mass[ok])
        # a creator outside the catalogue the sizes came from: its cell is as big as its mass
        sizes = np.where(
            found, self.size[pos] if len(self.keys) else 0.0, np.maximum(m.max(0) / P_MAX, 1.0)
        )
        return CoverageParts(sizes, m / np.maximum(sizes, 1e-9), weight)


@dataclass
class CoverageParts:
    sizes: NDArray[np.float64]  # (m,) cell sizes
    ratio: NDArray[np.float64]  # (n, m) mass / size, before the cap
    weight: NDArray[np.float64]  # (n,) what a reached member is worth for the goal

    def probs(
        self,
        kappa_scale: float = 1.0,
        mass_scale: NDArray[np.float64] | None = None,
        weight: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """``p = min(mass x mass_scale x kappa_scale / size, 0.9) x weight``. ``kappa_scale`` scales
        the community density kappa, so the sizes to use with it are ``sizes / kappa_scale``."""
        r = self.ratio if mass_scale is None else self.ratio * np.asarray(mass_scale)[:, None]
        w = self.weight if weight is None else np.asarray(weight)
        return np.clip(r * kappa_scale, 0.0, P_MAX) * w[:, None]
