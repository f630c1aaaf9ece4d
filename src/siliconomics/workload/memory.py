"""Memory footprint: weights and KV cache per chip, and the largest batch that fits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siliconomics.catalog.model_arch import ModelArch
from siliconomics.errors import DoesNotFitError
from siliconomics.workload.dtypes import Dtypes
from siliconomics.workload.operators import Num
from siliconomics.workload.parallel import Parallelism
from siliconomics.workload.params import parameter_counts

# Serving engines leave a share of memory for activations, CUDA graphs and fragmentation:
# vLLM's default gpu_memory_utilization is 0.9 (vLLM docs, EngineArgs), i.e. 10 % reserved.
RESERVED_MEMORY_FRAC = 0.10


def weight_bytes_per_chip(arch: ModelArch, dtypes: Dtypes, parallel: Parallelism) -> float:
    """Weights stored on one chip [B]. Embeddings and LM head stay in the activation dtype
    (quantised checkpoints keep them in bf16); everything is split over tp x pp chips."""
    counts = parameter_counts(arch)
    matrices = counts.total - counts.embedding
    total = matrices * dtypes.weight_bytes + counts.embedding * dtypes.act_bytes
    return total / parallel.chips


def kv_bytes_per_token(arch: ModelArch, dtypes: Dtypes, parallel: Parallelism | None = None) -> float:
    """KV-cache bytes one token adds on one chip (all its layers) [B].

    GQA stores keys and values of the chip's share of KV heads (replicated when tp exceeds
    the KV-head count); MLA stores one compressed latent per token, replicated on every
    tensor-parallel rank.
    """
    par = parallel or Parallelism()
    layers = math.ceil(arch.layers / par.pp)
    if arch.mla is not None:
        per_layer = float(arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim)
    else:
        per_layer = 2.0 * max(arch.kv_heads / par.tp, 1.0) * arch.head_dim
    return per_layer * layers * dtypes.kv_bytes


@dataclass(frozen=True, slots=True)
class MemoryPlan:
    """Memory of one chip [B]."""

    capacity_bytes: float
    weights_bytes: float
    reserved_bytes: float
    kv_bytes_per_token: float

    @property
    def kv_capacity_bytes(self) -> float:
        return max(self.capacity_bytes - self.reserved_bytes - self.weights_bytes, 0.0)

    @property
    def kv_capacity_tokens(self) -> int:
        return int(self.kv_capacity_bytes // self.kv_bytes_per_token)

    def max_batch(self, context_tokens: Num) -> Num:
        """Largest number of sequences of ``context_tokens`` whose KV cache fits."""
        per_seq = self.kv_bytes_per_token * np.maximum(np.asarray(context_tokens, dtype=float), 1.0)
        return np.asarray(np.floor(self.kv_capacity_bytes / per_seq), dtype=float)


def memory_plan(arch: ModelArch, dtypes: Dtypes, parallel: Parallelism, capacity_bytes: float,
                hardware_id: str = "") -> MemoryPlan:
    """Weights, reserve and KV room on one chip; raises :class:`DoesNotFitError` when the
    weights alone do not fit."""
    weights = weight_bytes_per_chip(arch, dtypes, parallel)
    reserved = RESERVED_MEMORY_FRAC * capacity_bytes
    if weights + reserved > capacity_bytes:
        need_chips = math.ceil(weights * parallel.chips / (capacity_bytes - reserved))
        raise DoesNotFitError(
            f"{arch.id} weights ({dtypes.weights}) need {weights / 1e9:.1f} GB per chip on "
            f"{parallel.chips} chip(s) but {hardware_id or 'the chip'} has "
            f"{(capacity_bytes - reserved) / 1e9:.1f} GB usable of {capacity_bytes / 1e9:.1f} GB; "
            f"use at least {need_chips} chips (tp x pp) or a smaller weight dtype"
        )
    return MemoryPlan(capacity_bytes, weights, reserved, kv_bytes_per_token(arch, dtypes, parallel))
