"""What the pages show: one dict per match (a fresh answer, or a past one from the log), the
engagement bar's scale, the shortlist's CSV columns, and a few Jinja filters."""

from __future__ import annotations

from typing import Any

from matcher.api import MatchResponse
from serving.webapp.backend import Backend


def match_rows(
    backend: Backend,
    resp: MatchResponse | None,
    logged: dict[str, Any],
    actions: dict[str, dict[str, float]],
) -> list[dict[str, Any]]:
    """Rank order. A fresh answer has everything; a past brief reopened from the log (another
    worker, or after a restart) shows what was logged (scores, cost, expected engagements)
    plus the catalogue's facts, and no reasons."""
    rows: list[dict[str, Any]] = []
    if resp is not None:
        for m in resp.matches:
            d = m.model_dump(mode="json")
            d["full"] = True
            rows.append(d)
    else:
        for imp in logged.get("impressions", []):
            c = backend.creator(imp["influencer_id"])
            rows.append(
                {
                    "rank": imp["position"],
                    "influencer_id": imp["influencer_id"],
                    "full": False,
                    "handle": c.handle if c else imp["influencer_id"],
                    "platform": c.platform if c else "",
                    "followers": c.followers if c else 0,
                    "country": c.country if c else None,
                    "score": imp["score"],
                    "fit_score": imp["fit_score"],
                    "expected_engagement": None,
                    "estimated_cost_usd": imp.get("estimated_cost_usd"),
                    "cost_is_estimate": True,
                    "expected_engagements": imp.get("expected_engagements"),
                    "reasons": [],
                    "best_post": None,
                    "interests": [],
                }
            )
    for r in rows:
        r["actions"] = actions.get(r["influencer_id"], {})
    return rows


def er_scale(rows: list[dict[str, Any]]) -> float:
    """The largest upper bound of the 80% intervals: every bar shares one axis."""
    highs = [r["expected_engagement"]["rate_high"] for r in rows if r.get("expected_engagement")]
    return max(highs, default=0.0) or 1.0


def fit_words(fit: float) -> str:
    """``fit_score`` is calibrated: the chance the creator accepts and the brand rates the work well."""
    pct = f"{fit:.0%}"
    if fit >= 0.5:
        return f"Strong fit: about {pct} of creators scored like this accepted and were rated well."
    if fit >= 0.2:
        return f"Good fit: about {pct} of creators scored like this accepted and were rated well."
    return f"Long shot: only about {pct} of creators scored like this accepted and were rated well."


# what each planning goal counts (``matcher.planning.objective``)
GOAL_WORDS = {
    "reach": "people reached (net of audience overlap)",
    "engagements": "likes and comments",
    "accepts": "creators who accept",
}


CSV_COLUMNS = (
    "influencer_id",
    "handle",
    "platform",
    "followers",
    "country",
    "fit_score",
    "score",
    "estimated_cost_usd",
    "expected_engagements",
    "profile_url",
    "request_id",
    "brief",
    "shortlisted_at",
)


def csv_row(r: dict[str, Any]) -> list[Any]:
    c = r.get("creator")
    return [
        r["influencer_id"],
        c.handle if c else "",
        c.platform if c else "",
        c.followers if c else "",
        (c.country or "") if c else "",
        _round(r.get("fit_score")),
        _round(r.get("score")),
        _round(r.get("estimated_cost_usd"), 2),
        _round(r.get("expected_engagements"), 1),
        (c.profile_url or "") if c else "",
        r["request_id"],
        r.get("brief_text", ""),
        r["created_at"],
    ]


def _round(v: Any, nd: int = 4) -> Any:
    return "" if v is None else round(float(v), nd)


def _pct(v: Any, nd: int = 1) -> str:
    return "" if v is None else f"{float(v) * 100:.{nd}f}%"


def _num(v: Any) -> str:
    return "" if v is None else f"{int(round(float(v))):,}"


def _qty(v: Any) -> str:
    """A count that may be small and fractional (expected accepts: 0.4): one decimal below 10."""
    if v is None:
        return ""
    return f"{float(v):.1f}" if abs(float(v)) < 10 else _num(v)


def _usd(v: Any) -> str:
    return "" if v is None else f"${float(v):,.0f}"


FILTERS = {"pct": _pct, "num": _num, "qty": _qty, "usd": _usd, "fit_words": fit_words}
