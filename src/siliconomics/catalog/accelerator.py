"""The accelerator spec: what the performance, power and economics layers need of a chip.

Two types. :class:`AcceleratorFile` is the YAML form, with units in the field names and a
source on every value. :class:`Accelerator` is the validated runtime form in base units
(FLOP/s, bytes, bytes/s, W, USD); the loader converts once, here, and no model converts
again. The silicon layer builds an :class:`Accelerator` directly from a chip design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from siliconomics.catalog.sourced import Range, Sourced, read_yaml, validation_message
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.inputs import parse_model

Dtype = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"]
DTYPES: tuple[Dtype, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4", "int4")
AcceleratorKind = Literal["gpu", "tpu", "asic", "lpu"]

TERA = 1e12
GIGA = 1e9
MEGA = 1e6
GIB = 2**30


class Accelerator(BaseModel):
    """One accelerator chip (one package, as sold or rented), in base units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str
    vendor: str
    kind: AcceleratorKind = "gpu"
    process_node: str = Field(description="Process node of the compute die(s), e.g. '4N'.")
    compute_units: int = Field(gt=0, description="Parallel matrix-unit workers (SMs, CUs, cores).")
    peak_flops_s: dict[Dtype, float] = Field(description="Dense peak per dtype [FLOP/s].")
    memory_bytes: float = Field(gt=0, description="Capacity of the memory holding weights [B].")
    memory_bandwidth_bytes_s: float = Field(gt=0, description="Memory bandwidth [B/s].")
    memory_kind: str = "HBM"
    sram_bytes: float = Field(ge=0, default=0.0, description="On-chip SRAM / last-level cache [B].")
    scaleup_bandwidth_bytes_s: float = Field(
        ge=0, default=0.0, description="Scale-up link bandwidth per chip, each direction [B/s]."
    )
    scaleup_domain_chips: int = Field(ge=1, default=1)
    scaleout_bandwidth_bytes_s: float = Field(
        ge=0, default=0.0, description="Scale-out network bandwidth per chip, each direction [B/s]."
    )
    tdp_w: float = Field(gt=0, description="Board / package power limit [W].")
    idle_power_w: float | None = Field(default=None, ge=0, description="Idle board power [W].")
    clock_hz: float | None = Field(default=None, gt=0, description="Boost clock [Hz].")
    die_area_mm2: float | None = Field(default=None, gt=0, description="Total compute-die area.")
    dies: int = Field(default=1, ge=1)
    transistors: float | None = Field(default=None, gt=0)
    price_usd: Range | None = None
    cloud_usd_per_hour: Range | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("peak_flops_s")
    @classmethod
    def _positive_peaks(cls, peaks: dict[Dtype, float]) -> dict[Dtype, float]:
        if not peaks:
            raise ValueError("needs at least one dtype peak")
        for dtype, flops in peaks.items():
            if not flops > 0:
                raise ValueError(f"peak for {dtype} must be > 0, got {flops}")
        return peaks

    @field_validator("price_usd", "cloud_usd_per_hour")
    @classmethod
    def _positive_price(cls, price: Range | None) -> Range | None:
        if price is not None and not price.low > 0:
            raise ValueError(f"a price must be > 0, got low={price.low}")
        return price

    def peak(self, dtype: Dtype) -> float:
        """Dense peak [FLOP/s] for a dtype, falling back to the next wider format the chip has.

        A chip without fp8 runs fp8 weights at its bf16 rate (weights are upcast), and so on.
        """
        for candidate in _FALLBACK[dtype]:
            if candidate in self.peak_flops_s:
                return self.peak_flops_s[candidate]
        return max(self.peak_flops_s.values())

    def native_dtype(self, dtype: Dtype) -> Dtype:
        """The dtype the matrix units actually run for a requested one (see :meth:`peak`)."""
        for candidate in _FALLBACK[dtype]:
            if candidate in self.peak_flops_s:
                return candidate
        return max(self.peak_flops_s, key=lambda d: self.peak_flops_s[d])


_FALLBACK: dict[Dtype, tuple[Dtype, ...]] = {
    "fp4": ("fp4", "fp8", "int8", "bf16", "fp16"),
    "int4": ("int4", "int8", "fp8", "bf16", "fp16"),
    "fp8": ("fp8", "bf16", "fp16"),
    "int8": ("int8", "bf16", "fp16"),
    "bf16": ("bf16", "fp16", "tf32", "fp32"),
    "fp16": ("fp16", "bf16", "tf32", "fp32"),
    "tf32": ("tf32", "fp32", "bf16"),
    "fp32": ("fp32", "tf32"),
}


class AcceleratorFile(BaseModel):
    """The YAML form of an accelerator: file units in the names, a source on every value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str
    vendor: str
    kind: AcceleratorKind = "gpu"
    process_node: Sourced
    compute_units: Sourced
    peak_dense_tflops: dict[Dtype, Sourced]
    memory_gib: Sourced
    memory_bandwidth_tb_s: Sourced
    memory_kind: Sourced
    sram_mb: Sourced | None = None
    scaleup_bidirectional_gb_s: Sourced | None = None
    scaleup_domain_chips: Sourced | None = None
    scaleout_gb_s: Sourced | None = None
    tdp_w: Sourced
    idle_w: Sourced | None = None
    boost_clock_mhz: Sourced | None = None
    die_area_mm2: Sourced | None = None
    dies: Sourced | None = None
    transistors_billion: Sourced | None = None
    price_usd: Sourced | None = None
    cloud_usd_per_hour: Sourced | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> AcceleratorFile:
        """Every number within :data:`FILE_BOUNDS`, checked in file units so the message
        shows the value as written."""
        entries: list[tuple[str, Sourced | None, str]] = [
            (name, getattr(self, name), name) for name in FILE_BOUNDS if name != "peak_dense_tflops"
        ]
        entries += [(f"peak_dense_tflops.{d}", e, "peak_dense_tflops")
                    for d, e in self.peak_dense_tflops.items()]
        for where, entry, rule_key in entries:
            if entry is None:
                continue
            low, high, unit = FILE_BOUNDS[rule_key]
            for part in ("value", "low", "central", "high"):
                raw = getattr(entry, part)
                if raw is None or isinstance(raw, str | bool):
                    continue
                if not low <= raw <= high:
                    shown = "" if part == "value" else f"{part} "
                    raise ValueError(f"field '{where}': must be between {low:g} and {high:g} "
                                     f"{unit}, got {shown}{raw!r}")
        if not self.peak_dense_tflops:
            raise ValueError("field 'peak_dense_tflops': needs at least one dtype")
        return self

    def to_accelerator(self) -> Accelerator:
        """Convert file units to base units (the one place this happens)."""
        sources: dict[str, str] = {}

        def num(name: str, entry: Sourced | None, factor: float = 1.0) -> float | None:
            if entry is None:
                return None
            sources[name] = entry.source
            try:
                return entry.number() * factor
            except ValueError as exc:
                raise ValueError(f"field '{_FILE_FIELD.get(name, name)}': {exc}") from None

        def whole(name: str, entry: Sourced | None) -> int | None:
            value = num(name, entry)
            if value is not None and value != int(value):
                raise ValueError(f"field '{_FILE_FIELD.get(name, name)}': must be a whole "
                                 f"number, got {value}")
            return None if value is None else int(value)

        def rng(name: str, entry: Sourced | None) -> Range | None:
            if entry is None:
                return None
            sources[name] = entry.source
            return entry.as_range()

        peaks: dict[Dtype, float] = {}
        for dtype, entry in self.peak_dense_tflops.items():
            peaks[dtype] = (num(f"peak_flops_s.{dtype}", entry) or 0.0) * TERA
        sources["process_node"] = self.process_node.source
        sources["memory_kind"] = self.memory_kind.source
        scaleup_bidir = num("scaleup_bandwidth_bytes_s", self.scaleup_bidirectional_gb_s, GIGA)
        transistors = num("transistors", self.transistors_billion, GIGA)
        return Accelerator(
            id=self.id,
            name=self.name,
            vendor=self.vendor,
            kind=self.kind,
            process_node=str(self.process_node.value),
            compute_units=whole("compute_units", self.compute_units) or 0,
            peak_flops_s=peaks,
            memory_bytes=num("memory_bytes", self.memory_gib, GIB) or 0.0,
            memory_bandwidth_bytes_s=num(
                "memory_bandwidth_bytes_s", self.memory_bandwidth_tb_s, TERA
            )
            or 0.0,
            memory_kind=str(self.memory_kind.value),
            sram_bytes=num("sram_bytes", self.sram_mb, MEGA) or 0.0,
            scaleup_bandwidth_bytes_s=0.5 * scaleup_bidir if scaleup_bidir else 0.0,
            scaleup_domain_chips=_or(whole("scaleup_domain_chips", self.scaleup_domain_chips), 1),
            scaleout_bandwidth_bytes_s=num("scaleout_bandwidth_bytes_s", self.scaleout_gb_s, GIGA)
            or 0.0,
            tdp_w=num("tdp_w", self.tdp_w) or 0.0,
            idle_power_w=num("idle_power_w", self.idle_w),
            clock_hz=num("clock_hz", self.boost_clock_mhz, MEGA),
            die_area_mm2=num("die_area_mm2", self.die_area_mm2),
            dies=_or(whole("dies", self.dies), 1),
            transistors=transistors,
            price_usd=rng("price_usd", self.price_usd),
            cloud_usd_per_hour=rng("cloud_usd_per_hour", self.cloud_usd_per_hour),
            sources=sources,
        )


def _or(value: int | None, default: int) -> int:
    """``value`` unless it is absent (``None``); unlike ``value or default``, keeps a 0 so the
    bounds refuse it instead of silently replacing it."""
    return default if value is None else value


FILE_BOUNDS: dict[str, tuple[float, float, str]] = {
    # field: (lowest, highest, unit). Lower bounds are physical (a count >= 1, a size or a
    # price > 0 -- written as the smallest meaningful step); upper bounds are ~100x beyond any
    # chip announced by 2025, so a slipped exponent (a MHz clock written in Hz) is refused.
    "compute_units": (1, 1e6, "units"),
    "peak_dense_tflops": (1e-6, 1e6, "TFLOP/s"),      # B200 fp4: 9000
    "memory_gib": (1e-6, 1e5, "GiB"),                 # MI325X: 256
    "memory_bandwidth_tb_s": (1e-6, 1e4, "TB/s"),     # Groq LPU SRAM: 80
    "sram_mb": (0, 1e6, "MB"),                        # Cerebras WSE-3: 44,000
    "scaleup_bidirectional_gb_s": (0, 1e6, "GB/s"),   # NVLink 5: 1800
    "scaleup_domain_chips": (1, 1e6, "chips"),        # TPU v7 pod: 9216
    "scaleout_gb_s": (0, 1e5, "GB/s"),
    "tdp_w": (1e-3, 1e6, "W"),                        # GB200 superchip: 2700
    "idle_w": (0, 1e6, "W"),
    "boost_clock_mhz": (1, 1e5, "MHz"),               # ~2-3 GHz chips
    "die_area_mm2": (1e-3, 1e6, "mm2"),               # wafer-scale: 46,225
    "dies": (1, 1e4, "dies"),
    "transistors_billion": (1e-6, 1e5, "billion"),    # WSE-3: 4,000
    "price_usd": (0.01, 1e8, "USD"),
    "cloud_usd_per_hour": (1e-4, 1e5, "USD/h"),
}
"""Allowed range of each accelerator-file number, in the file's units."""


_FILE_FIELD: dict[str, str] = {
    "compute_units": "compute_units",
    "memory_bytes": "memory_gib",
    "memory_bandwidth_bytes_s": "memory_bandwidth_tb_s",
    "sram_bytes": "sram_mb",
    "scaleup_bandwidth_bytes_s": "scaleup_bidirectional_gb_s",
    "scaleout_bandwidth_bytes_s": "scaleout_gb_s",
    "idle_power_w": "idle_w",
    "clock_hz": "boost_clock_mhz",
    "transistors": "transistors_billion",
    **{f"peak_flops_s.{d}": f"peak_dense_tflops.{d}" for d in DTYPES},
}
"""Runtime field -> the file field it is read from (for error messages)."""


def load_accelerator_file(path: Path) -> Accelerator:
    """Load and validate one accelerator YAML file; errors name the file and the field."""
    from siliconomics.catalog.process_nodes import UNPUBLISHED_NODES, process_node

    data = read_yaml(path, what="hardware file")
    spec = parse_model(AcceleratorFile, data, where=path)
    try:
        accel = spec.to_accelerator()
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None
    except ValueError as exc:
        raise CatalogError(f"{path}: {exc}") from None
    try:
        if accel.process_node.strip().lower() not in UNPUBLISHED_NODES:
            process_node(accel.process_node)
    except SiliconomicsError as exc:
        raise CatalogError(f"{path}: field 'process_node': {exc}") from None
    return accel
