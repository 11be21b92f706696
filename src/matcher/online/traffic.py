"""Simulated traffic for online experiments.

- ``drive_service``: the running service over HTTP (loopback only), briefs from the synthetic
  market, feedback drawn from the market's hidden utility (``Truth.draw_outcomes`` on the list
  the service returned, at the positions it showed).
- ``simulate_inprocess``: the same loop without HTTP: ``ExperimentRouter`` + pipelines, the log
  kept as frames (and optionally written to a SQLite file with the request-log schema).
- ``synthetic_log``: a request log drawn from a known statistical model (brand propensities,
  position bias, a chosen lift), no models at all: fast enough to check the analysis' error
  rates over many seeded runs.
- ``detection_study``: requests each design (A/B vs interleaving) needs to detect a difference.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from matcher.online.analysis import RequestLogFrames, analyze_experiment
from matcher.online.experiments import (
    INTERLEAVED,
    ExperimentConfig,
    ExperimentRouter,
    assign,
)
from matcher.ranking.pipeline import MatchPipeline, Recommendation
from matcher.schemas import Brief
from matcher.simulator.truth import load_truth

logger = logging.getLogger(__name__)

REQUEST_COLUMNS = ("request_id", "created_at", "brand_id", "brief_id", "brief_json", "k", "model_name",
                   "model_version", "experiment", "variant", "latency_ms", "n_candidates", "n_results",
                   "status", "error")
IMPRESSION_COLUMNS = ("request_id", "position", "influencer_id", "score", "fit_score", "variant",
                      "estimated_cost_usd", "expected_engagements")
FEEDBACK_COLUMNS = ("request_id", "influencer_id", "event", "value", "created_at")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class OutcomeModel(Protocol):
    def draw_outcomes(self, brief_id: str, influencer_ids: Any, positions: Any,
                      rng: np.random.Generator) -> pd.DataFrame: ...


def write_log(frames: RequestLogFrames, path: str | Path) -> Path:
    """Append frames to a SQLite file with the request-log schema (``matcher.online.requestlog``)."""
    from matcher.online.requestlog import SCHEMA

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(p) as con:
        con.executescript(SCHEMA)
        for table, df, cols in (("requests", frames.requests, REQUEST_COLUMNS),
                                ("impressions", frames.impressions, IMPRESSION_COLUMNS),
                                ("feedback", frames.feedback, FEEDBACK_COLUMNS)):
            if len(df):
                df.reindex(columns=list(cols)).to_sql(table, con, if_exists="append", index=False)
    return p


def _frames(requests: list[dict[str, Any]], impressions: list[dict[str, Any]],
            feedback: list[dict[str, Any]]) -> RequestLogFrames:
    return RequestLogFrames(pd.DataFrame(requests, columns=list(REQUEST_COLUMNS)),
                            pd.DataFrame(impressions, columns=list(IMPRESSION_COLUMNS)),
                            pd.DataFrame(feedback, columns=list(FEEDBACK_COLUMNS)))


def feedback_events(outcomes: pd.DataFrame, influencer_ids: Sequence[str]) -> list[tuple[str, str, float]]:
    """(influencer_id, event, value) for every positive outcome of a shown list; absent = 0."""
    ids = outcomes["influencer_id"].astype(str).tolist() if "influencer_id" in outcomes.columns \
        else list(influencer_ids)
    out: list[tuple[str, str, float]] = []
    for iid, row in zip(ids, outcomes.to_dict("records"), strict=True):
        for col, event in (("contacted", "contacted"), ("accepted", "accepted"),
                           ("post_engagements", "post_engagements"), ("clicks", "clicks"),
                           ("conversions", "conversions"), ("brand_rating", "rating")):
            v = row.get(col)
            if v is None or pd.isna(v):
                continue
            v = float(v)
            if event == "rating" or v > 0:
                out.append((iid, event, 1.0 if event in ("contacted", "accepted") else v))
    return out


# --------------------------------------------------------------------------- in process
class MemoPipeline:
    """A pipeline whose ``recommend`` is memoised per (brief, k): a deterministic ranking is
    computed once however often a simulation replays the brief."""

    def __init__(self, pipe: MatchPipeline) -> None:
        self.pipe = pipe
        self._cache: dict[tuple[str, int], Recommendation] = {}

    def recommend(self, brief: Brief, k: int = 10) -> Recommendation:
        key = (brief.model_dump_json(), k)
        if key not in self._cache:
            self._cache[key] = self.pipe.recommend(brief, k)
        return self._cache[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)


def simulate_inprocess(router: ExperimentRouter, default: tuple[Any, dict[str, Any]], briefs: Sequence[Brief],
                       truth: OutcomeModel, n_requests: int, k: int = 10, seed: int = 0,
                       log_path: str | Path | None = None,
                       start: datetime = datetime(2025, 1, 1, tzinfo=UTC)) -> RequestLogFrames:
    """Route ``n_requests`` briefs drawn uniformly from ``briefs`` (so brands with several briefs
    come back several times), draw feedback from ``truth`` and log like the service does."""
    if not briefs:
        raise ValueError("no briefs to simulate")
    rng = np.random.default_rng(seed)
    reqs, imps, fbs = [], [], []
    for i in range(n_requests):
        brief = briefs[int(rng.integers(len(briefs)))]
        rid = f"sim{seed}-{i:07d}"
        ts = (start + timedelta(seconds=i)).isoformat()
        t0 = time.perf_counter()
        try:
            routed = router.route(brief, k, default)
            status, error = ("ok" if routed.matches else "empty"), None
        except Exception as e:  # logged like the service would, the simulation goes on
            routed, status, error = None, "error", f"{type(e).__name__}: {e}"
        latency = 1000 * (time.perf_counter() - t0)
        reqs.append({"request_id": rid, "created_at": ts, "brand_id": brief.brand_id, "brief_id": brief.brief_id,
                     "brief_json": brief.model_dump_json(), "k": k, "model_name": "matcher",
                     "model_version": routed.model_version if routed else None,
                     "experiment": routed.experiment if routed else router.config.name if router.config else None,
                     "variant": routed.variant if routed else None, "latency_ms": latency,
                     "n_candidates": routed.n_candidates if routed else None,
                     "n_results": len(routed.matches) if routed else 0, "status": status, "error": error})
        if routed is None or not routed.matches:
            continue
        ids = [m.influencer_id for m in routed.matches]
        teams = routed.sources or [routed.variant] * len(ids)
        for pos, (m, team) in enumerate(zip(routed.matches, teams, strict=True), start=1):
            imps.append({"request_id": rid, "position": pos, "influencer_id": m.influencer_id, "score": m.score,
                         "fit_score": m.fit_score, "variant": team, "estimated_cost_usd": m.estimated_cost_usd,
                         "expected_engagements": m.expected_engagement.engagements})
        outcomes = truth.draw_outcomes(str(brief.brief_id), ids, np.arange(1, len(ids) + 1), rng)
        for iid, event, value in feedback_events(outcomes, ids):
            fbs.append({"request_id": rid, "influencer_id": iid, "event": event, "value": value, "created_at": ts})
    frames = _frames(reqs, imps, fbs)
    if log_path is not None:
        write_log(frames, log_path)
    return frames


# --------------------------------------------------------------------------- statistical
def synthetic_log(n_requests: int, shares: Mapping[str, float], *, mode: str = "ab", n_brands: int = 200,
                  k: int = 10, base_rate: float = 0.05, lift: Mapping[str, float] | None = None,
                  concentration: float = 20.0, experiment: str = "synthetic", seed: int = 0) -> RequestLogFrames:
    """A log from a known model: brand b accepts a creator at position j with probability
    ``p_b * d_j * (1 + lift[variant])`` where ``p_b ~ Beta`` (mean ``base_rate``, brands differ:
    lower ``concentration`` = more heterogeneity), ``d_j`` a 1/log2 position discount (mean 1
    over the list), brand activity log-normal (a few brands send many requests). A/B assigns
    brands with the real hash; interleaving splits every list between the two teams by team
    draft over disjoint rankings, each team's creators carrying that team's lift."""
    rng = np.random.default_rng(seed)
    names = list(shares)
    lift = dict(lift or {})
    p_brand = rng.beta(base_rate * concentration, (1 - base_rate) * concentration, size=n_brands)
    activity = rng.lognormal(0.0, 1.0, size=n_brands)
    brands = rng.choice(n_brands, size=n_requests, p=activity / activity.sum())
    brand_ids = np.array([f"brand{b:05d}" for b in range(n_brands)], dtype=object)
    d = 1.0 / np.log2(np.arange(2, k + 2))
    d = d / d.mean()
    if mode == "ab":
        cfg = ExperimentConfig(name=experiment, variants={n: n for n in names}, traffic=dict(shares))
        arm = {b: assign(cfg, b) for b in brand_ids[np.unique(brands)]}
        variant = np.array([arm[b] for b in brand_ids[brands]], dtype=object)
        teams = np.repeat(variant[:, None], k, axis=1)
    else:  # team draft over disjoint rankings: each pair of slots is (A, B) or (B, A) by a coin
        variant = np.full(n_requests, INTERLEAVED, dtype=object)
        first = rng.integers(2, size=(n_requests, (k + 1) // 2))
        order = np.stack([first, 1 - first], axis=2).reshape(n_requests, -1)[:, :k]
        teams = np.asarray(names[:2], dtype=object)[order]
    mult = np.vectorize(lambda t: 1.0 + lift.get(t, 0.0), otypes=[float])(teams)
    q = np.minimum(1.0, p_brand[brands][:, None] * d[None, :] * mult)
    c = np.minimum(1.0, 2.5 * q)
    contacted = rng.random(q.shape) < c
    accepted = contacted & (rng.random(q.shape) < np.divide(q, c, out=np.zeros_like(q), where=c > 0))
    start = pd.Timestamp("2025-01-01", tz="UTC")
    rid = np.array([f"syn{seed}-{i:07d}" for i in range(n_requests)], dtype=object)
    ts = np.array([(start + pd.Timedelta(seconds=i)).isoformat() for i in range(n_requests)], dtype=object)
    requests = pd.DataFrame({
        "request_id": rid, "created_at": ts, "brand_id": brand_ids[brands],
        "brief_id": np.char.add("brief-", brands.astype(str)).astype(object), "brief_json": None, "k": k,
        "model_name": "matcher", "model_version": "1", "experiment": experiment, "variant": variant,
        "latency_ms": rng.lognormal(3.5, 0.3, size=n_requests), "n_candidates": 300, "n_results": k,
        "status": "ok", "error": None})
    iid = np.array([f"inf{j}" for j in range(k)], dtype=object)
    impressions = pd.DataFrame({
        "request_id": np.repeat(rid, k), "position": np.tile(np.arange(1, k + 1), n_requests),
        "influencer_id": np.tile(iid, n_requests), "score": np.tile(np.arange(k, 0, -1.0), n_requests),
        "fit_score": 0.5, "variant": teams.ravel()})
    fb = []
    for event, hit in (("contacted", contacted), ("accepted", accepted)):
        r, j = np.nonzero(hit)
        fb.append(pd.DataFrame({"request_id": rid[r], "influencer_id": iid[j], "event": event, "value": 1.0,
                                "created_at": ts[r]}))
    return RequestLogFrames(requests, impressions, pd.concat(fb, ignore_index=True))


# --------------------------------------------------------------------------- sensitivity
def _requests_needed(detected: Sequence[bool], grid: Sequence[int]) -> int | None:
    """The smallest grid size from which every larger size also detects the difference."""
    need = None
    for n, hit in zip(reversed(grid), reversed(detected), strict=True):
        if not hit:
            break
        need = n
    return need


def detection_study(pipes: Mapping[str, Any], briefs: Sequence[Brief], truth: OutcomeModel,
                    grid: Sequence[int], seeds: Sequence[int], expected: str, k: int = 10, alpha: float = 0.05,
                    n_boot: int = 1000) -> pd.DataFrame:
    """Per design (``ab``, ``interleave``) and seed: the verdict at each traffic size in ``grid``
    (prefixes of one simulated log) and the requests needed to reach ``expected`` (e.g.
    ``"A wins"``). ``pipes`` maps the two variant names to pipelines."""
    names = list(pipes)
    memo = {n: (MemoPipeline(p) if not isinstance(p, MemoPipeline) else p) for n, p in pipes.items()}
    rows = []
    grid = sorted(grid)
    for seed in seeds:
        for mode in ("ab", "interleave"):
            cfg = ExperimentConfig(name=f"study-{mode}", mode=mode, variants={n: n for n in names},
                                   salt=f"study-seed-{seed}")
            router = ExperimentRouter(cfg, lambda ref: (memo[ref], {"version": ref}), seed=seed)
            log = simulate_inprocess(router, (memo[names[0]], {"version": names[0]}), briefs, truth, grid[-1],
                                     k=k, seed=seed)
            verdicts = []
            for n in grid:
                rep = analyze_experiment(log.head(n), experiment=cfg.name, mode=mode,
                                         expected_shares=cfg.traffic, metrics=["accept_rate"], alpha=alpha,
                                         n_boot=n_boot, seed=seed)
                verdicts.append(rep.verdict)
            detected = [v == expected for v in verdicts]
            rows.append({"design": mode, "seed": seed, "requests_needed": _requests_needed(detected, grid),
                         **{f"n={n}": v for n, v in zip(grid, verdicts, strict=True)}})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- over HTTP
def held_out_briefs(data_dir: str | Path, test_fraction: float | None = None) -> list[Brief]:
    """The market's latest briefs (the default training split's test period), with brand ids."""
    from matcher.config import SplitConfig
    from matcher.data.io import briefs_to_models, load_market
    from matcher.data.labels import time_split

    tables = load_market(data_dir)
    split = SplitConfig() if test_fraction is None else SplitConfig(test_fraction=test_fraction)
    test = set(time_split(tables.briefs, split).test)
    b = tables.briefs[tables.briefs["brief_id"].astype(str).isin(test)]
    return briefs_to_models(b)


def require_truth(data_dir: str | Path) -> Any:
    """The simulator's hidden truth of a synthetic market (needed to draw feedback)."""
    truth = load_truth(data_dir)
    if truth is None:
        raise FileNotFoundError(f"{data_dir} has no truth/ folder: feedback needs a simulated market "
                                "(matcher simulate)")
    return truth


def check_loopback(url: str) -> str:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"the traffic driver only talks to a local service (127.0.0.1/localhost), got {url}")
    return url.rstrip("/")


def _post(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    r.raise_for_status()
    return r.json() if r.content else {}


def call_match(client: Any, brief: Brief, k: int) -> dict[str, Any]:
    """``POST /match`` (flat body, ``schemas.MatchApiRequest``); with ``call_feedback`` the only
    code that knows the service's request shapes."""
    return _post(client, "/match", {"brief": brief.model_dump(mode="json", exclude_none=True), "k": k})


def call_feedback(client: Any, request_id: str, influencer_id: str, event: str, value: float) -> None:
    """``POST /feedback`` (flat body, ``schemas.FeedbackEvent``)."""
    _post(client, "/feedback", {"request_id": request_id, "influencer_id": influencer_id, "event": event,
                                "value": value})


def drive_service(url: str, briefs: Sequence[Brief], truth: OutcomeModel, n_requests: int, k: int = 10,
                  seed: int = 0, experiment: str | None = None, timeout: float = 60.0,
                  transport: Any = None) -> dict[str, Any]:
    """Send ``n_requests`` briefs to the service and post the feedback each shown list earns.
    ``transport`` (an ``httpx`` transport) is for tests."""
    import httpx

    base = check_loopback(url)
    if not briefs:
        raise ValueError("no briefs to send")
    rng = np.random.default_rng(seed)
    variants: Counter[str] = Counter()
    n_ok = n_err = n_fb = 0
    with httpx.Client(base_url=base, timeout=timeout, transport=transport) as client:
        for _ in range(n_requests):
            brief = briefs[int(rng.integers(len(briefs)))]
            try:
                resp = call_match(client, brief, k)
            except httpx.ConnectError as e:
                raise ConnectionError(f"no service at {base} ({e}); start it with `make serve`") from e
            except httpx.HTTPStatusError as e:
                n_err += 1
                logger.warning("match failed: %s %s", e.response.status_code, e.response.text[:200])
                continue
            n_ok += 1
            variants[str(resp.get("variant"))] += 1
            ids = [m["influencer_id"] for m in resp.get("matches", [])]
            if not ids:
                continue
            outcomes = truth.draw_outcomes(str(brief.brief_id), ids, np.arange(1, len(ids) + 1), rng)
            for iid, event, value in feedback_events(outcomes, ids):
                call_feedback(client, resp["request_id"], iid, event, value)
                n_fb += 1
    if experiment and n_ok and set(variants) == {"None"}:
        logger.warning("the service answered without a variant: is experiment %s running?", experiment)
    return {"requests": n_requests, "ok": n_ok, "errors": n_err, "feedback_events": n_fb,
            "variants": dict(variants)}
