"""Demo step: start the BentoML service in the background, wait until it is ready, send one
brief over HTTP, print the ranked creators as a table, report one outcome, stop the service.

    python scripts/serve_demo.py --model models/champion --brief examples/brief.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving.client_example import connect, feedback, match, model_info  # noqa: E402
from serving.process import ServiceProcess  # noqa: E402


def table(resp: dict) -> Table:
    t = Table(
        title=f"Top {len(resp['matches'])} of {resp['n_candidates']:,} creators passing the filters "
        f"(model {resp['model_name']} v{resp['model_version']}, {resp['latency_ms']:.0f} ms)"
    )
    right = {"justify": "right", "no_wrap": True}
    for col, kw in (
        ("#", right),
        ("creator", {"no_wrap": True}),
        ("platform", {"no_wrap": True}),
        ("followers", right),
        ("fit", right),
        ("expected ER (80% int.)", right),
        ("engagements", right),
        ("cost $", right),
        ("why", {"ratio": 1}),
    ):
        t.add_column(col, **kw)
    for m in resp["matches"]:
        e = m["expected_engagement"]
        t.add_row(
            str(m["rank"]),
            m["handle"],
            m["platform"],
            f"{m['followers']:,}",
            f"{m['fit_score']:.2f}",
            f"{e['rate']:.1%} ({e['rate_low']:.1%}-{e['rate_high']:.1%})",
            f"{e['engagements']:,.0f}",
            f"{m['estimated_cost_usd']:,.0f}{'*' if m['cost_is_estimate'] else ''}",
            m["reasons"][0] if m["reasons"] else "",
        )
    return t


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--model", default="models/champion", help="model ref: directory, alias or version"
    )
    ap.add_argument("--brief", type=Path, default=ROOT / "examples" / "brief.json")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--request-log", default=os.environ.get("MATCHER_REQUEST_LOG", "requests.db"))
    ap.add_argument(
        "--key",
        default=os.environ.get("MATCHER_API_KEY"),
        help="API key of the brief's brand (`matcher keys add --brand BRAND`); default $MATCHER_API_KEY",
    )
    a = ap.parse_args()
    if not a.key:
        ap.error(
            "an API key is needed: --key or $MATCHER_API_KEY (create one: matcher keys add --brand BRAND)"
        )
    console = Console(width=None if sys.stdout.isatty() else 170)
    brief = json.loads(a.brief.read_text())
    with console.status("starting `bentoml serve serving.service:MatcherService` ..."):
        log = Path(a.request_log).resolve()
        keys_db = os.environ.get("MATCHER_KEYS_DB") or str(log.parent / "keys.db")
        svc = ServiceProcess(
            model=a.model, request_log=log, env={"MATCHER_KEYS_DB": str(Path(keys_db).resolve())}
        )
        svc.start()
        try:
            ready_s = svc.wait_ready()
        except BaseException:
            svc.stop()
            raise
    try:
        console.print(f"service ready at {svc.url} in {ready_s:.1f}s (GET /readyz -> 200)")
        with connect(
            svc.url, a.key, timeout=60
        ) as http:  # bentoml.SyncHTTPClient with the bearer key
            info = model_info(http)
            console.print(
                f"serving {info['name']} v{info['version']} from {info['source']} "
                f"({info['catalogue_size']:,} creators, trained {info['trained_at']})"
            )
            console.print(f"POST /match  {a.brief}")
            resp = match(http, brief, a.k)
            if resp["matches"]:
                console.print(table(resp))
                top = resp["matches"][0]
                fb = feedback(http, resp["request_id"], top["influencer_id"], "shortlisted")
                console.print(
                    f"POST /feedback  {top['handle']} shortlisted -> duplicate={fb['duplicate']}; "
                    f"request {resp['request_id']} logged in {a.request_log}"
                )
            else:
                console.print(f"no matches: {resp['reason']}")
    finally:
        svc.stop()
        console.print("service stopped")
    console.print(
        "\nTo call the service yourself: `make serve`, then (your key in place of $MATCHER_API_KEY)\n"
        f'  curl -s http://127.0.0.1:3000/match -H "Authorization: Bearer $MATCHER_API_KEY" '
        f'-H \'Content-Type: application/json\' -d "{{\\"brief\\": $(cat {a.brief})}}"\n'
        f'  python serving/client_example.py --key "$MATCHER_API_KEY" --brief {a.brief}',
        soft_wrap=True,
    )


if __name__ == "__main__":
    main()
