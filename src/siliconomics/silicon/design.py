"""A custom accelerator described in YAML (``type: chip-design``), validated, and the
:class:`~siliconomics.catalog.Accelerator` derived from it.

Peak FLOP/s per dtype = enabled units x MACs/cycle x 2 x clock, exactly. Memory capacity
and bandwidth come from the memory kind and device count (or are given); an SRAM-only chip
holds its weights in SRAM. Every cost, NRE and schedule default can be overridden in the
design's ``cost``, ``nre`` and ``schedule`` sections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siliconomics.catalog.accelerator import GIB, GIGA, MEGA, TERA, Accelerator, Dtype
from siliconomics.catalog.process_nodes import process_node
from siliconomics.catalog.sourced import read_yaml
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.inputs import parse_model
from siliconomics.silicon import defaults
from siliconomics.workload.dtypes import BYTES_PER_ELEMENT

MemoryKind = Literal["HBM2", "HBM2e", "HBM3", "HBM3e", "LPDDR5", "GDDR6", "none"]
PackagingKind = Literal["organic", "organic-mcm", "cowos-s", "cowos-l"]
YieldModelName = Literal["poisson", "murphy", "seeds", "negative_binomial"]

_STRICT = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

# Upper bounds of a design file: physically sensible, each well beyond any chip built, so a
# slipped unit (a clock in Hz written as MHz, 1e9) is refused instead of giving a 92 MW chip.
MAX_CLOCK_MHZ = 10_000.0
"""[MHz] The fastest shipping logic clocks ~6 GHz (desktop CPUs); accelerators 0.9-2.6 GHz."""
MAX_UNITS = 1_000_000
"""Matrix units per chip: Cerebras WSE-3, a whole wafer, has 900,000 cores."""
MAX_POWER_W = 100_000.0
"""[W] Cerebras WSE-3 (a wafer-scale system) draws ~23 kW; a GB200 superchip 2.7 kW."""
MAX_NRE_USD = 1e10
"""[USD] An N3 mask set is ~$30M and a leading-edge chip program ~$0.5-1B."""
MAX_MACS_PER_CYCLE = 1e7
"""Dense MACs per cycle per unit (a TPU v5p core's 4 MXUs: 65,536)."""
MAX_MONTHS = 240.0
"""[months] 20 years for any one schedule phase."""
# Other bounds (inline): MACs/cycle per unit <= 1e7 (a TPU v5p core's 4 MXUs: 65,536);
# SRAM <= 1e5 MB and <= 1e5 TB/s (WSE-3: 44 GB, 21 PB/s); <= 256 memory devices of <= 1 TiB
# and <= 10 TB/s each (HBM3e: 36 GB, 1.2 TB/s per stack); links <= 10,000 lanes of
# <= 1000 Gb/s (224G SerDes ship in 2025) in domains <= 1e6 chips; wafer price <= $1M
# (N2 ~$30k); defect density <= 100 /cm2; test/assembly cost <= 10x the die cost.


class ComputeSpec(BaseModel):
    """The matrix units (SMs, cores, MXUs, tiles): the parallel workers of the chip."""

    model_config = _STRICT

    units: int = Field(gt=0, le=MAX_UNITS,
                       description="Physical matrix units on the die, spares included.")
    enabled_units: int | None = Field(default=None, gt=0, le=MAX_UNITS,
                                      description="Units sold enabled.")
    macs_per_cycle: dict[Dtype, float] = Field(description="Dense MACs/cycle per unit by dtype.")
    area_dtype: Dtype | None = Field(
        default=None,
        description="The dtype whose array sets the area (default: the most expensive listed).",
    )
    vector_lanes: float = Field(default=0, ge=0, le=1e5, description="FP32-FMA lanes per unit.")
    local_sram_kib: float = Field(default=0, ge=0, le=1e6,
                                  description="Registers/L1 per unit [KiB].")

    @model_validator(mode="after")
    def _check(self) -> ComputeSpec:
        if not self.macs_per_cycle:
            raise ValueError("macs_per_cycle needs at least one dtype")
        for dtype, macs in self.macs_per_cycle.items():
            if not 0 < macs <= MAX_MACS_PER_CYCLE:
                raise ValueError(f"macs_per_cycle.{dtype} must be > 0 and <= "
                                 f"{MAX_MACS_PER_CYCLE:g}, got {macs}")
        if self.enabled_units is not None and self.enabled_units > self.units:
            raise ValueError(
                f"enabled_units ({self.enabled_units}) must be <= units ({self.units})"
            )
        if self.area_dtype is not None and self.area_dtype not in self.macs_per_cycle:
            raise ValueError(f"area_dtype '{self.area_dtype}' is not in macs_per_cycle")
        return self

    @property
    def enabled(self) -> int:
        return self.enabled_units if self.enabled_units is not None else self.units


class SramSpec(BaseModel):
    model_config = _STRICT

    mb: float = Field(ge=0, le=1e5, description="Global on-chip SRAM (L2/scratchpad) [MB, 1e6 B].")
    bandwidth_tb_s: float | None = Field(
        default=None, gt=0, le=1e5,
        description="SRAM bandwidth [TB/s]; needed for an SRAM-only chip."
    )


class MemorySpec(BaseModel):
    model_config = _STRICT

    kind: MemoryKind
    devices: int = Field(default=0, ge=0, le=256,
                         description="HBM stacks, LPDDR x16 channels, GDDR chips.")
    enabled_devices: int | None = Field(
        default=None, ge=0, le=256,
        description="Devices in use (A100/H100 carry 6 HBM stacks and enable 5); all are "
        "bought and have a PHY.",
    )
    capacity_gib_per_device: float | None = Field(default=None, gt=0, le=1024)
    bandwidth_gb_s_per_device: float | None = Field(default=None, gt=0, le=1e4)

    @model_validator(mode="after")
    def _devices(self) -> MemorySpec:
        if self.kind != "none" and self.devices == 0:
            raise ValueError(f"memory kind {self.kind} needs devices > 0 (or kind: none)")
        if self.enabled_devices is not None and self.enabled_devices > self.devices:
            raise ValueError(f"enabled_devices ({self.enabled_devices}) must be <= devices "
                             f"({self.devices})")
        return self

    @property
    def active(self) -> int:
        return self.enabled_devices if self.enabled_devices is not None else self.devices


class LinkSpec(BaseModel):
    model_config = _STRICT

    lanes: int = Field(ge=0, le=10_000, description="SerDes lanes (each a TX+RX pair).")
    gbps_per_lane: float = Field(gt=0, le=1000,
                                 description="Line rate per lane, each direction [Gb/s].")
    domain_chips: int = Field(default=1, ge=1, le=1_000_000,
                              description="Chips in the scale-up domain.")


class PackagingSpec(BaseModel):
    model_config = _STRICT

    kind: PackagingKind = "cowos-s"
    dies: int | Literal["auto"] = Field(
        default=1, description="Compute dies; 'auto' splits at the reticle limit."
    )


class CostOverrides(BaseModel):
    """Unit-cost inputs that replace the node/catalog defaults (all optional)."""

    model_config = _STRICT

    wafer_price_usd: float | None = Field(default=None, gt=0, le=1e6)
    defect_density_per_cm2: float | None = Field(default=None, ge=0, le=100)
    yield_model: YieldModelName = "negative_binomial"
    clustering_alpha: float | None = Field(default=None, gt=0, le=1e3)
    memory_usd_per_gb: float | None = Field(default=None, ge=0, le=1e4)
    packaging_usd: float | None = Field(default=None, ge=0, le=1e6)
    assembly_yield_frac: float | None = Field(default=None, gt=0, le=1)
    test_assembly_frac: float | None = Field(default=None, ge=0, le=10)
    board_usd: float | None = Field(default=None, ge=0, le=1e6)


class NreOverrides(BaseModel):
    model_config = _STRICT

    mask_set_usd: float | None = Field(default=None, ge=0, le=MAX_NRE_USD)
    ip_licence_usd: float | None = Field(default=None, ge=0, le=MAX_NRE_USD)
    hw_engineer_years: float | None = Field(default=None, ge=0, le=1e5)
    sw_engineer_years: float | None = Field(default=None, ge=0, le=1e5)
    loaded_cost_per_engineer_year_usd: float | None = Field(default=None, ge=0, le=1e7)
    eda_usd_per_engineer_year: float | None = Field(default=None, ge=0, le=1e7)
    package_design_usd: float | None = Field(default=None, ge=0, le=MAX_NRE_USD)
    respin_probability: float | None = Field(default=None, ge=0, le=1)
    respin_mask_frac: float | None = Field(default=None, ge=0, le=1)


class ScheduleOverrides(BaseModel):
    model_config = _STRICT

    frontend_months: float | None = Field(default=None, ge=0, le=MAX_MONTHS)
    backend_months: float | None = Field(default=None, ge=0, le=MAX_MONTHS)
    fab_latency_weeks: float | None = Field(default=None, ge=0, le=MAX_MONTHS * 52 / 12)
    osat_weeks: float | None = Field(default=None, ge=0, le=MAX_MONTHS * 52 / 12)
    bringup_months: float | None = Field(default=None, ge=0, le=MAX_MONTHS)
    ramp_months: float | None = Field(default=None, ge=0, le=MAX_MONTHS)
    respin_debug_months: float | None = Field(default=None, ge=0, le=MAX_MONTHS)


class ChipDesign(BaseModel):
    """A parametric accelerator: node, compute, clock, SRAM, memory, links, packaging."""

    model_config = _STRICT

    type: Literal["chip-design"]
    id: str = Field(min_length=1)
    name: str = ""
    vendor: str = "custom"
    kind: Literal["gpu", "tpu", "asic", "lpu"] = "asic"
    process_node: str
    clock_mhz: float = Field(ge=1, le=MAX_CLOCK_MHZ, description="Matrix-unit clock [MHz].")
    compute: ComputeSpec
    sram: SramSpec = SramSpec(mb=0)
    memory: MemorySpec
    scaleup: LinkSpec | None = None
    scaleout: LinkSpec | None = None
    host: LinkSpec | None = None
    packaging: PackagingSpec = PackagingSpec()
    tdp_w: float | None = Field(default=None, gt=0, le=MAX_POWER_W)
    idle_w: float | None = Field(default=None, ge=0, le=MAX_POWER_W)
    cost: CostOverrides = CostOverrides()
    nre: NreOverrides = NreOverrides()
    schedule: ScheduleOverrides = ScheduleOverrides()
    notes: str | None = None

    @model_validator(mode="after")
    def _sram_only(self) -> ChipDesign:
        if self.memory.kind == "none" and (self.sram.mb <= 0 or self.sram.bandwidth_tb_s is None):
            raise ValueError("an SRAM-only chip (memory.kind: none) needs sram.mb and "
                             "sram.bandwidth_tb_s")
        return self

    # --- derived quantities (base units) -------------------------------------------------
    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * MEGA

    def peak_flops_s(self) -> dict[Dtype, float]:
        """Dense peak per dtype [FLOP/s] = enabled units x MACs/cycle x 2 x clock."""
        return {
            d: self.compute.enabled * macs * 2.0 * self.clock_hz
            for d, macs in self.compute.macs_per_cycle.items()
        }

    def _memory_default(self, field: str) -> float:
        return defaults.num("memory_kinds", self.memory.kind, field)

    def memory_bytes(self) -> float:
        """Capacity holding the weights [B]: external memory, or the SRAM if there is none."""
        if self.memory.kind == "none":
            return self.sram.mb * MEGA
        per = self.memory.capacity_gib_per_device or self._memory_default("capacity_gib_per_device")
        return self.memory.active * per * GIB

    def memory_purchased_bytes(self) -> float:
        """Memory bought and packaged [B] (every device, enabled or not)."""
        if self.memory.kind == "none":
            return 0.0
        return self.memory_bytes() / max(self.memory.active, 1) * self.memory.devices

    def memory_bandwidth_bytes_s(self) -> float:
        """Bandwidth of the memory holding the weights [B/s]."""
        if self.memory.kind == "none":
            assert self.sram.bandwidth_tb_s is not None  # checked by _sram_only
            return self.sram.bandwidth_tb_s * TERA
        per = self.memory.bandwidth_gb_s_per_device or self._memory_default(
            "bandwidth_gb_s_per_device"
        )
        return self.memory.active * per * GIGA

    def memory_phy_mm2(self) -> float:
        return self.memory.devices * self._memory_default("phy_area_mm2")

    def macs_bf16eq_per_unit(self, rel: dict[str, float]) -> float:
        """MACs per unit in bf16-MAC area equivalents [-]: the area-setting dtype's MACs
        x its relative MAC area (Horowitz ISSCC 2014 ratios, ``area_model.yaml``)."""
        macs = self.compute.macs_per_cycle
        if self.compute.area_dtype is not None:
            d = self.compute.area_dtype
            return macs[d] * rel[d]
        return max(m * rel[d] for d, m in macs.items())


def _link_bytes_s(link: LinkSpec | None) -> float:
    """One direction [B/s] = lanes x Gb/s / 8."""
    return 0.0 if link is None else link.lanes * link.gbps_per_lane * GIGA / 8.0


def load_design(path: Path) -> ChipDesign:
    """Read and validate a chip-design YAML; errors name the file and the field."""
    data = read_yaml(path, what="chip design")
    design = parse_model(ChipDesign, data, where=path)
    try:
        process_node(design.process_node)
    except SiliconomicsError as exc:
        raise CatalogError(f"{path}: field 'process_node': {exc}") from None
    return design


def smallest_catalog_model() -> tuple[str, float]:
    """(id, parameter count) of the smallest model in the catalog."""
    from siliconomics import catalog
    from siliconomics.workload.params import parameter_counts

    sizes = {m: parameter_counts(catalog.model(m)).total for m in catalog.model_ids()}
    smallest = min(sizes, key=lambda m: sizes[m])
    return smallest, sizes[smallest]


def _stored_bytes(dtype: str) -> float:
    """Bytes per weight stored for a compute dtype [B] (tf32 is computed on fp32 storage)."""
    return BYTES_PER_ELEMENT["fp32" if dtype == "tf32" else dtype]


def check_holds_a_model(design: ChipDesign, path: Path | str) -> None:
    """Refuse a design whose scale-up domain cannot hold even the smallest catalog model's
    weights at the narrowest dtype its matrix units run."""
    model_id, params = smallest_catalog_model()
    dtype = min(design.compute.macs_per_cycle, key=_stored_bytes)
    need = params * _stored_bytes(dtype)
    chips = design.scaleup.domain_chips if design.scaleup else 1
    have = design.memory_bytes() * chips
    if have < need:
        raise CatalogError(
            f"{path}: field 'memory': {design.memory_bytes() / GIGA:.3g} GB per chip x {chips} "
            f"chip(s) in the scale-up domain cannot hold any catalog model; the smallest is "
            f"{model_id} with {need / GIGA:.2f} GB of {dtype} weights (add memory devices, "
            f"sram.mb or scaleup.domain_chips)"
        )


def derive_accelerator(design: ChipDesign, source: str, tdp_w: float,
                       die_area_mm2: float, dies: int) -> Accelerator:
    """The :class:`Accelerator` (base units) the performance layer runs."""
    derived = f"derived from design {source}"
    peaks = design.peak_flops_s()
    sources = {f"peak_flops_s.{d}": derived + " (units x MACs/cycle x 2 x clock)" for d in peaks}
    for key in ("compute_units", "memory_bytes", "memory_bandwidth_bytes_s", "sram_bytes",
                "scaleup_bandwidth_bytes_s", "scaleout_bandwidth_bytes_s", "tdp_w",
                "die_area_mm2", "clock_hz", "process_node", "idle_power_w"):
        sources[key] = derived
    return Accelerator(
        id=design.id,
        name=design.name or design.id,
        vendor=design.vendor,
        kind=design.kind,
        process_node=design.process_node,
        compute_units=design.compute.enabled,
        peak_flops_s=peaks,
        memory_bytes=design.memory_bytes(),
        memory_bandwidth_bytes_s=design.memory_bandwidth_bytes_s(),
        memory_kind=design.memory.kind if design.memory.kind != "none" else "SRAM",
        sram_bytes=design.sram.mb * MEGA,
        scaleup_bandwidth_bytes_s=_link_bytes_s(design.scaleup),
        scaleup_domain_chips=design.scaleup.domain_chips if design.scaleup else 1,
        scaleout_bandwidth_bytes_s=_link_bytes_s(design.scaleout),
        tdp_w=tdp_w,
        idle_power_w=design.idle_w,
        clock_hz=design.clock_hz,
        die_area_mm2=die_area_mm2,
        dies=dies,
        sources=sources,
    )


def load_design_accelerator(path: Path) -> Accelerator:
    """The accelerator of a chip-design file (used by ``siliconomics.resolve.resolve_accelerator``)."""
    from siliconomics.silicon.chip import evaluate

    return evaluate(load_design(path), source=str(path)).accelerator

