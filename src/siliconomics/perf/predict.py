"""The orchestrator: predict the time of a prefill or decode step of a model on a chip.

``predict_step`` resolves ids, checks the memory fits, builds the operator list for the
software stack, times it, and fills a frozen :class:`StepPrediction`. Everything is
vectorised: pass NumPy arrays for ``batch``, ``prompt`` or ``context`` to get a grid.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.model_arch import ModelArch
from siliconomics.errors import DoesNotFitError, SiliconomicsError
from siliconomics.perf.calibration import Calibration, default_calibration
from siliconomics.perf.engine import time_step
from siliconomics.perf.stacks import Stack, stack_for_chip
from siliconomics.resolve import resolve_accelerator
from siliconomics.resolve import resolve_model as resolve_model_ref
from siliconomics.workload.dtypes import Dtypes, normalise
from siliconomics.workload.memory import MemoryPlan, memory_plan
from siliconomics.workload.parallel import Parallelism
from siliconomics.workload.stacks import ExecMode
from siliconomics.workload.step import DecodeShape, PrefillShape, Step, build_step

if TYPE_CHECKING:
    import pandas as pd

F64 = NDArray[np.float64]
Phase = Literal["prefill", "decode"]


@dataclass(frozen=True, slots=True)
class StepPrediction:
    """A predicted step on one replica (``chips`` chips)."""

    model_id: str
    hardware_id: str
    phase: Phase
    stack: str
    chips: int
    step_s: F64
    tokens: F64
    by_kind_s: dict[str, F64]
    by_operator_s: dict[str, F64]
    launch_overhead_s: F64
    flops: F64
    moved_bytes: F64
    kernels: int
    memory: MemoryPlan
    kv_bytes_used: F64

    @property
    def tokens_per_s(self) -> F64:
        return np.asarray(self.tokens / self.step_s, dtype=float)

    @property
    def memory_used_bytes(self) -> F64:
        return np.asarray(self.memory.weights_bytes + self.kv_bytes_used, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """This result as a pandas DataFrame, one row per predicted case
        (:func:`siliconomics.frames.step_prediction_frame`)."""
        from siliconomics.frames import step_prediction_frame

        return step_prediction_frame(self)



def resolve_hardware(hardware: Accelerator | str) -> Accelerator:
    """See :func:`siliconomics.resolve.resolve_accelerator` (catalog id, file or design)."""
    return resolve_accelerator(hardware)


def resolve_model(model: ModelArch | str) -> ModelArch:
    """See :func:`siliconomics.resolve.resolve_model`."""
    return resolve_model_ref(model)


def _positive(name: str, value: ArrayLike) -> F64:
    arr = np.asarray(value, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 1):
        raise SiliconomicsError(f"{name}={value!r} must be a whole number >= 1")
    return arr


def build_phase_step(
    arch: ModelArch, phase: Phase, batch: F64, length: F64, dtypes: Dtypes, parallel: Parallelism,
    software: Stack, mode: ExecMode | None = None,
) -> Step:
    """The operator list of a whole-model prefill (``length`` = prompt) or decode step
    (``length`` = cached context including the new token) on one chip."""
    stack = software.profile_spec()
    if phase == "prefill":
        return build_step(arch, tokens=batch * length, prefill=PrefillShape(batch, length, 0.0),
                          decode=None, logits_rows=batch, dtypes=dtypes, parallel=parallel,
                          stack=stack, mode=mode or stack.prefill_mode)
    return build_step(arch, tokens=batch, prefill=None, decode=DecodeShape(batch, batch * length),
                      logits_rows=batch, dtypes=dtypes, parallel=parallel, stack=stack,
                      mode=mode or stack.decode_mode)


def predict_step(
    model: ModelArch | str,
    hardware: Accelerator | str,
    *,
    phase: Phase,
    batch: ArrayLike = 1,
    prompt: ArrayLike | None = None,
    context: ArrayLike | None = None,
    tp: int = 1,
    pp: int = 1,
    ep: int = 1,
    weight_dtype: str = "bf16",
    activation_dtype: str = "bf16",
    kv_dtype: str | None = None,
    stack: Stack | str | None = None,
    mode: ExecMode | None = None,
    calibration: Calibration | None = None,
    check_memory: bool = True,
) -> StepPrediction:
    """Predict one step. Prefill needs ``prompt`` (tokens per sequence); decode needs
    ``context`` (cached tokens per sequence, the new one included). ``stack``: a
    :class:`~siliconomics.perf.stacks.Stack` or its id (None: the reference kernels,
    ``production``; ``"auto"``: the chip vendor's default)."""
    arch = resolve_model(model)
    hw = resolve_hardware(hardware)
    calib = calibration or default_calibration()
    software = stack_for_chip(stack, hw.vendor, hw.id)
    parallel = Parallelism(tp, pp, ep)
    parallel.check(arch)
    dtypes = Dtypes(
        normalise(weight_dtype, "weight dtype"),
        normalise(activation_dtype, "activation dtype"),
        normalise(kv_dtype or activation_dtype, "kv dtype"),
    )
    if phase not in ("prefill", "decode"):
        raise SiliconomicsError(f"phase={phase!r} must be 'prefill' or 'decode'")
    b = _positive("batch", batch)
    if phase == "prefill":
        if prompt is None:
            raise SiliconomicsError("phase='prefill' needs prompt (tokens per sequence)")
        length = _positive("prompt", prompt)
    else:
        if context is None:
            raise SiliconomicsError("phase='decode' needs context (cached tokens per sequence)")
        length = _positive("context", context)
    plan = memory_plan(arch, dtypes, parallel, hw.memory_bytes, hw.id)
    kv_used = np.asarray(b * length * plan.kv_bytes_per_token, dtype=float)
    if check_memory and np.any(kv_used > plan.kv_capacity_bytes):
        worst = float(np.max(b * length))
        fit = int(plan.kv_capacity_bytes // (plan.kv_bytes_per_token * float(np.max(length))))
        raise DoesNotFitError(
            f"{arch.id} on {parallel.chips}x {hw.id}: batch x length = {worst:.0f} tokens of KV "
            f"cache need {float(np.max(kv_used)) / 1e9:.1f} GB per chip but only "
            f"{plan.kv_capacity_bytes / 1e9:.1f} GB is left after weights; the largest batch "
            f"that fits at this length is {fit}"
        )
    step = build_phase_step(arch, phase, b, length, dtypes, parallel, software, mode)
    return _summarise(arch, hw, phase, software, parallel, step, calib, plan, kv_used)


def _summarise(arch: ModelArch, hw: Accelerator, phase: Phase, software: Stack,
               parallel: Parallelism, step: Step, calib: Calibration, plan: MemoryPlan,
               kv_used: F64) -> StepPrediction:
    timed = time_step(step, hw, calib, parallel.tp, software)
    by_kind: dict[str, F64] = defaultdict(lambda: np.zeros(()))
    by_op: dict[str, F64] = defaultdict(lambda: np.zeros(()))
    flops: F64 = np.zeros(())
    moved: F64 = np.zeros(())
    for op, repeat, t in timed.op_times_s:
        by_kind[op.kind] = by_kind[op.kind] + t * repeat * step.stages
        base = op.name.split(".")[0] if op.kind == "elementwise" else op.name
        by_op[base] = by_op[base] + t * repeat * step.stages
        flops = flops + np.asarray(op.flops, dtype=float) * repeat * step.stages
        moved = moved + np.asarray(op.moved_bytes, dtype=float) * repeat * step.stages
    by_kind["launch_overhead"] = timed.launch_overhead_s
    return StepPrediction(
        model_id=arch.id, hardware_id=hw.id, phase=phase, stack=software.id, chips=parallel.chips,
        step_s=timed.total_s, tokens=np.asarray(step.tokens, dtype=float), by_kind_s=dict(by_kind),
        by_operator_s=dict(by_op), launch_overhead_s=timed.launch_overhead_s,
        flops=np.asarray(flops * parallel.chips / step.stages, dtype=float),
        moved_bytes=np.asarray(moved * parallel.chips / step.stages, dtype=float),
        kernels=step.kernels * step.stages, memory=plan, kv_bytes_used=kv_used,
    )


