"""A minimal client for the matcher service (httpx; any HTTP client works the same way).

    python serving/client_example.py --url http://127.0.0.1:3000 --key "$MATCHER_API_KEY" --brief examples/brief.json

Every call carries ``Authorization: Bearer <key>`` (a key from ``matcher keys add --brand BRAND``;
the brief's ``brand_id`` must be that brand, or be left out).

Sends the brief to ``POST /match``, prints the ranked creators, reports one outcome to
``POST /feedback`` and shows what model answered (``GET /model``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import httpx

SAMPLE_BRIEF = {
    "brand_id": "demo-greenfuel",
    "text": "Plant-based protein bar launch: creators who cook vegan meals, run or lift.",
    "platforms": ["instagram", "tiktok"],
    "target_countries": ["US", "CA"],
    "min_followers": 5_000,
    "max_followers": 80_000,
    "budget_usd": 400,
}


def match(client: httpx.Client, brief: dict[str, Any], k: int = 10) -> dict[str, Any]:
    r = client.post("/match", json={"brief": brief, "k": k})
    if r.status_code >= 400:  # 4xx: the message names the bad field
        raise SystemExit(f"{r.status_code}: {r.json().get('error', r.text)}")
    return r.json()


def feedback(client: httpx.Client, request_id: str, influencer_id: str, event: str,
             value: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"request_id": request_id, "influencer_id": influencer_id, "event": event}
    if value is not None:
        body["value"] = value
    r = client.post("/feedback", json=body)
    if r.status_code >= 400:
        raise SystemExit(f"{r.status_code}: {r.json().get('error', r.text)}")
    return r.json()


def format_matches(resp: dict[str, Any]) -> str:
    if not resp["matches"]:
        return f"no matches: {resp['reason']}"
    lines = [f"{'#':>2}  {'handle':<22} {'platform':<9} {'followers':>9} {'fit':>5} {'exp. ER':>16} "
             f"{'engagements':>11} {'cost $':>8}  why"]
    for m in resp["matches"]:
        e = m["expected_engagement"]
        er = f"{e['rate']:.2%} ({e['rate_low']:.1%}-{e['rate_high']:.1%})"
        cost = f"{m['estimated_cost_usd']:,.0f}{'*' if m['cost_is_estimate'] else ''}"
        lines.append(f"{m['rank']:>2}  {m['handle'][:22]:<22} {m['platform']:<9} {m['followers']:>9,} "
                     f"{m['fit_score']:>5.2f} {er:>16} {e['engagements']:>11,.0f} {cost:>8}  "
                     f"{m['reasons'][0] if m['reasons'] else ''}")
    lines.append(f"({resp['n_candidates']:,} creators passed the filters; * = estimated cost; model "
                 f"{resp['model_name']} v{resp['model_version']}; {resp['latency_ms']:.0f} ms; "
                 f"request {resp['request_id']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:3000")
    ap.add_argument("--brief", type=Path, help="JSON file with one brief (default: a built-in sample)")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--key", default=os.environ.get("MATCHER_API_KEY"), help="API key (default $MATCHER_API_KEY)")
    a = ap.parse_args(argv)
    if not a.key:
        ap.error("an API key is needed: --key or $MATCHER_API_KEY (create one: matcher keys add --brand BRAND)")
    brief = json.loads(a.brief.read_text()) if a.brief else SAMPLE_BRIEF
    with httpx.Client(base_url=a.url, timeout=30, headers={"Authorization": f"Bearer {a.key}"}) as client:
        resp = match(client, brief, a.k)
        print(format_matches(resp))
        if resp["matches"]:
            top = resp["matches"][0]["influencer_id"]
            print("feedback:", feedback(client, resp["request_id"], top, "shortlisted"))
        info = client.get("/model").json()
        print(f"model: {info['name']} v{info['version']} ({info.get('alias') or info.get('source')}), "
              f"trained {info['trained_at']}, {info['catalogue_size']:,} creators")


if __name__ == "__main__":
    main()
