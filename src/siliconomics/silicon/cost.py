"""Unit manufacturing cost of an accelerator: wafer -> known-good die -> package -> tested
unit, as pure functions that accept floats or NumPy arrays.

    KGD = C_wafer / (DPW · Y)                               (economics-sources.md s.2c)
    pre = n_dies · KGD + memory_GB · $/GB + packaging
    unit = pre / Y_assembly + f_test · pre

Packaging cost scales with the silicon it carries (dies + HBM stacks) relative to a
reference package (CoWoS-S: the H100's 814 mm² die and 6 HBM sites, ~723-750 USD).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siliconomics.silicon.wafer import dies_per_wafer
from siliconomics.silicon.yield_models import FloatOrArray, _out, harvested_yield, scalar_fields


def known_good_die_usd(
    wafer_price_usd: FloatOrArray, dies_per_wafer: FloatOrArray, yield_frac: FloatOrArray
) -> FloatOrArray:
    """Cost of one known-good die [USD] = wafer price / (dies per wafer · yield)."""
    good = np.asarray(dies_per_wafer, dtype=float) * np.asarray(yield_frac, dtype=float)
    return _out(np.asarray(wafer_price_usd, dtype=float) / np.maximum(good, 1e-300))


def packaging_usd(
    reference_cost_usd: FloatOrArray, reference_area_mm2: float, silicon_area_mm2: FloatOrArray
) -> FloatOrArray:
    """Package cost [USD] scaled by the silicon area it carries (dies + memory stacks)."""
    ratio = np.asarray(silicon_area_mm2, dtype=float) / reference_area_mm2
    return _out(np.asarray(reference_cost_usd, dtype=float) * ratio)


@dataclass(frozen=True)
class CostBreakdown:
    """Unit manufacturing cost [USD] and its parts (floats or arrays)."""

    dies: FloatOrArray
    die_area_mm2: FloatOrArray
    dies_per_wafer: FloatOrArray
    yield_frac: FloatOrArray
    wafer_price_usd: FloatOrArray
    good_die_usd: FloatOrArray
    silicon_usd: FloatOrArray
    memory_usd: FloatOrArray
    packaging_usd: FloatOrArray
    assembly_loss_usd: FloatOrArray
    test_usd: FloatOrArray
    unit_cost_usd: FloatOrArray

    def as_dict(self) -> dict[str, float]:
        return scalar_fields(self)


def manufacturing_cost(
    *,
    die_area_mm2: FloatOrArray,
    unit_area_mm2: FloatOrArray,
    units_per_die: FloatOrArray,
    enabled_units_per_die: FloatOrArray,
    dies: FloatOrArray,
    wafer_price_usd: FloatOrArray,
    defect_density_per_cm2: FloatOrArray,
    yield_model: str,
    clustering_alpha: float,
    memory_gb: FloatOrArray,
    memory_usd_per_gb: FloatOrArray,
    memory_stack_area_mm2: FloatOrArray,
    packaging_reference_usd: FloatOrArray,
    packaging_reference_area_mm2: float,
    assembly_yield_frac: FloatOrArray,
    test_assembly_frac: FloatOrArray,
    wafer_diameter_mm: float = 300.0,
    edge_exclusion_mm: float = 0.0,
    scribe_mm: float = 0.0,
) -> CostBreakdown:
    """Unit cost of a package of ``dies`` identical dies with harvesting (see module doc)."""
    area = np.asarray(die_area_mm2, dtype=float)
    per_unit = np.asarray(unit_area_mm2, dtype=float)
    n = np.asarray(units_per_die, dtype=float)
    shared = np.maximum(area - per_unit * n, 0.0)
    y = np.asarray(harvested_yield(yield_model, shared, per_unit, n, enabled_units_per_die,
                                   defect_density_per_cm2, clustering_alpha))
    dpw = np.asarray(dies_per_wafer(area, wafer_diameter_mm, edge_exclusion_mm, scribe_mm))
    kgd = np.asarray(known_good_die_usd(wafer_price_usd, dpw, y))
    n_dies = np.asarray(dies, dtype=float)
    silicon = n_dies * kgd
    memory = np.asarray(memory_gb, dtype=float) * np.asarray(memory_usd_per_gb, dtype=float)
    package = np.asarray(packaging_usd(packaging_reference_usd, packaging_reference_area_mm2,
                                       n_dies * area + np.asarray(memory_stack_area_mm2)))
    pre = silicon + memory + package
    assembled = pre / np.asarray(assembly_yield_frac, dtype=float)
    test = np.asarray(test_assembly_frac, dtype=float) * pre
    return CostBreakdown(
        dies=_out(n_dies), die_area_mm2=_out(area), dies_per_wafer=_out(dpw), yield_frac=_out(y),
        wafer_price_usd=_out(np.asarray(wafer_price_usd, dtype=float)), good_die_usd=_out(kgd),
        silicon_usd=_out(silicon), memory_usd=_out(memory), packaging_usd=_out(package),
        assembly_loss_usd=_out(assembled - pre), test_usd=_out(test),
        unit_cost_usd=_out(assembled + test),
    )
