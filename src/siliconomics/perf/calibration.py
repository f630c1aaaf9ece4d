"""Calibration: the few fitted, physically named parameters of the performance model.

A calibration is fitted on measurements of one real chip (``siliconomics calibrate``) and
stored as YAML with where it was fitted. It transfers to other chips because each parameter
is a property of a kind of kernel or of a software stack, not of a shape or of a chip: chip
differences come from the spec (peaks, bandwidth, compute units, TDP, process node).
The default calibration, fitted on the shared H100 SXM measurements, ships with the package.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError


class KernelParams(BaseModel):
    """Kernel-level efficiencies, shared by every software stack."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matmul_energy_pj_per_flop_bf16: float = Field(
        gt=0, description="Energy per dense bf16 FLOP in the matrix units at the reference node [pJ]."
    )
    matmul_energy_ratio_fp8: float = Field(
        gt=0, le=1.5, description="Energy of an 8-bit FLOP relative to a bf16 FLOP [-]."
    )
    reference_node: str = Field(description="Process node the energy per FLOP was fitted on.")
    reference_datasheet_pj_per_flop_bf16: float = Field(
        gt=0,
        description="The fitted chip's datasheet energy budget (TDP - idle) / bf16 peak [pJ]; "
        "other chips' datasheet budgets are compared with it to credit architectural gains.",
    )
    architecture_credit_frac: float = Field(
        default=1.0, ge=0, le=1,
        description="Share (as an exponent) of a chip's datasheet energy-per-FLOP advantage over "
        "its process node that its sustained matrix rate gets: 0 node only, 1 all of it [-].",
    )
    idle_power_frac: float = Field(
        gt=0, lt=1, description="Idle power as a fraction of TDP, for chips without a published idle [-]."
    )
    tile_operand_cost: float = Field(
        ge=0,
        description="Matrix-unit slowdown from operand loads: efficiency 1/(1 + c(1/tm + 1/tn)) [elements].",
    )
    gemm_bandwidth_frac: float = Field(gt=0, le=1, description="Achieved HBM fraction streaming weights [-].")
    gemm_overlap_exponent: float = Field(
        ge=1,
        description="p in t = (t_compute^p + t_memory^p)^(1/p): how sharply compute and memory overlap [-].",
    )
    gemm_floor_s: float = Field(ge=0, description="Fixed time of a GEMM kernel [s].")
    attention_matmul_frac: float = Field(
        gt=0, le=1.5,
        description="Flash-attention block throughput relative to sustained GEMM throughput [-].",
    )
    attention_block_overhead: float = Field(
        ge=0, description="Per-CTA prologue/epilogue of flash attention, in key-block units [-]."
    )
    attention_prefill_floor_s: float = Field(
        ge=0, description="Fixed time of a prefill attention kernel [s]."
    )
    attention_decode_bandwidth_frac: float = Field(
        gt=0, le=1, description="Achieved HBM fraction reading the KV cache in decode attention [-]."
    )
    attention_decode_floor_s: float = Field(ge=0, description="Fixed time of a decode attention kernel [s].")
    elementwise_bandwidth_frac: float = Field(
        gt=0, le=1, description="Achieved HBM fraction of contiguous elementwise kernels and copies [-]."
    )
    strided_bandwidth_frac: float = Field(
        gt=0, le=1, description="Achieved HBM fraction of elementwise kernels on strided views [-]."
    )
    reduction_bandwidth_frac: float = Field(
        gt=0, le=1, description="Achieved HBM fraction of row reductions (norms) [-]."
    )
    cache_bandwidth_ratio: float = Field(
        ge=1, description="On-chip cache bandwidth over HBM bandwidth, for operands that fit in SRAM [-]."
    )
    elementwise_floor_s: float = Field(ge=0, description="Fixed time of a small elementwise kernel [s].")
    row_reduction_s_per_element: float = Field(
        ge=0, description="Serial time per element of one row in a row reduction (norm) [s]."
    )


class StackParams(BaseModel):
    """How a software stack issues kernels: per-kernel costs outside the kernels themselves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eager_launch_s: float = Field(ge=0, description="Host time to issue one kernel in eager mode [s].")
    graph_kernel_gap_s: float = Field(ge=0, description="Device gap between kernels of a CUDA graph [s].")


class CollectiveParams(BaseModel):
    """Collective communication over the scale-up and scale-out links (not fitted: no
    collective is in the shared measurements; values are documented assumptions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link_efficiency_frac: float = Field(gt=0, le=1, description="Achieved fraction of link bandwidth [-].")
    collective_latency_s: float = Field(ge=0, description="Fixed latency per collective step [s].")


class Calibration(BaseModel):
    """All fitted parameters, with where they were fitted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fitted_on: str = Field(description="Measurements and hardware the parameters were fitted to.")
    fitted_hardware: str | None = Field(
        default=None, description="Catalog id of the chip the measurements were taken on.")
    notes: str = ""
    kernel: KernelParams
    stack: StackParams
    collective: CollectiveParams
    fit_error: dict[str, float] = Field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, width=100)

    def save(self, path: Path) -> None:
        path.write_text(self.to_yaml(), encoding="utf-8")


DEFAULT_CALIBRATION_PATH = Path(str(resources.files("siliconomics.perf") / "data" / "h100-sxm.yaml"))


def load_calibration(path: Path) -> Calibration:
    """Load a calibration YAML; errors name the file and field."""
    data: dict[str, Any] = read_yaml(path)
    try:
        return Calibration.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None


@cache
def default_calibration() -> Calibration:
    """The shipped calibration (fitted on the shared H100 SXM measurements)."""
    return load_calibration(DEFAULT_CALIBRATION_PATH)
