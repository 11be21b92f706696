"""The Python client of the matcher service: ``bentoml.SyncHTTPClient`` (BentoML 1.4).

    python serving/client_example.py --url http://127.0.0.1:3000 --key "$MATCHER_API_KEY" --brief examples/brief.json

``bentoml.SyncHTTPClient(url, token=key)`` sends ``Authorization: Bearer <key>`` with every call
(a key from ``matcher keys add --brand BRAND``; the brief's ``brand_id`` must be that brand, or be
left out). It reads the service's ``/schema.json`` once, then each API is a method named after it:
``client.match(brief=..., k=...)``, ``client.match_batch(briefs=[...])``, ``client.plan(brief=...,
budget_usd=...)``, ``client.feedback(request_id=..., influencer_id=..., event=...)``, each returning
the JSON body as a dict. A refusal raises ``bentoml.exceptions.BentoMLException`` whose
``error_code`` is the HTTP status and whose message is the JSON error naming the field.
``GET /model`` is not a BentoML API (APIs are POST): ``client.request("GET", "/model")`` calls it
with the same headers. Any HTTP client works the same way (docs/serving.md).

Sends the brief to ``POST /match``, prints the ranked creators, reports one outcome to
``POST /feedback`` and shows what model answered (``GET /model``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import bentoml
from bentoml.exceptions import BentoMLException

SAMPLE_BRIEF = {
    "brand_id": "demo-greenfuel",
    "text": "Plant-based protein bar launch: creators who cook vegan meals, run or lift.",
    "platforms": ["instagram", "tiktok"],
    "target_countries": ["US", "CA"],
    "min_followers": 5_000,
    "max_followers": 80_000,
    "budget_usd": 400,
}


def connect(url: str, key: str, timeout: float = 30) -> bentoml.SyncHTTPClient:
    """A client that sends ``Authorization: Bearer <key>`` with every call (waits for ``/readyz``)."""
    return bentoml.SyncHTTPClient(url, token=key, timeout=timeout, server_ready_timeout=timeout)


def error_message(e: BentoMLException) -> str:
    """``"<status>: <message>"`` of a refused call (the service's JSON error names the field)."""
    try:
        text = json.loads(str(e)).get("error", str(e))
    except (ValueError, AttributeError):
        text = str(e)
    return f"{int(e.error_code)}: {text}"


def match(client: bentoml.SyncHTTPClient, brief: dict[str, Any], k: int = 10) -> dict[str, Any]:
    out: dict[str, Any] = client.match(brief=brief, k=k)
    return out


def feedback(
    client: bentoml.SyncHTTPClient,
    request_id: str,
    influencer_id: str,
    event: str,
    value: float | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = client.feedback(
        request_id=request_id, influencer_id=influencer_id, event=event, value=value
    )
    return out


def model_info(client: bentoml.SyncHTTPClient) -> dict[str, Any]:
    r = client.request("GET", "/model")
    r.raise_for_status()
    out: dict[str, Any] = r.json()
    return out


def format_matches(resp: dict[str, Any]) -> str:
    if not resp["matches"]:
        return f"no matches: {resp['reason']}"
    lines = [
        f"{'#':>2}  {'handle':<22} {'platform':<9} {'followers':>9} {'fit':>5} {'exp. ER':>16} "
        f"{'engagements':>11} {'cost $':>8}  why"
    ]
    for m in resp["matches"]:
        e = m["expected_engagement"]
        er = f"{e['rate']:.2%} ({e['rate_low']:.1%}-{e['rate_high']:.1%})"
        cost = f"{m['estimated_cost_usd']:,.0f}{'*' if m['cost_is_estimate'] else ''}"
        lines.append(
            f"{m['rank']:>2}  {m['handle'][:22]:<22} {m['platform']:<9} {m['followers']:>9,} "
            f"{m['fit_score']:>5.2f} {er:>16} {e['engagements']:>11,.0f} {cost:>8}  "
            f"{m['reasons'][0] if m['reasons'] else ''}"
        )
    lines.append(
        f"({resp['n_candidates']:,} creators passed the filters; * = estimated cost; model "
        f"{resp['model_name']} v{resp['model_version']}; {resp['latency_ms']:.0f} ms; "
        f"request {resp['request_id']})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--url", default="http://127.0.0.1:3000")
    ap.add_argument(
        "--brief", type=Path, help="JSON file with one brief (default: a built-in sample)"
    )
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument(
        "--key",
        default=os.environ.get("MATCHER_API_KEY"),
        help="API key (default $MATCHER_API_KEY)",
    )
    a = ap.parse_args(argv)
    if not a.key:
        ap.error(
            "an API key is needed: --key or $MATCHER_API_KEY (create one: matcher keys add --brand BRAND)"
        )
    brief = json.loads(a.brief.read_text()) if a.brief else SAMPLE_BRIEF
    with connect(a.url, a.key) as client:
        try:
            resp = match(client, brief, a.k)
            print(format_matches(resp))
            if resp["matches"]:
                top = resp["matches"][0]["influencer_id"]
                print("feedback:", feedback(client, resp["request_id"], top, "shortlisted"))
            info = model_info(client)
        except BentoMLException as e:  # 4xx: the message names the bad field
            raise SystemExit(error_message(e)) from None
        print(
            f"model: {info['name']} v{info['version']} ({info.get('alias') or info.get('source')}), "
            f"trained {info['trained_at']}, {info['catalogue_size']:,} creators"
        )


if __name__ == "__main__":
    main()
