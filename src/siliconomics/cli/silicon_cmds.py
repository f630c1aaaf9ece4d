"""``siliconomics chip ...``: evaluate and compare custom chip designs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from siliconomics import catalog
from siliconomics.catalog.index import _looks_like_path
from siliconomics.cli.common import console, print_json
from siliconomics.errors import SiliconomicsError
from siliconomics.silicon.chip import ChipReport, evaluate
from siliconomics.silicon.design import load_design

chip_app = typer.Typer(help="Custom accelerator designs: area, cost, power, NRE, schedule.",
                       no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _report(path: str) -> ChipReport:
    if not _looks_like_path(path) and path in catalog.hardware_ids():
        raise SiliconomicsError(
            f"'{path}' is a catalog chip, not a chip-design file; use 'siliconomics hardware "
            f"show {path}' or 'siliconomics chip compare DESIGN.yaml {path}'")
    p = Path(path)
    return evaluate(load_design(p), source=str(p))


def _is_design(ref: str) -> bool:
    if not _looks_like_path(ref):
        return False
    from siliconomics.catalog.sourced import read_yaml

    return read_yaml(Path(ref)).get("type") == "chip-design"


@chip_app.command("show")
def chip_show(
    design: Annotated[str, typer.Argument(help="Path to a chip-design YAML.")],
    as_json: JsonFlag = False,
) -> None:
    """Derived spec, area breakdown, unit cost breakdown, NRE and schedule of a design."""
    r = _report(design)
    if as_json:
        print_json(r.as_dict())
        return
    acc = r.accelerator
    spec = Table(title=f"{acc.name} ({r.design.process_node}) - derived spec")
    spec.add_column("quantity")
    spec.add_column("value", justify="right")
    for dtype, flops in acc.peak_flops_s.items():
        spec.add_row(f"peak {dtype} [TFLOP/s]", f"{flops / 1e12:,.1f}")
    spec.add_row("memory [GB]", f"{acc.memory_bytes / 1e9:,.2f} ({acc.memory_kind})")
    spec.add_row("memory bandwidth [TB/s]", f"{acc.memory_bandwidth_bytes_s / 1e12:,.2f}")
    spec.add_row("SRAM [MB]", f"{acc.sram_bytes / 1e6:,.0f}")
    spec.add_row("scale-up [GB/s per direction]", f"{acc.scaleup_bandwidth_bytes_s / 1e9:,.0f}")
    spec.add_row("TDP [W]", f"{r.tdp_w:,.0f}")
    spec.add_row("dies x die area [mm2]", f"{r.dies} x {r.die_area_mm2:,.0f}")
    console.print(spec)
    _kv_table("Area [mm2]", r.area.as_dict(), digits=1)
    cost = r.cost.as_dict() | {"board_usd": r.board_usd}
    _kv_table("Unit cost [USD]", cost, digits=2)
    rng = r.unit_cost_range_usd
    console.print(f"unit cost range: ${rng.low:,.0f} - ${rng.high:,.0f} (central ${rng.central:,.0f})")
    _kv_table("NRE [USD M]", {k: v / 1e6 for k, v in r.nre.__dict__.items()}, digits=1)
    _kv_table("Schedule [months]", r.schedule.__dict__, digits=1)
    for w in r.warnings:
        console.print(f"[yellow]warning:[/] {w}")


def _kv_table(title: str, values: dict[str, Any], digits: int) -> None:
    table = Table(title=title)
    table.add_column("item")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, f"{float(value):,.{digits}f}")
    console.print(table)


@chip_app.command("compare")
def chip_compare(
    chips: Annotated[list[str], typer.Argument(help="Design files and/or catalog ids.")],
    as_json: JsonFlag = False,
) -> None:
    """Compare designs and catalog chips: spec, area, unit cost or catalog price."""
    rows: list[dict[str, Any]] = []
    for ref in chips:
        if _is_design(ref):
            r = _report(ref)
            acc = r.accelerator
            row: dict[str, Any] = {"ref": ref, "kind": "design", "die_area_mm2": r.die_area_mm2,
                                   "unit_cost_usd": r.unit_cost_usd, "price_usd": None,
                                   "nre_usd": r.nre.total_usd}
        else:
            acc = catalog.hardware(ref)
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
    table = Table(title="Chip comparison")
    cols = ("ref", "bf16 TFLOP/s", "memory GB", "TB/s", "TDP W", "die mm2", "unit cost $",
            "price $", "NRE $M")
    for col in cols:
        table.add_column(col, justify="left" if col == "ref" else "right")

    def f(v: float | None, scale: float = 1.0, digits: int = 0) -> str:
        return "-" if v is None else f"{v / scale:,.{digits}f}"

    for row in rows:
        table.add_row(row["ref"], f(row["bf16_tflops"]), f(row["memory_gb"], digits=1),
                      f(row["memory_tb_s"], digits=2), f(row["tdp_w"]), f(row["die_area_mm2"]),
                      f(row["unit_cost_usd"]), f(row["price_usd"]), f(row["nre_usd"], 1e6))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(chip_app, name="chip")
