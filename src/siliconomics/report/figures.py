"""The charts, as Plotly figures built from a :class:`~siliconomics.report.briefing.Briefing`.

One function per chart; the static report embeds them (with plotly.js inline, no network)
and the dashboard shows the same figures, so both always draw the same thing. Both draw
them through :func:`themed`, which gives the figure its template (:data:`TEMPLATE`): a
template set on a Plotly figure object is copied and validated again for every figure
(about 40 ms each), while here it is one mapping built once per process.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import plotly.graph_objects as go

from siliconomics.report import fmt
from siliconomics.report.briefing import Briefing, OptionView, TornadoView

#: Daily cost categories (``UnitCost.breakdown_usd_per_day`` keys) in words, in stack order.
CATEGORIES: dict[str, str] = {
    "hardware": "Chips and servers (depreciation)",
    "networking": "Networking",
    "datacenter": "Data centre",
    "power": "Electricity",
    "operations": "Operations",
    "rental": "Cloud rental",
    "nre": "Programme fixed costs (NRE, acquisition, team)",
}
CATEGORY_COLOURS = {"hardware": "#1f5fa8", "networking": "#5b9bd5", "datacenter": "#8faadc",
                    "power": "#f2a93b", "operations": "#7f7f7f", "rental": "#2e8b57",
                    "nre": "#c0504d"}
COLOURS = ("#1f5fa8", "#5b9bd5", "#8faadc", "#f2a93b", "#7f7f7f", "#2e8b57", "#c0504d")
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13}
#: How many inputs the tornado shows (the rest are in the table/CSV).
TORNADO_BARS = 10
#: The Plotly template every chart is drawn with (given by :func:`themed`).
TEMPLATE = "plotly_white"


def wrap(text: str, width: int = 28) -> str:
    """A long label on several lines (Plotly breaks lines at ``<br>``)."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def _figure() -> go.Figure:
    """An empty figure with an empty template: :func:`themed` gives the charts' template
    when the figure is drawn (an empty one keeps Plotly from copying in its default)."""
    return go.Figure(layout={"template": {}})


@cache
def template_json() -> dict[str, Any]:
    """:data:`TEMPLATE` as plotly.js reads it, as a figure given that template writes it
    (Plotly's template object rebuilt as a figure's copy is: its own key order). Built once
    per process."""
    import plotly.io as pio

    out: dict[str, Any] = go.layout.Template(pio.templates[TEMPLATE]).to_plotly_json()
    return out


def themed(fig: go.Figure) -> dict[str, Any]:
    """``fig`` as a figure mapping (``data``, ``layout``) with the charts' template, what the
    report and the dashboard draw."""
    out: dict[str, Any] = fig.to_dict()
    layout = {k: v for k, v in out["layout"].items() if k != "template"}
    return out | {"layout": {"template": template_json()} | layout}


def _layout(fig: go.Figure, title: str, height: int, *, legend_below: bool = False
            ) -> go.Figure:
    """Common look; the legend right of the plot, or below it for many long entries."""
    legend = ({"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0.0} if legend_below
              else {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.02})
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"}, height=height,
                      font=FONT,
                      margin={"l": 10, "r": 20, "t": 50, "b": 40}, legend=legend)
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def _by_cost(b: Briefing) -> list[OptionView]:
    return sorted(b.options, key=lambda o: o.cost_per_query_usd, reverse=True)


def cost_per_query(b: Briefing, *, legend_below: bool = False) -> go.Figure:
    """Horizontal stacked bars: cost per query [¢] by option and cost category, cheapest on
    top, the total written at the end of each bar."""
    opts = _by_cost(b)
    names = [wrap(o.label) for o in opts]
    qpd = b.queries_per_day
    fig = _figure()
    used = [c for c in CATEGORIES if any(c in o.breakdown_usd_per_day for o in opts)]
    extra = sorted({c for o in opts for c in o.breakdown_usd_per_day} - set(CATEGORIES))
    for i, cat in enumerate(used + extra):
        cents = [o.breakdown_usd_per_day.get(cat, 0.0) / qpd * 100 for o in opts]
        fig.add_trace(go.Bar(
            y=names, x=cents, orientation="h", name=CATEGORIES.get(cat, cat.replace("_", " ")),
            marker_color=CATEGORY_COLOURS.get(cat, COLOURS[i % len(COLOURS)]),
            hovertemplate="%{y}<br>%{fullData.name}: %{x:.3f} ¢<extra></extra>"))
    fig.add_trace(go.Scatter(
        y=names, x=[o.cost_per_query_usd * 100 for o in opts], mode="text",
        text=[f"  {fmt.cents(o.cost_per_query_usd)}" for o in opts], textposition="middle right",
        showlegend=False, hoverinfo="skip"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="cost per query [¢], today's demand, steady state",
                     rangemode="tozero")
    top = max(o.cost_per_query_usd for o in opts) * 100
    fig.update_xaxes(range=[0, top * 1.18])
    return _layout(fig, "Cost per query by option", 160 + 62 * len(opts) + 120 * legend_below,
                   legend_below=legend_below)


def npv_distribution(b: Briefing) -> go.Figure:
    """One horizontal box per option over the Monte Carlo draws of the NPV of costs
    [USD bn]: whiskers 5th-95th percentile, box 25th-75th, line at the median, diamond at
    the mean; P(best) in the option's name. Higher (less negative) is better."""
    opts = sorted(b.options, key=lambda o: o.npv_mean_usd)
    fig = _figure()
    for o in opts:
        q = [o.npv_percentile_usd(p) / 1e9 for p in (5, 25, 50, 75, 95)]
        name = f"{wrap(o.label)}<br><b>best in {fmt.pct(o.prob_best)}</b>"
        colour = "#2e8b57" if o.id == b.recommended else "#1f5fa8"
        fig.add_trace(go.Box(
            y=[name], lowerfence=[q[0]], q1=[q[1]], median=[q[2]], q3=[q[3]],
            upperfence=[q[4]], mean=[o.npv_mean_usd / 1e9], orientation="h",
            marker_color=colour, showlegend=False, name=name, boxmean=True,
            hoverinfo="x"))
    fig.update_xaxes(title_text="NPV of costs over the horizon [$B] (less negative is better); "
                     "whiskers 5th-95th percentile")
    return _layout(fig, f"Net present value over {b.horizon_years:.0f} years "
                   f"({b.draws:,} draws)", 110 + 70 * len(opts))


def tornado_rows(b: Briefing, n: int = TORNADO_BARS) -> list[TornadoView]:
    """The ``n`` inputs with the largest swing, largest first."""
    return sorted(b.tornado, key=lambda t: t.swing_usd, reverse=True)[:n]


def tornado(b: Briefing, n: int = TORNADO_BARS) -> go.Figure:
    """NPV(recommended) - NPV(runner-up) [$B] as each input goes from its low to its high
    end, the others central. Left of zero the runner-up wins."""
    rows = list(reversed(tornado_rows(b, n)))
    names = [wrap(f"{fmt.label(t.name, unit=False)} ({fmt.value(t.name, t.low)} to "
                  f"{fmt.value(t.name, t.high)})", 44) for t in rows]
    base = b.tornado_base_usd / 1e9
    fig = _figure()
    for attr, label, colour in (("metric_at_low_usd", "input at its low end", "#5b9bd5"),
                                ("metric_at_high_usd", "input at its high end", "#f2a93b")):
        vals = [getattr(t, attr) / 1e9 - base for t in rows]
        fig.add_trace(go.Bar(y=names, x=vals, base=base, orientation="h", name=label,
                             marker_color=colour,
                             hovertemplate="%{y}<br>%{x:.2f} $B<extra></extra>"))
    fig.add_vline(x=base, line_color="#222", line_width=1)
    fig.add_vline(x=0, line_color="#c0504d", line_dash="dot", line_width=1)
    a, r = (b.option(x).label for x in b.tornado_pair)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=f"NPV advantage of {wrap(a, 40)} over {wrap(r, 40)} [$B]<br>"
                     "left of the red dotted line the runner-up wins")
    return _layout(fig, "Tornado: the inputs that matter most", 150 + 46 * max(len(rows), 3))


def fleet_over_time(b: Briefing, option_ids: Sequence[str] | None = None) -> go.Figure:
    """Chips in service per quarter (mean over draws) per option; GPUs solid, custom chips
    dashed, logarithmic axis."""
    years = b.quarters_years
    fig = _figure()
    chosen = [o for o in b.options if option_ids is None or o.id in option_ids]
    for i, o in enumerate(chosen):
        colour = COLOURS[i % len(COLOURS)]
        fig.add_trace(go.Scatter(x=years, y=np.maximum(o.fleet_gpu_chips, 1e-9), mode="lines",
                                 name=f"{o.label}: GPUs", line={"color": colour}))
        if np.any(o.fleet_custom_chips > 0):
            fig.add_trace(go.Scatter(
                x=years, y=np.where(o.fleet_custom_chips > 0, o.fleet_custom_chips, np.nan),
                mode="lines", name=f"{o.label}: custom chips",
                line={"color": colour, "dash": "dash"}))
    fig.update_xaxes(title_text="years from start")
    fig.update_yaxes(title_text="chips in service (mean over draws)", type="log")
    return _layout(fig, "Fleet over time", 560, legend_below=True)


def _tdp_by_vintage(b: Briefing, option_id: str) -> dict[str, float]:
    """Chip TDP [W] of each generation label an option's fleet-by-vintage can hold: its own
    generations, its bridge's, and a custom chip's next generations (same chip power)."""
    strategy = b.result.scenario.strategy
    option = strategy.option(option_id)
    gens = list(option.generations)
    bridge = getattr(option, "bridge", None)
    if bridge:
        gens += list(strategy.option(bridge).generations)
    return {g.label: g.accelerator.tdp_w for g in gens}


def _vintage_tdp_w(tdps: dict[str, float], vintage: str) -> float:
    if vintage in tdps:
        return tdps[vintage]
    base = vintage.rsplit(" gen ", 1)[0]  # a custom chip's next generation
    if base in tdps:
        return tdps[base]
    raise KeyError(f"no chip power known for fleet generation {vintage!r}")


def fleet_power(b: Briefing) -> go.Figure:
    """Power of the owned fleet [MW] per option over time: chips in service of each
    generation x that chip's TDP (the chips alone; servers, cooling and PUE are in the cost,
    not in this line). Rented chips draw power in the provider's data centre: left out."""
    years = b.quarters_years
    fig = _figure()
    for i, o in enumerate(b.options):
        tdps = _tdp_by_vintage(b, o.id)
        watts = np.zeros(len(years))
        for vintage, chips in o.fleet_by_vintage.items():
            if vintage != "rented":
                watts = watts + np.asarray(chips, dtype=float) * _vintage_tdp_w(tdps, vintage)
        fig.add_trace(go.Scatter(x=years, y=watts / 1e6, mode="lines", name=o.label,
                                 line={"color": COLOURS[i % len(COLOURS)]}))
    fig.update_xaxes(title_text="years from start")
    fig.update_yaxes(title_text="owned chips' power [MW] (TDP x chips)", rangemode="tozero")
    return _layout(fig, "Fleet power (owned chips)", 420)


#: Colours of the generations in the vintage chart, oldest first; rented capacity is grey.
VINTAGE_COLOURS = ("#8faadc", "#1f5fa8", "#2e8b57", "#f2a93b", "#c0504d", "#7b5ea7",
                   "#17becf", "#8c564b", "#bcbd22", "#e377c2")


def fleet_by_vintage(b: Briefing, option_ids: Sequence[str] | None = None) -> go.Figure:
    """Chips in service per quarter by generation (stacked areas, mean over draws), one
    panel per option, calendar years on the axis; rented capacity in grey."""
    from plotly.subplots import make_subplots

    chosen = [o for o in b.options if option_ids is None or o.id in option_ids]
    cols = 2 if len(chosen) > 1 else 1
    rows = -(-len(chosen) // cols)
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, figure=_figure(),
                        subplot_titles=[wrap(o.label, 60) for o in chosen],
                        vertical_spacing=min(0.3 / rows, 0.12))
    years = b.calendar_years
    generations = list(dict.fromkeys(g for o in chosen for g in o.fleet_by_vintage
                                     if g != "rented"))
    colour = {g: VINTAGE_COLOURS[i % len(VINTAGE_COLOURS)] for i, g in enumerate(generations)}
    colour["rented"] = "#b0b0b0"
    shown: set[str] = set()
    for i, o in enumerate(chosen):
        r, c = i // cols + 1, i % cols + 1
        for gen, chips in o.fleet_by_vintage.items():
            if not np.any(chips > 0):
                continue
            fig.add_trace(go.Scatter(
                x=years, y=chips, mode="lines", stackgroup=f"s{i}", name=gen,
                legendgroup=gen, showlegend=gen not in shown,
                line={"width": 0.5, "color": colour[gen]},
                hovertemplate=f"{gen}: %{{y:,.0f}} chips<extra></extra>"), row=r, col=c)
            shown.add(gen)
    fig.update_yaxes(title_text="chips", rangemode="tozero")
    return _layout(fig, "Fleet by vintage (chips in service, mean over draws)",
                   160 + 300 * rows)


def levelised_vs_steady(b: Briefing) -> go.Figure:
    """Cost per query [¢] two ways per option: steady state at today's demand, and
    levelised over the horizon (PV of all costs / PV of queries served)."""
    opts = sorted(b.options, key=lambda o: o.levelised_usd_per_query, reverse=True)
    names = [wrap(o.label) for o in opts]
    fig = _figure()
    fig.add_trace(go.Bar(y=names, x=[o.cost_per_query_usd * 100 for o in opts],
                         orientation="h", name="steady state, today", marker_color="#8faadc",
                         text=[fmt.cents(o.cost_per_query_usd) for o in opts],
                         textposition="outside"))
    fig.add_trace(go.Bar(y=names, x=[o.levelised_usd_per_query * 100 for o in opts],
                         orientation="h", name="levelised over the horizon",
                         marker_color="#1f5fa8",
                         text=[fmt.cents(o.levelised_usd_per_query) for o in opts],
                         textposition="outside"))
    fig.update_layout(barmode="group")
    top = max(max(o.cost_per_query_usd, o.levelised_usd_per_query) for o in opts) * 100
    fig.update_xaxes(title_text="cost per query [¢]", range=[0, top * 1.2])
    return _layout(fig, "Steady-state vs levelised cost per query", 160 + 80 * len(opts))
