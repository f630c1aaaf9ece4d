"""What is deployed (model, chips, parallelism, scheduler) and the latency target.

:class:`Deployment` names a model on a chip with a layout and a scheduler; its
:meth:`Deployment.step_model` asks the performance layer
(``siliconomics.perf.iteration.iteration_model``) for the iteration-time model of one
replica. Pipeline parallelism is treated simply (documented in docs/serving.md): the pp
stages give more memory, and an iteration takes pp stage passes (no micro-batch overlap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from siliconomics.catalog.accelerator import Dtype
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.calibration import Calibration
from siliconomics.perf.stacks import Stack
from siliconomics.serving.sim import SchedulerConfig
from siliconomics.serving.stepmodel import StepModel, StepTable, tabulate


class Slo(BaseModel):
    """Latency target: the ``percentile`` of TTFT [s] and TPOT [s/token] must not exceed it.

    Defaults 2 s and 0.1 s at p99 (issue 3). MLPerf Inference v4.x Llama-2-70B server
    scenario uses TTFT p99 2 s and TPOT p99 0.2 s.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    ttft_s: float = Field(default=2.0, gt=0)
    tpot_s: float = Field(default=0.1, gt=0)
    percentile: float = Field(default=99.0, gt=0, lt=100)

    def met_by(self, ttft_s: float, tpot_s: float) -> bool:
        """Whether SLO-percentile latencies meet the target; a NaN TPOT (only 1-token
        answers, no TPOT defined) does not fail it, a NaN TTFT does."""
        return ttft_s <= self.ttft_s and (math.isnan(tpot_s) or tpot_s <= self.tpot_s)


class Deployment(BaseModel):
    """One replica's layout and scheduler; disaggregated = a unit of prefill and decode
    instances of the same layout, KV sent over ``kv_link`` (scale-out network by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    model: str = Field(min_length=1, description="Model catalog id or path.")
    hardware: str = Field(min_length=1, description="Accelerator catalog id or path.")
    tp: int = Field(default=1, ge=1)
    pp: int = Field(default=1, ge=1)
    ep: int = Field(default=1, ge=1)
    weight_dtype: Dtype = "fp8"
    kv_dtype: Dtype = "fp8"
    stack: Stack | str = Field(default="production", description="Software stack (perf.stacks): "
                               "a Stack or its id; 'production' is the reference kernels.")
    calibration: Calibration | None = Field(default=None,
                                            description="Kernel calibration (None: shipped H100).")
    scheduler: SchedulerConfig = SchedulerConfig()
    mode: Literal["aggregated", "disaggregated"] = "aggregated"
    prefill_instances: int = Field(default=1, ge=1)
    decode_instances: int = Field(default=1, ge=1)
    kv_link: Literal["scaleout", "scaleup"] = "scaleout"

    def step_model(self) -> StepModel:
        """The performance layer's model of one instance (raises DoesNotFitError)."""
        return _step_model(self.model, self.hardware, self.tp, self.pp, self.ep,
                           self.weight_dtype, self.kv_dtype, self.stack, self.calibration)

    @property
    def instances(self) -> int:
        """Model instances per replica [count] (1 aggregated; prefill + decode otherwise)."""
        if self.mode == "aggregated":
            return 1
        return self.prefill_instances + self.decode_instances

    def chips(self, step: StepModel | None = None) -> int:
        """Chips of one replica [count]."""
        per_instance = (step or self.step_model()).chips
        return per_instance * self.instances

    def kv_link_bytes_s(self, chips_per_instance: int) -> float:
        """Bandwidth carrying one instance's KV cache to another [B/s]: every chip of the
        instance sends its shard over its own link."""
        from siliconomics.resolve import resolve_accelerator

        chip = resolve_accelerator(self.hardware)
        per_chip = (chip.scaleout_bandwidth_bytes_s if self.kv_link == "scaleout"
                    else chip.scaleup_bandwidth_bytes_s)
        if per_chip <= 0:
            per_chip = chip.scaleup_bandwidth_bytes_s or chip.scaleout_bandwidth_bytes_s
        if not per_chip > 0:
            raise SiliconomicsError(
                f"disaggregated mode sends the KV cache over a link, but hardware "
                f"'{self.hardware}' has no scale-out or scale-up bandwidth; use aggregated "
                f"mode or give the chip a link")
        return per_chip * chips_per_instance

    def label(self) -> str:
        s = self.scheduler
        base = (f"{self.model} on {self.tp * self.pp}x {self.hardware} (tp{self.tp}"
                f"{f' pp{self.pp}' if self.pp > 1 else ''}), batch {s.max_batch}, "
                f"budget {s.token_budget}")
        if self.mode == "disaggregated":
            base += f", disagg {self.prefill_instances}P:{self.decode_instances}D"
        stack = self.stack if isinstance(self.stack, str) else self.stack.id
        return base if stack == "production" else f"{base}, {stack}"


@dataclass(frozen=True)
class _PipelineStages:
    """An instance whose iteration is ``pp`` sequential stage passes."""

    inner: StepModel
    pp: int

    @property
    def chips(self) -> int:
        return self.inner.chips

    @property
    def kv_bytes_per_token(self) -> float:
        return self.inner.kv_bytes_per_token

    @property
    def kv_capacity_tokens(self) -> int:
        return self.inner.kv_capacity_tokens

    def time_s(self, prefill_tokens: ArrayLike, prefill_attention_pairs: ArrayLike,
               decode_seqs: ArrayLike, decode_context_tokens: ArrayLike) -> ArrayLike:
        import numpy as np

        stage = np.asarray(self.inner.time_s(prefill_tokens, prefill_attention_pairs,
                                             decode_seqs, decode_context_tokens))
        return stage * self.pp


@lru_cache(maxsize=64)
def _step_model(model: str, hardware: str, tp: int, pp: int, ep: int, weight_dtype: Dtype,
                kv_dtype: Dtype, stack: Stack | str,
                calibration: Calibration | None) -> StepModel:
    from siliconomics.perf.iteration import (  # type: ignore[import-not-found,unused-ignore]
        iteration_model,
    )

    inner: StepModel = iteration_model(model, hardware, tp=tp, pp=pp, ep=ep,
                                       weight_dtype=weight_dtype, kv_dtype=kv_dtype, stack=stack,
                                       calibration=calibration)
    return _PipelineStages(inner, pp) if pp > 1 else inner


TABLE_SIZE_STEP = 256
"""Step tables span a multiple of this many tokens per iteration [tokens]."""
_TABLES: dict[tuple[int, int], tuple[StepModel, StepTable]] = {}


def step_table(step: StepModel, max_tokens: int) -> StepTable:
    """Tabulate ``step`` for at least ``max_tokens`` tokens per iteration, cached per model
    object and size (``max_tokens`` rounded up to a multiple of :data:`TABLE_SIZE_STEP`, so
    nearby needs share a table). A need is always served by the table of its own size, never
    a larger one tabulated earlier: the table and its checked error (``step_error_frac`` in
    every result) depend only on the model and the need, not on what ran before in the
    process."""
    size = -(-max(int(max_tokens), 1) // TABLE_SIZE_STEP) * TABLE_SIZE_STEP
    key = (id(step), size)
    cached = _TABLES.get(key)
    if cached is not None and cached[0] is step:
        return cached[1]
    table = tabulate(step, size)
    _TABLES[key] = (step, table)
    return table
