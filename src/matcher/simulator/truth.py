"""The hidden truth of a simulated market: creators' and briefs' hidden variables, the utility
model that scores a (brief, creator) pair, graded relevance, and the outcome model that draws
what brands and creators do with a shown list (``Truth.draw_outcomes``). Saved beside the public
tables as parquet + JSON under ``truth/`` (no pickles, no class paths), and read back with
``Truth.from_dir``. Only the oracle, the offline evaluation and the A/B traffic simulator use
it; models never see it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import schemas as S
from matcher.simulator.params import FORMAT_VERSION, NATIVE_LANGUAGE, SPONSORED_ER, niche_names
from matcher.vectors import unit_rows

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- utility model
# U = fit_w * fit + fit_b + aud_w * (aud - 1) + auth_w * (auth - 1) + q_w * quality
#     - over_w * clip(ln(price/budget), 0, over_cap) + under_w * clip(-ln(price/budget), 0, 1)
#     + penalties (language, platform, follower range, excluded handle/keyword)
UTILITY = {
    "fit_w": 5.0,
    "fit_b": -2.5,
    "aud_w": 2.0,
    "auth_w": 2.5,
    "q_w": 0.5,
    "over_w": 3.0,
    "under_w": 0.3,
    "over_cap": 1.5,
    "lang": -1.2,
    "platform": -2.0,
    "range": -1.5,
    "excluded": -3.0,
}
# Graded relevance from U with fixed absolute thresholds: grade g if U >= GRADES[g-1].
GRADES = (0.5, 1.3, 2.0)
# Outcome model (draw_outcomes)
OUTCOME = {
    "perceive_sd": 0.8,
    "contact_slope": 1.5,
    "contact_mid": 0.2,
    "position_exp": 0.3,
    "accept_b": 0.6,
    "accept_fit": 2.0,
    "accept_q": 0.25,
    "accept_fake": 1.0,
    "accept_size": -0.35,
    "accept_over": 2.5,
    "accept_sd": 0.6,
    "perf_sd": 0.4,
    "rating_perf": 0.35,
    "rating_sd": 0.6,
    "ctr": 0.02,
    "cvr": 0.04,
}
RATING_CUTS = (-0.4, 0.5, 1.3, 1.9)  # latent -> 1..5


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


_LIST_COLS = (
    "platforms",
    "target_countries",
    "target_ages",
    "excluded_handles",
    "excluded_keywords",
)


def split_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    return [x for x in str(v).split(S.LIST_SEP) if x]


class Truth:
    """The hidden variables of a simulated market and the outcome model. Only the oracle,
    the offline evaluation and the A/B traffic simulator use it; models never see it."""

    def __init__(
        self,
        creators: pd.DataFrame,
        briefs: pd.DataFrame,
        latent: NDArray[np.float64],
        params: dict[str, Any] | None = None,
    ) -> None:
        self.creators = creators.reset_index(drop=True)
        self.briefs = briefs.reset_index(drop=True)
        self.latent = np.asarray(latent, dtype=np.float64)
        default = {
            "utility": UTILITY,
            "grades": list(GRADES),
            "outcome": OUTCOME,
            "rating_cuts": list(RATING_CUTS),
        }
        self.params: dict[str, Any] = json.loads(json.dumps(params or default))  # private copy
        self.niches = niche_names()
        c = self.creators
        self._row = {iid: i for i, iid in enumerate(c["influencer_id"].astype(str))}
        self._brief_row = {bid: i for i, bid in enumerate(self.briefs["brief_id"].astype(str))}
        self._brief_info: list[dict[str, Any]] = []
        for i, row in enumerate(
            self.briefs.drop(columns=[f"w_{n}" for n in self.niches]).to_dict("records")
        ):
            for k in _LIST_COLS:
                row[k] = split_list(row[k])
            row["_i"] = i
            self._brief_info.append(row)
        w = c[[f"w_{n}" for n in self.niches]].to_numpy(np.float64)
        self._pos = unit_rows(w @ self.latent, np.float64)
        self._aud_c = c[[f"ac_{x}" for x in S.COUNTRIES]].to_numpy(np.float64)
        self._aud_a = c[[f"age_{x}" for x in S.AGE_BUCKETS]].to_numpy(np.float64)
        self._female = c["female"].to_numpy(np.float64)
        self._quality = c["quality"].to_numpy(np.float64)
        self._fake = c["fake_severity"].to_numpy(np.float64)
        self._er = c["true_er"].to_numpy(np.float64)
        self._price = c["true_price"].to_numpy(np.float64)
        self._followers = c["followers"].to_numpy(np.float64)
        self._platform = c["platform"].astype(str).to_numpy()
        self._language = c["language"].astype(str).to_numpy()
        self._handle = c["handle"].astype(str).str.lower().to_numpy()
        self._native = np.array(
            [NATIVE_LANGUAGE.get(x, "en") for x in c["country"].astype(str)], dtype=object
        )
        self._flags = [set(split_list(f)) for f in c["flags"].tolist()]
        self._bpos = unit_rows(
            self.briefs[[f"w_{n}" for n in self.niches]].to_numpy(np.float64) @ self.latent,
            np.float64,
        )
        self._cidx = {x: i for i, x in enumerate(S.COUNTRIES)}
        self._aidx = {x: i for i, x in enumerate(S.AGE_BUCKETS)}

    # ----------------------------------------------------------------- io
    def save(self, out_dir: str | Path) -> None:
        d = Path(out_dir) / "truth"
        d.mkdir(parents=True, exist_ok=True)
        self.creators.to_parquet(d / "creators.parquet", index=False)
        self.briefs.to_parquet(d / "briefs.parquet", index=False)
        np.save(d / "niche_latent.npy", self.latent)
        meta = {
            "format_version": FORMAT_VERSION,
            "niches": self.niches,
            "params": self.params,
            "affinity": np.round(np.clip(self.latent @ self.latent.T, 0, 1), 4).tolist(),
        }
        (d / "truth.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def from_dir(cls, data_dir: str | Path) -> Truth:
        d = Path(data_dir) / "truth"
        if not d.is_dir():
            raise FileNotFoundError(f"no truth/ folder in {data_dir}: not a simulated market")
        meta = json.loads((d / "truth.json").read_text())
        if meta["niches"] != niche_names():
            raise ValueError(f"{d}: niche list differs from this simulator version")
        return cls(
            pd.read_parquet(d / "creators.parquet"),
            pd.read_parquet(d / "briefs.parquet"),
            np.load(d / "niche_latent.npy"),
            meta["params"],
        )

    # ----------------------------------------------------------------- lookups
    def rows(self, influencer_ids: Sequence[str]) -> NDArray[np.int64]:
        try:
            return np.fromiter(
                (self._row[str(i)] for i in influencer_ids),
                dtype=np.int64,
                count=len(influencer_ids),
            )
        except KeyError as e:
            raise KeyError(f"unknown influencer id {e.args[0]!r}") from None

    def _brief(self, brief_id: str) -> dict[str, Any]:
        try:
            return self._brief_info[self._brief_row[str(brief_id)]]
        except KeyError:
            raise KeyError(f"unknown brief id {brief_id!r}") from None

    def components(
        self, brief_id: str, influencer_ids: Sequence[str]
    ) -> dict[str, NDArray[np.float64]]:
        """The terms of the utility for each pair (fit, audience match, price ratio...)."""
        b = self._brief(brief_id)
        r = self.rows(influencer_ids)
        n = len(r)
        fit = np.clip(self._pos[r] @ self._bpos[b["_i"]], 0.0, 1.0)
        parts: list[NDArray[np.float64]] = []
        if b["target_countries"]:
            cols = [self._cidx[c] for c in b["target_countries"] if c in self._cidx]
            parts.append(np.clip(self._aud_c[r][:, cols].sum(1) / 0.6, 0, 1))
        if b["target_ages"]:
            cols = [self._aidx[a] for a in b["target_ages"]]
            need = min(0.8, 0.4 + 0.2 * (len(cols) - 1))
            parts.append(np.clip(self._aud_a[r][:, cols].sum(1) / need, 0, 1))
        if b["target_gender"] in ("female", "male"):
            share = self._female[r] if b["target_gender"] == "female" else 1 - self._female[r]
            parts.append(np.clip((share - 0.3) / 0.45, 0, 1))
        aud = np.mean(parts, axis=0) if parts else np.ones(n)
        budget = b["budget_usd"]
        ratio = self._price[r] / budget if budget and np.isfinite(budget) else np.ones(n)
        excl_kw = {x.lower().replace(" ", "") for x in b["excluded_keywords"]}
        excl_h = {x.lower().lstrip("@") for x in b["excluded_handles"]}
        excluded = np.zeros(n)
        if excl_kw or excl_h:
            excluded = np.array(
                [bool(excl_kw & self._flags[i]) or self._handle[i] in excl_h for i in r], float
            )
        blang = b["language"] if isinstance(b["language"], str) and b["language"] else "en"
        lang_mis = np.where(
            self._language[r] == blang, 0.0, np.where(self._native[r] == blang, 0.4, 1.0)
        )
        return {
            "fit": fit,
            "audience": aud,
            "authenticity": 1.0 - self._fake[r],
            "quality": self._quality[r],
            "price_ratio": ratio,
            "fake_severity": self._fake[r],
            "followers": self._followers[r],
            "true_er": self._er[r],
            "lang_mismatch": lang_mis,
            "platform_mismatch": (~np.isin(self._platform[r], b["platforms"])).astype(float)
            if b["platforms"]
            else np.zeros(n),
            "range_mismatch": (
                (self._followers[r] < b["min_followers"])
                | (self._followers[r] > b["max_followers"])
            ).astype(float),
            "excluded": excluded,
        }

    def _utility(self, c: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        u = self.params["utility"]
        lr = np.log(c["price_ratio"])
        return (
            u["fit_w"] * c["fit"]
            + u["fit_b"]
            + u["aud_w"] * (c["audience"] - 1)
            + u["auth_w"] * (c["authenticity"] - 1)
            + u["q_w"] * c["quality"]
            - u["over_w"] * np.clip(lr, 0, u["over_cap"])
            + u["under_w"] * np.clip(-lr, 0, 1)
            + u["lang"] * c["lang_mismatch"]
            + u["platform"] * c["platform_mismatch"]
            + u["range"] * c["range_mismatch"]
            + u["excluded"] * c["excluded"]
        )

    # ----------------------------------------------------------------- public API
    def expected_utility(self, brief_id: str, influencer_ids: Sequence[str]) -> NDArray[np.float64]:
        """True expected utility of each (brief, influencer) pair; no noise."""
        if len(influencer_ids) == 0:
            return np.zeros(0)
        return self._utility(self.components(brief_id, influencer_ids)).astype(np.float64)

    def relevance_grades(self, brief_id: str, influencer_ids: Sequence[str]) -> NDArray[np.int64]:
        """0..3 from the true utility with fixed thresholds (``GRADES``: 0.5, 1.3, 2.0)."""
        u = self.expected_utility(brief_id, influencer_ids)
        return np.searchsorted(np.asarray(self.params["grades"]), u, side="right").astype(np.int64)

    def draw_outcomes(
        self,
        brief_id: str,
        influencer_ids: Sequence[str],
        positions: Sequence[int] | NDArray[np.integer],
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        """What happens when the brand sees these creators at these 1-based positions.

        contacted ~ examination(position) x sigmoid(utility as the brand perceives it);
        accepted | contacted ~ creator interest (fit, price vs budget, size, eagerness of fake
        accounts); engagement, clicks, conversions and a 1-5 rating only when accepted.
        Every random number is drawn for every row, so one row's outcome never shifts the
        others' draws."""
        ids = [str(i) for i in influencer_ids]
        pos = np.asarray(positions, dtype=np.int64)
        if len(pos) != len(ids):
            raise ValueError("influencer_ids and positions differ in length")
        if len(ids) and pos.min() < 1:
            raise ValueError("positions are 1-based")
        n = len(ids)
        o = self.params["outcome"]
        c = self.components(brief_id, ids) if n else None
        util = self._utility(c) if c is not None else np.zeros(0)
        z = rng.standard_normal((5, n))
        u_contact, u_accept = rng.random(n), rng.random(n)
        perceived = util + o["perceive_sd"] * z[0]
        examine = pos.astype(float) ** -o["position_exp"]
        contacted = u_contact < examine * _sigmoid(
            o["contact_slope"] * (perceived - o["contact_mid"])
        )
        if c is not None:
            lr = np.log(c["price_ratio"])
            interest = (
                o["accept_b"]
                + o["accept_fit"] * (c["fit"] - 0.5)
                + o["accept_q"] * c["quality"]
                + o["accept_fake"] * c["fake_severity"]
                + o["accept_size"] * (np.log10(np.maximum(c["followers"], 1)) - 4)
                - o["accept_over"] * np.clip(lr, 0, 2)
                + o["accept_sd"] * z[1]
            )
            accepted = contacted & (u_accept < _sigmoid(interest))
            perf = z[2]
            eng_mean = (
                c["followers"]
                * c["true_er"]
                * SPONSORED_ER
                * (0.5 + 0.8 * c["fit"])
                * (0.6 + 0.4 * c["audience"])
            )
            eng = eng_mean * np.exp(o["perf_sd"] * perf - o["perf_sd"] ** 2 / 2)
            ctr = o["ctr"] * (0.4 + c["fit"]) * (0.5 + c["audience"]) * c["authenticity"]
            clicks = rng.poisson(np.maximum(eng * ctr, 0))
            cvr = o["cvr"] * (0.5 + c["audience"]) * (0.5 + 0.5 * c["fit"])
            conv = rng.binomial(clicks, np.clip(cvr, 0, 1))
            latent = util + o["rating_perf"] * perf + o["rating_sd"] * z[3]
            rating = 1 + np.searchsorted(
                np.asarray(self.params["rating_cuts"]), latent, side="right"
            )
        else:
            accepted = np.zeros(0, bool)
            eng = clicks = conv = rating = np.zeros(0)

        def masked(x: NDArray[Any]) -> pd.arrays.IntegerArray:
            return pd.arrays.IntegerArray(
                np.where(accepted, np.round(x), 0).astype(np.int64), ~accepted
            )

        return pd.DataFrame(
            {
                S.BRIEF_ID: np.full(n, str(brief_id), dtype=object),
                S.INFLUENCER_ID: np.asarray(ids, dtype=object),
                S.SHOWN_POSITION: pos,
                S.CONTACTED: contacted.astype(bool),
                S.ACCEPTED: accepted.astype(bool),
                S.POST_ENGAGEMENTS: masked(eng),
                S.CLICKS: masked(clicks),
                S.CONVERSIONS: masked(conv),
                S.BRAND_RATING: np.where(accepted, rating, np.nan).astype(np.float64),
            }
        )


def load_truth(data_dir: str | Path) -> Truth | None:
    """The simulator's hidden truth when ``data_dir`` is a simulated market (for the oracle and
    the catalogue view), else None: real data has no truth."""
    return Truth.from_dir(data_dir) if (Path(data_dir) / "truth").is_dir() else None
