"""Operators: one kernel launch each, with its shape, FLOPs and bytes moved.

Shapes are per chip (after tensor/expert parallel splits). Fields may be NumPy arrays so a
whole grid of batch sizes or context lengths is one operator. Bytes are what the kernel must
move to or from memory at least once; the performance layer decides how fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

Num: TypeAlias = float | NDArray[np.float64]
OpKind = Literal["gemm", "attention_prefill", "attention_decode", "elementwise", "collective"]
GemmPrecision = Literal["bf16", "fp8", "int8", "fp4"]


@dataclass(frozen=True, slots=True)
class Gemm:
    """``groups`` independent (m x k) @ (k x n) products in one launch (grouped for MoE)."""

    name: str
    m: Num
    n: float
    k: float
    precision: GemmPrecision
    a_bytes: float
    w_bytes: float
    out_bytes: float = 2.0
    groups: Num = 1.0
    kind: OpKind = "gemm"

    @property
    def flops(self) -> Num:
        return 2.0 * self.m * self.n * self.k * self.groups

    @property
    def weight_bytes(self) -> Num:
        return self.k * self.n * self.w_bytes * self.groups

    @property
    def moved_bytes(self) -> Num:
        act = self.m * self.k * self.a_bytes + self.m * self.n * self.out_bytes
        return self.weight_bytes + act * self.groups


@dataclass(frozen=True, slots=True)
class AttentionPrefill:
    """Flash attention of ``q_len`` new tokens per sequence over ``past_len`` cached + themselves."""

    name: str
    batch: Num
    q_len: Num
    past_len: Num
    q_heads: float
    kv_heads: float
    head_dim_qk: float
    head_dim_v: float
    causal: bool = True
    act_bytes: float = 2.0
    kind: OpKind = "attention_prefill"

    @property
    def flops(self) -> Num:
        # Causal: each of the q_len queries sees past + its position; the average is past + (q+1)/2.
        keys = self.past_len + ((self.q_len + 1.0) / 2.0 if self.causal else self.q_len)
        return 2.0 * self.batch * self.q_heads * self.q_len * keys * (self.head_dim_qk + self.head_dim_v)

    @property
    def moved_bytes(self) -> Num:
        tokens = self.batch * self.q_len
        q_and_out = tokens * self.q_heads * (self.head_dim_qk + self.head_dim_v) * self.act_bytes
        kv = self.batch * (self.past_len + self.q_len) * self.kv_heads * (
            self.head_dim_qk + self.head_dim_v
        ) * self.act_bytes
        return q_and_out + kv


@dataclass(frozen=True, slots=True)
class AttentionDecode:
    """One new query per sequence over the cached keys and values (``kv_bytes`` read in all)."""

    name: str
    kv_bytes: Num
    flops: Num
    kind: OpKind = "attention_decode"

    @property
    def moved_bytes(self) -> Num:
        return self.kv_bytes


@dataclass(frozen=True, slots=True)
class Elementwise:
    """A pointwise kernel, copy, gather, or a row reduction (``row_len`` > 0, e.g. RMSNorm).

    ``strided``: reads or writes a non-contiguous view (a slice of a fused projection, an
    interleaved half of a head), which generic kernels handle element by element.
    """

    name: str
    moved_bytes: Num
    row_len: float = 0.0
    strided: bool = False
    flops: Num = 0.0
    kind: OpKind = "elementwise"


CollectiveKind = Literal["all_reduce", "all_to_all", "send_recv", "all_gather"]


@dataclass(frozen=True, slots=True)
class Collective:
    """A collective among ``ranks`` chips over the scale-up link, ``message_bytes`` per chip."""

    name: str
    collective: CollectiveKind
    message_bytes: Num
    ranks: int
    flops: Num = 0.0
    kind: OpKind = "collective"

    @property
    def moved_bytes(self) -> Num:
        return self.message_bytes


Operator: TypeAlias = Gemm | AttentionPrefill | AttentionDecode | Elementwise | Collective
