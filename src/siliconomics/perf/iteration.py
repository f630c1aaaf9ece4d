"""Step times for the serving simulator: one engine iteration with any mix of prefill
chunks and decode tokens, on one replica.

``iteration_model`` fixes everything but the batch composition (model, chip, parallel
layout, dtypes, stack, calibration) and checks the weights fit; ``IterationModel.time_s``
then times iterations, vectorised over NumPy arrays so a simulator can tabulate or batch
its calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.model_arch import ModelArch
from siliconomics.perf.calibration import Calibration, default_calibration
from siliconomics.perf.engine import time_step
from siliconomics.perf.predict import resolve_hardware, resolve_model
from siliconomics.perf.stacks import Stack, stack_for_chip
from siliconomics.workload.dtypes import Dtypes, normalise
from siliconomics.workload.memory import MemoryPlan, memory_plan
from siliconomics.workload.parallel import Parallelism
from siliconomics.workload.step import DecodeShape, PrefillShape, build_step

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class IterationModel:
    """Iteration times of one replica (``chips`` chips) of a model on an accelerator."""

    model: ModelArch
    hardware: Accelerator
    parallel: Parallelism
    dtypes: Dtypes
    stack: Stack
    calibration: Calibration
    memory: MemoryPlan

    @property
    def chips(self) -> int:
        return self.parallel.chips

    @property
    def kv_bytes_per_token(self) -> float:
        """KV-cache bytes of one token over the whole replica (every chip's share) [B]."""
        return self.memory.kv_bytes_per_token * self.parallel.chips

    @property
    def kv_capacity_tokens(self) -> int:
        """Tokens of KV cache the replica holds after weights and the activation reserve."""
        return self.memory.kv_capacity_tokens

    def time_s(self, prefill_tokens: ArrayLike, prefill_attention_pairs: ArrayLike,
               decode_seqs: ArrayLike, decode_context_tokens: ArrayLike) -> F64:
        """Seconds of one iteration that processes ``prefill_tokens`` new prompt tokens and
        ``decode_seqs`` decode tokens (one per running sequence).

        ``prefill_attention_pairs``: sum over the prefill tokens of the keys each attends to
        (a chunk of c tokens after p cached ones contributes c p + c (c + 1) / 2); the prefill
        attention is timed as one causal chunk with the same pair count.
        ``decode_context_tokens``: sum of the decode sequences' context lengths.
        """
        q = np.asarray(prefill_tokens, dtype=float)
        pairs = np.asarray(prefill_attention_pairs, dtype=float)
        seqs = np.asarray(decode_seqs, dtype=float)
        context = np.asarray(decode_context_tokens, dtype=float)
        safe_q = np.maximum(q, 1.0)
        past = np.where(q > 0, np.maximum(pairs / safe_q - (safe_q + 1.0) / 2.0, 0.0), 0.0)
        tokens = q + seqs
        stack = self.stack.profile_spec()
        step = build_step(
            self.model, tokens=np.maximum(tokens, 1.0),
            prefill=PrefillShape(np.where(q > 0, 1.0, 0.0), q, past),
            decode=DecodeShape(seqs, context),
            logits_rows=seqs + np.where(q > 0, 1.0, 0.0),
            dtypes=self.dtypes, parallel=self.parallel, stack=stack, mode=stack.decode_mode,
        )
        total = time_step(step, self.hardware, self.calibration, self.parallel.tp,
                          self.stack).total_s
        return np.asarray(np.where(tokens > 0, total, 0.0), dtype=float)


def iteration_model(
    model: ModelArch | str,
    hardware: Accelerator | str,
    *,
    tp: int = 1,
    pp: int = 1,
    ep: int = 1,
    weight_dtype: str = "fp8",
    kv_dtype: str = "fp8",
    activation_dtype: str = "bf16",
    stack: Stack | str | None = None,
    calibration: Calibration | None = None,
) -> IterationModel:
    """Fix a deployment; raises ``DoesNotFitError`` if the weights do not fit its chips.
    ``stack``: a :class:`~siliconomics.perf.stacks.Stack` or its id (None: the reference;
    ``"auto"``: the chip vendor's default)."""
    arch = resolve_model(model)
    hw = resolve_hardware(hardware)
    parallel = Parallelism(tp, pp, ep)
    parallel.check(arch)
    software = stack_for_chip(stack, hw.vendor, hw.id)
    dtypes = Dtypes(normalise(weight_dtype, "weight dtype"), normalise(activation_dtype, "activation dtype"),
                    normalise(kv_dtype, "kv dtype"))
    plan = memory_plan(arch, dtypes, parallel, hw.memory_bytes, hw.id)
    return IterationModel(arch, hw, parallel, dtypes, software, calibration or default_calibration(),
                          plan)
