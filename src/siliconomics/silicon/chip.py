"""The orchestrator: a :class:`ChipDesign` -> area, unit cost (central, low, high), power,
NRE, schedule and the derived :class:`Accelerator`, in one frozen :class:`ChipReport`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from siliconomics.catalog.accelerator import GIGA, Accelerator
from siliconomics.catalog.process_nodes import ProcessNode, process_node
from siliconomics.catalog.sourced import Range
from siliconomics.errors import CatalogError
from siliconomics.silicon import area as area_model
from siliconomics.silicon import defaults, power
from siliconomics.silicon import nre as nre_model
from siliconomics.silicon.cost import CostBreakdown, manufacturing_cost
from siliconomics.silicon.design import ChipDesign, check_holds_a_model, derive_accelerator

if TYPE_CHECKING:
    import pandas as pd

Case = Literal["low", "central", "high"]


@dataclass(frozen=True)
class ChipReport:
    """Everything the silicon model says about one design."""

    design: ChipDesign
    accelerator: Accelerator
    area: area_model.AreaBreakdown
    dies: int
    die_area_mm2: float
    die_area_range_mm2: Range
    """The die area within the area model's error on dies it was not fitted to [mm²]."""
    cost: CostBreakdown
    unit_cost_range_usd: Range
    board_usd: float
    nre: nre_model.Nre
    schedule: nre_model.Schedule
    tdp_w: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def unit_cost_usd(self) -> float:
        return float(self.cost.unit_cost_usd)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``chip show --json``)."""
        acc = self.accelerator
        return {
            "id": self.design.id,
            "name": acc.name,
            "process_node": self.design.process_node,
            "die_area_mm2": self.die_area_mm2,
            "die_area_range_mm2": self.die_area_range_mm2.model_dump(),
            "dies": self.dies,
            "total_silicon_mm2": float(self.area.total_mm2),
            "unit_cost_usd": self.unit_cost_usd,
            "unit_cost_range_usd": self.unit_cost_range_usd.model_dump(),
            "module_cost_usd": self.unit_cost_usd + self.board_usd,
            "tdp_w": self.tdp_w,
            "area_breakdown_mm2": self.area.as_dict(),
            "cost_breakdown_usd": self.cost.as_dict() | {"board_usd": self.board_usd},
            "nre_usd": self.nre.__dict__,
            "schedule_months": self.schedule.__dict__,
            "spec": acc.model_dump(mode="json"),
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """This result as a pandas DataFrame, one row
        (:func:`siliconomics.frames.chip_frame`)."""
        from siliconomics.frames import chip_frame

        return chip_frame(self)



def _pick(override: float | None, r: Range, case: Case) -> float:
    if override is not None:
        return override
    return {"low": r.low, "central": r.central, "high": r.high}[case]


def _cost(design: ChipDesign, node: ProcessNode, area: area_model.AreaBreakdown, dies: int,
          case: Case, coeffs: area_model.AreaCoefficients) -> CostBreakdown:
    """Unit cost for one case; 'low' takes every cost-lowering end of the input ranges,
    the die area included: the area model's smallest true/predicted ratio on the dies it was
    not fitted to (``AreaCoefficients.true_area_factor``)."""
    o = design.cost
    hi = case == "high"
    lo = case == "low"
    d2d = defaults.num("cost", "chiplet_d2d_overhead_frac") if dies > 1 else 0.0
    true_area = coeffs.true_area_factor(case)
    die_area = float(area.total_mm2) / dies * (1.0 + d2d) * true_area
    kind = design.memory.kind
    pack = design.packaging.kind
    alpha_r = defaults.rng("yield", "clustering_alpha")
    # a smaller alpha (more clustering) gives a higher yield for the same D0
    alpha = o.clustering_alpha or (alpha_r.low if lo else alpha_r.high if hi else alpha_r.central)
    hbm_area = (design.memory.devices * defaults.num("cost", "hbm_footprint_mm2")
                if kind.startswith("HBM") else 0.0)
    return manufacturing_cost(
        die_area_mm2=die_area,
        unit_area_mm2=float(area.unit_mm2) * true_area,
        units_per_die=design.compute.units / dies,
        enabled_units_per_die=math.ceil(design.compute.enabled / dies),
        dies=dies,
        wafer_price_usd=_pick(o.wafer_price_usd, node.range("wafer_price_usd"), case),
        defect_density_per_cm2=_pick(o.defect_density_per_cm2,
                                     node.range("defect_density_per_cm2"), case),
        yield_model=o.yield_model,
        clustering_alpha=alpha,
        memory_gb=design.memory_purchased_bytes() / GIGA,
        memory_usd_per_gb=_pick(o.memory_usd_per_gb, defaults.rng("memory_kinds", kind,
                                                                  "usd_per_gb"), case),
        memory_stack_area_mm2=hbm_area,
        packaging_reference_usd=_pick(o.packaging_usd, defaults.rng("packaging", pack,
                                                                    "cost_usd"), case),
        packaging_reference_area_mm2=(
            die_area * dies + hbm_area if o.packaging_usd is not None
            else defaults.num("packaging", pack, "reference_area_mm2")
        ),
        assembly_yield_frac=o.assembly_yield_frac or defaults.num("packaging", pack,
                                                                  "assembly_yield_frac"),
        test_assembly_frac=_pick(o.test_assembly_frac, defaults.rng("cost", "test_assembly_frac"),
                                 case),
        wafer_diameter_mm=defaults.num("wafer", "wafer_diameter_mm"),
        edge_exclusion_mm=defaults.num("wafer", "edge_exclusion_mm"),
        scribe_mm=defaults.num("wafer", "scribe_mm"),
    )


def _dies(design: ChipDesign, total_mm2: float, source: str) -> int:
    reticle = defaults.num("wafer", "reticle_limit_mm2")
    pack = design.packaging.kind
    chiplets_ok = defaults.flag("packaging", pack, "allows_chiplets")
    wanted = design.packaging.dies
    if wanted == "auto":
        if not chiplets_ok:
            raise CatalogError(
                f"{source}: field 'packaging.dies': 'auto' needs a chiplet packaging "
                f"(organic-mcm, cowos-s, cowos-l), got packaging.kind '{pack}'"
            )
        d2d = defaults.num("cost", "chiplet_d2d_overhead_frac")
        n = max(1, math.ceil(total_mm2 / reticle))
        while n > 1 and total_mm2 / n * (1 + d2d) > reticle:
            n += 1
        return n
    if wanted > 1 and not chiplets_ok:
        raise CatalogError(
            f"{source}: field 'packaging.dies': {wanted} dies need a chiplet packaging "
            f"(organic-mcm, cowos-s, cowos-l), got '{pack}'"
        )
    d2d = defaults.num("cost", "chiplet_d2d_overhead_frac") if wanted > 1 else 0.0
    per_die = total_mm2 / wanted * (1 + d2d)
    if per_die > reticle:
        raise CatalogError(
            f"{source}: field 'packaging': die area {per_die:.0f} mm2 exceeds the "
            f"{reticle:.0f} mm2 reticle limit with packaging.dies = {wanted}; set "
            f"packaging.dies: auto (or more dies) on a chiplet packaging (cowos-s, cowos-l, "
            f"organic-mcm), or shrink the design"
        )
    return wanted


def evaluate(design: ChipDesign, source: str = "<design>") -> ChipReport:
    """Run the whole silicon model on one design."""
    node = process_node(design.process_node)
    check_holds_a_model(design, source)
    if design.memory.kind.startswith("HBM") and not defaults.flag(
        "packaging", design.packaging.kind, "allows_hbm"
    ):
        raise CatalogError(
            f"{source}: field 'packaging.kind': '{design.packaging.kind}' cannot carry "
            f"{design.memory.kind} stacks; use cowos-s or cowos-l"
        )
    coeffs = area_model.coefficients()
    links = [design.scaleup, design.scaleout]
    area = area_model.die_area(
        units=design.compute.units,
        macs_bf16eq_per_unit=design.macs_bf16eq_per_unit(coeffs.dtype_mac_area_rel),
        vector_lanes_per_unit=design.compute.vector_lanes,
        local_sram_bytes_per_unit=design.compute.local_sram_kib * 1024.0,
        global_sram_bytes=design.sram.mb * 1e6,
        memory_phy_mm2=design.memory_phy_mm2(),
        serdes_lanes=sum(link.lanes for link in links if link is not None),
        host_lanes=design.host.lanes if design.host else 0,
        logic_density_mtr_mm2=node.value("logic_density_mtr_mm2"),
        sram_bitcell_um2=node.value("sram_bitcell_um2"),
        coeffs=coeffs,
        unit_area_mm2_n7=coeffs.unit_area_for(design.kind),
    )
    total = float(area.total_mm2)
    dies = _dies(design, total, source)
    d2d = defaults.num("cost", "chiplet_d2d_overhead_frac") if dies > 1 else 0.0
    die_area = total / dies * (1 + d2d)
    warnings: list[str] = []
    if dies > 1:
        warnings.append(f"design of {total:.0f} mm2 split into {dies} chiplets of "
                        f"{die_area:.0f} mm2 (reticle limit "
                        f"{defaults.num('wafer', 'reticle_limit_mm2'):.0f} mm2)")
    costs = {case: _cost(design, node, area, dies, case, coeffs)
             for case in ("low", "central", "high")}
    unit_range = Range(low=float(costs["low"].unit_cost_usd),
                       central=float(costs["central"].unit_cost_usd),
                       high=float(costs["high"].unit_cost_usd))
    peaks = design.peak_flops_s()
    bf16_like = peaks.get("bf16") or peaks.get("fp16") or max(peaks.values())
    tdp = design.tdp_w or power.design_tdp_w(bf16_like, node.energy_per_op_rel_n7)
    sched, cost_nre = _nre(design, node)
    o = design.cost
    board = o.board_usd if o.board_usd is not None else defaults.num("cost", "board_usd")
    return ChipReport(
        design=design,
        accelerator=derive_accelerator(design, source, tdp, die_area, dies),
        area=area, dies=dies, die_area_mm2=die_area,
        die_area_range_mm2=Range(low=die_area * coeffs.true_area_factor("low"), central=die_area,
                                 high=die_area * coeffs.true_area_factor("high")),
        cost=costs["central"],
        unit_cost_range_usd=unit_range, board_usd=board, nre=cost_nre, schedule=sched,
        tdp_w=tdp, warnings=tuple(warnings),
    )


def _nre(design: ChipDesign, node: ProcessNode) -> tuple[nre_model.Schedule, nre_model.Nre]:
    o, s = design.nre, design.schedule

    def d(key: str, value: float | None, group: str = "nre") -> float:
        return value if value is not None else defaults.num(group, key)

    respin_p = d("respin_probability", o.respin_probability)
    sched = nre_model.schedule(
        nre_model.ScheduleInputs(
            frontend_months=d("frontend_months", s.frontend_months, "schedule"),
            backend_months=d("backend_months", s.backend_months, "schedule"),
            fab_latency_weeks=(s.fab_latency_weeks if s.fab_latency_weeks is not None
                               else node.value("fab_latency_weeks")),
            osat_weeks=d("osat_weeks", s.osat_weeks, "schedule"),
            bringup_months=d("bringup_months", s.bringup_months, "schedule"),
            ramp_months=d("ramp_months", s.ramp_months, "schedule"),
            respin_debug_months=d("respin_debug_months", s.respin_debug_months, "schedule"),
        ),
        respin_p,
    )
    hw_years = (o.hw_engineer_years if o.hw_engineer_years is not None
                else defaults.num("nre", "hw_engineer_years_n7") * node.value("design_effort_rel_n7"))
    inputs = nre_model.NreInputs(
        mask_set_usd=o.mask_set_usd if o.mask_set_usd is not None else node.value("mask_set_usd"),
        ip_licence_usd=(o.ip_licence_usd if o.ip_licence_usd is not None
                        else node.value("ip_licence_usd")),
        hw_engineer_years=hw_years,
        sw_engineer_years=d("sw_engineer_years", o.sw_engineer_years),
        loaded_cost_per_engineer_year_usd=d("loaded_cost_per_engineer_year_usd",
                                            o.loaded_cost_per_engineer_year_usd),
        eda_usd_per_engineer_year=d("eda_usd_per_engineer_year", o.eda_usd_per_engineer_year),
        package_design_usd=d("package_design_usd", o.package_design_usd),
        respin_probability=respin_p,
        respin_mask_frac=d("respin_mask_frac", o.respin_mask_frac),
    )
    return sched, nre_model.nre(inputs, sched)
