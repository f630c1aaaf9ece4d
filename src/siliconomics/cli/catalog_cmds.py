"""``siliconomics hardware ...`` and ``siliconomics models ...``: browse the catalog."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from siliconomics import catalog
from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.sourced import Range
from siliconomics.cli.common import GB, Column, fmt, print_json, print_table
from siliconomics.resolve import resolve_accelerator
from siliconomics.workload.params import parameter_counts

hardware_app = typer.Typer(help="Browse the accelerator catalog.", no_args_is_help=True)
models_app = typer.Typer(help="Browse the model catalog.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

# Runtime field -> (display unit, divisor from base units, decimals). Memory sizes in GB
# (1e9 B), like every other command; the JSON keeps base units (bytes, FLOP/s, Hz, W, USD).
_UNITS: dict[str, tuple[str, float, int]] = {
    "memory_bytes": ("GB", GB, 1),
    "memory_bandwidth_bytes_s": ("TB/s", 1e12, 2),
    "sram_bytes": ("MB", 1e6, 1),
    "scaleup_bandwidth_bytes_s": ("GB/s", 1e9, 0),
    "scaleout_bandwidth_bytes_s": ("GB/s", 1e9, 0),
    "tdp_w": ("W", 1.0, 0),
    "idle_power_w": ("W", 1.0, 0),
    "clock_hz": ("MHz", 1e6, 0),
    "die_area_mm2": ("mm2", 1.0, 0),
    "transistors": ("billion", 1e9, 1),
    "price_usd": ("USD", 1.0, 0),
    "cloud_usd_per_hour": ("USD/h", 1.0, 2),
}


def _value(field: str, value: Any) -> tuple[str, str]:
    """One accelerator field as (text, unit) for a table."""
    if value is None:
        return "-", ""
    unit, scale, digits = _UNITS.get(field, ("", 1.0, 0))
    if isinstance(value, Range):
        if value.is_point:
            return fmt(value.central, scale, digits), unit
        low, central, high = (fmt(v, scale, digits) for v in (value.low, value.central, value.high))
        return f"{central} ({low}-{high})", unit
    if isinstance(value, bool | str):
        return str(value), unit
    if isinstance(value, int | float):
        return fmt(float(value), scale, digits), unit
    return str(value), unit


def accelerator_rows(chip: Accelerator) -> list[tuple[str, str, str, str]]:
    """(field, value, unit, source) for every field of an accelerator, in display units; a
    range reads ``central (low-high)``."""
    rows: list[tuple[str, str, str, str]] = []
    for field in type(chip).model_fields:
        if field == "sources":
            continue
        if field == "peak_flops_s":
            for dtype, flops in chip.peak_flops_s.items():
                name = f"peak_flops_s.{dtype}"
                rows.append((name, fmt(flops, 1e12, 1), "TFLOP/s", chip.sources.get(name, "")))
            continue
        text, unit = _value(field, getattr(chip, field))
        rows.append((field, text, unit, chip.sources.get(field, "")))
    return rows


@hardware_app.command("list")
def hardware_list(
    as_json: JsonFlag = False,
    sources: Annotated[bool, typer.Option(
        "--sources", help="One row per value with its unit and source, for every chip.")] = False,
) -> None:
    """List the accelerators in the catalog with their headline numbers (dense peaks)."""
    chips = [catalog.hardware(i) for i in catalog.hardware_ids()]
    if as_json:
        print_json({"hardware": [c.model_dump(mode="json") for c in chips]})
        return
    if sources:
        rows = [(c.id, *row) for c in chips for row in accelerator_rows(c)]
        print_table("Accelerator catalog: every value with its source",
                    [Column("id", "id"), Column("field", "id"), Column("value", "value"),
                     Column("unit", "id"), Column("source", "text")], rows)
        return
    columns = [Column("id", "id"), Column("bf16\nTFLOP/s"), Column("fp8\nTFLOP/s"),
               Column("memory\nGB"), Column("memory\nTB/s"), Column("TDP\nW"),
               Column("price\nk USD"), Column("cloud\nUSD/h"), Column("name", "text")]
    print_table("Accelerator catalog (dense peaks; sources: hardware show ID)", columns, [
        (c.id, fmt(c.peak_flops_s.get("bf16"), 1e12), fmt(c.peak_flops_s.get("fp8"), 1e12),
         fmt(c.memory_bytes, GB, 1), fmt(c.memory_bandwidth_bytes_s, 1e12, 2), fmt(c.tdp_w),
         fmt(c.price_usd.central if c.price_usd else None, 1e3, 1),
         fmt(c.cloud_usd_per_hour.central if c.cloud_usd_per_hour else None, 1, 2), c.name)
        for c in chips])


@hardware_app.command("show")
def hardware_show(
    hardware_id: Annotated[str, typer.Argument(
        help="Catalog id, accelerator YAML or chip-design YAML.")],
    as_json: JsonFlag = False,
) -> None:
    """Show every field of one accelerator with its unit and source."""
    chip = resolve_accelerator(hardware_id)
    if as_json:
        print_json(chip.model_dump(mode="json"))
        return
    print_table(f"{chip.name} ({chip.id})",
                [Column("field", "id"), Column("value", "value"), Column("unit", "id"),
                 Column("source", "text")], accelerator_rows(chip))


def _model_row(model_id: str) -> dict[str, Any]:
    arch = catalog.model(model_id)
    counts = parameter_counts(arch)
    return {"id": arch.id, "name": arch.name, "layers": arch.layers, "hidden": arch.hidden,
            "total_params": counts.total, "active_params": counts.active}


@models_app.command("list")
def models_list(as_json: JsonFlag = False) -> None:
    """List the model architectures with their parameter counts."""
    rows = [_model_row(m) for m in catalog.model_ids()]
    if as_json:
        print_json({"models": rows})
        return
    columns = [Column("id", "id"), Column("layers"), Column("hidden"),
               Column("total\nparams B"), Column("active\nparams B"), Column("name", "text")]
    print_table("Model catalog", columns, [
        (r["id"], str(r["layers"]), str(r["hidden"]), fmt(r["total_params"], 1e9, 2),
         fmt(r["active_params"], 1e9, 2), r["name"]) for r in rows])


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
    pairs = []
    for key, value in data.items():
        if isinstance(value, dict):
            pairs += [(f"{key}.{k}", str(v)) for k, v in value.items()]
        elif key.endswith("_params") and isinstance(value, int | float):
            pairs.append((f"{key} [B]", fmt(float(value), 1e9, 2)))
        else:
            pairs.append((key, "-" if value is None else str(value)))
    print_table(arch.name or arch.id, [Column("field", "id"), Column("value", "value")], pairs)


def register(app: typer.Typer) -> None:
    app.add_typer(hardware_app, name="hardware")
    app.add_typer(models_app, name="models")
