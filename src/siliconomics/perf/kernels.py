"""Kernel time models: pure, vectorised functions of an operator's shape and a chip's spec.

Every function broadcasts over NumPy arrays so a whole grid of (batch, context) points, or
all the GEMMs of a step, is one call. Times are seconds; rates FLOP/s; bandwidths B/s.

The shape of each model:

* GEMM: the compute time of the best tile configuration (tile and wave quantisation on the
  matrix units, split-K for long reductions) and the memory time of streaming the operands,
  blended by a p-norm ``(t_c^p + t_m^p)^(1/p)`` (they overlap but not perfectly), plus a
  fixed kernel floor. Compute runs at the sustained matrix rate, the smaller of the spec peak
  and the rate the power limit allows (:func:`sustained_matmul_flops_s`).
* Flash attention, prefill: blocks of 128 queries x 128 keys scheduled over the compute units;
  the makespan is the larger of the average load and the longest (causal) row of blocks,
  each work item paying a prologue/epilogue overhead.
* Attention, decode: reading the KV cache at an achieved bandwidth, overlapping (p-norm) with
  the score/value FLOPs (which dominate for multi-head latent attention).
* Elementwise and row reductions (norms): bytes at an achieved bandwidth (on-chip cache
  bandwidth when the operands fit in SRAM), or the serial latency of one row, plus a floor.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]

# Output tile shapes (rows x cols) and split-K factors a GEMM library chooses among.
_TILE_M = np.array([128.0, 256.0, 128.0, 64.0, 128.0, 64.0])
_TILE_N = np.array([256.0, 128.0, 128.0, 128.0, 64.0, 64.0])
_SPLIT_K = np.array([1.0, 2.0, 4.0])
_CFG_M = np.repeat(_TILE_M, _SPLIT_K.size)
_CFG_N = np.repeat(_TILE_N, _SPLIT_K.size)
_CFG_SK = np.tile(_SPLIT_K, _TILE_M.size)

ATTENTION_BLOCK_Q = 128.0
ATTENTION_BLOCK_K = 128.0


def sustained_matmul_flops_s(
    peak_flops_s: ArrayLike, tdp_w: ArrayLike, idle_w: ArrayLike, energy_j_per_flop: ArrayLike
) -> F64:
    """Matrix throughput the chip sustains [FLOP/s]: min(peak, (TDP - idle) / energy per FLOP).

    A chip whose datasheet peak needs more power than its limit throttles its clock until the
    dynamic power fits (the measured H100 runs 8192^3 bf16 products at ~1350 MHz at 700 W).
    """
    available_w = np.maximum(np.asarray(tdp_w, dtype=float) - np.asarray(idle_w, dtype=float), 1.0)
    power_limited = available_w / np.asarray(energy_j_per_flop, dtype=float)
    return np.asarray(np.minimum(np.asarray(peak_flops_s, dtype=float), power_limited), dtype=float)


def p_norm(a: ArrayLike, b: ArrayLike, p: float) -> F64:
    """Smooth maximum (a^p + b^p)^(1/p) of two non-negative times; p -> inf is max(a, b)."""
    a_arr = np.asarray(a, dtype=float)
    b_arr = np.asarray(b, dtype=float)
    big = np.maximum(np.maximum(a_arr, b_arr), 1e-30)
    return np.asarray(big * ((a_arr / big) ** p + (b_arr / big) ** p) ** (1.0 / p), dtype=float)


def gemm_compute_time_s(
    m: ArrayLike, n: ArrayLike, k: ArrayLike, rate_flops_s: ArrayLike, units: ArrayLike,
    tile_operand_cost: float,
) -> F64:
    """Matrix-unit time of an (m x k) @ (k x n) product under the best tile configuration [s].

    For tile (tm, tn) and split-K factor s: tiles = ceil(m/tm) ceil(n/tn) s, waves =
    ceil(tiles/units), each tile costs 2 tm tn (k/s) / (rate/units) x (1 + c (1/tm + 1/tn)),
    the last factor being the operand-load overhead of a smaller tile.
    """
    m_a = np.asarray(m, dtype=float)
    n_a = np.asarray(n, dtype=float)
    k_a = np.asarray(k, dtype=float)
    units_a = np.asarray(units, dtype=float)
    rate_a = np.asarray(rate_flops_s, dtype=float)
    # The configurations run along a leading axis: NumPy's loops and the final min then run
    # over the long (shape) axis, several times faster than over a trailing axis of 18.
    along = (_CFG_M.size,) + (1,) * max(a.ndim for a in (m_a, n_a, k_a, units_a, rate_a))
    cfg_m, cfg_n, cfg_sk = (c.reshape(along) for c in (_CFG_M, _CFG_N, _CFG_SK))
    per_unit_rate = rate_a / units_a
    tiles = np.ceil(m_a / cfg_m) * np.ceil(n_a / cfg_n) * cfg_sk
    waves = np.ceil(tiles / units_a)
    overhead = 1.0 + tile_operand_cost * (1.0 / cfg_m + 1.0 / cfg_n)
    tile_s = 2.0 * cfg_m * cfg_n * (k_a / cfg_sk) / per_unit_rate * overhead
    return np.asarray(np.min(waves * tile_s, axis=0), dtype=float)


def gemm_time_s(
    m: ArrayLike, n: ArrayLike, k: ArrayLike, *,
    a_bytes: ArrayLike, w_bytes: ArrayLike, out_bytes: ArrayLike,
    rate_flops_s: ArrayLike, units: ArrayLike, bandwidth_bytes_s: ArrayLike,
    tile_operand_cost: float, bandwidth_frac: float, overlap_exponent: float, floor_s: float,
) -> F64:
    """Time of one GEMM kernel [s] (see the module docstring)."""
    m_a = np.asarray(m, dtype=float)
    n_a = np.asarray(n, dtype=float)
    k_a = np.asarray(k, dtype=float)
    compute_s = gemm_compute_time_s(m_a, n_a, k_a, rate_flops_s, units, tile_operand_cost)
    moved = (m_a * k_a * np.asarray(a_bytes) + k_a * n_a * np.asarray(w_bytes)
             + m_a * n_a * np.asarray(out_bytes))
    memory_s = moved / (np.asarray(bandwidth_bytes_s, dtype=float) * bandwidth_frac)
    return floor_s + p_norm(compute_s, memory_s, overlap_exponent)


def attention_prefill_time_s(
    batch: ArrayLike, q_len: ArrayLike, past_len: ArrayLike, q_heads: ArrayLike,
    head_dim_qk: ArrayLike, head_dim_v: ArrayLike, *, causal: bool,
    rate_flops_s: ArrayLike, units: ArrayLike, matmul_frac: float, block_overhead: float,
    floor_s: float,
) -> F64:
    """Flash attention over ``q_len`` new queries that see ``past_len`` earlier keys [s].

    Work items are (sequence, head, block of 128 queries); item i of a causal pass visits
    ceil((past + (i+1) 128) / 128) key blocks. Makespan in block units is
    max((sum of blocks + c x items) / units, longest row + c); each block costs
    2 x 128 x 128 x (d_qk + d_v) FLOP at the attention share of the sustained rate.
    """
    b = np.asarray(batch, dtype=float)
    q = np.asarray(q_len, dtype=float)
    past = np.asarray(past_len, dtype=float)
    heads = np.asarray(q_heads, dtype=float)
    n_q = np.ceil(q / ATTENTION_BLOCK_Q)
    if causal:
        row_blocks = past / ATTENTION_BLOCK_K + (n_q + 1.0) / 2.0 * (ATTENTION_BLOCK_Q / ATTENTION_BLOCK_K)
        longest = np.ceil((past + q) / ATTENTION_BLOCK_K)
    else:
        row_blocks = np.ceil((past + q) / ATTENTION_BLOCK_K)
        longest = row_blocks
    items = b * heads * n_q
    total_blocks = items * row_blocks
    units_a = np.asarray(units, dtype=float)
    makespan = np.maximum((total_blocks + block_overhead * items) / units_a, longest + block_overhead)
    block_flops = 2.0 * ATTENTION_BLOCK_Q * ATTENTION_BLOCK_K * (
        np.asarray(head_dim_qk, dtype=float) + np.asarray(head_dim_v, dtype=float)
    )
    per_unit_rate = np.asarray(rate_flops_s, dtype=float) * matmul_frac / units_a
    busy = np.where(q > 0, makespan * block_flops / per_unit_rate, 0.0)
    return np.asarray(np.where(q > 0, floor_s + busy, 0.0), dtype=float)


def attention_decode_time_s(
    kv_bytes: ArrayLike, flops: ArrayLike, *, bandwidth_bytes_s: ArrayLike, rate_flops_s: ArrayLike,
    bandwidth_frac: float, matmul_frac: float, overlap_exponent: float, floor_s: float,
) -> F64:
    """One query token per sequence over its cached keys and values [s]."""
    bandwidth = np.asarray(bandwidth_bytes_s, dtype=float) * bandwidth_frac
    memory_s = np.asarray(kv_bytes, dtype=float) / bandwidth
    compute_s = np.asarray(flops, dtype=float) / (np.asarray(rate_flops_s, dtype=float) * matmul_frac)
    busy = p_norm(memory_s, compute_s, overlap_exponent)
    return np.asarray(np.where(memory_s > 0, floor_s + busy, 0.0), dtype=float)


def elementwise_time_s(
    moved_bytes: ArrayLike, *, row_len: ArrayLike, bandwidth_bytes_s: ArrayLike, sram_bytes: ArrayLike,
    bandwidth_frac: float, cache_bandwidth_ratio: float, floor_s: float,
    row_reduction_s_per_element: float, cacheable: bool = True,
) -> F64:
    """An elementwise kernel or row reduction moving ``moved_bytes`` [s].

    Operands that fit in on-chip SRAM stream at ``cache_bandwidth_ratio`` x the HBM rate
    (when ``cacheable``: element-by-element strided kernels are latency-bound and gain
    nothing). A row reduction (``row_len`` > 0) cannot finish before one row is reduced
    serially.
    """
    moved = np.asarray(moved_bytes, dtype=float)
    bw = np.asarray(bandwidth_bytes_s, dtype=float) * bandwidth_frac
    in_cache = (moved <= np.asarray(sram_bytes, dtype=float)) & cacheable
    effective_bw = np.where(in_cache, bw * cache_bandwidth_ratio, bw)
    stream_s = moved / effective_bw
    row_s = np.asarray(row_len, dtype=float) * row_reduction_s_per_element
    return floor_s + np.maximum(stream_s, row_s)
