"""Die area of an accelerator from its resources, per process node.

The die is the sum of (1) the compute units — matrix arrays, vector lanes, a fixed per-unit
control block and the unit's local SRAM —, (2) the global SRAM, (3) a network-on-chip and
control overhead proportional to the core, and (4) the interfaces — memory PHYs and SerDes —
which are analog and do not shrink with the node:

    A_logic(x)   = x · (ρ_N7 / ρ_node)                      (x: area at N7, ρ: logic density)
    A_sram       = bits · a_bitcell / η                     (η: array efficiency)
    A_core       = A_matrix + A_vector + A_control + A_sram_local + A_sram_global
    A_die        = A_core · (1 + f_noc) + A_memphy + A_serdes + A_host

Four coefficients (area per bf16 MAC, per compute unit, a GPU's extra per SM, all at N7,
and the SRAM array efficiency) are fitted on six published dies
(:mod:`siliconomics.silicon.calibrate`); the rest come from sources in
``silicon/data/area_model.yaml``, as does the model's error on the dies it was not fitted
to (``held_out_error_frac``), which the unit cost's low and high cases carry. Functions take
floats or NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from siliconomics.catalog.sourced import Range
from siliconomics.silicon import defaults
from siliconomics.silicon.yield_models import FloatOrArray, scalar_fields

UM2_PER_MM2 = 1e6
BITS_PER_BYTE = 8.0


@dataclass(frozen=True)
class AreaCoefficients:
    """The area model's coefficients (see ``silicon/data/area_model.yaml``)."""

    mac_area_um2_n7: float
    unit_area_mm2_n7: float
    gpu_unit_extra_mm2_n7: float
    vector_lane_area_um2_n7: float
    sram_array_efficiency_frac: float
    noc_overhead_frac: float
    serdes_mm2_per_lane: float
    host_mm2_per_lane: float
    reference_logic_density_mtr_mm2: float
    dtype_mac_area_rel: dict[str, float]
    held_out_error_frac: Range
    """The model's smallest and largest relative area error (predicted / published - 1) on
    the published dies it was not fitted to [-]."""

    def unit_area_for(self, kind: str) -> float:
        """Control area per compute unit at N7 [mm²]: a GPU's SM/CU carries schedulers,
        load/store and texture paths an ASIC core does not (``gpu_unit_extra_mm2_n7``)."""
        return self.unit_area_mm2_n7 + (self.gpu_unit_extra_mm2_n7 if kind == "gpu" else 0.0)

    def true_area_factor(self, case: Literal["low", "central", "high"]) -> float:
        """True over predicted area [-] at a case of the model's held-out error: 'low' is
        1 / (1 + largest over-prediction), 'high' 1 / (1 + largest under-prediction),
        'central' 1."""
        e = self.held_out_error_frac
        return {"low": 1.0 / (1.0 + e.high), "central": 1.0, "high": 1.0 / (1.0 + e.low)}[case]


@cache
def coefficients() -> AreaCoefficients:
    """The stored (fitted and sourced) area coefficients."""
    p = defaults.AREA_MODEL_PATH

    def n(*k: str) -> float:
        return defaults.num(*k, path=p)

    return AreaCoefficients(
        mac_area_um2_n7=n("fitted", "mac_area_um2_n7"),
        unit_area_mm2_n7=n("fitted", "unit_area_mm2_n7"),
        gpu_unit_extra_mm2_n7=n("fitted", "gpu_unit_extra_mm2_n7"),
        vector_lane_area_um2_n7=n("vector_lane_area_um2_n7"),
        sram_array_efficiency_frac=n("fitted", "sram_array_efficiency_frac"),
        noc_overhead_frac=n("noc_overhead_frac"),
        serdes_mm2_per_lane=n("serdes_mm2_per_lane"),
        host_mm2_per_lane=n("host_mm2_per_lane"),
        reference_logic_density_mtr_mm2=n("reference_logic_density_mtr_mm2"),
        dtype_mac_area_rel={
            d: n("dtype_mac_area_rel", d) for d in defaults.names("dtype_mac_area_rel", path=p)
        },
        held_out_error_frac=defaults.rng("held_out_error_frac", path=p),
    )


def logic_scale(logic_density_mtr_mm2: FloatOrArray, reference_mtr_mm2: float) -> FloatOrArray:
    """Area of the same logic on this node relative to the reference (N7) [-] = ρ_ref / ρ."""
    scale: NDArray[np.float64] = reference_mtr_mm2 / np.asarray(logic_density_mtr_mm2, dtype=float)
    return scale


def sram_area_mm2(
    sram_bytes: FloatOrArray, bitcell_um2: FloatOrArray, array_efficiency_frac: float
) -> FloatOrArray:
    """SRAM macro area [mm²] = bits · bit-cell area / array efficiency (periphery, ECC,
    banking). Bit cells: TSMC N7 0.027 µm², N5 0.021 µm² (IEDM, via WikiChip)."""
    bits = np.asarray(sram_bytes, dtype=float) * BITS_PER_BYTE
    mm2: NDArray[np.float64] = (
        bits * np.asarray(bitcell_um2, dtype=float) / array_efficiency_frac / UM2_PER_MM2
    )
    return mm2


def matrix_area_mm2(
    units: FloatOrArray, macs_bf16eq_per_unit: FloatOrArray, mac_area_um2_n7: float,
    scale: FloatOrArray,
) -> FloatOrArray:
    """Matrix-array area [mm²] = units · bf16-equivalent MACs · area per MAC at N7 · node scale."""
    macs = np.asarray(units, dtype=float) * np.asarray(macs_bf16eq_per_unit, dtype=float)
    mm2: NDArray[np.float64] = macs * mac_area_um2_n7 * np.asarray(scale) / UM2_PER_MM2
    return mm2


@dataclass(frozen=True)
class AreaBreakdown:
    """Die area by component [mm²] (floats, or arrays for a vectorised evaluation).

    ``unit_mm2`` is one compute unit (the block partial-good harvesting can switch off);
    ``shared_mm2`` is the rest of the die (SRAM, NoC, I/O), which must be defect-free.
    """

    matrix_mm2: FloatOrArray
    vector_mm2: FloatOrArray
    unit_control_mm2: FloatOrArray
    unit_sram_mm2: FloatOrArray
    global_sram_mm2: FloatOrArray
    noc_mm2: FloatOrArray
    memory_phy_mm2: FloatOrArray
    serdes_mm2: FloatOrArray
    host_io_mm2: FloatOrArray
    total_mm2: FloatOrArray
    unit_mm2: FloatOrArray
    shared_mm2: FloatOrArray

    def as_dict(self) -> dict[str, float]:
        return scalar_fields(self)


def die_area(
    *,
    units: FloatOrArray,
    macs_bf16eq_per_unit: FloatOrArray,
    vector_lanes_per_unit: FloatOrArray,
    local_sram_bytes_per_unit: FloatOrArray,
    global_sram_bytes: FloatOrArray,
    memory_phy_mm2: FloatOrArray,
    serdes_lanes: FloatOrArray,
    host_lanes: FloatOrArray,
    logic_density_mtr_mm2: FloatOrArray,
    sram_bitcell_um2: FloatOrArray,
    coeffs: AreaCoefficients | None = None,
    unit_area_mm2_n7: FloatOrArray | None = None,
) -> AreaBreakdown:
    """Total area of all the silicon of one design [mm²], by component (see module doc).

    ``unit_area_mm2_n7``: control area per unit at N7 (default: an ASIC's,
    ``coeffs.unit_area_for(kind)`` for another kind)."""
    c = coeffs or coefficients()
    per_unit_n7 = c.unit_area_mm2_n7 if unit_area_mm2_n7 is None else unit_area_mm2_n7
    n = np.asarray(units, dtype=float)
    scale = logic_scale(logic_density_mtr_mm2, c.reference_logic_density_mtr_mm2)
    matrix = matrix_area_mm2(n, macs_bf16eq_per_unit, c.mac_area_um2_n7, scale)
    vector = (
        n * np.asarray(vector_lanes_per_unit, dtype=float)
        * c.vector_lane_area_um2_n7 * scale / UM2_PER_MM2
    )
    control = n * np.asarray(per_unit_n7, dtype=float) * scale
    unit_sram = sram_area_mm2(
        n * np.asarray(local_sram_bytes_per_unit, dtype=float), sram_bitcell_um2,
        c.sram_array_efficiency_frac,
    )
    global_sram = sram_area_mm2(global_sram_bytes, sram_bitcell_um2, c.sram_array_efficiency_frac)
    units_total = matrix + vector + control + unit_sram
    core = units_total + global_sram
    noc = core * c.noc_overhead_frac
    serdes = np.asarray(serdes_lanes, dtype=float) * c.serdes_mm2_per_lane
    host = np.asarray(host_lanes, dtype=float) * c.host_mm2_per_lane
    memphy = np.asarray(memory_phy_mm2, dtype=float)
    total = core + noc + memphy + serdes + host
    unit = units_total / n
    shared = total - unit * n

    def out(x: FloatOrArray) -> FloatOrArray:
        a = np.asarray(x, dtype=float)
        return float(a) if a.ndim == 0 else a

    return AreaBreakdown(
        matrix_mm2=out(matrix), vector_mm2=out(vector), unit_control_mm2=out(control),
        unit_sram_mm2=out(unit_sram), global_sram_mm2=out(global_sram), noc_mm2=out(noc),
        memory_phy_mm2=out(memphy), serdes_mm2=out(serdes), host_io_mm2=out(host),
        total_mm2=out(total), unit_mm2=out(unit), shared_mm2=out(shared),
    )
