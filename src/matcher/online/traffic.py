"""Simulated traffic for online experiments.

- ``drive_service``: the running service over HTTP (loopback only), briefs from the synthetic
  market, feedback drawn from the market's hidden utility (``Truth.draw_outcomes`` on the list
  the service returned, at the positions it showed).
- ``simulate_inprocess``: the same loop without HTTP: ``ExperimentRouter`` + pipelines, the log
  kept as frames (and optionally written to a SQLite request log).
- ``detection_study``: requests each design (A/B vs interleaving) needs to detect a difference.

Logs drawn from a statistical model, without pipelines, are ``matcher.online.synthetic``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.lifecycle.loaded import LoadedModel, describe
from matcher.online.analysis import analyze_experiment
from matcher.online.experiments import ExperimentConfig, ExperimentRouter
from matcher.online.requestlog import RequestLogFrames, RequestRecord, write_request_log
from matcher.online.to_training import EVENT_OUTCOME_COLUMNS
from matcher.ranking.pipeline import MatchPipeline, Recommendation
from matcher.schemas import BINARY_FEEDBACK_EVENTS, COUNT_FEEDBACK_EVENTS, Brief
from matcher.simulator.truth import load_truth

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class OutcomeModel(Protocol):
    def draw_outcomes(
        self, brief_id: str, influencer_ids: Any, positions: Any, rng: np.random.Generator
    ) -> pd.DataFrame: ...


def feedback_events(
    outcomes: pd.DataFrame, influencer_ids: Sequence[str]
) -> list[tuple[str, str, float]]:
    """(influencer_id, event, value) for every positive outcome of a shown list (absent = 0;
    a rating is sent whatever its value)."""
    ids = (
        outcomes["influencer_id"].astype(str).tolist()
        if "influencer_id" in outcomes.columns
        else list(influencer_ids)
    )
    out: list[tuple[str, str, float]] = []
    for iid, row in zip(ids, outcomes.to_dict("records"), strict=True):
        for event, col in EVENT_OUTCOME_COLUMNS.items():
            v = row.get(col)
            if v is None or pd.isna(v):
                continue
            v = float(v)
            binary = event in BINARY_FEEDBACK_EVENTS
            if v > 0 or not (binary or event in COUNT_FEEDBACK_EVENTS):
                out.append((iid, event, 1.0 if binary else v))
    return out


# --------------------------------------------------------------------------- in process
# MemoPipeline is a transparent proxy (``__getattr__`` forwards everything but ``recommend``), so
# the type checker sees it as the pipeline it wraps; at run time it stays a plain object.
if TYPE_CHECKING:
    _PipelineProxy = MatchPipeline
else:
    _PipelineProxy = object


class MemoPipeline(_PipelineProxy):
    """A pipeline whose ``recommend`` is memoised per (brief, k): a deterministic ranking is
    computed once however often a simulation replays the brief."""

    def __init__(self, pipe: MatchPipeline) -> None:
        self.pipe = pipe
        self._cache: dict[tuple[str, int], Recommendation] = {}

    def recommend(
        self,
        brief: Brief,
        k: int = 10,
        query: NDArray[np.float32] | None = None,
        *,
        deadline: float | None = None,
    ) -> Recommendation:
        if query is not None:  # an explicit query vector is not part of the key: rank afresh
            return self.pipe.recommend(brief, k, query, deadline=deadline)
        key = (brief.model_dump_json(), k)
        if key not in self._cache:  # no deadline: the plain call, which test doubles also accept
            self._cache[key] = (
                self.pipe.recommend(brief, k)
                if deadline is None
                else self.pipe.recommend(brief, k, deadline=deadline)
            )
        return self._cache[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)


def simulate_inprocess(
    router: ExperimentRouter,
    default: LoadedModel,
    briefs: Sequence[Brief],
    truth: OutcomeModel,
    n_requests: int,
    k: int = 10,
    seed: int = 0,
    log_path: str | Path | None = None,
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
) -> RequestLogFrames:
    """Route ``n_requests`` briefs drawn uniformly from ``briefs`` (so brands with several briefs
    come back several times), draw feedback from ``truth`` and log like the service does."""
    if not briefs:
        raise ValueError("no briefs to simulate")
    rng = np.random.default_rng(seed)
    records: list[RequestRecord] = []
    fbs: list[tuple[str, str, str, float, str]] = []
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
        records.append(
            RequestRecord(
                request_id=rid,
                brief=brief,
                k=k,
                model_name="matcher",
                created_at=ts,
                latency_ms=latency,
                status=status,
                error=error,
                model_version=routed.model_version if routed else None,
                experiment=routed.experiment
                if routed
                else router.config.name
                if router.config
                else None,
                variant=routed.variant if routed else None,
                n_candidates=routed.n_candidates if routed else None,
                matches=routed.matches if routed else (),
                sources=routed.sources if routed else None,
            )
        )
        if routed is None or not routed.matches:
            continue
        ids = [m.influencer_id for m in routed.matches]
        outcomes = truth.draw_outcomes(str(brief.brief_id), ids, np.arange(1, len(ids) + 1), rng)
        fbs.extend(
            (rid, iid, event, value, ts) for iid, event, value in feedback_events(outcomes, ids)
        )
    frames = RequestLogFrames.from_records(records, fbs)
    if log_path is not None:
        write_request_log(frames, log_path)
    return frames


# --------------------------------------------------------------------------- sensitivity
def _requests_needed(detected: Sequence[bool], grid: Sequence[int]) -> int | None:
    """The smallest grid size from which every larger size also detects the difference."""
    need = None
    for n, hit in zip(reversed(grid), reversed(detected), strict=True):
        if not hit:
            break
        need = n
    return need


def detection_study(
    pipes: Mapping[str, Any],
    briefs: Sequence[Brief],
    truth: OutcomeModel,
    grid: Sequence[int],
    seeds: Sequence[int],
    expected: str,
    k: int = 10,
    alpha: float = 0.05,
    n_boot: int = 1000,
) -> pd.DataFrame:
    """Per design (``ab``, ``interleave``) and seed: the verdict at each traffic size in ``grid``
    (prefixes of one simulated log) and the requests needed to reach ``expected`` (e.g.
    ``"A wins"``). ``pipes`` maps the two variant names to pipelines."""
    names = list(pipes)
    memo = {
        n: (MemoPipeline(p) if not isinstance(p, MemoPipeline) else p) for n, p in pipes.items()
    }
    models = {n: LoadedModel(p, describe(p, version=n)) for n, p in memo.items()}
    rows = []
    grid = sorted(grid)
    for seed in seeds:
        for mode in ("ab", "interleave"):
            cfg = ExperimentConfig(
                name=f"study-{mode}",
                mode=mode,
                variants={n: n for n in names},
                salt=f"study-seed-{seed}",
            )
            router = ExperimentRouter(cfg, models.__getitem__, seed=seed)
            log = simulate_inprocess(
                router, models[names[0]], briefs, truth, grid[-1], k=k, seed=seed
            )
            verdicts = []
            for n in grid:
                rep = analyze_experiment(
                    log.head(n),
                    experiment=cfg.name,
                    mode=mode,
                    expected_shares=cfg.traffic,
                    metrics=["accept_rate"],
                    alpha=alpha,
                    n_boot=n_boot,
                    seed=seed,
                )
                verdicts.append(rep.verdict)
            detected = [v == expected for v in verdicts]
            rows.append(
                {
                    "design": mode,
                    "seed": seed,
                    "requests_needed": _requests_needed(detected, grid),
                    **{f"n={n}": v for n, v in zip(grid, verdicts, strict=True)},
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- over HTTP
def held_out_briefs(data_dir: str | Path, test_fraction: float | None = None) -> list[Brief]:
    """The market's latest briefs (the default training split's test period), with brand ids."""
    from matcher.config import SplitConfig
    from matcher.data.briefs import briefs_to_models
    from matcher.data.io import load_market
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
        raise FileNotFoundError(
            f"{data_dir} has no truth/ folder: feedback needs a simulated market (matcher simulate)"
        )
    return truth


def check_loopback(url: str) -> str:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise ValueError(
            f"the traffic driver only talks to a local service (127.0.0.1/localhost), got {url}"
        )
    return url.rstrip("/")


RATE_LIMIT_RETRIES = 20  # waits on 429 before a call counts as failed
MAX_RETRY_AFTER_S = 5.0


def _post(
    client: Any, path: str, body: dict[str, Any], sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """POST and return the JSON answer. A 429 (the key's rate limit) is waited out as its
    ``Retry-After`` says (at most ``MAX_RETRY_AFTER_S`` a time) and the call is sent again."""
    for _ in range(RATE_LIMIT_RETRIES):
        r = client.post(path, json=body)
        if r.status_code != 429:
            break
        try:
            wait = float(r.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
        sleep(min(max(wait, 0.05), MAX_RETRY_AFTER_S))
    r.raise_for_status()
    return r.json() if r.content else {}


def call_match(client: Any, brief: Brief, k: int) -> dict[str, Any]:
    """``POST /match`` (flat body, ``schemas.MatchApiRequest``); with ``call_feedback`` the only
    code that knows the service's request shapes."""
    return _post(
        client, "/match", {"brief": brief.model_dump(mode="json", exclude_none=True), "k": k}
    )


def call_feedback(
    client: Any, request_id: str, influencer_id: str, event: str, value: float
) -> None:
    """``POST /feedback`` (flat body, ``schemas.FeedbackEvent``)."""
    _post(
        client,
        "/feedback",
        {"request_id": request_id, "influencer_id": influencer_id, "event": event, "value": value},
    )


def drive_service(
    url: str,
    briefs: Sequence[Brief],
    truth: OutcomeModel,
    n_requests: int,
    k: int = 10,
    seed: int = 0,
    experiment: str | None = None,
    timeout: float = 60.0,
    transport: Any = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Send ``n_requests`` briefs to the service and post the feedback each shown list earns.
    ``api_key`` is sent as ``Authorization: Bearer``; a brand key acts for its own brand only, so
    briefs of many brands need a loopback service run with ``MATCHER_AUTH=off``
    (docs/security.md). ``transport`` (an ``httpx`` transport) is for tests."""
    import httpx

    base = check_loopback(url)
    if not briefs:
        raise ValueError("no briefs to send")
    rng = np.random.default_rng(seed)
    variants: Counter[str] = Counter()
    n_ok = n_err = n_fb = 0
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(
        base_url=base, timeout=timeout, transport=transport, headers=headers
    ) as client:
        for _ in range(n_requests):
            brief = briefs[int(rng.integers(len(briefs)))]
            try:
                resp = call_match(client, brief, k)
            except httpx.ConnectError as e:
                raise ConnectionError(
                    f"no service at {base} ({e}); start it with `make serve`"
                ) from e
            except httpx.HTTPStatusError as e:
                n_err += 1
                logger.warning("match failed: %s %s", e.response.status_code, e.response.text[:200])
                continue
            n_ok += 1
            variants[str(resp.get("variant"))] += 1
            ids = [m["influencer_id"] for m in resp.get("matches", [])]
            if not ids:
                continue
            outcomes = truth.draw_outcomes(
                str(brief.brief_id), ids, np.arange(1, len(ids) + 1), rng
            )
            for iid, event, value in feedback_events(outcomes, ids):
                call_feedback(client, resp["request_id"], iid, event, value)
                n_fb += 1
    if experiment and n_ok and set(variants) == {"None"}:
        logger.warning(
            "the service answered without a variant: is experiment %s running?", experiment
        )
    return {
        "requests": n_requests,
        "ok": n_ok,
        "errors": n_err,
        "feedback_events": n_fb,
        "variants": dict(variants),
    }
