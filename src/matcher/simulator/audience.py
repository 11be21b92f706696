"""The hidden audience-overlap truth of a simulated market (issue 11, the campaign planner).

Generative story: on each platform, people belong to **communities**, one per (niche, country).
A creator's authentic followers (``followers x (1 - fake severity)``) are drawn from the
communities of its hidden niche mixture ``w`` and true audience countries ``ac``: its mass in
community (p, n, k) is ``m = followers x (1 - fake) x w_n x ac_k / sum(ac)`` (on its own platform
only). Each community has a hidden density ``kappa`` (how many of the market's creators in that
community an average member follows: lognormal around 2.5, clipped to [1.2, 8]), so its size is
``N = max(sum of m over the market's creators / kappa, max m / 0.9)`` and a member follows
creator i with probability ``p_i = m_i / N``, independently across creators.

The true value of a set S of hired creators for a brief is a **probabilistic coverage**::

    value(S) = sum over communities c of N_c x (1 - prod_{i in S} (1 - a_i p_ic))

- reach: the people of the brief's target reached at least once: communities in the brief's
  target countries only (all when none), ``a_i`` = the creator's true share of the targeted
  ages x the targeted gender (1 when not targeted);
- engagements: people who engage at least once: ``a_i`` = the creator's true per-authentic-follower
  engagement probability of a sponsored post for this brief (the outcome model's
  ``followers x true ER x 0.75 x (0.5 + 0.8 fit) x (0.6 + 0.4 audience)`` divided by its
  authentic followers), so one creator alone is worth exactly its expected engagements;
- accepts: no overlap, ``sum_i P(accept | contacted)`` from the outcome model (the Gaussian noise
  integrated with the probit approximation of a logistic-normal mean).

Randomness: the densities come from ``np.random.default_rng([seed, 11])``, a stream of its own,
so every table the simulator wrote before this module existed is byte-identical. Saved as
``truth/audience.parquet`` (one row per community with a creator: platform, niche, country,
kappa, size) and ``truth/audience.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.simulator.params import SPONSORED_ER
from matcher.simulator.truth import Truth

GOALS: tuple[str, ...] = ("engagements", "reach", "accepts")
AUDIENCE_PARAMS = {
    "kappa_median": 2.5,
    "kappa_sd": 0.5,
    "kappa_min": 1.2,
    "kappa_max": 8.0,
    "p_max": 0.9,
}
RNG_STREAM = 11  # np.random.default_rng([seed, RNG_STREAM])


class AudienceTruth:
    """Communities and each creator's follower mass in them, over a market's ``Truth``."""

    def __init__(
        self, truth: Truth, kappa: NDArray[np.float64], params: dict[str, float] | None = None
    ) -> None:
        self.truth = truth
        self.params = dict(params or AUDIENCE_PARAMS)
        c = truth.creators
        self.niches = truth.niches
        n_p, n_n, n_k = len(S.PLATFORMS), len(self.niches), len(S.COUNTRIES)
        self.shape = (n_p, n_n, n_k)
        if kappa.shape != self.shape:
            raise ValueError(f"kappa must have shape {self.shape}, got {kappa.shape}")
        self.kappa = kappa.astype(np.float64)
        w = c[[f"w_{n}" for n in self.niches]].to_numpy(np.float64)
        ac = c[[f"ac_{x}" for x in S.COUNTRIES]].to_numpy(np.float64)
        ac = ac / np.maximum(ac.sum(1, keepdims=True), 1e-12)
        self.authentic = c["followers"].to_numpy(np.float64) * (
            1.0 - c["fake_severity"].to_numpy(np.float64)
        )
        plat = {p: i for i, p in enumerate(S.PLATFORMS)}
        self.platform = np.array([plat[str(p)] for p in c["platform"]], dtype=np.int64)
        # mass[i] over (niche, country) of the creator's own platform
        self.mass = (w[:, :, None] * ac[:, None, :]) * self.authentic[:, None, None]
        total = np.zeros(self.shape)
        biggest = np.zeros(self.shape)
        for p in range(n_p):
            on = self.platform == p
            if on.any():
                total[p] = self.mass[on].sum(0)
                biggest[p] = self.mass[on].max(0)
        self.size = np.maximum(total / self.kappa, biggest / self.params["p_max"])

    # ----------------------------------------------------------------- construction and io
    @classmethod
    def build(cls, truth: Truth, seed: int) -> AudienceTruth:
        """Draw the hidden community densities from their own stream (``[seed, 11]``)."""
        rng = np.random.default_rng([int(seed), RNG_STREAM])
        shape = (len(S.PLATFORMS), len(truth.niches), len(S.COUNTRIES))
        p = AUDIENCE_PARAMS
        kappa = np.clip(
            p["kappa_median"] * np.exp(p["kappa_sd"] * rng.standard_normal(shape)),
            p["kappa_min"],
            p["kappa_max"],
        )
        return cls(truth, kappa)

    def save(self, out_dir: str | Path) -> None:
        d = Path(out_dir) / "truth"
        d.mkdir(parents=True, exist_ok=True)
        idx = np.argwhere(self.size > 0)
        pd.DataFrame(
            {
                "platform": [S.PLATFORMS[i] for i in idx[:, 0]],
                "niche": [self.niches[i] for i in idx[:, 1]],
                "country": [S.COUNTRIES[i] for i in idx[:, 2]],
                "kappa": self.kappa[tuple(idx.T)],
                "size": self.size[tuple(idx.T)],
            }
        ).to_parquet(d / "audience.parquet", index=False)
        (d / "audience.json").write_text(
            json.dumps({"params": self.params, "rng_stream": RNG_STREAM}, indent=1)
        )

    @classmethod
    def from_dir(cls, data_dir: str | Path, truth: Truth | None = None) -> AudienceTruth:
        """Read ``truth/audience.parquet``; a market written before it existed gets it rebuilt
        from its seed (``market.json``): the same draw ``simulate_market`` makes."""
        d = Path(data_dir)
        truth = truth or Truth.from_dir(d)
        f = d / "truth" / "audience.parquet"
        if not f.exists():
            seed = json.loads((d / "market.json").read_text())["config"]["seed"]
            return cls.build(truth, seed)
        df = pd.read_parquet(f)
        kappa = np.full(
            (len(S.PLATFORMS), len(truth.niches), len(S.COUNTRIES)), AUDIENCE_PARAMS["kappa_median"]
        )
        pi = {p: i for i, p in enumerate(S.PLATFORMS)}
        ni = {n: i for i, n in enumerate(truth.niches)}
        ci = {c: i for i, c in enumerate(S.COUNTRIES)}
        kappa[
            [pi[x] for x in df["platform"]],
            [ni[x] for x in df["niche"]],
            [ci[x] for x in df["country"]],
        ] = df["kappa"]
        params = json.loads((d / "truth" / "audience.json").read_text())["params"]
        return cls(truth, kappa, params)

    # ----------------------------------------------------------------- the set function
    def coverage(
        self, brief_id: str, influencer_ids: Sequence[str], goal: str
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(sizes, probs)``: community sizes ``N`` (m,) and each creator's probability of
        reaching (``reach``) or engaging (``engagements``) a member of each (n, m), over the
        communities the creators touch; ``value = sum N (1 - prod (1 - probs))``."""
        if goal not in ("reach", "engagements"):
            raise ValueError(f"goal must be reach or engagements for coverage, got {goal!r}")
        r = self.truth.rows([str(i) for i in influencer_ids])
        b = self.truth._brief(brief_id)
        n_p, n_n, n_k = self.shape
        p = np.zeros((len(r), n_p, n_n, n_k))
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, i in enumerate(r):
                pl = self.platform[i]
                p[j, pl] = np.where(self.size[pl] > 0, self.mass[i] / self.size[pl], 0.0)
        if goal == "reach":
            a = self._target_share(r, b)
            if b["target_countries"]:
                keep = np.isin(np.array(S.COUNTRIES), b["target_countries"])
                p[:, :, :, ~keep] = 0.0
        else:
            a = self._engage_prob(brief_id, influencer_ids, r)
        probs = (p * a[:, None, None, None]).reshape(len(r), -1)
        used = probs.sum(0) > 0
        return self.size.reshape(-1)[used], probs[:, used]

    def _target_share(self, r: NDArray[np.int64], b: dict) -> NDArray[np.float64]:
        t = self.truth
        share = np.ones(len(r))
        if b["target_ages"]:
            share *= t._aud_a[r][:, [t._aidx[a] for a in b["target_ages"]]].sum(1)
        if b["target_gender"] in ("female", "male"):
            share *= t._female[r] if b["target_gender"] == "female" else 1 - t._female[r]
        return np.clip(share, 0.0, 1.0)

    def _engage_prob(
        self, brief_id: str, ids: Sequence[str], r: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        c = self.truth.components(brief_id, [str(i) for i in ids])
        eng = (
            c["followers"]
            * c["true_er"]
            * SPONSORED_ER
            * (0.5 + 0.8 * c["fit"])
            * (0.6 + 0.4 * c["audience"])
        )
        return np.clip(eng / np.maximum(self.authentic[r], 1.0), 0.0, 1.0)

    def accept_probability(
        self, brief_id: str, influencer_ids: Sequence[str]
    ) -> NDArray[np.float64]:
        """P(accepted | contacted) of each creator for the brief (the outcome model, noise integrated)."""
        o = self.truth.params["outcome"]
        c = self.truth.components(brief_id, [str(i) for i in influencer_ids])
        mu = (
            o["accept_b"]
            + o["accept_fit"] * (c["fit"] - 0.5)
            + o["accept_q"] * c["quality"]
            + o["accept_fake"] * c["fake_severity"]
            + o["accept_size"] * (np.log10(np.maximum(c["followers"], 1)) - 4)
            - o["accept_over"] * np.clip(np.log(c["price_ratio"]), 0, 2)
        )
        return 1.0 / (1.0 + np.exp(-mu / np.sqrt(1.0 + np.pi * o["accept_sd"] ** 2 / 8.0)))

    def value(self, brief_id: str, influencer_ids: Sequence[str], goal: str) -> float:
        """The true value of hiring exactly these creators for the brief, for one goal."""
        if goal not in GOALS:
            raise ValueError(f"goal must be one of {GOALS}, got {goal!r}")
        if len(influencer_ids) == 0:
            return 0.0
        if goal == "accepts":
            return float(self.accept_probability(brief_id, influencer_ids).sum())
        sizes, probs = self.coverage(brief_id, influencer_ids, goal)
        return float(sizes @ (1.0 - np.prod(1.0 - probs, axis=0)))

    def true_cost(self, influencer_ids: Sequence[str]) -> NDArray[np.float64]:
        return self.truth._price[self.truth.rows([str(i) for i in influencer_ids])].astype(
            np.float64
        )
