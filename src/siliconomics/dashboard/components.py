"""Small Dash building blocks shared by the pages: tables of formatted strings, sections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import html

from siliconomics.report import fmt
from siliconomics.report.briefing import Briefing

STYLE = """
body{margin:0;background:#fff}
.sx-nav{display:flex;gap:1.2em;align-items:center;border-bottom:2px solid #dde3ea;padding:0.6em 0;
flex-wrap:wrap}
.sx-nav a{text-decoration:none;color:#1f5fa8;font-weight:600}
.sx-nav .sx-title{font-weight:700;font-size:1.15em;margin-right:1em}
.sx-table{border-collapse:collapse;width:100%;font-size:14px;margin:0.6em 0}
.sx-table td,.sx-table th{border-bottom:1px solid #dde3ea;padding:5px 8px;text-align:right;vertical-align:top}
.sx-table th{background:#eef2f6}.sx-table td:first-child,.sx-table th:first-child{text-align:left}
.sx-summary{background:#f3f7fb;border-left:6px solid #1f5fa8;padding:0.6em 1.2em;margin:1em 0}
.sx-decision{font-size:1.3em}
.sx-error{color:#a11;background:#fdeeee;border-left:4px solid #a11;padding:0.4em 0.8em;margin:0.5em 0}
.sx-error:empty{display:none}
.sx-ok{color:#2e6b3a}
.sx-input{border-bottom:1px solid #eef2f6;padding:0.5em 0}
.sx-input .sx-src{color:#5a6570;font-size:12.5px}
.sx-grid{display:grid;grid-template-columns:minmax(320px,420px) 1fr;gap:1.5em}
.sx-upload{border:2px dashed #9fb3c8;border-radius:6px;padding:0.8em;text-align:center;color:#4a5560;
cursor:pointer;margin:0.5em 0}
.sx-note{color:#4a5560;font-size:0.93em}
.sx-row{display:flex;gap:1em;flex-wrap:wrap;align-items:end}
.sx-row label{display:block;font-size:13px;color:#4a5560}
button{background:#1f5fa8;color:#fff;border:0;border-radius:4px;padding:0.4em 0.9em;cursor:pointer;
margin-right:0.5em;margin-top:0.4em}
"""

CSS_PAGE = {"maxWidth": "1180px", "margin": "0 auto", "padding": "0 1em",
            "fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif", "color": "#1d232a"}


def data(**values: object) -> dict[str, Any]:
    """``data-*`` attributes for a Dash component: ``data(usd=0.1)`` -> ``{"data-usd": ...}``."""
    return {f"data-{k}": repr(v) if isinstance(v, float) else str(v) for k, v in values.items()}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], **kwargs: Any) -> html.Table:
    """A table; a cell may be a string or a Dash component."""
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])),
         html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
        className="sx-table", **kwargs)


def error_box(message: str, box_id: str) -> html.Div:
    return html.Div(message, id=box_id, className="sx-error", role="alert")


def options_table(b: Briefing, prefix: str) -> html.Table:
    """Cost per query and per day, chips, P(best) by option; each cost cell carries its exact
    value in ``data-usd`` (tests compare it with ``siliconomics study --json``)."""
    rows = []
    for o in b.options:
        mark = " (recommended)" if o.id == b.recommended else ""
        rows.append([
            o.label + mark,
            html.Span(fmt.cents(o.cost_per_query_usd), id=f"{prefix}-cpq-{o.id}",
                      **data(usd=o.cost_per_query_usd)),
            html.Span(fmt.cents(o.levelised_usd_per_query), id=f"{prefix}-lev-{o.id}",
                      **data(usd=o.levelised_usd_per_query)),
            html.Span(fmt.usd(o.cost_per_day_usd), id=f"{prefix}-cpd-{o.id}",
                      **data(usd=o.cost_per_day_usd)),
            fmt.count(o.chips),
            fmt.usd(o.npv_mean_usd),
            html.Span(fmt.pct(o.prob_best), id=f"{prefix}-pbest-{o.id}",
                      **data(frac=o.prob_best)),
        ])
    return table(["Option", "Cost per query", "Levelised per query", "Cost per day", "Chips",
                  "Expected NPV", "P(best)"], rows)
