"""Time a built step on a chip: each operator through its kernel model, then the launch
schedule of the stack (CUDA graph or eager) and the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from siliconomics.catalog.accelerator import Accelerator, Dtype
from siliconomics.catalog.process_nodes import UNPUBLISHED_NODES, process_node
from siliconomics.perf import collectives, kernels
from siliconomics.perf.calibration import Calibration
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

_PRECISION_TO_DTYPE: dict[str, Dtype] = {"bf16": "bf16", "fp8": "fp8", "int8": "int8", "fp4": "fp4"}


@dataclass(frozen=True, slots=True)
class ChipRates:
    """What the kernel models need of a chip, derived once from its spec and a calibration."""

    matmul_flops_s: dict[str, float]
    bandwidth_bytes_s: float
    sram_bytes: float
    units: int
    link_bytes_s: float


def idle_power_w(hw: Accelerator, calib: Calibration) -> float:
    """Published idle power, or the calibrated idle share of TDP [W]."""
    if hw.idle_power_w is not None:
        return hw.idle_power_w
    return calib.kernel.idle_power_frac * hw.tdp_w


def node_energy_rel_n7(node: str, fallback: float) -> float:
    """Switching energy of ``node`` relative to N7. Vendors that do not publish the node
    (Google TPUs, AWS Trainium) are taken at ``fallback``, the calibration's reference node:
    a contemporary-node assumption, stated in docs/performance-model.md."""
    if node.strip().lower() in UNPUBLISHED_NODES:
        return fallback
    return _node_energy(node)


@cache
def _node_energy(node: str) -> float:
    return process_node(node).energy_per_op_rel_n7


def matmul_energy_j_per_flop(hw: Accelerator, precision: str, calib: Calibration) -> float:
    """Energy per FLOP of the matrix units of this chip [J].

    The fitted reference value e_ref is scaled by the smaller of two ratios: the process
    node's published switching-energy ratio (same design on another node), and the ratio of
    the chip's datasheet energy budget (TDP - idle) / peak to the reference chip's (credits an
    architecture that does more per joule on the same node, as Blackwell does over Hopper).
    8-bit formats take the fitted 8-bit/bf16 energy ratio; 4-bit half of that.
    """
    k = calib.kernel
    reference = _node_energy(k.reference_node)
    node_ratio = node_energy_rel_n7(hw.process_node, reference) / reference
    datasheet_pj = (hw.tdp_w - idle_power_w(hw, calib)) / hw.peak("bf16") * 1e12
    datasheet_ratio = datasheet_pj / k.reference_datasheet_pj_per_flop_bf16
    per_flop = k.matmul_energy_pj_per_flop_bf16 * 1e-12 * min(node_ratio, datasheet_ratio)
    native = hw.native_dtype(_PRECISION_TO_DTYPE[precision])
    if native in ("fp8", "int8"):
        per_flop *= k.matmul_energy_ratio_fp8
    elif native in ("fp4", "int4"):
        per_flop *= 0.5 * k.matmul_energy_ratio_fp8
    return per_flop


def chip_rates(hw: Accelerator, calib: Calibration, ranks: int = 1) -> ChipRates:
    idle = idle_power_w(hw, calib)
    rates = {}
    for precision, dtype in _PRECISION_TO_DTYPE.items():
        energy = matmul_energy_j_per_flop(hw, precision, calib)
        rates[precision] = float(kernels.sustained_matmul_flops_s(hw.peak(dtype), hw.tdp_w, idle, energy))
    link = collectives.link_bandwidth_bytes_s(ranks, hw.scaleup_bandwidth_bytes_s,
                                              hw.scaleup_domain_chips, hw.scaleout_bandwidth_bytes_s)
    return ChipRates(rates, hw.memory_bandwidth_bytes_s, hw.sram_bytes, hw.compute_units, link)


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
            matmul_frac=k.attention_matmul_frac, block_overhead=k.attention_block_overhead,
            floor_s=k.attention_prefill_floor_s,
        )
    if isinstance(op, AttentionDecode):
        return kernels.attention_decode_time_s(
            op.kv_bytes, op.flops, bandwidth_bytes_s=rates.bandwidth_bytes_s,
            rate_flops_s=rates.matmul_flops_s["bf16"], bandwidth_frac=k.attention_decode_bandwidth_frac,
            matmul_frac=k.attention_matmul_frac, overlap_exponent=k.gemm_overlap_exponent,
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
    c = calib.collective
    if op.collective == "all_reduce":
        return collectives.all_reduce_time_s(op.message_bytes, op.ranks, rates.link_bytes_s,
                                             c.link_efficiency_frac, c.collective_latency_s)
    if op.collective == "all_to_all":
        return collectives.all_to_all_time_s(op.message_bytes, op.ranks, rates.link_bytes_s,
                                             c.link_efficiency_frac, c.collective_latency_s)
    return collectives.send_time_s(op.message_bytes, rates.link_bytes_s, c.link_efficiency_frac,
                                   c.collective_latency_s)


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


def time_step(step: Step, hw: Accelerator, calib: Calibration, ranks: int = 1) -> TimedStep:
    """Time of ``step`` on one chip, including launch overheads and pipeline stages [s]."""
    rates = chip_rates(hw, calib, ranks)
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
        handoff = collectives.send_time_s(
            step.handoff_bytes, rates.link_bytes_s,
            calib.collective.link_efficiency_frac, calib.collective.collective_latency_s)
        total = total + (step.stages - 1) * handoff
    device_total = np.asarray(device * step.stages, dtype=float)
    return TimedStep(np.asarray(total, dtype=float), device_total,
                     np.asarray(total - device_total, dtype=float), tuple(op_times))
