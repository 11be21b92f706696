"""Parameters of the synthetic market that several of its parts share: the niche geometry
(names, latent positions, affinity) and the calibration constants used by more than one of the
creator generator (``creators``), the brief and post generators (``simulator``) and the hidden
truth (``truth``), plus the on-disk format version. Constants one part uses live with that part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.simulator.phrases.niches import NICHES, RELATED

FORMAT_VERSION = 1  # of a written market (market.json and truth/truth.json)


@dataclass(frozen=True)
class MarketConfig:
    n_influencers: int = 3000
    n_briefs: int = 600
    seed: int = 0
    start: str = "2025-01-01"  # historical campaigns span [start, start+days)
    days: int = 540
    posts_per_influencer: tuple[int, int] = (6, 12)  # min, max recent posts
    shown_per_brief: tuple[int, int] = (
        15,
        30,
    )  # how many creators the legacy tool showed per brief


SPONSORED_ER = 0.75  # sponsored posts engage less than organic ones

# Price per sponsored post (REFERENCE.md "Prices"): Instagram nano $10-100 / micro $100-500
# and TikTok nano $5-25 / micro $25-125 are both linear in followers, i.e. a rate per 1,000
# followers of $10 and $2.50 (inside the $5-15 CPM band). YouTube: CPM $15-30 applied per
# 1,000 subscribers (the usual rate-card convention) -> $20. A creator's price adjusts this
# rate for ER, quality and country (``creators``); a brief's budget starts from it.
PRICE_PER_1K = {"instagram": 10.0, "tiktok": 2.5, "youtube": 20.0}

NEIGHBOURS = {
    "US": ("CA", "GB", "MX"),
    "GB": ("IE", "US", "AU"),
    "CA": ("US", "GB", "FR"),
    "AU": ("NZ", "GB", "US"),
    "IE": ("GB", "US", "AU"),
    "NZ": ("AU", "GB", "US"),
    "DE": ("AT", "CH", "NL"),
    "AT": ("DE", "CH", "IT"),
    "CH": ("DE", "FR", "AT"),
    "FR": ("BE", "CH", "CA"),
    "BE": ("FR", "NL", "DE"),
    "NL": ("BE", "DE", "GB"),
    "ES": ("MX", "AR", "PT"),
    "IT": ("CH", "FR", "ES"),
    "PT": ("BR", "ES", "FR"),
    "SE": ("NO", "DK", "FI"),
    "NO": ("SE", "DK", "GB"),
    "DK": ("SE", "NO", "DE"),
    "FI": ("SE", "NO", "DE"),
    "PL": ("DE", "GB", "CZ"),
    "BR": ("PT", "AR", "US"),
    "MX": ("US", "CO", "ES"),
    "AR": ("CL", "ES", "MX"),
    "CO": ("MX", "ES", "US"),
    "CL": ("AR", "ES", "MX"),
    "IN": ("AE", "US", "GB"),
    "ID": ("MY", "SG", "PH"),
    "PH": ("US", "SG", "MY"),
    "SG": ("MY", "ID", "AU"),
    "MY": ("SG", "ID", "PH"),
    "ZA": ("GB", "NG", "US"),
    "NG": ("GB", "US", "ZA"),
    "AE": ("IN", "SA", "GB"),
    "TR": ("DE", "GB", "AE"),
    "JP": ("KR", "US", "SG"),
    "KR": ("JP", "US", "SG"),
}
NATIVE_LANGUAGE = {
    "ES": "es",
    "MX": "es",
    "AR": "es",
    "CO": "es",
    "CL": "es",
    "BR": "pt",
    "PT": "pt",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "FR": "fr",
    "BE": "fr",
}
# audience age shares by platform (TikTok younger, YouTube older); niche age_shift tilts these
AGE_BASE = {
    "instagram": (0.05, 0.30, 0.34, 0.17, 0.08, 0.06),
    "tiktok": (0.16, 0.40, 0.25, 0.10, 0.06, 0.03),
    "youtube": (0.07, 0.25, 0.29, 0.19, 0.11, 0.09),
}
AGE_TILT = 0.35


def niche_names() -> list[str]:
    return [n.name for n in NICHES]


def niche_latent() -> NDArray[np.float64]:
    """Latent niche positions (rows unit-norm): the nearest positive semi-definite matrix to
    the related-niche table (1 on the diagonal, ``RELATED`` strengths off it), factorised.
    ``latent @ latent.T`` is the affinity; a mixture's position is the weighted sum of rows."""
    names = niche_names()
    ix = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for a, b, s in RELATED:
        m[ix[a], ix[b]] = m[ix[b], ix[a]] = s
    w, q = np.linalg.eigh(m)
    v = q * np.sqrt(np.clip(w, 1e-3, None))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def niche_affinity() -> NDArray[np.float64]:
    v = niche_latent()
    return np.clip(v @ v.T, 0.0, 1.0)


# --------------------------------------------------------------------------- shared draws
def weighted_choice(
    rng: np.random.Generator, items: Sequence[Any], p: Sequence[float], size: int
) -> NDArray[Any]:
    pp = np.asarray(p, dtype=float)
    idx = rng.choice(len(items), size=size, p=pp / pp.sum())
    return np.asarray(items, dtype=object)[idx]


def nice_price(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Round to the steps people quote fees in ($5 below $100, $10 below $500, else $25)."""
    step = np.where(x < 100, 5.0, np.where(x < 500, 10.0, 25.0))
    return np.maximum(step, np.round(x / step) * step)
