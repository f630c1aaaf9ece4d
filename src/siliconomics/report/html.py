"""Write the study report: one self-contained HTML file (plots as base64 PNG) and CSV tables."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from siliconomics.economics.study import StudyResult
from siliconomics.errors import SiliconomicsError
from siliconomics.report import plots


def tables(r: StudyResult) -> dict[str, pd.DataFrame]:
    """The report's tables by name (also written as CSV)."""
    j = r.to_json()
    rows = []
    for k, v in j["options"].items():
        rows.append({
            "option": k, "label": v["label"], "type": v["type"], "chips": round(v["chips"]),
            "utilisation_frac": v["utilisation_frac"],
            "cost_per_query_usd": v["cost_per_query_usd"], "cost_per_day_usd": v["cost_per_day_usd"],
            "usd_per_m_input_tokens": v["usd_per_m_input_tokens"],
            "usd_per_m_output_tokens": v["usd_per_m_output_tokens"],
            "tco_usd_per_chip_hour": v["tco_usd_per_chip_hour"],
            "npv_mean_usd": v["npv_mean_usd"], "npv_p05_usd": v["npv_p05_usd"],
            "npv_p95_usd": v["npv_p95_usd"], "prob_best": v["prob_best"],
        })
    out = {"options": pd.DataFrame(rows)}
    out["breakdown"] = pd.DataFrame(
        [{"option": k} | v["breakdown_usd_per_day"]
         | {"idle_capacity": v["idle_capacity_usd_per_day"]} for k, v in j["options"].items()]
    ).fillna(0.0)
    out["tornado"] = pd.DataFrame(j["strategy"]["tornado"]["bars"])
    out["inputs"] = pd.DataFrame(
        [{"input": k, "low": v.range.low, "central": v.range.central, "high": v.range.high,
          "source": v.source} for k, v in sorted(r.scenario.strategy.ranges.items())]
    )
    if r.explanation is not None:
        out["four_cents"] = pd.DataFrame([vars(s) for s in r.explanation[2]])
    out["capacity"] = pd.DataFrame([_capacity_row(k, v) for k, v in j["options"].items()])
    silicon = [{"option": k} | v["silicon"] for k, v in j["options"].items() if v["silicon"]]
    if silicon:
        out["silicon"] = pd.DataFrame(silicon).drop(columns=["path"])
    if j["own_model"] is not None and j["reproduction"] is not None:
        out["own_model"] = pd.DataFrame([
            {"sizing": "SemiAnalysis assumptions (FLOP utilisation, 50% busy)"}
            | _repro_row(j["reproduction"]),
            {"sizing": "siliconomics serving + performance model"} | _repro_row(j["own_model"]),
        ])
    return out


def _repro_row(x: dict[str, object]) -> dict[str, object]:
    return {k: x[k] for k in ("option", "capacity_method", "gpus", "servers",
                              "capacity_qps_per_chip", "utilisation_frac", "usd_per_day")} | {
        "cents_per_query": float(x["usd_per_query"]) * 100}  # type: ignore[arg-type]


def _capacity_row(option: str, v: dict[str, object]) -> dict[str, object]:
    """Where an option's chips come from: the serving layer's fleet or an assumption."""
    row: dict[str, object] = {"option": option, "capacity_method": v["capacity_method"],
                              "chips": round(float(v["chips"])),  # type: ignore[arg-type]
                              "utilisation_frac": v["utilisation_frac"]}
    f = v.get("serving")
    if isinstance(f, dict):
        row |= {"deployment": f["deployment"], "replicas": f["replicas"],
                "req_s_per_replica": f["replica_capacity_per_s"],
                "tokens_s_per_chip": f["output_tokens_s_per_chip"],
                "p99_ttft_s": f["sample_ttft_p99_s"], "p99_tpot_s": f["sample_tpot_p99_s"],
                "slo_met_frac": f["sample_slo_met_frac"],
                "tp_tried": " ".join(f"tp{t['tp']}:{t['chips'] or 'n/a'}"
                                     for t in f["tp_tried"])}
    return row


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt_table(df: pd.DataFrame) -> str:
    def fmt(x: object) -> str:
        if isinstance(x, float):
            if abs(x) >= 1000:
                return f"{x:,.0f}"
            return f"{x:.4g}"
        return html.escape(str(x))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{fmt(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:1em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}td,th{border:1px solid #ccc;
padding:3px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}
img{max-width:100%}.warn{color:#a60}.big{font-size:1.2em}"""


def render(r: StudyResult) -> str:
    """The report as one HTML string."""
    s = r.scenario
    j = r.to_json()
    t = tables(r)
    rec = j["strategy"]["recommended"]
    be = r.break_even
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>siliconomics: "
             f"{html.escape(s.name)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(s.name)}</h1><p>{html.escape(s.description)}</p>",
             f"<p>Model: <b>{html.escape(s.model_id)}</b>. {html.escape(s.model_note)} "
             f"Demand: <b>{s.queries_per_day:,.0f}</b> queries/day at the start, horizon "
             f"{j['horizon_years']:.0f} years.</p>"]
    parts += [f"<p class='warn'>warning: {html.escape(w)}</p>" for w in s.warnings]
    parts.append(
        f"<p class='big'>Recommended: <b>{html.escape(rec)}</b>, best in "
        f"{r.strategy.prob_best[rec]:.0%} of {r.strategy.draws:,} Monte Carlo draws "
        f"(seed {r.strategy.seed}).</p>")
    if be is not None:
        if be.queries_per_day is None:
            parts.append(f"<p>Break-even: {html.escape(be.custom_option)} never beats "
                         f"{html.escape(be.merchant_option)} between {be.searched[0]:,.0f} and "
                         f"{be.searched[1]:,.0f} queries/day.</p>")
        else:
            parts.append(
                f"<p>Break-even demand: building (<b>{html.escape(be.custom_option)}</b>) beats "
                f"the best GPU option above <b>{be.queries_per_day:,.0f}</b> queries/day "
                f"({be.scale:.2g}x today's demand), central inputs, expected over chip risk.</p>")
    parts += ["<h2>Cost per query and per day</h2>", _img(plots.cost_per_query(r), "cost"),
              _fmt_table(t["options"]), "<h3>Daily cost breakdown [USD/day]</h3>",
              _fmt_table(t["breakdown"]),
              "<h3>Where the chips come from</h3><p>Capacity method <b>serving</b>: the fleet "
              "is sized by the serving layer (iteration-level batching simulator on the "
              "performance model's step times) for the peak hour at the SLO with headroom; "
              "chips = replicas x chips per replica, utilisation = daily mean load / fleet "
              "capacity. <b>flops</b> and <b>explicit</b> are sourced assumptions. The TP "
              "degrees tried and the chips each needs are listed.</p>",
              _fmt_table(t["capacity"])]
    if "silicon" in t:
        parts += ["<h3>Custom chips from the silicon model</h3><p>Unit cost (+ board), TDP, "
                  "NRE and months to volume of each design; the Monte Carlo samples the "
                  "respin itself and scales NRE, schedule and unit cost by the scenario's "
                  "ranges.</p>", _fmt_table(t["silicon"])]
    parts += [
              "<h2>NPV distributions</h2>", _img(plots.npv_distributions(r), "npv"),
              "<h2>Sensitivity (tornado)</h2>",
              f"<p>Metric: {html.escape(j['strategy']['tornado']['metric'])}, base "
              f"{r.tornado_base_usd / 1e9:,.2f} bn USD.</p>",
              _img(plots.tornado_chart(r), "tornado"), _fmt_table(t["tornado"]),
              "<h2>Fleet over time</h2>", _img(plots.fleet_over_time(r), "fleet")]
    if r.reproduction is not None:
        rp = r.reproduction
        parts.append(
            "<h2>SemiAnalysis reproduction</h2><p>From SemiAnalysis's stated assumptions "
            "(Patel &amp; Ahmad, 'The Inference Cost Of Search Disruption', 2023-02-09): "
            f"<b>{rp.gpus:,.0f}</b> A100 ({rp.servers:,.0f} HGX servers), "
            f"<b>${rp.usd_per_day:,.0f}</b>/day, <b>{rp.usd_per_query * 100:.3f}</b> cents per "
            "query. Published: 28,936 GPUs, 3,617 servers, $694,444/day, 0.36 cents.</p>")
    if "own_model" in t and r.own_model is not None and r.reproduction is not None:
        om, rp = r.own_model, r.reproduction
        parts.append(
            "<h3>The same traffic on siliconomics's own model</h3><p>Same users, queries, "
            "tokens and $/GPU-hour; the GPU count from the serving layer's fleet sizing "
            "(batching simulator on the performance model, peak hour at the SLO) instead of "
            f"the published FLOP utilisation and 50% busy assumption: <b>{om.gpus:,.0f}</b> "
            f"GPUs ({om.gpus / rp.gpus:.2f}x the reproduction), <b>"
            f"{om.usd_per_query * 100:.3f}</b> cents per query.</p>")
        parts.append(_fmt_table(t["own_model"]))
    if r.explanation is not None:
        target, source, steps = r.explanation
        parts.append(
            f"<h2>The 4-cents-per-query figure</h2><p>{html.escape(source)}. It is not a "
            "contradiction of SemiAnalysis's 0.36 cents but a different set of assumptions. "
            "Starting from theirs and changing one input at a time (cumulative):</p>")
        parts.append(_fmt_table(pd.DataFrame(
            [{"step": x.label, "cents_per_query": x.usd_per_query * 100, "source": x.source}
             for x in steps])))
        reach = next((x.label for x in steps if x.usd_per_query >= 0.9 * target), None)
        parts.append(f"<p>Within 10% of {target * 100:.0f} cents after: "
                     f"<b>{html.escape(reach or 'not reached')}</b>.</p>")
    if r.savings_usd_per_year is not None:
        sv = r.savings_usd_per_year
        parts.append(f"<h2>Partner vs. in-house</h2><p>{html.escape(str(sv['option']))} vs "
                     f"{html.escape(str(sv['versus']))}: <b>{sv['usd_per_year'] / 1e6:,.0f} M "
                     "USD per year</b> (NPV difference as an annuity; positive = in-house "
                     "saves).</p>")
    parts += ["<h2>Inputs and sources</h2>", _fmt_table(t["inputs"]), "</body></html>"]
    return "\n".join(parts)


def write_report(r: StudyResult, out_dir: Path) -> Path:
    """Write ``report.html`` and the CSV tables into ``out_dir``; returns the HTML path."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiliconomicsError(f"--out {out_dir}: cannot create folder ({exc.strerror})") from None
    for name, df in tables(r).items():
        df.to_csv(out_dir / f"{name}.csv", index=False)
    path = out_dir / "report.html"
    path.write_text(render(r), encoding="utf-8")
    return path
