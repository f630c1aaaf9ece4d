"""``siliconomics hardware ...`` and ``siliconomics models ...``: browse the catalog."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from siliconomics import catalog
from siliconomics.cli.common import console, print_json
from siliconomics.workload.params import parameter_counts

hardware_app = typer.Typer(help="Browse the accelerator catalog.", no_args_is_help=True)
models_app = typer.Typer(help="Browse the model catalog.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fmt(value: float | None, scale: float = 1.0, digits: int = 0) -> str:
    if value is None or value == 0:
        return "-"
    return f"{value / scale:,.{digits}f}"


@hardware_app.command("list")
def hardware_list(as_json: JsonFlag = False) -> None:
    """List the accelerators in the catalog with their headline numbers."""
    chips = [catalog.hardware(i) for i in catalog.hardware_ids()]
    if as_json:
        print_json({"hardware": [c.model_dump(mode="json") for c in chips]})
        return
    table = Table(title="Accelerator catalog (dense peaks)")
    for col in ("id", "name", "bf16 TFLOP/s", "fp8 TFLOP/s", "memory GiB", "TB/s", "TDP W",
                "price $k", "cloud $/h"):
        table.add_column(col, justify="left" if col in ("id", "name") else "right")
    for c in chips:
        table.add_row(
            c.id, c.name, _fmt(c.peak_flops_s.get("bf16"), 1e12), _fmt(c.peak_flops_s.get("fp8"), 1e12),
            _fmt(c.memory_bytes, 2**30), _fmt(c.memory_bandwidth_bytes_s, 1e12, 2), _fmt(c.tdp_w),
            _fmt(c.price_usd.central if c.price_usd else None, 1e3, 1),
            _fmt(c.cloud_usd_per_hour.central if c.cloud_usd_per_hour else None, 1, 2),
        )
    console.print(table)


@hardware_app.command("show")
def hardware_show(
    hardware_id: Annotated[str, typer.Argument(help="Catalog id or path to a YAML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Show every field of one accelerator with its source."""
    chip = catalog.hardware(hardware_id)
    data = chip.model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{chip.name} ({chip.id})")
    table.add_column("field")
    table.add_column("value", justify="right")
    table.add_column("source")
    for key, value in data.items():
        if key == "sources":
            continue
        if key == "peak_flops_s":
            for dtype, flops in value.items():
                name = f"peak_flops_s.{dtype}"
                table.add_row(name, f"{flops / 1e12:,.1f} T", chip.sources.get(name, ""))
            continue
        table.add_row(key, str(value), chip.sources.get(key, ""))
    console.print(table)


@models_app.command("list")
def models_list(as_json: JsonFlag = False) -> None:
    """List the model architectures with their parameter counts."""
    rows = []
    for model_id in catalog.model_ids():
        arch = catalog.model(model_id)
        counts = parameter_counts(arch)
        rows.append({"id": arch.id, "name": arch.name, "layers": arch.layers,
                     "hidden": arch.hidden, "total_params": counts.total,
                     "active_params": counts.active})
    if as_json:
        print_json({"models": rows})
        return
    table = Table(title="Model catalog")
    for col in ("id", "name", "layers", "hidden", "total B", "active B"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["name"]), str(r["layers"]), str(r["hidden"]),
                      f"{float(str(r['total_params'])) / 1e9:.2f}",
                      f"{float(str(r['active_params'])) / 1e9:.2f}")
    console.print(table)


@models_app.command("show")
def models_show(
    model_id: Annotated[str, typer.Argument(help="Catalog id, model YAML or config.json path.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one model architecture and its parameter counts."""
    arch = catalog.model(model_id)
    counts = parameter_counts(arch)
    data = arch.model_dump(mode="json") | {"total_params": counts.total,
                                           "active_params": counts.active}
    if as_json:
        print_json(data)
        return
    table = Table(title=arch.name or arch.id)
    table.add_column("field")
    table.add_column("value")
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(hardware_app, name="hardware")
    app.add_typer(models_app, name="models")
