"""Per-chip sustained rates from the spec: matrix rate under the chip's own power limit,
memory efficiency by memory kind, and scale-up collectives by fabric.

The calibration's kernel efficiencies were fitted on one chip (an H100 with HBM3 and
NVLink); what moves them to another chip lives here, each as a small registry or a pure
function of spec fields:

* **Matrix rate**: ``min(peak, (TDP - idle) / e_flop)``. ``e_flop`` (energy per FLOP) is the
  fitted H100 value moved by the process node's switching-energy ratio, then credited for an
  architecture whose datasheet budget ``(TDP - idle) / peak`` is leaner than its node
  suggests, by that ratio to the power ``architecture_credit_frac`` (0: node only, 1: the
  whole datasheet claim). A narrower format pays the fitted 8-bit/bf16 energy ratio once per
  doubling of the datasheet rate over bf16: a chip whose fp8 peak equals its bf16 peak
  (Gaudi 3, TPU v6e) runs fp8 through the same datapath at the bf16 energy, so fp8 and bf16
  sustain the same rate, as their datasheets say.
* **Memory**: the calibration's bandwidth fractions were measured on HBM3; other memory kinds
  scale them by :data:`MEMORY_KINDS`.
* **Scale-up fabric**: the calibration's collective parameters describe a switched NVLink
  domain; :data:`FABRICS` gives each fabric's usable share of the per-chip link bandwidth
  for a collective among ``ranks`` chips (a full mesh uses only the links to the chips in
  the collective; a torus ring uses one dimension's ports) and its efficiency and latency
  relative to NVLink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Literal

from siliconomics.catalog.accelerator import Accelerator, Dtype
from siliconomics.catalog.process_nodes import UNPUBLISHED_NODES, process_node
from siliconomics.perf import collectives, kernels
from siliconomics.perf.calibration import Calibration
from siliconomics.perf.stacks import Stack
from siliconomics.registry import Registry

PRECISION_TO_DTYPE: dict[str, Dtype] = {"bf16": "bf16", "fp8": "fp8", "int8": "int8", "fp4": "fp4"}


@dataclass(frozen=True, slots=True)
class MemoryKind:
    """Achieved bandwidth of a memory technology relative to HBM3 (the calibrated one)."""

    bandwidth_rel_hbm3: float
    source: str


_HBM = MemoryKind(1.0, "Assumption: every HBM generation uses the same JEDEC HBM command "
                  "protocol and controller design, so its achieved fraction of peak is taken "
                  "as the H100's HBM3 fraction (calibrated); no stack-independent measurement "
                  "of another HBM chip is in the fitting set.")
MEMORY_KINDS: Registry[MemoryKind] = Registry("memory kind", {
    "hbm": _HBM, "hbm2": _HBM, "hbm2e": _HBM, "hbm3": _HBM, "hbm3e": _HBM, "hbm4": _HBM,
    "gddr6": MemoryKind(0.95, "Assumption: GDDR loses a few % more to bank and read/write "
                        "turnaround than HBM's pseudo-channels (JEDEC JESD250 / JESD235)."),
    "gddr7": MemoryKind(0.95, "As GDDR6 (assumption)."),
    "lpddr5": MemoryKind(0.85, "Assumption: LPDDR5 on wide interfaces reaches ~85 % of the HBM "
                         "fraction (longer bursts, fewer banks per channel; JEDEC JESD209-5)."),
    "lpddr5x": MemoryKind(0.85, "As LPDDR5 (assumption)."),
    "ddr5": MemoryKind(0.85, "As LPDDR5 (assumption)."),
    "sram": MemoryKind(1.0, "SRAM-only chips (Groq): the quoted on-chip bandwidth is taken "
                       "at the calibrated fraction; no DRAM refresh or page misses."),
})


def memory_kind(name: str) -> MemoryKind:
    """The memory technology of a spec's ``memory_kind`` (case-insensitive)."""
    return MEMORY_KINDS[name.strip().lower().replace(" ", "")]


FabricTopology = Literal["switched", "full_mesh", "torus"]


@dataclass(frozen=True, slots=True)
class Fabric:
    """A scale-up interconnect: how a collective among ``ranks`` chips uses each chip's links."""

    name: str
    topology: FabricTopology
    efficiency_rel: float
    """Achieved link fraction relative to NVLink + NCCL (the calibration's collective) [-]."""
    latency_rel: float
    """Per-step latency relative to NVLink's [-]."""
    source: str

    def usable_frac(self, ranks: int, domain: int) -> float:
        """Share of a chip's scale-up bandwidth a collective among ``ranks`` chips can use."""
        if ranks <= 1 or self.topology == "switched":
            return 1.0
        if self.topology == "full_mesh":
            return min(1.0, (ranks - 1) / max(domain - 1, 1))
        side = max(math.isqrt(domain), 2)
        return 0.5 if ranks <= side else 1.0


FABRICS: Registry[Fabric] = Registry("fabric", {
    "nvlink": Fabric("nvlink", "switched", 1.0, 1.0,
                     "NVLink through NVSwitch: every GPU reaches any other at its full link "
                     "bandwidth (NVIDIA HGX); the calibration's collective parameters."),
    "infinity-fabric": Fabric(
        "infinity-fabric", "full_mesh", 0.9, 1.5,
        "AMD MI300X/MI325X platform: 7 Infinity Fabric links per GPU, one to each of the 7 "
        "others (AMD datasheet); a collective among n GPUs uses n - 1 of them. Efficiency "
        "and latency relative to NVLink: assumptions (no collective in the fitting set)."),
    "gaudi-roce": Fabric(
        "gaudi-roce", "full_mesh", 0.85, 3.0,
        "Intel Gaudi 3 baseboard: 21 of 24 200GbE RoCE ports connect the 8 cards all-to-all, "
        "3 per peer (Intel Gaudi 3 white paper); RoCE efficiency and latency relative to "
        "NVLink: assumptions."),
    "ici-torus": Fabric(
        "ici-torus", "torus", 1.0, 1.0,
        "Google TPU ICI: 4 ports per chip in a 2D torus (Cloud TPU docs); a ring within one "
        "torus dimension uses 2 of the 4; efficiency and latency as NVLink (assumption)."),
    "neuronlink-torus": Fabric(
        "neuronlink-torus", "torus", 0.9, 1.5,
        "AWS trn2: NeuronLink-v3 4x4 2D torus (AWS Neuron docs); efficiency and latency "
        "relative to NVLink: assumptions."),
    "switched": Fabric(
        "switched", "switched", 1.0, 1.0,
        "A chip whose vendor's fabric is not listed (a custom design): taken as a switched "
        "domain with the calibration's NVLink collective parameters (assumption)."),
    "direct": Fabric(
        "direct", "full_mesh", 0.9, 1.5,
        "Chips linked directly to their peers (GroqNode: 8 TSPs, The Next Platform 2020): a "
        "full mesh; efficiency and latency relative to NVLink: assumptions."),
})

VENDOR_FABRIC: dict[str, str] = {"nvidia": "nvlink", "amd": "infinity-fabric",
                                 "intel": "gaudi-roce", "google": "ici-torus",
                                 "aws": "neuronlink-torus", "groq": "direct"}


def fabric_for(hw: Accelerator) -> Fabric:
    """The scale-up fabric of a chip, by its vendor (``switched`` for others)."""
    return FABRICS[VENDOR_FABRIC.get(hw.vendor.strip().lower(), "switched")]


def scaleup_warning(hw: Accelerator, ranks: int) -> str | None:
    """One line when a collective among ``ranks`` chips leaves the scale-up domain."""
    if ranks <= hw.scaleup_domain_chips:
        return None
    return (f"warning: {ranks} chips in the collective but {hw.id}'s scale-up domain has "
            f"{hw.scaleup_domain_chips}: the all-reduce leaves the scale-up fabric and runs "
            f"over the scale-out network ({hw.scaleout_bandwidth_bytes_s / 1e9:g} GB/s per chip)")


def idle_power_w(hw: Accelerator, calib: Calibration) -> float:
    """Published idle power, or the calibrated idle share of TDP [W]."""
    if hw.idle_power_w is not None:
        return hw.idle_power_w
    return calib.kernel.idle_power_frac * hw.tdp_w


def node_energy_rel_n7(node: str, fallback: float) -> float:
    """Switching energy of ``node`` relative to N7. Vendors that do not publish the node
    (Google TPUs, AWS Trainium) are taken at ``fallback``, the calibration's reference node:
    a contemporary-node assumption, stated in docs/performance-model.md."""
    if node.strip().lower() in UNPUBLISHED_NODES:
        return fallback
    return _node_energy(node)


@cache
def _node_energy(node: str) -> float:
    return float(process_node(node).energy_per_op_rel_n7)


def matmul_energy_j_per_flop(hw: Accelerator, precision: str, calib: Calibration) -> float:
    """Energy per FLOP of this chip's matrix units at ``precision`` [J] (module docstring)."""
    k = calib.kernel
    reference = _node_energy(k.reference_node)
    node_ratio = node_energy_rel_n7(hw.process_node, reference) / reference
    datasheet_pj = (hw.tdp_w - idle_power_w(hw, calib)) / hw.peak("bf16") * 1e12
    datasheet_ratio = datasheet_pj / k.reference_datasheet_pj_per_flop_bf16
    credit: float = min(1.0, datasheet_ratio / node_ratio) ** k.architecture_credit_frac
    per_flop = k.matmul_energy_pj_per_flop_bf16 * 1e-12 * node_ratio * credit
    native = hw.native_dtype(PRECISION_TO_DTYPE[precision])
    speedup = hw.peak(native) / hw.peak("bf16")
    if speedup > 1.0:
        per_flop *= k.matmul_energy_ratio_fp8 ** math.log2(speedup)
    return per_flop


def sustained_matmul_flops_s(hw: Accelerator, precision: str, calib: Calibration) -> float:
    """Matrix rate of reference kernels on this chip at ``precision`` [FLOP/s]."""
    energy = matmul_energy_j_per_flop(hw, precision, calib)
    return float(kernels.sustained_matmul_flops_s(
        hw.peak(PRECISION_TO_DTYPE[precision]), hw.tdp_w, idle_power_w(hw, calib), energy))


@dataclass(frozen=True, slots=True)
class ChipRates:
    """What the kernel models need of a chip under a stack, derived once from the spec."""

    matmul_flops_s: dict[str, float]
    """Sustained matrix rate per GEMM precision, the stack's fraction applied [FLOP/s]."""
    attention_frac: float
    """The stack's attention throughput relative to reference flash attention [-]."""
    bandwidth_bytes_s: float
    """Memory bandwidth at the memory kind's and the stack's achieved share [B/s]."""
    sram_bytes: float
    units: int
    link_bytes_s: float
    """Per-direction link bandwidth a collective among ``ranks`` chips uses [B/s]."""
    link_efficiency_frac: float
    collective_latency_s: float
    step_overhead_s: float


def chip_rates(hw: Accelerator, calib: Calibration, ranks: int = 1,
               stack: Stack | None = None) -> ChipRates:
    """Rates of ``hw`` under ``stack`` (None: the reference kernels, fractions 1)."""
    rates = {}
    for precision in PRECISION_TO_DTYPE:
        frac = stack.matmul_frac(precision) if stack is not None else 1.0
        rates[precision] = sustained_matmul_flops_s(hw, precision, calib) * frac
    mem_frac = memory_kind(hw.memory_kind).bandwidth_rel_hbm3
    if stack is not None:
        mem_frac *= stack.memory_bandwidth_frac
    fabric = fabric_for(hw)
    inside = ranks <= hw.scaleup_domain_chips
    link = collectives.link_bandwidth_bytes_s(ranks, hw.scaleup_bandwidth_bytes_s,
                                              hw.scaleup_domain_chips, hw.scaleout_bandwidth_bytes_s)
    c = calib.collective
    efficiency, latency = c.link_efficiency_frac, c.collective_latency_s
    if inside and hw.scaleup_bandwidth_bytes_s > 0:
        link *= fabric.usable_frac(ranks, hw.scaleup_domain_chips)
        efficiency = min(1.0, efficiency * fabric.efficiency_rel)
        latency *= fabric.latency_rel
    return ChipRates(
        matmul_flops_s=rates,
        attention_frac=stack.attention_frac if stack is not None else 1.0,
        bandwidth_bytes_s=hw.memory_bandwidth_bytes_s * mem_frac,
        sram_bytes=hw.sram_bytes, units=hw.compute_units, link_bytes_s=link,
        link_efficiency_frac=efficiency, collective_latency_s=latency,
        step_overhead_s=stack.step_overhead_s if stack is not None else 0.0,
    )
