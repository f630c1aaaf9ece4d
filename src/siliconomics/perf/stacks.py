"""Vendor software stacks: how much of a chip's physical capability a serving stack reaches.

The kernel calibration (:mod:`siliconomics.perf.calibration`) is the physical base: the
efficiencies of well-tuned kernels (cuBLAS, flash attention) fitted on measurements of an
H100, moved to another chip through its spec (peaks, power, bandwidth, memory kind,
fabric). A :class:`Stack` maps that base onto what one vendor's serving software reaches on
its chips: the achieved fraction of the reference kernels' sustained matrix rate per dtype,
of their achieved memory bandwidth, of their attention throughput, and a fixed host time per
engine iteration (scheduling, sampling, detokenisation not hidden behind the device).
Every fraction is in (0, 1]: 1 is the reference (TensorRT-LLM-class kernels on NVIDIA).

Each shipped stack records what it was fitted on (``fitted_on``) and where its values come
from (``source``). A stack whose software is still being written (a new in-house compiler)
carries an ``immature`` end; :meth:`Stack.at_maturity` interpolates between the two ends so
a Monte Carlo can sample the software risk.

Stacks are data: ``perf/data/stacks/*.yaml`` (one per stack), loaded through
:func:`load_stack`; :func:`resolve_stack` takes a registry id or a path; :func:`stack_for_vendor`
is the default stack of a chip's vendor.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.registry import Registry, unknown_id_message
from siliconomics.workload.stacks import STACKS as PROFILES
from siliconomics.workload.stacks import StackProfile

ANY_VENDOR = "*"
MAX_STEP_OVERHEAD_S = 0.1
"""Upper bound on the host time per engine iteration [s]: far above any engine's (~1-10 ms)."""


class StackFractions(BaseModel):
    """The fitted, physically named parameters of a stack (all fractions in (0, 1])."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    matmul_bf16_frac: float = Field(
        default=1.0, gt=0, le=1,
        description="Achieved fraction of the reference kernels' sustained bf16 matrix rate [-].")
    matmul_fp8_frac: float = Field(
        default=1.0, gt=0, le=1,
        description="Achieved fraction of the reference kernels' sustained 8-bit matrix rate [-].")
    matmul_fp4_frac: float = Field(
        default=1.0, gt=0, le=1,
        description="Achieved fraction of the reference kernels' sustained 4-bit matrix rate [-].")
    memory_bandwidth_frac: float = Field(
        default=1.0, gt=0, le=1,
        description="Achieved fraction of the reference kernels' memory bandwidth [-].")
    attention_frac: float = Field(
        default=1.0, gt=0, le=1,
        description="Attention-kernel throughput relative to reference flash attention [-].")
    step_overhead_s: float = Field(
        default=0.0, ge=0, le=MAX_STEP_OVERHEAD_S,
        description="Host time per engine iteration not hidden behind the device [s].")


FRACTION_FIELDS: tuple[str, ...] = ("matmul_bf16_frac", "matmul_fp8_frac", "matmul_fp4_frac",
                                    "memory_bandwidth_frac", "attention_frac")
PARAMETER_FIELDS: tuple[str, ...] = (*FRACTION_FIELDS, "step_overhead_s")


class Stack(StackFractions):
    """A vendor's serving software: kernel list (``profile``), fitted fractions, provenance."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    vendors: tuple[str, ...] = Field(
        min_length=1, description="Chip vendors the stack runs on ('*' for any).")
    profile: str = Field(default="production",
                         description="Kernel list and launch mode (workload.stacks profile).")
    fitted_on: str = Field(min_length=1, description="What the parameters were fitted on.")
    source: str = Field(min_length=1, description="Where the values come from.")
    immature: StackFractions | None = Field(
        default=None, description="The same parameters for an immature release of the stack; "
        "the top-level values are the mature end.")

    def profile_spec(self) -> StackProfile:
        """The kernel list and launch mode this stack runs."""
        return PROFILES[self.profile]

    def matmul_frac(self, precision: str) -> float:
        """Achieved matrix-rate fraction for a GEMM precision (bf16, fp8, int8, fp4) [-]."""
        if precision in ("fp8", "int8"):
            return self.matmul_fp8_frac
        if precision in ("fp4", "int4"):
            return self.matmul_fp4_frac
        return self.matmul_bf16_frac

    def runs_on(self, vendor: str) -> bool:
        return ANY_VENDOR in self.vendors or vendor.lower() in {v.lower() for v in self.vendors}

    def at_maturity(self, maturity_frac: float) -> Stack:
        """The stack at ``maturity_frac`` in [0, 1] between its immature end (0) and its
        mature values (1), interpolated linearly in each parameter. A stack without an
        immature end is returned unchanged."""
        if not 0.0 <= maturity_frac <= 1.0:
            raise SiliconomicsError(
                f"stack '{self.id}': maturity_frac must be in [0, 1], got {maturity_frac}")
        if self.immature is None:
            return self
        low = self.immature
        values = {f: getattr(low, f) + maturity_frac * (getattr(self, f) - getattr(low, f))
                  for f in PARAMETER_FIELDS}
        return self.model_copy(update={**values, "id": f"{self.id}@{maturity_frac:g}",
                                       "immature": None})

    def with_parameters(self, **values: float) -> Stack:
        """A copy with some parameters replaced (validated against their bounds)."""
        data = self.model_dump()
        data.update(values)
        return Stack.model_validate(data)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False,
                              width=100)


STACK_DIR = Path(str(resources.files("siliconomics.perf") / "data" / "stacks"))


def load_stack(path: Path) -> Stack:
    """Load and validate one stack YAML; errors name the file and the field."""
    data: dict[str, Any] = read_yaml(path)
    try:
        stack = Stack.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None
    if stack.profile not in PROFILES:
        raise CatalogError(f"{path}: field 'profile': "
                           + unknown_id_message("stack profile", stack.profile, PROFILES))
    return stack


@cache
def shipped_stacks() -> Registry[Stack]:
    """Every stack shipped in ``perf/data/stacks``, by id."""
    members: dict[str, Stack] = {}
    for path in sorted(STACK_DIR.glob("*.yaml")):
        stack = load_stack(path)
        if stack.id != path.stem:
            raise CatalogError(f"{path}: field 'id': must equal the file name '{path.stem}', "
                               f"got '{stack.id}'")
        members[stack.id] = stack
    return Registry("stack", members)


VENDOR_DEFAULT_STACK: dict[str, str] = {
    "nvidia": "tensorrt-llm",
    "amd": "vllm-rocm",
    "intel": "vllm-gaudi",
    "google": "jetstream",
    "aws": "neuron",
}
"""Chip vendor (lower case) -> its default serving stack; any other vendor gets ``inhouse``."""

REFERENCE_STACK = "production"
"""The stack that reproduces the physical base exactly (every fraction 1, no host overhead)."""


def resolve_stack(stack: Stack | str | Path | None) -> Stack:
    """A :class:`Stack` from an object, a shipped id, or a YAML path (None: the reference)."""
    if isinstance(stack, Stack):
        return stack
    if stack is None:
        return shipped_stacks()[REFERENCE_STACK]
    text = str(stack)
    if isinstance(stack, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return load_stack(Path(text))
    name, _, maturity = text.partition("@")
    base = shipped_stacks()[name]
    if not maturity:
        return base
    try:
        frac = float(maturity)
    except ValueError:
        raise SiliconomicsError(f"stack '{text}': the part after '@' must be a maturity in "
                                f"[0, 1], got '{maturity}'") from None
    return base.at_maturity(frac)


INHOUSE_DEFAULT_MATURITY = 0.5
"""Maturity of the in-house stack a chip of an unlisted vendor gets by default [-]."""


def stack_for_vendor(vendor: str) -> Stack:
    """The default serving stack of a chip vendor; a vendor not listed (a custom chip) gets
    the in-house stack halfway between immature and mature."""
    name = VENDOR_DEFAULT_STACK.get(vendor.strip().lower())
    if name is None:
        return shipped_stacks()["inhouse"].at_maturity(INHOUSE_DEFAULT_MATURITY)
    return shipped_stacks()[name]


def stack_for_chip(stack: Stack | str | Path | None, vendor: str, chip_id: str) -> Stack:
    """Resolve ``stack`` for a chip: ``"auto"`` is the vendor's default; a stack not defined
    for the chip's vendor is an error naming both."""
    if isinstance(stack, str) and stack == "auto":
        return stack_for_vendor(vendor)
    resolved = resolve_stack(stack)
    check_stack_for_vendor(resolved, vendor, chip_id)
    return resolved


def check_stack_for_vendor(stack: Stack, vendor: str, chip_id: str) -> None:
    """Refuse a stack that does not run on ``vendor``'s chips."""
    if stack.runs_on(vendor):
        return
    fits = sorted(s.id for s in shipped_stacks().values() if s.runs_on(vendor))
    raise SiliconomicsError(
        f"stack '{stack.id}' field 'vendors' is {', '.join(stack.vendors)}: it is not defined "
        f"for chip '{chip_id}' of vendor '{vendor}'; stacks for {vendor}: {', '.join(fits)} "
        "(or 'auto')")
