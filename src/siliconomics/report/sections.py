"""Report sections that belong to some scenarios only: the SemiAnalysis reproduction and the
same traffic on siliconomics's model (semianalysis-2023), Bernstein's 4-cents figure
(scenarios modelling ChatGPT) and partner vs in-house savings (google-tpu-partner)."""

from __future__ import annotations

import html

from siliconomics.report import fmt
from siliconomics.report.briefing import Briefing
from siliconomics.report.markup import table


def scenario_sections(b: Briefing) -> list[str]:
    r = b.result
    e = html.escape
    parts: list[str] = []
    if r.reproduction is not None:
        rp = r.reproduction
        parts.append(
            "<h2>SemiAnalysis reproduction</h2><p>From SemiAnalysis's stated assumptions "
            "(Patel &amp; Ahmad, 'The Inference Cost Of Search Disruption', 2023-02-09): "
            f"<b>{fmt.count(rp.gpus)}</b> A100 ({fmt.count(rp.servers)} HGX servers), "
            f"<b>{fmt.usd(rp.usd_per_day)}</b>/day, <b>{fmt.cents(rp.usd_per_query)}</b> per "
            "query. Published: 28,936 GPUs, 3,617 servers, $694k/day, 0.36 ¢.</p>")
        if r.own_model is not None:
            om = r.own_model
            parts.append(
                "<h3>The same traffic on siliconomics's own model</h3><p>Same users, queries, "
                "tokens and price per GPU-hour; the GPU count from the serving model (batching "
                "simulator on the performance model, busiest hour at the latency target) "
                f"instead of the published FLOP utilisation and 50% busy assumption: "
                f"<b>{fmt.count(om.gpus)}</b> GPUs ({om.gpus / rp.gpus:.2f}x the reproduction), "
                f"<b>{fmt.cents(om.usd_per_query)}</b> per query.</p>")
            rows = [[name, fmt.count(x.gpus), fmt.count(x.servers),
                     f"{x.capacity_qps_per_chip:.3f}", fmt.pct(x.utilisation_frac),
                     fmt.usd(x.usd_per_day), fmt.cents(x.usd_per_query)]
                    for name, x in (("SemiAnalysis assumptions", rp),
                                    ("siliconomics serving model", om))]
            parts.append(table(["Sizing", "GPUs", "Servers", "Queries/s per GPU (busy)",
                                "Utilisation", "Cost per day", "Cost per query"], rows))
    if b.show_four_cents and r.explanation is not None:
        target, source, steps = r.explanation
        parts.append(
            f"<h2>The 4-cents-per-query figure</h2><p>{e(source)}. It is not a contradiction "
            "of SemiAnalysis's 0.36 ¢ but a different set of assumptions. Starting from theirs "
            "and changing one input at a time (cumulative):</p>")
        parts.append(table(["Step", "Cost per query", "Source"],
                           [[x.label, fmt.cents(x.usd_per_query), x.source] for x in steps],
                           text_cols=(2,)))
        reach = next((x.label for x in steps if x.usd_per_query >= 0.9 * target), None)
        parts.append(f"<p>Within 10% of {fmt.cents(target)} after: "
                     f"<b>{e(reach or 'not reached')}</b>.</p>")
    if r.savings_usd_per_year is not None:
        sv = r.savings_usd_per_year
        a, c = b.option(str(sv["option"])).label, b.option(str(sv["versus"])).label
        parts.append(f"<h2>Partner vs in-house</h2><p>{e(a)} vs {e(c)}: "
                     f"<b>{fmt.usd(sv['usd_per_year'])} per year</b> (NPV difference as an "
                     "annuity; positive means in-house saves).</p>")
    return parts
