"""Performance page: one predicted step (the same ``predict_step`` as ``siliconomics
predict``), throughput vs batch (the same call vectorised over batch sizes, up to the largest
batch that fits in memory) and where the time goes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from siliconomics import catalog
from siliconomics.dashboard.components import error_box, table
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.predict import Phase, StepPrediction, predict_step
from siliconomics.report import fmt

#: Batch sizes of the throughput curve (powers of two up to 1024).
BATCHES = 2 ** np.arange(0, 11)
DTYPES = ("bf16", "fp8", "int8")
PATH = "/performance"
NUMBER = {"width": "90px", "height": "34px"}


def _field(label: str, component: Any) -> html.Div:
    return html.Div([html.Label(label), component])


def layout() -> html.Div:
    models, chips = catalog.model_ids(), catalog.hardware_ids()
    return html.Div(id="page-performance", children=[
        html.Div(className="sx-row", children=[
            _field("Model", dcc.Dropdown(models, "llama3-70b" if "llama3-70b" in models
                                         else models[0], id="perf-model", clearable=False,
                                         style={"width": "200px"})),
            _field("Hardware", dcc.Dropdown(chips, "h100-sxm" if "h100-sxm" in chips
                                            else chips[0], id="perf-hardware",
                                            clearable=False, style={"width": "200px"})),
            _field("Phase", dcc.Dropdown(["decode", "prefill"], "decode", id="perf-phase",
                                         clearable=False, style={"width": "120px"})),
            _field("Weights", dcc.Dropdown(list(DTYPES), "bf16", id="perf-dtype",
                                           clearable=False, style={"width": "100px"})),
            _field("Tensor parallel", dcc.Input(id="perf-tp", type="number", style=NUMBER, value=4, min=1,
                                                max=64, step=1)),
            _field("Batch", dcc.Input(id="perf-batch", type="number", style=NUMBER, value=64, min=1,
                                      max=4096, step=1)),
            _field("Tokens per sequence (prompt or context)",
                   dcc.Input(id="perf-length", type="number", style=NUMBER, value=2048, min=1, max=1_000_000,
                             step=1)),
        ]),
        error_box("", "perf-error"),
        dcc.Loading(html.Div(id="perf-body"), type="dot"),
    ])


def _kwargs(phase: str, length: int) -> dict[str, Any]:
    return {"prompt": length} if phase == "prefill" else {"context": length}


@lru_cache(maxsize=64)
def predict(model: str, hardware: str, phase: str, dtype: str, tp: int, batch: int,
            length: int) -> tuple[StepPrediction, StepPrediction]:
    """The step at ``batch`` and the same step over :data:`BATCHES` (memory not checked;
    the curve stops at the largest batch that fits)."""
    p: Phase = "prefill" if phase == "prefill" else "decode"
    one = predict_step(model, hardware, phase=p, batch=batch, tp=tp, weight_dtype=dtype,
                       **_kwargs(p, length))
    curve = predict_step(model, hardware, phase=p, batch=BATCHES, tp=tp, weight_dtype=dtype,
                         check_memory=False, **_kwargs(p, length))
    return one, curve


def body(one: StepPrediction, curve: StepPrediction, length: int) -> list[Any]:
    step_s = float(one.step_s)
    fits = one.memory.max_batch(length) >= BATCHES
    tps = np.asarray(curve.tokens_per_s, dtype=float)
    thr = go.Figure(go.Scatter(x=BATCHES[fits], y=tps[fits], mode="lines+markers",
                               line={"color": "#1f5fa8"}))
    thr.update_layout(title={"text": "Throughput vs batch (batches that fit in memory)", "x": 0},
                      template="plotly_white", height=360,
                      margin={"l": 10, "r": 20, "t": 40, "b": 40})
    thr.update_xaxes(title_text="batch [sequences]", type="log")
    thr.update_yaxes(title_text="tokens/s per replica", automargin=True)
    kinds = {k: float(v) for k, v in one.by_kind_s.items()}
    where = go.Figure(go.Bar(x=[v * 1e3 for v in kinds.values()],
                             y=[fmt.words(k) for k in kinds], orientation="h",
                             marker_color="#f2a93b"))
    where.update_layout(title={"text": "Where the time goes [ms]", "x": 0},
                        template="plotly_white", height=300,
                        margin={"l": 10, "r": 20, "t": 40, "b": 40})
    where.update_yaxes(automargin=True)
    mem = one.memory
    rows = [["Step time", f"{step_s * 1e3:,.2f} ms"],
            ["Tokens/s (replica)", f"{float(one.tokens_per_s):,.0f}"],
            ["Chips in the replica", str(one.chips)],
            ["Weights per chip", f"{mem.weights_bytes / 1e9:,.1f} GB"],
            ["Memory used per chip", f"{float(one.memory_used_bytes) / 1e9:,.1f} of "
                                     f"{mem.capacity_bytes / 1e9:,.1f} GB"],
            ["Largest batch that fits", f"{int(mem.max_batch(length)):,}"]]
    return [table(["Quantity", "Value"], rows, id="perf-table"),
            html.Span(repr(step_s), id="perf-step-s", hidden=True),
            dcc.Graph(figure=thr, config={"displayModeBar": False}, id="perf-curve"),
            dcc.Graph(figure=where, config={"displayModeBar": False}, id="perf-where")]


def register(app: dash.Dash) -> None:
    @app.callback(Output("perf-body", "children"), Output("perf-error", "children"),
                  Input("perf-model", "value"), Input("perf-hardware", "value"),
                  Input("perf-phase", "value"), Input("perf-dtype", "value"),
                  Input("perf-tp", "value"), Input("perf-batch", "value"),
                  Input("perf-length", "value"), Input("url", "pathname"))
    def show(model: str, hardware: str, phase: str, dtype: str, tp: int | None,
             batch: int | None, length: int | None, path: str | None) -> tuple[Any, Any]:
        if path != PATH:  # computed when the page is shown, not on every first load
            return dash.no_update, dash.no_update
        if not tp or not batch or not length:
            return dash.no_update, "Tensor parallel, batch and tokens per sequence must be >= 1"
        try:
            one, curve = predict(model, hardware, phase, dtype, int(tp), int(batch), int(length))
        except SiliconomicsError as exc:
            return dash.no_update, str(exc)
        return body(one, curve, int(length)), ""
