"""The Dash app: five pages over one session (Decision, What-if, Fleet, Chip, Performance).

Every number comes from the library: the study through
:class:`~siliconomics.dashboard.session.Session` (``run_study`` via the report's briefing
adapter), charts from :mod:`siliconomics.report.figures` (the report's own), the chip and
performance pages from the silicon and perf models. Pages are all in the DOM and shown by
path, so every callback's components always exist.
"""

from __future__ import annotations

import time
from typing import Any

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, dcc, html

from siliconomics.dashboard import chip_page, perf_page
from siliconomics.dashboard.components import CSS_PAGE, STYLE, data, error_box, options_table
from siliconomics.dashboard.session import Session
from siliconomics.dashboard.uploads import UploadError, parse_upload
from siliconomics.dashboard.whatif import SliderSpec, scenario_yaml, slider_specs
from siliconomics.economics.study import as_scenario as load_scenario_file
from siliconomics.report import figures, fmt, summary
from siliconomics.report.briefing import Briefing
from siliconomics.report.html import render_briefing

PAGES = {"/": "Decision", "/what-if": "What-if", "/fleet": "Fleet", "/chip": "Chip",
         "/performance": "Performance"}
#: Flask refuses request bodies above this [bytes] (a 1 MB upload is ~1.4 MB as base64 JSON).
MAX_REQUEST_BYTES = 3_000_000


#: plotly.js as Dash serves it; loaded with the page (not after the first graph mounts) so the
#: first charts draw without another round trip.
PLOTLY_JS = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def _index(title: str) -> str:
    return ("<!DOCTYPE html><html lang='en'><head>{%metas%}<title>" + title + "</title>"
            "{%favicon%}{%css%}<style>" + STYLE + "</style></head><body>{%app_entry%}"
            "<footer>{%config%}<script src='" + PLOTLY_JS + "'></script>{%scripts%}"
            "{%renderer%}</footer></body></html>")


def _graph(graph_id: str, figure: go.Figure | None = None) -> dcc.Loading:
    extra: dict[str, Any] = {} if figure is None else {"figure": figures.themed(figure)}
    graph = dcc.Graph(id=graph_id, config={"displayModeBar": False}, **extra)
    return dcc.Loading(graph, type="dot")


def _decision_page(b: Briefing) -> html.Div:
    """The Decision page filled in (the opening study), so the first page load needs no
    callback round trip before it can draw."""
    return html.Div(id="page-decision", children=[
        html.Div(_summary(b), id="decision-summary", className="sx-summary"),
        html.Div(options_table(b, "decision"), id="decision-table"),
        _graph("decision-cost", figures.cost_per_query(b)),
        html.P("What moves the answer: each input from the low to the high end of its range, "
               "the others central (live: follows the What-if page).", className="sx-note"),
        _graph("decision-tornado", figures.tornado(b)),
        _graph("decision-npv", figures.npv_distribution(b)),
    ])


def _slider(spec: SliderSpec) -> html.Div:
    return html.Div(className="sx-input", children=[
        html.B(spec.label),
        dcc.Slider(id={"type": "whatif-input", "name": spec.name}, min=spec.min, max=spec.max,
                   step=spec.step, value=spec.central, marks=None,
                   tooltip={"placement": "bottom", "always_visible": False},
                   updatemode="mouseup"),
        html.Div(f"{spec.describe_range()}. Source: {spec.source}", className="sx-src"),
    ])


def _whatif_page() -> html.Div:
    return html.Div(id="page-what-if", children=[
        html.Div(className="sx-grid", children=[
            html.Div([
                html.H3("Inputs that matter most"),
                html.Div(id="whatif-inputs"),
                html.Button("Reset to the scenario's values", id="whatif-reset"),
                html.H3("Scenario"),
                dcc.Upload(id="scenario-upload", className="sx-upload",
                           children=html.Div("Drop or click to upload a scenario YAML (max 1 MB)")),
                error_box("", "scenario-upload-error"),
                html.Div(id="scenario-upload-ok", className="sx-ok"),
                html.Button("Download scenario (YAML, with your changes)",
                            id="download-scenario-btn"),
                html.Button("Download report (HTML)", id="download-report-btn"),
                dcc.Download(id="download-scenario"), dcc.Download(id="download-report"),
            ]),
            html.Div([
                html.H3("Result"),
                dcc.Loading(html.Div(id="whatif-result"), type="circle"),
                html.Div(id="whatif-status", className="sx-note"),
                _graph("whatif-cost"),
            ]),
        ]),
    ])


def _fleet_page() -> html.Div:
    return html.Div(id="page-fleet", children=[
        html.P("Chips in service per quarter and option (mean over the Monte Carlo draws): "
               "bridge GPUs solid, custom chips dashed.", className="sx-note"),
        _graph("fleet-vintage"), _graph("fleet-chips"), _graph("fleet-power"),
        html.Div(id="fleet-table"),
    ])


def create_app(session: Session, scenario_key: str) -> dash.Dash:
    """The dashboard for ``session`` opened on one of its loaded scenarios."""
    app = dash.Dash(__name__, title="siliconomics", update_title="",
                    assets_folder="__no_assets__", serve_locally=True)
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.index_string = _index("siliconomics dashboard")
    nav = html.Nav(className="sx-nav", children=[
        html.Span("siliconomics", className="sx-title"),
        *(dcc.Link(name, href=path, id=f"nav-{name.lower()}") for path, name in PAGES.items()),
        html.Span(id="scenario-name", className="sx-note"),
    ])

    def layout() -> html.Div:  # per page load: the opening study of the scenario, cached
        return html.Div(style=CSS_PAGE, children=[
            dcc.Location(id="url"), nav,
            dcc.Store(id="scenario-key", data=scenario_key), dcc.Store(id="centrals", data={}),
            dcc.Store(id="decision-shown", data=[scenario_key, {}]),
            _decision_page(session.briefing(scenario_key)), _whatif_page(), _fleet_page(),
            chip_page.layout(), perf_page.layout(),
        ])

    app.layout = layout
    _register(app, session)
    chip_page.register(app)
    perf_page.register(app)
    return app


def warm_up(session: Session, key: str) -> None:
    """Compute the opening study and build its charts once, so the first page load after
    start only serialises them (Plotly's first figure builds its validators)."""
    b = session.briefing(key)
    for make in (figures.cost_per_query, figures.tornado, figures.npv_distribution,
                 figures.fleet_over_time, figures.fleet_power):
        figures.themed(make(b))


def _register(app: dash.Dash, session: Session) -> None:
    page_ids = ["page-decision", "page-what-if", "page-fleet", "page-chip", "page-performance"]

    @app.callback([Output(p, "style") for p in page_ids], Input("url", "pathname"))
    def show_page(path: str | None) -> list[dict[str, str]]:
        current = "page-" + (PAGES.get(path or "/", "Decision").lower())
        return [{} if p == current else {"display": "none"} for p in page_ids]

    @app.callback(Output("whatif-inputs", "children"), Output("scenario-name", "children"),
                  Input("scenario-key", "data"), Input("whatif-reset", "n_clicks"))
    def sliders(key: str, _reset: int | None) -> tuple[list[html.Div], str]:
        b = session.briefing(key)
        return [_slider(s) for s in slider_specs(b)], f"scenario: {b.name}"

    @app.callback(Output("centrals", "data"),
                  Input({"type": "whatif-input", "name": ALL}, "value"),
                  State({"type": "whatif-input", "name": ALL}, "id"), State("scenario-key", "data"),
                  State("centrals", "data"))
    def centrals(values: list[float | None], ids: list[dict[str, str]], key: str,
                 current: dict[str, float] | None) -> Any:
        base = {i.name: i.central for i in session.briefing(key).inputs}
        changed = {i["name"]: float(v) for v, i in zip(values, ids, strict=True)
                   if v is not None and i["name"] in base and float(v) != base[i["name"]]}
        return dash.no_update if changed == (current or {}) else changed

    # One callback per page, each answering only while its page is shown (charts on hidden
    # pages are not rebuilt and redrawn on every what-if); a page catches up when opened.
    def visible(path: str | None, page: str) -> bool:
        return PAGES.get(path or "/", "Decision") == page

    @app.callback(
        Output("decision-summary", "children"), Output("decision-table", "children"),
        Output("decision-cost", "figure"), Output("decision-tornado", "figure"),
        Output("decision-npv", "figure"), Output("decision-shown", "data"),
        Input("scenario-key", "data"), Input("centrals", "data"), Input("url", "pathname"),
        State("decision-shown", "data"))
    def decision(key: str, changed: dict[str, float], path: str | None,
                 shown: list[Any] | None) -> tuple[Any, ...]:
        now = [key, changed or {}]
        if not visible(path, "Decision") or shown == now:  # hidden, or already showing it
            return (dash.no_update,) * 6
        b = session.briefing(key, changed or {})
        return (_summary(b), options_table(b, "decision"),
                figures.themed(figures.cost_per_query(b)), figures.themed(figures.tornado(b)),
                figures.themed(figures.npv_distribution(b)), now)

    @app.callback(
        Output("whatif-result", "children"), Output("whatif-status", "children"),
        Output("whatif-cost", "figure"),
        Input("scenario-key", "data"), Input("centrals", "data"), Input("url", "pathname"))
    def what_if(key: str, changed: dict[str, float], path: str | None) -> tuple[Any, ...]:
        if not visible(path, "What-if"):
            return (dash.no_update,) * 3
        start = time.perf_counter()
        b = session.briefing(key, changed or {})
        took = time.perf_counter() - start
        changes = ", ".join(f"{fmt.label(k, unit=False)} = {fmt.value(k, v)}"
                            for k, v in sorted((changed or {}).items())) or "none"
        status = (f"{b.draws:,} draws, seed {b.seed}; study answered in {took:.2f} s. "
                  f"Changed inputs: {changes}.")
        return ([html.P(summary.decision(b), id="whatif-decision", className="sx-decision"),
                 options_table(b, "whatif")], status,
                figures.themed(figures.cost_per_query(b, legend_below=True)))

    @app.callback(
        Output("fleet-vintage", "figure"), Output("fleet-chips", "figure"),
        Output("fleet-power", "figure"), Output("fleet-table", "children"),
        Input("scenario-key", "data"), Input("centrals", "data"), Input("url", "pathname"))
    def fleet(key: str, changed: dict[str, float], path: str | None) -> tuple[Any, ...]:
        if not visible(path, "Fleet"):
            return (dash.no_update,) * 4
        b = session.briefing(key, changed or {})
        return (figures.themed(figures.fleet_by_vintage(b)),
                figures.themed(figures.fleet_over_time(b)),
                figures.themed(figures.fleet_power(b)), _fleet_table(b))

    @app.callback(Output("scenario-key", "data"), Output("scenario-upload-error", "children"),
                  Output("scenario-upload-ok", "children"),
                  Input("scenario-upload", "contents"), State("scenario-upload", "filename"),
                  State("scenario-key", "data"), prevent_initial_call=True)
    def upload(contents: str | None, filename: str | None, key: str) -> tuple[Any, str, str]:
        if not contents:
            return dash.no_update, "", ""
        name = filename or "upload.yaml"
        try:
            s = parse_upload(contents, name, load_scenario_file)
        except UploadError as exc:  # the current scenario stays, untouched
            return dash.no_update, f"Upload refused: {exc}", ""
        new_key = session.add_scenario(f"upload:{name}:{s.id}", s)
        return new_key, "", f"Loaded {name}: {s.name}"

    @app.callback(Output("download-scenario", "data"), Input("download-scenario-btn", "n_clicks"),
                  State("scenario-key", "data"), State("centrals", "data"),
                  prevent_initial_call=True)
    def download_scenario(_n: int, key: str, changed: dict[str, float]) -> dict[str, Any]:
        s = session.scenario(key)
        return {"content": scenario_yaml(s, changed or {}), "filename": f"{s.id}-what-if.yaml"}

    @app.callback(Output("download-report", "data"), Input("download-report-btn", "n_clicks"),
                  State("scenario-key", "data"), State("centrals", "data"),
                  prevent_initial_call=True)
    def download_report(_n: int, key: str, changed: dict[str, float]) -> dict[str, Any]:
        b = session.briefing(key, changed or {})
        return {"content": render_briefing(b), "filename": f"{b.scenario_id}-report.html"}


def _summary(b: Briefing) -> list[Any]:
    be = summary.what_would_change(b)
    return [html.P(["Decision: ", html.B(summary.decision(b), id="recommendation",
                                         **data(option=b.recommended))],
                   className="sx-decision"),
            html.B("Why"), html.Ul([html.Li(x) for x in summary.why(b)]),
            html.B("What would change it"), html.Ul([html.Li(x) for x in be])]


def _fleet_table(b: Briefing) -> Any:
    from siliconomics.dashboard.components import table

    rows = []
    for o in b.options:
        f = o.serving or {}
        rows.append([o.label, fmt.count(o.chips), str(f.get("deployment", o.capacity_method)),
                     fmt.count(float(o.fleet_gpu_chips[-1])),
                     fmt.count(float(o.fleet_custom_chips[-1]))])
    return table(["Option", "Chips today", "Deployment", "GPUs at the horizon",
                  "Custom chips at the horizon"], rows)
