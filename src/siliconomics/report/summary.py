"""The executive summary: the decision, why, and what would change it, in sentences built
from the briefing's numbers (pure functions of a :class:`Briefing`, so the dashboard's
Decision page and the report say the same thing)."""

from __future__ import annotations

import html

from siliconomics.report import fmt
from siliconomics.report.briefing import Briefing
from siliconomics.report.figures import tornado_rows

#: At most this many "would change it" lines.
CHANGERS = 4


def decision(b: Briefing) -> str:
    rec = b.option(b.recommended)
    return (f"{rec.label}: best in {fmt.pct(rec.prob_best)} of {b.draws:,} Monte Carlo "
            f"draws over {b.horizon_years:.0f} years.")


def why(b: Briefing) -> list[str]:
    rec = b.option(b.recommended)
    runner = b.option(b.tornado_pair[1]) if b.tornado_pair[1] != rec.id else None
    lines = [f"It serves today's {fmt.compact(b.queries_per_day)} queries/day at "
             f"{fmt.cents(rec.cost_per_query_usd)} per query ({fmt.usd(rec.cost_per_day_usd)}"
             f"/day on {fmt.count(rec.chips)} chips); expected NPV of costs "
             f"{fmt.usd(rec.npv_mean_usd)}."]
    if runner is not None:
        lines.append(f"Runner-up: {runner.label} at {fmt.cents(runner.cost_per_query_usd)} "
                     f"per query, expected NPV {fmt.usd(runner.npv_mean_usd)} "
                     f"({fmt.usd(rec.npv_mean_usd - runner.npv_mean_usd)} in favour of the "
                     "decision).")
    cheapest = min(b.options, key=lambda o: o.cost_per_query_usd)
    if cheapest.id != rec.id:
        lines.append(f"{cheapest.label} is cheaper per query today "
                     f"({fmt.cents(cheapest.cost_per_query_usd)}) but not over the horizon: "
                     "the NPV counts when chips arrive, growth, risk and fixed costs.")
    return lines


def what_would_change(b: Briefing) -> list[str]:
    """Inputs whose low or high end (others central) flips the decision, largest swing first;
    else the input that moves the advantage most; then the break-even demand."""
    base = b.tornado_base_usd
    runner = b.option(b.tornado_pair[1]).label
    out: list[str] = []
    for t in tornado_rows(b, n=len(b.tornado)):
        for end, x, metric in (("low", t.low, t.metric_at_low_usd),
                               ("high", t.high, t.metric_at_high_usd)):
            if (metric < 0) != (base < 0) and len(out) < CHANGERS:
                out.append(f"{fmt.label(t.name, unit=False)} at the {end} end of its range "
                           f"({fmt.value(t.name, x)}): {runner} would be ahead by "
                           f"{fmt.usd(abs(metric))}.")
    if not out and b.tornado:
        t = tornado_rows(b, 1)[0]
        out.append(f"No single input across its range changes the decision. The largest "
                   f"effect: {fmt.label(t.name, unit=False)} ({fmt.value(t.name, t.low)} to "
                   f"{fmt.value(t.name, t.high)}) moves the advantage between "
                   f"{fmt.usd(t.metric_at_low_usd)} and {fmt.usd(t.metric_at_high_usd)}.")
    for be in (o.break_even for o in b.options):
        if be is None:
            continue
        custom, merchant = b.option(be.custom_option).label, b.option(be.merchant_option).label
        lo, hi = be.searched
        if be.queries_per_day is None:
            text = (f"Demand: {custom} does not beat {merchant} at any starting demand "
                    f"between {fmt.compact(lo)} and {fmt.compact(hi)} queries/day")
        else:
            text = (f"Demand: {custom} beats {merchant} above "
                    f"{fmt.compact(be.queries_per_day)} queries/day "
                    f"({be.scale or 0:.2g}x today's)")
        if be.horizon_years is not None:
            text += f"; at today's demand it pays off over {be.horizon_years:.2g} years"
        out.append(text + ".")
    return out


def executive_summary(b: Briefing) -> str:
    """The summary box as HTML."""
    e = html.escape
    items = "".join(f"<li>{e(x)}</li>" for x in why(b))
    changes = "".join(f"<li>{e(x)}</li>" for x in what_would_change(b))
    warnings = "".join(f"<p class='warn'>Warning: {e(w)}</p>" for w in b.warnings)
    return (f"<div class='summary' id='summary'><h2>Executive summary</h2>"
            f"<p class='decision'>Decision: <b>{e(decision(b))}</b></p>"
            f"<p><b>Why</b></p><ul>{items}</ul>"
            f"<p><b>What would change it</b></p><ul>{changes}</ul>{warnings}</div>")
