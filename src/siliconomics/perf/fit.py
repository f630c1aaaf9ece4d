"""Fit a calibration to a measurement file (``siliconomics calibrate``).

Least squares on the log of predicted/measured time over every case, each section weighted
equally (so 60 GEMM rows do not drown 16 end-to-end rows) and the end-to-end section twice,
since whole steps are what the rest of siliconomics consumes. The chip's spec stays fixed:
only the physically named parameters of :mod:`siliconomics.perf.calibration` move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.errors import SiliconomicsError
from siliconomics.measure.schema import Measurements
from siliconomics.perf.calibration import Calibration, CollectiveParams, KernelParams, StackParams
from siliconomics.perf.cases import Case, build_cases
from siliconomics.perf.validate import predict_cases


@dataclass(frozen=True, slots=True)
class FreeParameter:
    """A fitted parameter: where it lives, its starting value and its bounds."""

    group: str
    name: str
    start: float
    low: float
    high: float
    sections: tuple[str, ...]
    """Measurement sections that constrain it; it is fitted only when one of them is present."""


_GEMM = ("ceilings", "gemm", "gemm_fp8")
_MATMUL = ("ceilings", "gemm", "gemm_fp8", "attn_prefill")
_ELEMENTWISE = ("ceilings", "elementwise")

FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("kernel", "matmul_energy_pj_per_flop_bf16", 0.9, 0.05, 10.0, _MATMUL),
    FreeParameter("kernel", "matmul_energy_ratio_fp8", 0.55, 0.2, 1.2, ("ceilings", "gemm_fp8")),
    FreeParameter("kernel", "tile_operand_cost", 2.0, 0.0, 200.0, _GEMM),
    FreeParameter("kernel", "gemm_bandwidth_frac", 0.85, 0.3, 1.0, _GEMM),
    FreeParameter("kernel", "gemm_overlap_exponent", 5.0, 1.0, 30.0, _GEMM),
    FreeParameter("kernel", "gemm_floor_s", 3e-6, 0.0, 5e-5, _GEMM),
    FreeParameter("kernel", "attention_matmul_frac", 0.8, 0.2, 1.5, ("attn_prefill",)),
    FreeParameter("kernel", "attention_block_overhead", 1.0, 0.0, 10.0, ("attn_prefill",)),
    FreeParameter("kernel", "attention_prefill_floor_s", 5e-6, 0.0, 5e-5, ("attn_prefill",)),
    FreeParameter("kernel", "attention_decode_bandwidth_frac", 0.9, 0.3, 1.0, ("attn_decode",)),
    FreeParameter("kernel", "attention_decode_floor_s", 7e-6, 0.0, 5e-5, ("attn_decode",)),
    FreeParameter("kernel", "elementwise_bandwidth_frac", 0.7, 0.2, 1.0, _ELEMENTWISE),
    FreeParameter("kernel", "strided_bandwidth_frac", 0.55, 0.1, 1.0, ("elementwise",)),
    FreeParameter("kernel", "reduction_bandwidth_frac", 0.63, 0.1, 1.0, ("elementwise",)),
    FreeParameter("kernel", "cache_bandwidth_ratio", 2.0, 1.0, 10.0, ("elementwise",)),
    FreeParameter("kernel", "elementwise_floor_s", 1.5e-6, 0.0, 2e-5, ("elementwise",)),
    FreeParameter("kernel", "row_reduction_s_per_element", 7e-10, 0.0, 1e-8, ("elementwise",)),
    FreeParameter("stack", "eager_launch_s", 1.5e-5, 0.0, 1e-4, ("e2e",)),
    FreeParameter("stack", "graph_kernel_gap_s", 8e-7, 0.0, 1e-5, ("e2e",)),
)

# Not fitted (no collective is measured); documented assumptions. NCCL all-reduce on
# 8x H100 NVLink reports ~370 GB/s bus bandwidth of the 450 GB/s per direction (NVIDIA
# nccl-tests results as published in vendor and cloud benchmark write-ups), hence 0.8; the
# per-step latency of ~0.7 us gives ~10 us for a small 8-way ring all-reduce.
DEFAULT_COLLECTIVE = CollectiveParams(link_efficiency_frac=0.8, collective_latency_s=7e-7)

KERNEL_SECTIONS = ("ceilings", "gemm", "gemm_fp8", "attn_prefill", "attn_decode", "elementwise")


FIT_SECTIONS = ("gemm", "gemm_fp8", "attn_prefill", "attn_decode", "elementwise", "e2e")
"""Sections that observe a kernel or stack parameter beyond the two ceilings."""


def check_measurements(data: Measurements, hw: Accelerator, source: str) -> None:
    """Refuse measurements that cannot describe ``hw``: a CPU smoke run, a file whose
    recorded compute units or memory are another chip's, or a file with only ceilings."""
    meta = data.meta
    if meta.smoke or (meta.device or "").lower() == "cpu":
        raise SiliconomicsError(
            f"{source}: meta.smoke/meta.device say this is a CPU smoke run (plumbing test, not "
            f"a chip's timings); a calibration fitted on it puts parameters at their bounds and "
            f"predicts ~15x slow: measure on the chip with 'siliconomics measure'")
    if meta.sms is not None and meta.sms != hw.compute_units:
        raise SiliconomicsError(
            f"{source}: meta.sms = {meta.sms} but hardware '{hw.id}' has compute_units "
            f"{hw.compute_units}: the file was measured on another chip; give that chip as "
            "the hardware")
    if meta.total_mem is not None and abs(meta.total_mem / hw.memory_bytes - 1.0) > 0.10:
        raise SiliconomicsError(
            f"{source}: meta.total_mem = {meta.total_mem / 1e9:.1f} GB but hardware '{hw.id}' "
            f"has {hw.memory_bytes / 1e9:.1f} GB: the file was measured on another chip")
    present = [s for s in FIT_SECTIONS if getattr(data, s)]
    if not present:
        raise SiliconomicsError(
            f"{source}: only the 'ceilings' section has rows; at least one of "
            f"{', '.join(FIT_SECTIONS)} is needed (three ceilings fit or validate nothing: "
            "the error would read 0.0 %)")


def suspicious_parameters(calib: Calibration) -> list[str]:
    """Fitted parameters that sit at a bound of their fit (a fit that failed: smoke data,
    another chip's data, a section missing)."""
    at_bound = []
    for p in FREE_PARAMETERS:
        value = float(getattr(getattr(calib, p.group), p.name))
        span = p.high - p.low
        if (p.low > 0 and abs(value - p.low) <= 1e-6 * span) or abs(value - p.high) <= 1e-6 * span:
            at_bound.append(p.name)
    return at_bound


def calibration_warning(calib: Calibration, source: str) -> str | None:
    """One line when a calibration looks like a failed fit (several parameters at bounds)."""
    bad = suspicious_parameters(calib)
    if len(bad) < 2:
        return None
    return (f"warning: calibration {source}: {len(bad)} fitted parameters sit at their fit "
            f"bounds ({', '.join(bad[:4])}{', ...' if len(bad) > 4 else ''}); it was probably "
            "fitted on smoke data or another chip's measurements: predictions may be far off")


def _reference_fields(hw: Accelerator) -> dict[str, float | str]:
    """What a fit records about the measured chip: its node, idle share and datasheet
    energy budget per bf16 FLOP [pJ]."""
    idle = hw.idle_power_w if hw.idle_power_w is not None else 0.1 * hw.tdp_w
    return {"reference_node": hw.process_node, "idle_power_frac": idle / hw.tdp_w,
            "reference_datasheet_pj_per_flop_bf16": (hw.tdp_w - idle) / hw.peak("bf16") * 1e12}


def starting_calibration(hw: Accelerator, fitted_on: str) -> Calibration:
    """The starting point of a fit: every free parameter at its start, the reference node
    and idle share taken from the measured chip's spec."""
    from siliconomics.perf.calibration import default_calibration

    kernel: dict[str, float | str] = dict(_reference_fields(hw))
    # Chip transfer, not observable on one chip's measurements: kept from the shipped fit.
    kernel["architecture_credit_frac"] = default_calibration().kernel.architecture_credit_frac
    stack: dict[str, float] = {}
    for p in FREE_PARAMETERS:
        (kernel if p.group == "kernel" else stack)[p.name] = p.start
    return Calibration(fitted_on=fitted_on, kernel=KernelParams.model_validate(kernel),
                       stack=StackParams.model_validate(stack), collective=DEFAULT_COLLECTIVE)


def _with(calib: Calibration, params: Sequence[FreeParameter], values: Sequence[float]) -> Calibration:
    kernel = calib.kernel.model_dump()
    stack = calib.stack.model_dump()
    for p, v in zip(params, values, strict=True):
        (kernel if p.group == "kernel" else stack)[p.name] = float(v)
    return calib.model_copy(update={"kernel": KernelParams.model_validate(kernel),
                                    "stack": StackParams.model_validate(stack)})


def _least_squares(cases: list[Case], hw: Accelerator, base: Calibration,
                   params: Sequence[FreeParameter],
                   progress: Callable[[int], None] | None) -> Calibration:
    """Move ``params`` of ``base`` to minimise the section-balanced log error on ``cases``."""
    from scipy.optimize import least_squares  # imported here: keeps `siliconomics predict` fast
    measured = np.array([c.measured_s for c in cases])
    counts: dict[str, int] = {}
    for c in cases:
        counts[c.section] = counts.get(c.section, 0) + 1
    weights = np.array([1.0 / np.sqrt(counts[c.section]) for c in cases])
    starts = np.array([getattr(getattr(base, p.group), p.name) for p in params], dtype=float)
    scale = np.array([abs(v) if v else p.high / 10 for v, p in zip(starts, params, strict=True)])
    low = np.array([p.low for p in params]) / scale
    high = np.array([p.high for p in params]) / scale
    x0 = np.clip(starts / scale, low, high)
    calls = [0]

    def residuals(x: np.ndarray) -> np.ndarray:
        calls[0] += 1
        if progress is not None:
            progress(calls[0])
        predicted = predict_cases(cases, hw, _with(base, params, x * scale))
        return np.asarray(weights * np.log(predicted / measured), dtype=float)

    solution = least_squares(residuals, x0, bounds=(low, high), x_scale="jac", max_nfev=300)
    return _with(base, params, solution.x * scale)


def fit_calibration(
    data: Measurements,
    hw: Accelerator,
    *,
    source: str,
    sections: Sequence[str] | None = None,
    start: Calibration | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Fit the free parameters to the cases of ``data`` (optionally only some sections).

    Two stages, so each parameter is fitted where it is observed: kernel efficiencies on the
    kernel benchmarks (``ceilings``, ``gemm``, ``gemm_fp8``, ``attn_*``, ``elementwise``),
    then, with those fixed, the stack's launch costs on the whole-model ``e2e`` steps.
    Parameters that no selected case constrains keep their starting values (from ``start``,
    else the defaults above).
    """
    label = f"{source} on {hw.id}"
    check_measurements(data, hw, source)
    cases = [c for c in build_cases(data) if sections is None or c.section in sections]
    if len(cases) < 3:
        raise SiliconomicsError(f"{source}: only {len(cases)} measured case(s) to fit; need at least 3")
    calib = (start or starting_calibration(hw, label)).model_copy(
        update={"fitted_on": label, "fitted_hardware": hw.id})
    micro = [c for c in cases if c.section in KERNEL_SECTIONS]
    whole = [c for c in cases if c.section == "e2e"]
    present = {c.section for c in cases}
    if micro:
        kernel_params = [p for p in FREE_PARAMETERS
                         if p.group == "kernel" and present.intersection(p.sections)]
        calib = calib.model_copy(update={"kernel": calib.kernel.model_copy(
            update=_reference_fields(hw))})
        calib = _least_squares(micro, hw, calib, kernel_params, progress)
    if whole:
        stack_params = [p for p in FREE_PARAMETERS if p.group == "stack"]
        calib = _least_squares(whole, hw, calib, stack_params, progress)
    predicted = predict_cases(cases, hw, calib)
    measured = np.array([c.measured_s for c in cases])
    ape = np.abs(predicted / measured - 1.0)
    counts: dict[str, int] = {}
    for c in cases:
        counts[c.section] = counts.get(c.section, 0) + 1
    fit_error = {
        section: float(np.mean([a for a, c in zip(ape, cases, strict=True) if c.section == section]))
        for section in counts
    }
    notes = (f"Fitted {time.strftime('%Y-%m-%d')} by siliconomics calibrate on {len(cases)} cases "
             f"({', '.join(f'{k}: {v}' for k, v in counts.items())}): kernel parameters on the "
             "kernel sections, then stack parameters on e2e. fit_error is the in-sample mean "
             "absolute percentage error per section (fraction).")
    return calib.model_copy(update={"fit_error": fit_error, "notes": notes})
