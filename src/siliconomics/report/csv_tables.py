"""The report's tables for analysts, as rows written to CSV (machine names, full precision;
:func:`siliconomics.economics.export.write_table`); the HTML shows the same facts with
words and units."""

from __future__ import annotations

from typing import Any

from siliconomics.economics.export import Table
from siliconomics.report.briefing import Briefing


def tables(b: Briefing) -> dict[str, Table]:
    """The tables by name (each written as ``<name>.csv``)."""
    r = b.result
    j = b.to_json()
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
    out = {"options": rows}
    breakdown = [{"option": k} | v["breakdown_usd_per_day"]
                 | {"idle_capacity_included_usd_per_day": v["idle_capacity_usd_per_day"]}
                 for k, v in j["options"].items()]
    columns = dict.fromkeys(c for row in breakdown for c in row)
    out["breakdown"] = [{c: _or_zero(row.get(c)) for c in columns} for row in breakdown]
    out["tornado"] = list(j["strategy"]["tornado"]["bars"])
    out["inputs"] = [{"input": i.name, "low": i.low, "central": i.central, "high": i.high,
                      "source": i.source} for i in b.inputs]
    if b.show_four_cents and r.explanation is not None:
        out["four_cents"] = [vars(s) for s in r.explanation[2]]
    out["capacity"] = [_capacity_row(k, v) for k, v in j["options"].items()]
    silicon = [{"option": k} | {c: x for c, x in v["silicon"].items() if c != "path"}
               for k, v in j["options"].items() if v["silicon"]]
    if silicon:
        out["silicon"] = silicon
    if j["own_model"] is not None and j["reproduction"] is not None:
        out["own_model"] = [
            {"sizing": "SemiAnalysis assumptions (FLOP utilisation, 50% busy)"}
            | _repro_row(j["reproduction"]),
            {"sizing": "siliconomics serving + performance model"} | _repro_row(j["own_model"]),
        ]
    return out


def _or_zero(value: Any) -> Any:
    """A cost category an option does not have is 0 USD/day, not a blank cell."""
    return 0.0 if value is None or value != value else value


def _repro_row(x: dict[str, Any]) -> dict[str, Any]:
    return {k: x[k] for k in ("option", "capacity_method", "gpus", "servers",
                              "capacity_qps_per_chip", "utilisation_frac", "usd_per_day")} | {
        "cents_per_query": float(x["usd_per_query"]) * 100}


def _capacity_row(option: str, v: dict[str, Any]) -> dict[str, Any]:
    """Where an option's chips come from: the serving layer's fleet or an assumption."""
    row: dict[str, Any] = {"option": option, "capacity_method": v["capacity_method"],
                           "chips": round(float(v["chips"])),
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
