"""Chip page: a custom design's area, unit cost breakdown, NRE and schedule from the silicon
model (the same ``evaluate(load_design(...))`` as ``siliconomics chip show``); pick a shipped
design or upload one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from siliconomics.catalog.index import DATA_DIR
from siliconomics.dashboard.components import error_box, table
from siliconomics.dashboard.uploads import UploadError, parse_upload
from siliconomics.errors import SiliconomicsError
from siliconomics.report import fmt
from siliconomics.silicon.chip import ChipReport, evaluate
from siliconomics.silicon.design import load_design

DESIGN_DIR = DATA_DIR / "designs"
PATH = "/chip"
AREA_PARTS = ("matrix", "vector", "unit_control", "unit_sram", "global_sram", "noc",
              "memory_phy", "serdes", "host_io")
COST_PARTS = ("silicon", "memory", "packaging", "assembly_loss", "test")


def design_ids() -> list[str]:
    return [p.stem for p in sorted(DESIGN_DIR.glob("*.yaml"))]


@lru_cache(maxsize=16)
def report_for(ref: str) -> ChipReport:
    """A shipped design by id (evaluated once per process)."""
    if ref not in design_ids():
        raise SiliconomicsError(f"unknown design '{ref}' (shipped: {', '.join(design_ids())})")
    path = DESIGN_DIR / f"{ref}.yaml"
    return evaluate(load_design(path), source=str(path))


def _load_uploaded(path: Path) -> ChipReport:
    return evaluate(load_design(path), source="uploaded design")


def layout() -> html.Div:
    ids = design_ids()
    return html.Div(id="page-chip", children=[
        html.Div(className="sx-row", children=[
            html.Div([html.Label("Shipped design"),
                      dcc.Dropdown(ids, ids[0] if ids else None, id="chip-design",
                                   clearable=False, style={"width": "320px"})]),
            dcc.Upload(id="chip-upload", className="sx-upload",
                       children=html.Div("or drop a chip-design YAML (max 1 MB)")),
        ]),
        error_box("", "chip-error"),
        dcc.Loading(html.Div(id="chip-body"), type="dot"),
    ])


def _bar(title: str, parts: dict[str, float], unit: str) -> go.Figure:
    names = [fmt.words(k) for k in parts]
    fig = go.Figure(go.Bar(x=list(parts.values()), y=names, orientation="h",
                           marker_color="#1f5fa8"))
    fig.update_layout(title={"text": title, "x": 0}, template="plotly_white", height=320,
                      margin={"l": 10, "r": 20, "t": 40, "b": 40})
    fig.update_xaxes(title_text=unit)
    fig.update_yaxes(automargin=True, autorange="reversed")
    return fig


def body(r: ChipReport) -> list[Any]:
    area = r.area.as_dict()
    cost = r.cost.as_dict()
    nre = dict(r.nre.__dict__)
    sched = dict(r.schedule.__dict__)
    acc = r.accelerator
    rng = r.unit_cost_range_usd
    peak = ", ".join(f"{d} {v / 1e12:,.0f} TFLOP/s" for d, v in acc.peak_flops_s.items())
    spec_rows = [
        ["Process node", r.design.process_node],
        ["Die", f"{r.dies} x {r.die_area_mm2:,.0f} mm² (within the area model's held-out "
                f"error: {r.die_area_range_mm2.low:,.0f} to {r.die_area_range_mm2.high:,.0f})"],
        ["Unit cost", f"{fmt.usd(r.unit_cost_usd)} (range {fmt.usd(rng.low)} to "
                      f"{fmt.usd(rng.high)}) + board {fmt.usd(r.board_usd)}"],
        ["Chip power (TDP)", f"{r.tdp_w:,.0f} W"],
        ["Peak compute", peak],
        ["Memory", f"{acc.memory_bytes / 1e9:,.1f} GB {acc.memory_kind}, "
                   f"{acc.memory_bandwidth_bytes_s / 1e12:,.2f} TB/s"],
        ["NRE (incl. expected respin)", fmt.usd(nre["total_usd"])],
        ["Time to volume", f"{sched['months_to_volume']:.0f} months"],
    ]
    nre_rows = [[fmt.words(k.removesuffix("_usd")), fmt.usd(v)] for k, v in nre.items()
                if k != "total_usd"]
    sched_rows = [[fmt.words(k.removesuffix("_months")), f"{v:.1f} months"]
                  for k, v in sched.items() if k != "months_to_volume"]
    return [
        html.H3(f"{acc.name}", id="chip-name"),
        table(["Quantity", "Value"], spec_rows, id="chip-spec"),
        dcc.Graph(figure=_bar("Area [mm²]", {k: float(area[f"{k}_mm2"]) for k in AREA_PARTS
                                              if f"{k}_mm2" in area}, "mm²"),
                  config={"displayModeBar": False}, id="chip-area"),
        dcc.Graph(figure=_bar("Unit cost [$]", {k: float(cost[f"{k}_usd"]) for k in COST_PARTS
                                                 if f"{k}_usd" in cost}, "$ per chip"),
                  config={"displayModeBar": False}, id="chip-cost"),
        html.Div(className="sx-grid", children=[
            html.Div([html.H4("NRE"), table(["Item", "Cost"], nre_rows)]),
            html.Div([html.H4("Schedule"), table(["Phase", "Duration"], sched_rows)]),
        ]),
        *(html.P(f"Warning: {w}", className="sx-note") for w in r.warnings),
    ]


def register(app: dash.Dash) -> None:
    @app.callback(Output("chip-body", "children"), Output("chip-error", "children"),
                  Input("chip-design", "value"), Input("chip-upload", "contents"),
                  Input("url", "pathname"), State("chip-upload", "filename"))
    def show(ref: str | None, contents: str | None, path: str | None, filename: str | None
             ) -> tuple[Any, Any]:
        if path != PATH:  # computed when the page is shown, not on every first load
            return dash.no_update, dash.no_update
        uploaded = dash.ctx.triggered_id == "chip-upload" and contents
        try:
            if uploaded and contents:
                return body(parse_upload(contents, filename or "design.yaml", _load_uploaded)), ""
            return (body(report_for(ref)) if ref else []), ""
        except UploadError as exc:
            return dash.no_update, f"Upload refused: {exc}"
        except SiliconomicsError as exc:
            return dash.no_update, str(exc)
