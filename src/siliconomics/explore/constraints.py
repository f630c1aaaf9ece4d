"""Check one design (a :class:`ChipDesign` evaluated by the silicon model) against a space's
constraints; a violation is one line naming the constraint, the design field that drives it,
the value and the limit."""

from __future__ import annotations

from siliconomics.catalog.process_nodes import process_node
from siliconomics.errors import SiliconomicsError
from siliconomics.explore.space import DesignSpace, node_availability
from siliconomics.silicon.chip import ChipReport


def violations(space: DesignSpace, report: ChipReport) -> list[str]:
    """Every constraint of ``space`` that ``report``'s design breaks (empty = feasible)."""
    c = space.constraints
    d = report.design
    out: list[str] = []
    if report.dies > 1 or report.die_area_mm2 > c.max_die_area_mm2:
        out.append(f"max_die_area_mm2: die area {report.die_area_mm2:.0f} mm2 (x{report.dies} dies) "
                   f"exceeds {c.max_die_area_mm2:g} (fields compute.units, compute.macs_per_cycle, sram.mb)")
    if report.tdp_w > c.max_tdp_w:
        out.append(f"max_tdp_w: TDP {report.tdp_w:.0f} W exceeds {c.max_tdp_w:g} "
                   f"(fields clock_mhz, compute.units, compute.macs_per_cycle)")
    density = report.tdp_w / report.die_area_mm2
    if density > c.max_power_density_w_mm2:
        out.append(f"max_power_density_w_mm2: {density:.2f} W/mm2 exceeds "
                   f"{c.max_power_density_w_mm2:g} (fields clock_mhz, compute.macs_per_cycle)")
    if d.memory.devices > c.max_memory_devices:
        out.append(f"max_memory_devices: memory.devices {d.memory.devices} exceeds "
                   f"{c.max_memory_devices}")
    if c.available_by is not None:
        first = node_availability()[process_node(d.process_node).name]
        if first > c.available_by:
            out.append(f"available_by: process_node {d.process_node} is in volume from "
                       f"{first:%Y-%m}, after {c.available_by}")
    if c.max_unit_cost_usd is not None and report.unit_cost_usd > c.max_unit_cost_usd:
        out.append(f"max_unit_cost_usd: unit cost {report.unit_cost_usd:,.0f} USD exceeds "
                   f"{c.max_unit_cost_usd:,.0f}")
    return out


def check_design(space: DesignSpace, report: ChipReport, where: str) -> None:
    """Refuse a design that breaks a constraint of ``space`` (the first one, in one line)."""
    broken = violations(space, report)
    if broken:
        raise SiliconomicsError(f"{where}: design '{report.design.id}' breaks constraint {broken[0]}")
