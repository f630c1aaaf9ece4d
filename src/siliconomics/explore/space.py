"""A design space declared in YAML (``type: design-space``): ranges or choices per design
parameter, the constraints a design must meet, and the workload it is for.

Parsed once into frozen, validated objects; an unknown key is refused with the closest
valid name (:func:`siliconomics.inputs.parse_model`). Example::

    type: design-space
    id: gpt35-dense-2023
    parameters:
      process_node: {choices: [N7, N5, N4]}
      clock_mhz: {low: 800, high: 2000}
      matrix_units: {low: 1, high: 16, integer: true}
      matrix_dim: {choices: [64, 128, 256]}
      sram_mb: {low: 16, high: 512, log: true}
      memory_kind: {choices: [HBM2e, HBM3]}
      memory_devices: {low: 1, high: 8, integer: true}
      capacity_gib_per_device: {choices: [16, 24]}
      scaleup_lanes: {low: 16, high: 144, integer: true}
      packaging: {choices: [cowos-s]}
    constraints:
      max_die_area_mm2: 858
      max_tdp_w: 700
      max_power_density_w_mm2: 1.0
      max_memory_devices: 8
      available_by: 2023-01
    workload:
      model: gpt3-175b
      batch: 64
      context_tokens: 2048
      input_tokens: 1024
      output_tokens: 256
      slo: {ttft_s: 2.0, tpot_s: 0.1}
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siliconomics.catalog.accelerator import Dtype
from siliconomics.errors import SiliconomicsError

_STRICT = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
DATA = Path(__file__).resolve().parent / "data"
SPACES_DIR = Path(__file__).resolve().parent / "spaces"
"""The example spaces shipped with siliconomics (one per shipped scenario's workload)."""

MemoryKindName = Literal["HBM2", "HBM2e", "HBM3", "HBM3e", "LPDDR5", "GDDR6"]
PackagingName = Literal["organic", "organic-mcm", "cowos-s", "cowos-l"]


class Range(BaseModel):
    """A numeric range searched between ``low`` and ``high`` (inclusive)."""

    model_config = _STRICT

    low: float = Field(gt=0)
    high: float = Field(gt=0)
    integer: bool = False
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be >= low ({self.low:g})")
        return self


class NumberChoices(BaseModel):
    model_config = _STRICT

    choices: tuple[float, ...] = Field(min_length=1)


class NodeChoices(BaseModel):
    model_config = _STRICT

    choices: tuple[str, ...] = Field(min_length=1)


class MemoryChoices(BaseModel):
    model_config = _STRICT

    choices: tuple[MemoryKindName, ...] = Field(min_length=1)


class PackagingChoices(BaseModel):
    model_config = _STRICT

    choices: tuple[PackagingName, ...] = Field(min_length=1)


NumberParam = Range | NumberChoices


class Parameters(BaseModel):
    """What the search may vary, one entry per :class:`~siliconomics.silicon.design.
    ChipDesign` field. ``matrix_units`` square arrays of ``matrix_dim`` x ``matrix_dim``
    bf16 MACs (int8 at twice the rate); memory ``devices`` are HBM stacks (or LPDDR/GDDR
    channels/chips)."""

    model_config = _STRICT

    process_node: NodeChoices
    clock_mhz: NumberParam
    matrix_units: NumberParam
    matrix_dim: NumberParam
    sram_mb: NumberParam
    memory_kind: MemoryChoices
    memory_devices: NumberParam
    capacity_gib_per_device: NumberParam
    scaleup_lanes: NumberParam
    packaging: PackagingChoices = PackagingChoices(choices=("cowos-s",))


class Constraints(BaseModel):
    """What every design must satisfy. ``max_die_area_mm2`` defaults to the reticle limit."""

    model_config = _STRICT

    max_die_area_mm2: float = Field(default=858.0, gt=0)
    max_tdp_w: float = Field(default=1000.0, gt=0)
    max_power_density_w_mm2: float = Field(default=1.5, gt=0)
    max_memory_devices: int = Field(default=8, ge=1)
    available_by: dt.date | None = None
    max_unit_cost_usd: float | None = Field(default=None, gt=0)


class SloSpec(BaseModel):
    model_config = _STRICT

    ttft_s: float = Field(default=2.0, gt=0)
    tpot_s: float = Field(default=0.1, gt=0)
    percentile: float = Field(default=99.0, gt=0, lt=100)


class Workload(BaseModel):
    """The model served, the batch and context the screen evaluates at, the request lengths
    of the stage-2 simulation, and the latency target."""

    model_config = _STRICT

    model: str = Field(min_length=1)
    weight_dtype: Dtype = "fp8"
    kv_dtype: Dtype = "fp8"
    batch: int = Field(default=64, ge=1)
    context_tokens: int = Field(default=2048, ge=1)
    input_tokens: int = Field(default=1024, ge=1)
    output_tokens: int = Field(default=256, ge=1)
    slo: SloSpec = SloSpec()


Objective = Literal["cost_per_million_tokens", "tpot_s", "power_w_per_token_s", "nre_usd"]


class DesignSpace(BaseModel):
    """A whole search problem: parameters, constraints, workload, objective."""

    model_config = _STRICT

    type: Literal["design-space"]
    id: str = Field(min_length=1)
    description: str = ""
    parameters: Parameters
    constraints: Constraints = Constraints()
    workload: Workload
    objective: Objective = "cost_per_million_tokens"
    scaleup_gbps_per_lane: float = Field(default=100.0, gt=0)
    scaleup_domain_chips: int = Field(default=64, ge=1)


@cache
def node_availability() -> dict[str, dt.date]:
    """First volume production per canonical node name (``explore/data``, each sourced)."""
    import yaml

    raw = yaml.safe_load((DATA / "node_availability.yaml").read_text(encoding="utf-8"))
    out: dict[str, dt.date] = {}
    for name, entry in raw.items():
        year, month = (int(x) for x in str(entry["value"]).split("-"))
        out[str(name)] = dt.date(year, month, 1)
    return out


def check_space(space: DesignSpace, where: str) -> None:
    """Rules across fields: nodes exist, and each single constraint leaves something to search."""
    from siliconomics.catalog.process_nodes import node_names, process_node

    p, c = space.parameters, space.constraints
    for name in p.process_node.choices:
        try:
            process_node(name)
        except SiliconomicsError:
            close = difflib.get_close_matches(name, node_names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SiliconomicsError(
                f"{where}: field 'parameters.process_node': unknown node {name!r}{hint}; "
                f"known: {', '.join(node_names())}") from None
    if c.available_by is not None:
        dates = node_availability()
        ok = [n for n in p.process_node.choices if dates[process_node(n).name] <= c.available_by]
        if not ok:
            first = min(dates[process_node(n).name] for n in p.process_node.choices)
            raise SiliconomicsError(
                f"{where}: constraint 'available_by' ({c.available_by}) empties the space: none "
                f"of the nodes {', '.join(p.process_node.choices)} is in volume before "
                f"{first:%Y-%m}")
    low_devices = _lowest(p.memory_devices)
    if low_devices > c.max_memory_devices:
        raise SiliconomicsError(
            f"{where}: constraint 'max_memory_devices' ({c.max_memory_devices}) empties the "
            f"space: parameters.memory_devices starts at {low_devices:g}")


def _lowest(param: NumberParam) -> float:
    return param.low if isinstance(param, Range) else min(param.choices)


def parse_space(data: object, where: str) -> DesignSpace:
    """Validate a design-space mapping (one-line errors naming ``where`` and the field)."""
    from siliconomics.inputs import parse_model

    space = parse_model(DesignSpace, data, where=where)
    check_space(space, where)
    return space


def load_space(path: str | Path) -> DesignSpace:
    """Read and validate a design-space YAML file."""
    from siliconomics.inputs import load_yaml

    data = load_yaml(path, what="design space")
    return parse_space(data, str(path))
