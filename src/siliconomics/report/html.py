"""Write the study report: a briefing in one self-contained HTML file, plus CSV tables.

The HTML opens with an executive summary (the decision, why, what would change it), then
the evidence: cost per query and per day, the NPV distributions, the tornado, the fleet,
where the chips come from, and the inputs with their sources. Labels are words with units
(:mod:`siliconomics.report.fmt`), charts are the dashboard's Plotly figures
(:mod:`siliconomics.report.figures`) with plotly.js inline (no network). The CSVs keep the
machine names and full precision for analysts.
"""

from __future__ import annotations

import html
from pathlib import Path

from plotly.offline import get_plotlyjs

from siliconomics.economics.export import write_table
from siliconomics.economics.study import StudyResult
from siliconomics.errors import SiliconomicsError
from siliconomics.report import figures, fmt, summary
from siliconomics.report.briefing import Briefing, briefing
from siliconomics.report.csv_tables import tables
from siliconomics.report.markup import chart, table
from siliconomics.report.sections import scenario_sections

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1180px;margin:1.5em auto;
padding:0 1.2em;color:#1d232a;line-height:1.45}
h1{font-size:1.7em;margin-bottom:0.2em}h2{margin-top:1.8em;border-bottom:2px solid #dde3ea;
padding-bottom:0.2em}.lede{color:#4a5560;margin-top:0}
.summary{background:#f3f7fb;border-left:6px solid #1f5fa8;padding:0.8em 1.3em;margin:1.2em 0}
.summary h2{margin-top:0.3em;border:none}.decision{font-size:1.35em}
.summary ul{margin:0.3em 0 0.6em 0}.warn{color:#8a5300}
.tablewrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:13.5px;margin:0.6em 0;width:100%}
td,th{border-bottom:1px solid #dde3ea;padding:5px 8px;text-align:right;vertical-align:top}
th{background:#eef2f6;font-weight:600}td.label,th.label{text-align:left}
th.text{text-align:left}td.text{text-align:left;font-size:12.5px;color:#4a5560;overflow-wrap:anywhere}
td.aside,th.aside{color:#6b7580;font-style:italic;border-left:2px dashed #c5ced8}
tr.best td{background:#eef8f1;font-weight:600}.note{color:#4a5560;font-size:0.93em}
.chart{margin:0.6em 0 1em 0}
"""


def options_table(b: Briefing) -> str:
    headers = ["Option", "Chips", "Utilisation", "Cost per query", "Levelised per query",
               "Cost per day", "Expected NPV", "NPV 5th to 95th pct", "P(best)"]
    rows = [[o.label, fmt.count(o.chips), fmt.pct(o.utilisation_frac),
             fmt.cents(o.cost_per_query_usd), fmt.cents(o.levelised_usd_per_query),
             fmt.usd(o.cost_per_day_usd), fmt.usd(o.npv_mean_usd),
             f"{fmt.usd(o.npv_percentile_usd(5))} to {fmt.usd(o.npv_percentile_usd(95))}",
             fmt.pct(o.prob_best)] for o in b.options]
    best = next(i for i, o in enumerate(b.options) if o.id == b.recommended)
    return table(headers, rows, highlight=best)


def breakdown_table(b: Briefing) -> str:
    cats = [c for c in figures.CATEGORIES if any(c in o.breakdown_usd_per_day for o in b.options)]
    headers = ["Option ($/day)", *(figures.CATEGORIES[c] for c in cats), "Total",
               "of which idle capacity"]
    rows = [[o.label, *(fmt.usd(o.breakdown_usd_per_day.get(c, 0.0), zero="–") for c in cats),
             fmt.usd(o.cost_per_day_usd), fmt.usd(o.idle_capacity_usd_per_day)]
            for o in b.options]
    return table(headers, rows, aside_cols=(len(headers) - 1,))


def capacity_table(b: Briefing) -> str:
    headers = ["Option", "Sized by", "Deployment", "Chips", "Replicas", "Req/s per replica",
               "Tokens/s per chip", "p99 first token", "p99 per token", "Parallelism tried"]
    rows = []
    for o in b.options:
        f = o.serving
        if f:
            tried = ", ".join(f"TP{t['tp']}: {fmt.count(t['chips']) if t['chips'] else 'n/a'}"
                              for t in f["tp_tried"])
            rows.append([o.label, "serving model", str(f["deployment"]), fmt.count(o.chips),
                         fmt.count(f["replicas"]), f"{f['replica_capacity_per_s']:.2f}",
                         f"{f['output_tokens_s_per_chip']:.0f}",
                         fmt.seconds(f["sample_ttft_p99_s"]), fmt.seconds(f["sample_tpot_p99_s"]),
                         tried])
        else:
            method = {"flops": "FLOP count (assumption)", "explicit": "stated capacity",
                      "relative": "relative to bridge"}.get(o.capacity_method, o.capacity_method)
            rows.append([o.label, method, o.hardware or "", fmt.count(o.chips),
                         "", "", "", "", "", ""])
    return table(headers, rows, text_cols=(2, 9))


def silicon_table(b: Briefing) -> str:
    headers = ["Option", "Design", "Process", "Die area", "Unit cost", "Board", "Chip power",
               "NRE (incl. expected respin)", "Time to volume", "Chance of a respin"]
    rows = [[o.label, str(s["design"]), str(s["process_node"]), f"{s['die_area_mm2']:.0f} mm²",
             fmt.usd(s["unit_cost_usd"]), fmt.usd(s["board_usd"]), f"{s['tdp_w']:.0f} W",
             fmt.usd(s["nre_total_usd"]), f"{s['months_to_volume']:.0f} months",
             fmt.pct(s["p_respin"])]
            for o in b.options if (s := o.silicon)]
    return table(headers, rows)


def break_even_table(b: Briefing) -> str:
    headers = ["Custom option", "Compared with", "Break-even demand", "Break-even horizon",
               "NPV advantage today"]
    rows = []
    for o in b.options:
        be = o.break_even
        if be is None:
            continue
        lo, hi = be.searched
        demand = (f"never between {fmt.compact(lo)} and {fmt.compact(hi)} queries/day"
                  if be.queries_per_day is None else
                  f"{fmt.compact(be.queries_per_day)} queries/day "
                  f"({be.scale or 0:.2g}x today)")
        horizon = (f"not within {be.horizon_searched_years:.0f} years"
                   if be.horizon_years is None else f"{be.horizon_years:.2g} years")
        rows.append([o.label, b.option(be.merchant_option).label, demand, horizon,
                     fmt.usd(be.npv_gap_at_today_usd)])
    return table(headers, rows) if rows else ""


def tornado_table(b: Briefing) -> str:
    headers = ["Input", "Low", "High", "Advantage at low", "Advantage at high", "Source"]
    rows = [[fmt.label(t.name), fmt.value(t.name, t.low), fmt.value(t.name, t.high),
             fmt.usd(t.metric_at_low_usd), fmt.usd(t.metric_at_high_usd), t.source]
            for t in figures.tornado_rows(b)]
    return table(headers, rows, text_cols=(5,))


def inputs_table(b: Briefing) -> str:
    headers = ["Input", "Low", "Central", "High", "Source"]
    rows = [[fmt.label(i.name), fmt.value(i.name, i.low), fmt.value(i.name, i.central),
             fmt.value(i.name, i.high), i.source] for i in b.inputs]
    return table(headers, rows, text_cols=(4,))


def render_briefing(b: Briefing, *, csv_names: tuple[str, ...] = ()) -> str:
    """The report as one HTML string."""
    e = html.escape
    rec = b.option(b.recommended)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>siliconomics: {e(b.name)}"
        f"</title><style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<h1>{e(b.name)}</h1>",
        f"<p class='lede'>{e(b.description)} Model: {e(b.model_id)}. {e(b.model_note)} "
        f"Demand at the start: {fmt.compact(b.queries_per_day)} queries/day; horizon "
        f"{b.horizon_years:.0f} years; {b.draws:,} Monte Carlo draws (seed {b.seed}).</p>",
        summary.executive_summary(b),
        "<h2>Cost per query and per day</h2>",
        "<p class='note'>Steady state at today's demand: the fleet of each option's preferred "
        "chip for today's traffic, priced per day; no programme costs (NRE, acquisition, "
        "team) and no timing: what a query costs once that fleet is in place. The levelised "
        "cost and the NPV below carry the rest.</p>",
        chart(figures.cost_per_query(b), "cost"), options_table(b),
        "<h3>Steady state vs levelised</h3>",
        "<p class='note'>Steady state: today's fleet at today's demand. Levelised: present "
        "value of every cost over the horizon (purchases, rentals, programme costs, chips "
        "arriving late or failing, growth) divided by the present value of the queries "
        "served; it is the cost per query the NPV ranks.</p>",
        chart(figures.levelised_vs_steady(b), "levelised"),
        "<h3>Daily cost breakdown</h3>", breakdown_table(b),
        "<p class='note'><i>Of which idle capacity</i> is not an extra cost: it is the part of "
        "the total paid for chips that sit idle (the fleet is sized for the busiest hour with "
        f"headroom; {rec.label} is busy {fmt.pct(rec.utilisation_frac)} of the time on "
        "average). It is already inside the columns to its left.</p>",
        "<h2>Uncertainty: how sure is the answer</h2>",
        chart(figures.npv_distribution(b), "npv"),
        "<h2>What moves the answer</h2>",
        f"<p class='note'>Each input moved from the low to the high end of its range with the "
        f"others central; the bar shows the NPV advantage of {e(rec.label)} over "
        f"{e(b.option(b.tornado_pair[1]).label)} (central: "
        f"{fmt.usd(b.tornado_base_usd)}).</p>",
        chart(figures.tornado(b), "tornado"), tornado_table(b),
        *(["<h3>Where building breaks even</h3>", be_table] if (be_table := break_even_table(b))
          else []),
        "<h2>Fleet over time</h2>",
        "<p class='note'>Chips in service by generation: cohorts bought each quarter serve "
        "until retired; new capacity goes to the newest chip available (a custom chip once it "
        "has arrived); rented capacity in grey.</p>",
        chart(figures.fleet_by_vintage(b), "vintage"),
        chart(figures.fleet_over_time(b), "fleet"),
        "<h2>Where the chips come from</h2>",
        "<p class='note'>Sized by the serving model: the iteration-level batching simulator "
        "on the performance model's step times, for the busiest hour at the latency target "
        "with headroom; chips = replicas x chips per replica. Other methods are sourced "
        "assumptions.</p>", capacity_table(b),
    ]
    if any(o.silicon for o in b.options):
        parts += ["<h3>Custom chips from the silicon model</h3>", silicon_table(b),
                  "<p class='note'>The Monte Carlo samples the respin itself and scales NRE, "
                  "schedule and unit cost by the scenario's ranges.</p>"]
    parts += scenario_sections(b)
    parts += ["<h2>Inputs and sources</h2>", inputs_table(b)]
    if csv_names:
        links = ", ".join(f"<a href='{n}.csv'>{n}.csv</a>" for n in csv_names)
        parts.append(f"<p class='note'>Tables for analysts (full precision): {links}.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render(r: StudyResult) -> str:
    return render_briefing(briefing(r))


def write_report(r: StudyResult, out_dir: Path) -> Path:
    """Write ``report.html`` and the CSV tables into ``out_dir``; returns the HTML path."""
    return write_briefing(briefing(r), out_dir)


def write_briefing(b: Briefing, out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiliconomicsError(f"report folder {out_dir}: cannot create it ({exc.strerror})") from None
    csvs = tables(b)
    for name, rows in csvs.items():
        write_table(rows, out_dir / f"{name}.csv")
    path = out_dir / "report.html"
    path.write_text(render_briefing(b, csv_names=tuple(csvs)), encoding="utf-8")
    return path
