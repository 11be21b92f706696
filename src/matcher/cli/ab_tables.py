"""The tables ``matcher ab`` prints (rich): an offline comparison and an experiment report."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from matcher.cli.common import console, out


def format_estimate(e: dict[str, Any] | None, pct: bool = False) -> str:
    """An estimate with its CI, ``"+1.2% [-0.3%, +2.7%]"`` (``pct``) or ``"0.1234 [0.1, 0.15]"``;
    ``"-"`` when there is none."""
    if not e or e.get("estimate") is None:
        return "-"
    f = (lambda v: f"{100 * v:+.1f}%") if pct else (lambda v: f"{v:.4g}")
    lo, hi = e.get("ci_low"), e.get("ci_high")
    ci = f" [{f(lo)}, {f(hi)}]" if lo is not None and hi is not None else ""
    return f"{f(e['estimate'])}{ci}"


def print_offline(d: dict[str, Any], segment_metric: str = "ndcg@10") -> None:
    """``matcher ab offline``'s result: a table per view (overall, then per segment), the verdict."""
    for view, v in d["views"].items():
        t = Table(
            title=f"{view} view: B ({d.get('b_ref', 'b')}) - A ({d.get('a_ref', 'a')}) on "
            f"{d.get('n_briefs', '?')} held-out briefs; 95% bootstrap CI, Wilcoxon p (p adj: Holm over "
            f"the view's segments); segments show {segment_metric}"
        )
        for col in (
            "segment",
            "metric",
            "mean A",
            "mean B",
            "B - A",
            "95% CI",
            "p",
            "p adj",
            "W/T/L",
            "n",
        ):
            t.add_column(
                col, justify="left" if col in ("segment", "metric") else "right", no_wrap=True
            )
        rows = [("all", m, r) for m, r in v.get("overall", {}).items()]
        for seg_type, segs in v.get("segments", {}).items():
            rows += [
                (f"{seg_type}: {seg}", segment_metric, ms[segment_metric])
                for seg, ms in segs.items()
                if segment_metric in ms
            ]
        for seg, m, r in rows:
            if r["mean_a"] is None:
                continue
            t.add_row(
                seg,
                m,
                f"{r['mean_a']:.3f}",
                f"{r['mean_b']:.3f}",
                f"{r['mean_diff']:+.3f}",
                f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]",
                f"{r['p_value']:.2g}",
                "-" if r.get("p_adjusted") is None else f"{r['p_adjusted']:.2g}",
                f"{r['wins']}/{r['ties']}/{r['losses']}",
                str(r["n"]),
            )
        out.print(t)
    out.print(f"verdict (NDCG@10, logged view): [bold]{d['verdict']}[/]")


def print_report(d: dict[str, Any]) -> None:
    """An experiment report: traffic and guardrails, metrics with lifts, SRM, interleaving,
    sample size, warnings, the verdict."""
    names = list(d["variants"])
    t = Table(title=f"Experiment {d['experiment']} ({d['mode']})")
    for col in (
        "variant",
        "requests",
        "brands",
        "impressions",
        "p95 latency ms",
        "errors",
        "empty",
    ):
        t.add_column(col, justify="right")
    for name, v in d["variants"].items():
        g = v["guardrails"]
        t.add_row(
            name,
            f"{v['requests']:,}",
            f"{v['brands']:,}",
            f"{v['impressions']:,}",
            "-" if g["latency_p95_ms"] is None else f"{g['latency_p95_ms']:.0f}",
            f"{100 * (g['error_rate'] or 0):.1f}%",
            f"{100 * (g['empty_rate'] or 0):.1f}%",
        )
    out.print(t)
    t = Table(title="Metrics per variant, 95% CIs clustered by brand; lift = variant / control - 1")
    t.add_column("metric")
    for name in names:
        t.add_column(name, justify="right", no_wrap=True)
    lifts = [n for n in names if "lift_vs_control" in d["variants"][n]]
    for name in lifts:
        t.add_column(f"lift {name}", justify="right", no_wrap=True)
    for m in d["variants"][names[0]]["metrics"]:
        cells = [format_estimate(d["variants"][n]["metrics"].get(m)) for n in names]
        if all(c == "-" for c in cells):
            continue
        lift_cells = []
        for n in lifts:
            e = d["variants"][n]["lift_vs_control"].get(m)
            p = f" p={e['p_value']:.2g}" if e and e.get("p_value") is not None else ""
            lift_cells.append(format_estimate(e, pct=True) + p)
        t.add_row(m + (" (primary)" if m == d["primary_metric"] else ""), *cells, *lift_cells)
    out.print(t)
    if d["srm"]:
        s = d["srm"]
        out.print(
            f"SRM ({s['unit']} per arm {s['observed']} vs {s['expected_shares']}): p = {s['p_value']:.3g}"
            + (" [bold red]MISMATCH[/]" if s["mismatch"] else " ok")
        )
    il = d["interleaving"]
    if il:
        p = il["preference"]
        out.print(
            f"interleaving on {il['event']}: {il['requests']} requests, {il['decided']} with a preference, "
            f"wins {il['wins']}, credited {il['credited']}; preference for {p.get('team', '-')}: {format_estimate(p)} "
            f"(sign test p = {il['p_value'] if il['p_value'] is None else format(il['p_value'], '.3g')})"
        )
    ss = d["sample_size"]
    if ss:
        out.print(
            f"to detect a {100 * ss['relative_mde']:.0f}% relative change in {ss['metric']} "
            f"(baseline {ss['baseline']:.4f}, power {ss['power']:.0%}): ~{ss['requests_per_arm']:,} requests "
            f"/ {ss['brands_per_arm']:,} brands per arm (design effect {ss['design_effect']:.2f})"
        )
    for w in d["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")
    for n in d["notes"]:
        console.print(f"[dim]note: {n}[/]")
    basis = f"interleaving preference on {il['event']}" if il else d["primary_metric"]
    out.print(f"verdict ({basis}): [bold]{d['verdict']}[/]")
