"""Evaluate many designs at once: area + unit cost + derived peak, on NumPy arrays.

Every argument is an array (or scalar broadcast against them) of design parameters; node
parameters are passed as arrays too (look them up with :func:`node_arrays`). The same pure
functions as the scalar path are used, so the results agree with :func:`chip.evaluate` for
single-die designs at the central inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siliconomics.catalog.process_nodes import process_node
from siliconomics.silicon import area as area_model
from siliconomics.silicon import defaults
from siliconomics.silicon.cost import manufacturing_cost

Array = NDArray[np.float64]


@dataclass(frozen=True)
class NodeArrays:
    logic_density_mtr_mm2: Array
    sram_bitcell_um2: Array
    wafer_price_usd: Array
    defect_density_per_cm2: Array


def node_arrays(nodes: list[str]) -> NodeArrays:
    """Central node parameters for a list of node names (one entry per design)."""
    table = {n: process_node(n) for n in set(nodes)}

    def col(key: str) -> Array:
        values = {n: node.value(key) for n, node in table.items()}
        return np.array([values[n] for n in nodes], dtype=float)

    return NodeArrays(col("logic_density_mtr_mm2"), col("sram_bitcell_um2"),
                      col("wafer_price_usd"), col("defect_density_per_cm2"))


@dataclass(frozen=True)
class DesignArrays:
    """Results per design: die area [mm²], unit cost [USD], bf16 peak [FLOP/s]."""

    die_area_mm2: Array
    unit_cost_usd: Array
    peak_bf16_flops_s: Array
    yield_frac: Array


def evaluate_arrays(
    *,
    units: Array,
    enabled_units: Array,
    macs_bf16_per_unit: Array,
    vector_lanes_per_unit: Array,
    local_sram_bytes_per_unit: Array,
    global_sram_bytes: Array,
    clock_hz: Array,
    hbm_stacks: Array,
    hbm_gib_per_stack: Array,
    serdes_lanes: Array,
    nodes: NodeArrays,
    memory_kind: str = "HBM3",
    packaging: str = "cowos-s",
    kind: str = "asic",
) -> DesignArrays:
    """Area, unit cost and bf16 peak of single-die HBM designs of one ``kind``, vectorised."""
    c = area_model.coefficients()
    phy = defaults.num("memory_kinds", memory_kind, "phy_area_mm2")
    a = area_model.die_area(
        units=units, macs_bf16eq_per_unit=macs_bf16_per_unit,
        vector_lanes_per_unit=vector_lanes_per_unit,
        local_sram_bytes_per_unit=local_sram_bytes_per_unit, global_sram_bytes=global_sram_bytes,
        memory_phy_mm2=hbm_stacks * phy, serdes_lanes=serdes_lanes, host_lanes=16.0,
        logic_density_mtr_mm2=nodes.logic_density_mtr_mm2,
        sram_bitcell_um2=nodes.sram_bitcell_um2, coeffs=c, unit_area_mm2_n7=c.unit_area_for(kind),
    )
    memory_gb = hbm_stacks * hbm_gib_per_stack * 2**30 / 1e9
    cost = manufacturing_cost(
        die_area_mm2=a.total_mm2, unit_area_mm2=a.unit_mm2, units_per_die=units,
        enabled_units_per_die=enabled_units, dies=1.0, wafer_price_usd=nodes.wafer_price_usd,
        defect_density_per_cm2=nodes.defect_density_per_cm2, yield_model="negative_binomial",
        clustering_alpha=defaults.num("yield", "clustering_alpha"), memory_gb=memory_gb,
        memory_usd_per_gb=defaults.num("memory_kinds", memory_kind, "usd_per_gb"),
        memory_stack_area_mm2=hbm_stacks * defaults.num("cost", "hbm_footprint_mm2"),
        packaging_reference_usd=defaults.num("packaging", packaging, "cost_usd"),
        packaging_reference_area_mm2=defaults.num("packaging", packaging, "reference_area_mm2"),
        assembly_yield_frac=defaults.num("packaging", packaging, "assembly_yield_frac"),
        test_assembly_frac=defaults.num("cost", "test_assembly_frac"),
        wafer_diameter_mm=defaults.num("wafer", "wafer_diameter_mm"),
        edge_exclusion_mm=defaults.num("wafer", "edge_exclusion_mm"),
        scribe_mm=defaults.num("wafer", "scribe_mm"),
    )
    peak = enabled_units * macs_bf16_per_unit * 2.0 * clock_hz
    return DesignArrays(np.asarray(a.total_mm2, dtype=float), np.asarray(cost.unit_cost_usd, dtype=float),
                        np.asarray(peak, dtype=float), np.asarray(cost.yield_frac, dtype=float))


def random_designs(n: int, seed: int = 0) -> dict[str, Array]:
    """``n`` random design parameter sets (for benchmarks and tests), reproducible by seed."""
    rng = np.random.default_rng(seed)
    units = rng.integers(8, 160, n).astype(float)
    return {
        "units": units,
        "enabled_units": np.floor(units * rng.uniform(0.85, 1.0, n)),
        "macs_bf16_per_unit": rng.choice([512.0, 1024.0, 2048.0, 4096.0], n),
        "vector_lanes_per_unit": rng.uniform(0, 256, n),
        "local_sram_bytes_per_unit": rng.uniform(0, 512 * 1024, n),
        "global_sram_bytes": rng.uniform(8e6, 200e6, n),
        "clock_hz": rng.uniform(0.8e9, 2.0e9, n),
        "hbm_stacks": rng.integers(1, 8, n).astype(float),
        "hbm_gib_per_stack": rng.choice([16.0, 24.0], n),
        "serdes_lanes": rng.integers(0, 72, n).astype(float),
    }
