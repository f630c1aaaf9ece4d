"""``siliconomics chip ...``: evaluate and compare custom chip designs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from siliconomics import catalog
from siliconomics.catalog.index import looks_like_path
from siliconomics.cli.common import GB, Column, console, fmt, print_json, print_pairs, print_table, warn
from siliconomics.errors import SiliconomicsError
from siliconomics.resolve import (
    design_path,
    is_chip_design,
    resolve_accelerator,
    shipped_design_paths,
)
from siliconomics.silicon.chip import ChipReport, evaluate
from siliconomics.silicon.design import load_design

chip_app = typer.Typer(help="Custom accelerator designs: area, cost, power, NRE, schedule.",
                       no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _report(path: str) -> ChipReport:
    if not looks_like_path(path) and path in catalog.hardware_ids():
        raise SiliconomicsError(
            f"'{path}' is a catalog chip, not a chip-design file; use 'siliconomics hardware "
            f"show {path}' or 'siliconomics chip compare DESIGN.yaml {path}'")
    p = design_path(path)
    return evaluate(load_design(p), source=str(p))


@chip_app.command("list")
def chip_list(as_json: JsonFlag = False) -> None:
    """List the shipped chip designs with their die area, unit cost, TDP and NRE."""
    rows: list[dict[str, Any]] = []
    for path in shipped_design_paths():
        r = evaluate(load_design(path), source=str(path))
        rows.append({"id": r.design.id, "name": r.accelerator.name, "path": str(path),
                     "process_node": r.design.process_node, "die_area_mm2": r.die_area_mm2,
                     "unit_cost_usd": r.unit_cost_usd, "tdp_w": r.tdp_w,
                     "nre_usd": r.nre.total_usd})
    if as_json:
        print_json({"designs": rows})
        return
    columns = [Column("id", "id"), Column("node", "id"), Column("die\nmm2"),
               Column("unit cost\nUSD"), Column("TDP\nW"), Column("NRE\nM USD"),
               Column("name", "text")]
    print_table("Shipped chip designs (chip show ID for the breakdown)", columns, [
        (r["id"], r["process_node"], fmt(r["die_area_mm2"]), fmt(r["unit_cost_usd"]),
         fmt(r["tdp_w"]), fmt(r["nre_usd"], 1e6), r["name"]) for r in rows])


@chip_app.command("show")
def chip_show(
    design: Annotated[str, typer.Argument(help="Shipped design id (chip list) or chip-design "
                                                "YAML path.")],
    as_json: JsonFlag = False,
) -> None:
    """Derived spec, area breakdown, unit cost breakdown, NRE and schedule of a design."""
    r = _report(design)
    if as_json:
        print_json(r.as_dict())
        return
    acc = r.accelerator
    spec = [(f"peak {dtype} [TFLOP/s]", fmt(flops, 1e12, 1))
            for dtype, flops in acc.peak_flops_s.items()]
    spec += [
        (f"memory ({acc.memory_kind}) [GB]", fmt(acc.memory_bytes, GB, 2)),
        ("memory bandwidth [TB/s]", fmt(acc.memory_bandwidth_bytes_s, 1e12, 2)),
        ("SRAM [MB]", fmt(acc.sram_bytes, 1e6)),
        ("scale-up per direction [GB/s]", fmt(acc.scaleup_bandwidth_bytes_s, 1e9)),
        ("TDP [W]", fmt(r.tdp_w)),
        ("dies x die area [mm2]", f"{r.dies} x {r.die_area_mm2:,.0f}"),
        ("die area within the model's held-out error [mm2]",
         f"{r.die_area_range_mm2.low:,.0f} - {r.die_area_range_mm2.high:,.0f}"),
    ]
    print_pairs(f"{acc.name} ({r.design.process_node}) - derived spec", spec)
    _kv_table("Area [mm2]", r.area.as_dict(), digits=1)
    cost = r.cost.as_dict() | {"board_usd": r.board_usd}
    _kv_table("Unit cost [USD]", cost, digits=2)
    rng = r.unit_cost_range_usd
    console.print(f"unit cost range: {rng.low:,.0f} - {rng.high:,.0f} USD (central "
                  f"{rng.central:,.0f} USD)")
    _kv_table("NRE [M USD]", {k: v / 1e6 for k, v in r.nre.__dict__.items()}, digits=1)
    _kv_table("Schedule [months]", r.schedule.__dict__, digits=1)
    for w in r.warnings:
        warn(w)


def _kv_table(title: str, values: dict[str, Any], digits: int) -> None:
    print_pairs(title, [(key, fmt(float(value), 1.0, digits)) for key, value in values.items()],
                headers=("item", "value"))


@chip_app.command("compare")
def chip_compare(
    chips: Annotated[list[str], typer.Argument(help="Design files and/or catalog ids.")],
    as_json: JsonFlag = False,
) -> None:
    """Compare designs and catalog chips: spec, area, unit cost or catalog price."""
    rows: list[dict[str, Any]] = []
    for ref in chips:
        if is_chip_design(ref):
            r = _report(ref)
            acc = r.accelerator
            row: dict[str, Any] = {"ref": ref, "kind": "design", "die_area_mm2": r.die_area_mm2,
                                   "unit_cost_usd": r.unit_cost_usd, "price_usd": None,
                                   "nre_usd": r.nre.total_usd}
        else:
            acc = resolve_accelerator(ref)
            row = {"ref": ref, "kind": "catalog", "die_area_mm2": acc.die_area_mm2,
                   "unit_cost_usd": None, "nre_usd": None,
                   "price_usd": acc.price_usd.central if acc.price_usd else None}
        half = acc.peak_flops_s.get("bf16") or acc.peak_flops_s.get("fp16")
        row |= {"name": acc.name, "bf16_tflops": half / 1e12 if half else None,
                "memory_gb": acc.memory_bytes / 1e9,
                "memory_tb_s": acc.memory_bandwidth_bytes_s / 1e12, "tdp_w": acc.tdp_w}
        rows.append(row)
    if as_json:
        print_json({"chips": rows})
        return
    columns = [Column("ref", "id"), Column("bf16\nTFLOP/s"), Column("memory\nGB"),
               Column("memory\nTB/s"), Column("TDP\nW"), Column("die\nmm2"),
               Column("unit cost\nUSD"), Column("price\nUSD"), Column("NRE\nM USD")]
    print_table("Chip comparison", columns, [
        (row["ref"], fmt(row["bf16_tflops"]), fmt(row["memory_gb"], digits=1),
         fmt(row["memory_tb_s"], digits=2), fmt(row["tdp_w"]), fmt(row["die_area_mm2"]),
         fmt(row["unit_cost_usd"]), fmt(row["price_usd"]), fmt(row["nre_usd"], 1e6))
        for row in rows])


def register(app: typer.Typer) -> None:
    app.add_typer(chip_app, name="chip")
