"""Time a built step on a chip: each operator through its kernel model, then the launch
schedule of the stack (CUDA graph or eager) and the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.perf import collectives, kernels
from siliconomics.perf.calibration import Calibration
from siliconomics.perf.chip import (  # re-exported: the engine's public names before chip.py
    ChipRates,
    chip_rates,
    idle_power_w,
    matmul_energy_j_per_flop,
    node_energy_rel_n7,
)
from siliconomics.perf.stacks import Stack
from siliconomics.workload.operators import (
    AttentionDecode,
    AttentionPrefill,
    Collective,
    Elementwise,
    Gemm,
    Operator,
)
from siliconomics.workload.step import Step

F64 = NDArray[np.float64]

__all__ = ["ChipRates", "TimedStep", "chip_rates", "idle_power_w", "matmul_energy_j_per_flop",
           "node_energy_rel_n7", "operator_time_s", "time_step"]


def operator_time_s(op: Operator, rates: ChipRates, calib: Calibration) -> F64:
    """Time of one launch of ``op`` [s]."""
    k = calib.kernel
    if isinstance(op, Gemm):
        return kernels.gemm_time_s(
            op.m, op.n * np.asarray(op.groups, dtype=float), op.k,
            a_bytes=op.a_bytes, w_bytes=op.w_bytes, out_bytes=op.out_bytes,
            rate_flops_s=rates.matmul_flops_s[op.precision], units=rates.units,
            bandwidth_bytes_s=rates.bandwidth_bytes_s, tile_operand_cost=k.tile_operand_cost,
            bandwidth_frac=k.gemm_bandwidth_frac, overlap_exponent=k.gemm_overlap_exponent,
            floor_s=k.gemm_floor_s,
        )
    if isinstance(op, AttentionPrefill):
        return kernels.attention_prefill_time_s(
            op.batch, op.q_len, op.past_len, op.q_heads, op.head_dim_qk, op.head_dim_v,
            causal=op.causal, rate_flops_s=rates.matmul_flops_s["bf16"], units=rates.units,
            matmul_frac=k.attention_matmul_frac * rates.attention_frac,
            block_overhead=k.attention_block_overhead,
            floor_s=k.attention_prefill_floor_s,
        )
    if isinstance(op, AttentionDecode):
        return kernels.attention_decode_time_s(
            op.kv_bytes, op.flops, bandwidth_bytes_s=rates.bandwidth_bytes_s,
            rate_flops_s=rates.matmul_flops_s["bf16"],
            bandwidth_frac=k.attention_decode_bandwidth_frac * rates.attention_frac,
            matmul_frac=k.attention_matmul_frac * rates.attention_frac,
            overlap_exponent=k.gemm_overlap_exponent,
            floor_s=k.attention_decode_floor_s,
        )
    if isinstance(op, Elementwise):
        if op.row_len > 0:
            frac = k.reduction_bandwidth_frac
        elif op.strided:
            frac = k.strided_bandwidth_frac
        else:
            frac = k.elementwise_bandwidth_frac
        return kernels.elementwise_time_s(
            op.moved_bytes, row_len=op.row_len, bandwidth_bytes_s=rates.bandwidth_bytes_s,
            sram_bytes=rates.sram_bytes, bandwidth_frac=frac,
            cache_bandwidth_ratio=k.cache_bandwidth_ratio, floor_s=k.elementwise_floor_s,
            row_reduction_s_per_element=k.row_reduction_s_per_element, cacheable=not op.strided,
        )
    assert isinstance(op, Collective)
    eff, lat = rates.link_efficiency_frac, rates.collective_latency_s
    if op.collective == "all_reduce":
        return collectives.all_reduce_time_s(op.message_bytes, op.ranks, rates.link_bytes_s, eff, lat)
    if op.collective == "all_to_all":
        return collectives.all_to_all_time_s(op.message_bytes, op.ranks, rates.link_bytes_s, eff, lat)
    return collectives.send_time_s(op.message_bytes, rates.link_bytes_s, eff, lat)


@dataclass(frozen=True, slots=True)
class TimedStep:
    """A step's time on one chip [s], with the device time of each operator."""

    total_s: F64
    device_s: F64
    launch_overhead_s: F64
    op_times_s: tuple[tuple[Operator, int, F64], ...]


def _graph_time(times: list[tuple[F64, int]], gap_s: float) -> F64:
    total = np.zeros(())
    for t, repeat in times:
        total = total + (t + gap_s) * repeat
    return np.asarray(total, dtype=float)


def _eager_time(blocks: list[list[F64]], repeats: list[int], launch_s: float, gap_s: float) -> F64:
    """Host issues a kernel every ``launch_s``; the device runs each when both it is free and
    the kernel has been issued. Blocks repeated many times are run twice and extrapolated
    (the schedule is periodic after the first repetition)."""
    cpu = np.zeros(())
    gpu = np.zeros(())
    for ops, repeat in zip(blocks, repeats, strict=True):
        reps = min(repeat, 2)
        delta_cpu = np.zeros(())
        delta_gpu = np.zeros(())
        for _ in range(reps):
            cpu0, gpu0 = cpu, gpu
            for t in ops:
                cpu = cpu + launch_s
                gpu = np.maximum(gpu + gap_s, cpu) + t
            delta_cpu, delta_gpu = cpu - cpu0, gpu - gpu0
        if repeat > reps:
            cpu = cpu + (repeat - reps) * delta_cpu
            gpu = gpu + (repeat - reps) * delta_gpu
    return np.asarray(gpu, dtype=float)


def time_step(step: Step, hw: Accelerator, calib: Calibration, ranks: int = 1,
              stack: Stack | None = None) -> TimedStep:
    """Time of ``step`` on one chip, including launch overheads, pipeline stages and the
    stack's host time per iteration [s] (``stack`` None: reference kernels, no host time)."""
    rates = chip_rates(hw, calib, ranks, stack)
    per_block: list[list[F64]] = []
    op_times: list[tuple[Operator, int, F64]] = []
    device = np.zeros(())
    for block in step.blocks:
        times = [operator_time_s(op, rates, calib) for op in block.ops]
        per_block.append(times)
        for op, t in zip(block.ops, times, strict=True):
            op_times.append((op, block.repeat, t))
            device = device + t * block.repeat
    s = calib.stack
    if step.mode == "replay":
        stage = device
    elif step.mode == "graph":
        flat = [(t, b.repeat) for b, ts in zip(step.blocks, per_block, strict=True) for t in ts]
        stage = _graph_time(flat, s.graph_kernel_gap_s)
    else:
        stage = _eager_time(per_block, [b.repeat for b in step.blocks], s.eager_launch_s,
                            s.graph_kernel_gap_s)
    total = stage * step.stages
    if step.stages > 1:
        handoff = collectives.send_time_s(step.handoff_bytes, rates.link_bytes_s,
                                          rates.link_efficiency_frac, rates.collective_latency_s)
        total = total + (step.stages - 1) * handoff
    if step.mode != "replay":
        total = total + rates.step_overhead_s
    device_total = np.asarray(device * step.stages, dtype=float)
    return TimedStep(np.asarray(total, dtype=float), device_total,
                     np.asarray(total - device_total, dtype=float), tuple(op_times))
