"""Stage 1: screen many designs at once with the vectorised silicon model and an analytic
throughput bound (NumPy over designs).

For each design (a row of :class:`DesignBatch`): die area, yield, unit cost and TDP from the
silicon layer's pure functions (the same ones :func:`siliconomics.silicon.chip.evaluate`
runs, on arrays), then a decode roofline at the workload's batch ``B`` and context ``L``:

    chips   = smallest power of two with  chips·C_mem·(1 − r) ≥ W + B·L·kv     (C: capacity)
    t_step  = max((W + B·L·kv) / (chips·BW),  2·N_active·B / (chips·F_peak))      [s]
    TPOT    = t_step,   tokens/s = B / t_step
    $/Mtok  = chips · TCO_h(unit cost + board, TDP) / (3600 · tokens/s) · 1e6

``TCO_h`` is :func:`siliconomics.economics.tco.owned_tco`, which is linear in price and TDP,
so its two slopes are taken from it once and applied to every design. NRE depends on the
node alone for a searched design (:func:`node_nre_usd`). The bound is
optimistic (no efficiency loss, no prefill); stage 2 simulates the survivors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from siliconomics.explore.space import DesignSpace, NumberParam, Range, node_availability
from siliconomics.silicon import area as area_model
from siliconomics.silicon import defaults, power
from siliconomics.silicon.cost import manufacturing_cost

Array = NDArray[np.float64]
HOST_LANES = 16.0
VECTOR_LANES_PER_DIM = 2.0
"""FP32 vector lanes per matrix unit per row of its array [-] (a 128x128 MXU gets 256 lanes;
TPU v4: 2 x 128 x 8 lanes per core of 4 MXUs, Jouppi et al. ISCA 2023) (U)."""

PARAM_ORDER = ("process_node", "clock_mhz", "matrix_units", "matrix_dim", "sram_mb",
               "memory_kind", "memory_devices", "capacity_gib_per_device", "scaleup_lanes",
               "packaging")
CONSTRAINTS = ("max_die_area_mm2", "max_tdp_w", "max_power_density_w_mm2",
               "max_memory_devices", "available_by", "max_unit_cost_usd", "fits_scaleup_domain",
               "slo_tpot_s")


@dataclass(frozen=True)
class DesignBatch:
    """Design parameters, one row per design (categoricals as indices into the choices)."""

    node_index: NDArray[np.int64]
    clock_mhz: Array
    matrix_units: Array
    matrix_dim: Array
    sram_mb: Array
    memory_index: NDArray[np.int64]
    memory_devices: Array
    capacity_gib_per_device: Array
    scaleup_lanes: Array
    packaging_index: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.clock_mhz)

    def take(self, index: NDArray[np.int64]) -> DesignBatch:
        return DesignBatch(*(getattr(self, f.name)[index] for f in fields(self)))


@dataclass(frozen=True)
class ScreenResult:
    """Stage-1 results per design (arrays) and the constraint masks."""

    designs: DesignBatch
    die_area_mm2: Array
    yield_frac: Array
    unit_cost_usd: Array
    tdp_w: Array
    peak_bf16_flops_s: Array
    memory_gb: Array
    chips_per_replica: Array
    tpot_s: Array
    tokens_s_per_replica: Array
    cost_per_million_tokens: Array
    energy_j_per_token: Array
    nre_usd: Array
    constraint_ok: dict[str, NDArray[np.bool_]]

    @property
    def feasible(self) -> NDArray[np.bool_]:
        ok = np.ones(len(self.designs), dtype=bool)
        for mask in self.constraint_ok.values():
            ok &= mask
        return ok


def map_unit_cube(space: DesignSpace, u: Array) -> DesignBatch:
    """Designs from points of the unit cube (columns in ``PARAM_ORDER``)."""
    p = space.parameters

    def number(param: NumberParam, col: Array) -> Array:
        if isinstance(param, Range):
            if param.integer:
                lo, hi = math.ceil(param.low), math.floor(param.high)
                ints: Array = np.minimum(lo + np.floor(col * (hi - lo + 1)), hi)
                return ints
            if param.log:
                logs: Array = np.exp(np.log(param.low) + col * (np.log(param.high) - np.log(param.low)))
                return logs
            return param.low + col * (param.high - param.low)
        values = np.array(param.choices, dtype=float)
        return values[np.minimum((col * len(values)).astype(np.int64), len(values) - 1)]

    def index(n: int, col: Array) -> NDArray[np.int64]:
        return np.minimum((col * n).astype(np.int64), n - 1)

    return DesignBatch(
        node_index=index(len(p.process_node.choices), u[:, 0]),
        clock_mhz=number(p.clock_mhz, u[:, 1]),
        matrix_units=number(p.matrix_units, u[:, 2]),
        matrix_dim=number(p.matrix_dim, u[:, 3]),
        sram_mb=number(p.sram_mb, u[:, 4]),
        memory_index=index(len(p.memory_kind.choices), u[:, 5]),
        memory_devices=number(p.memory_devices, u[:, 6]),
        capacity_gib_per_device=number(p.capacity_gib_per_device, u[:, 7]),
        scaleup_lanes=number(p.scaleup_lanes, u[:, 8]),
        packaging_index=index(len(p.packaging.choices), u[:, 9]),
    )


@dataclass(frozen=True)
class _Workload:
    weights_bytes: float
    kv_bytes_per_token: float
    active_params: float


@cache
def _workload(model: str, weight_dtype: str, kv_dtype: str) -> _Workload:
    from siliconomics import catalog
    from siliconomics.workload.dtypes import Dtypes
    from siliconomics.workload.memory import kv_bytes_per_token, weight_bytes_per_chip
    from siliconomics.workload.parallel import Parallelism
    from siliconomics.workload.params import parameter_counts

    arch = catalog.model(model)
    dtypes = Dtypes(weights=weight_dtype, kv=kv_dtype)  # type: ignore[arg-type]
    counts = parameter_counts(arch)
    return _Workload(weight_bytes_per_chip(arch, dtypes, Parallelism()),
                     kv_bytes_per_token(arch, dtypes), counts.active)


@cache
def tco_slopes() -> tuple[float, float]:
    """(USD/h per USD of chip price, USD/h per W of TDP) of an owned chip: ``owned_tco`` is
    linear in both, so these two numbers reproduce it exactly for any design."""
    from siliconomics.economics.tco import owned_tco

    base = owned_tco(1000.0, 1000.0)
    per_usd = base.hardware_usd_per_hour + base.networking_usd_per_hour + base.operations_usd_per_hour
    per_w = base.datacenter_usd_per_hour + base.power_usd_per_hour
    return per_usd / 1000.0, per_w / 1000.0


def _column(values: dict[str, float], names: tuple[str, ...], index: NDArray[np.int64]) -> Array:
    return np.array([values[n] for n in names], dtype=float)[index]


def screen(space: DesignSpace, designs: DesignBatch) -> ScreenResult:
    """Evaluate every design of ``designs`` (see module doc)."""
    from siliconomics.catalog.process_nodes import process_node

    p, c, w = space.parameters, space.constraints, space.workload
    nodes = [process_node(n) for n in p.process_node.choices]
    ni = designs.node_index
    density = np.array([n.value("logic_density_mtr_mm2") for n in nodes])[ni]
    bitcell = np.array([n.value("sram_bitcell_um2") for n in nodes])[ni]
    wafer = np.array([n.value("wafer_price_usd") for n in nodes])[ni]
    d0 = np.array([n.value("defect_density_per_cm2") for n in nodes])[ni]
    energy_rel = np.array([n.energy_per_op_rel_n7 for n in nodes])[ni]

    kinds = p.memory_kind.choices
    mi = designs.memory_index
    phy = _column({k: defaults.num("memory_kinds", k, "phy_area_mm2") for k in kinds}, kinds, mi)
    bw_dev = _column({k: defaults.num("memory_kinds", k, "bandwidth_gb_s_per_device") for k in kinds},
                     kinds, mi) * 1e9
    usd_gb = _column({k: defaults.num("memory_kinds", k, "usd_per_gb") for k in kinds}, kinds, mi)
    is_hbm = _column({k: float(k.startswith("HBM")) for k in kinds}, kinds, mi)

    units = designs.matrix_units
    macs = designs.matrix_dim**2
    coeffs = area_model.coefficients()
    area = area_model.die_area(
        units=units, macs_bf16eq_per_unit=macs,
        vector_lanes_per_unit=VECTOR_LANES_PER_DIM * designs.matrix_dim,
        local_sram_bytes_per_unit=0.0, global_sram_bytes=designs.sram_mb * 1e6,
        memory_phy_mm2=designs.memory_devices * phy, serdes_lanes=designs.scaleup_lanes,
        host_lanes=HOST_LANES, logic_density_mtr_mm2=density, sram_bitcell_um2=bitcell,
        coeffs=coeffs, unit_area_mm2_n7=coeffs.unit_area_for("asic"),
    )
    die_area = np.asarray(area.total_mm2, dtype=float)
    memory_gb = designs.memory_devices * designs.capacity_gib_per_device * 2**30 / 1e9

    unit_cost = np.empty(len(designs))
    yield_frac = np.empty(len(designs))
    for k, pack in enumerate(p.packaging.choices):
        sel = designs.packaging_index == k
        if not sel.any():
            continue
        cost = manufacturing_cost(
            die_area_mm2=die_area[sel], unit_area_mm2=np.asarray(area.unit_mm2)[sel],
            units_per_die=units[sel], enabled_units_per_die=units[sel], dies=1.0,
            wafer_price_usd=wafer[sel], defect_density_per_cm2=d0[sel],
            yield_model="negative_binomial", clustering_alpha=defaults.num("yield", "clustering_alpha"),
            memory_gb=memory_gb[sel], memory_usd_per_gb=usd_gb[sel],
            memory_stack_area_mm2=designs.memory_devices[sel] * is_hbm[sel]
            * defaults.num("cost", "hbm_footprint_mm2"),
            packaging_reference_usd=defaults.num("packaging", pack, "cost_usd"),
            packaging_reference_area_mm2=defaults.num("packaging", pack, "reference_area_mm2"),
            assembly_yield_frac=defaults.num("packaging", pack, "assembly_yield_frac"),
            test_assembly_frac=defaults.num("cost", "test_assembly_frac"),
            wafer_diameter_mm=defaults.num("wafer", "wafer_diameter_mm"),
            edge_exclusion_mm=defaults.num("wafer", "edge_exclusion_mm"),
            scribe_mm=defaults.num("wafer", "scribe_mm"),
        )
        unit_cost[sel] = np.asarray(cost.unit_cost_usd, dtype=float)
        yield_frac[sel] = np.asarray(cost.yield_frac, dtype=float)

    peak = units * macs * 2.0 * designs.clock_mhz * 1e6
    tdp_per_flop = np.array([power.design_tdp_w(1.0, float(e)) for e in
                             [n.energy_per_op_rel_n7 for n in nodes]])[ni]
    tdp = tdp_per_flop * peak
    del energy_rel

    load = _workload(w.model, w.weight_dtype, w.kv_dtype)
    from siliconomics.workload.memory import RESERVED_MEMORY_FRAC

    need_bytes = load.weights_bytes + w.batch * w.context_tokens * load.kv_bytes_per_token
    usable = memory_gb * 1e9 * (1.0 - RESERVED_MEMORY_FRAC)
    chips = 2.0 ** np.ceil(np.log2(np.maximum(need_bytes / usable, 1.0)))
    bandwidth = designs.memory_devices * bw_dev
    t_memory = need_bytes / (chips * bandwidth)
    t_compute = 2.0 * load.active_params * w.batch / (chips * peak)
    tpot = np.maximum(t_memory, t_compute)
    tokens_s = w.batch / tpot
    board = defaults.num("cost", "board_usd")
    per_usd, per_w = tco_slopes()
    tco_h = (unit_cost + board) * per_usd + tdp * per_w
    cost_mtok = chips * tco_h / (3600.0 * tokens_s) * 1e6
    energy = chips * tdp / tokens_s

    dates = node_availability()
    ok: dict[str, NDArray[np.bool_]] = {
        "max_die_area_mm2": die_area <= c.max_die_area_mm2,
        "max_tdp_w": tdp <= c.max_tdp_w,
        "max_power_density_w_mm2": tdp / die_area <= c.max_power_density_w_mm2,
        "max_memory_devices": designs.memory_devices <= c.max_memory_devices,
        "available_by": (np.ones(len(designs), dtype=bool) if c.available_by is None else
                         np.array([dates[n.name] <= c.available_by for n in nodes])[ni]),
        "max_unit_cost_usd": (np.ones(len(designs), dtype=bool) if c.max_unit_cost_usd is None
                              else unit_cost <= c.max_unit_cost_usd),
        "fits_scaleup_domain": chips <= space.scaleup_domain_chips,
        "slo_tpot_s": tpot <= w.slo.tpot_s,
    }
    nre = np.array([node_nre_usd(n) for n in p.process_node.choices])[ni]
    return ScreenResult(designs, die_area, yield_frac, unit_cost, tdp, peak, memory_gb, chips,
                        tpot, tokens_s, cost_mtok, energy, nre, ok)


@cache
def node_nre_usd(node: str) -> float:
    """NRE [USD] of a searched design on ``node``. A searched design carries no NRE or
    schedule overrides, so its NRE (masks, IP, engineering, respin risk) depends on the node
    alone: taken once per node from the silicon model (:func:`siliconomics.silicon.chip.
    evaluate`, the figure stage 2 reports)."""
    from siliconomics.silicon.chip import evaluate
    from siliconomics.silicon.design import ChipDesign

    probe = ChipDesign.model_validate({
        "type": "chip-design", "id": f"nre-probe-{node}", "process_node": node,
        "clock_mhz": 1000, "compute": {"units": 1, "macs_per_cycle": {"bf16": 4096}},
        "memory": {"kind": "HBM3", "devices": 1},
    })
    return float(evaluate(probe, f"NRE of a design on {node}").nre.total_usd)


OBJECTIVE_COLUMN = {
    "cost_per_million_tokens": "cost_per_million_tokens",
    "tpot_s": "tpot_s",
    "power_w_per_token_s": "energy_j_per_token",
    "nre_usd": "cost_per_million_tokens",
}
"""Stage-1 proxy per objective (NRE is set by the node; the screen ranks on cost)."""


SCREEN_OBJECTIVES = ("cost_per_million_tokens", "tpot_s", "energy_j_per_token", "nre_usd")
"""The screen's objectives, all minimised: the stage-1 front (and the NSGA-II refinement)
is over these; they are the stage-1 bounds of stage 2's fronts (cost vs p99 TPOT vs power
per token/s, and cost vs NRE)."""


def objective_matrix(result: ScreenResult) -> Array:
    """Designs x :data:`SCREEN_OBJECTIVES` (raw values, feasible or not)."""
    return np.column_stack([np.asarray(getattr(result, name), dtype=float)
                            for name in SCREEN_OBJECTIVES])


def constraint_violations(space: DesignSpace, result: ScreenResult) -> dict[str, Array]:
    """How far each design is past each constraint, relative to its limit (> 0: violated,
    <= 0: met; the sign agrees with ``result.constraint_ok``). For the multi-objective
    optimiser, which prefers the design with the smaller total violation among infeasible
    ones, so it is led toward the feasible region rather than told only yes or no."""
    c, w = space.constraints, space.workload

    def over(value: Array, limit: float, name: str) -> Array:
        graded = np.asarray(value, dtype=float) / limit - 1.0
        ok = result.constraint_ok[name]
        # a design on the limit is feasible (<=): keep the sign of the mask exactly
        return np.where(ok, np.minimum(graded, 0.0), np.maximum(graded, 1e-9))

    def binary(name: str) -> Array:
        return np.where(result.constraint_ok[name], 0.0, 1.0)

    return {
        "max_die_area_mm2": over(result.die_area_mm2, c.max_die_area_mm2, "max_die_area_mm2"),
        "max_tdp_w": over(result.tdp_w, c.max_tdp_w, "max_tdp_w"),
        "max_power_density_w_mm2": over(result.tdp_w / result.die_area_mm2,
                                        c.max_power_density_w_mm2, "max_power_density_w_mm2"),
        "max_memory_devices": over(result.designs.memory_devices, float(c.max_memory_devices),
                                   "max_memory_devices"),
        "available_by": binary("available_by"),
        "max_unit_cost_usd": (binary("max_unit_cost_usd") if c.max_unit_cost_usd is None else
                              over(result.unit_cost_usd, c.max_unit_cost_usd, "max_unit_cost_usd")),
        "fits_scaleup_domain": over(result.chips_per_replica, float(space.scaleup_domain_chips),
                                    "fits_scaleup_domain"),
        "slo_tpot_s": over(result.tpot_s, w.slo.tpot_s, "slo_tpot_s"),
    }


def objective_values(result: ScreenResult, objective: str) -> Array:
    """The objective per design, +inf where a constraint fails (lower is better)."""
    values: Array = np.asarray(getattr(result, OBJECTIVE_COLUMN[objective]), dtype=float)
    return np.where(result.feasible, values, np.inf)


def emptying_constraint(result: ScreenResult) -> str | None:
    """When nothing is feasible, the constraint that empties the space: the one whose removal
    would leave the most feasible designs (None if some design is feasible)."""
    if result.feasible.any():
        return None
    best, best_count = None, -1
    for name in result.constraint_ok:
        others = np.ones(len(result.designs), dtype=bool)
        for other, mask in result.constraint_ok.items():
            if other != name:
                others &= mask
        count = int(others.sum())
        if count > best_count:
            best, best_count = name, count
    return best


def design_row(space: DesignSpace, batch: DesignBatch, i: int) -> dict[str, Any]:
    """Parameters of design ``i`` as plain values (for reports and design files)."""
    p = space.parameters
    return {
        "process_node": p.process_node.choices[int(batch.node_index[i])],
        "clock_mhz": float(batch.clock_mhz[i]),
        "matrix_units": int(batch.matrix_units[i]),
        "matrix_dim": int(batch.matrix_dim[i]),
        "sram_mb": float(batch.sram_mb[i]),
        "memory_kind": p.memory_kind.choices[int(batch.memory_index[i])],
        "memory_devices": int(batch.memory_devices[i]),
        "capacity_gib_per_device": float(batch.capacity_gib_per_device[i]),
        "scaleup_lanes": int(batch.scaleup_lanes[i]),
        "packaging": p.packaging.choices[int(batch.packaging_index[i])],
    }
