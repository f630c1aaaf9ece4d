"""Fit the power model's coefficients on the measured H100 board power.

The workloads of ``shared/groundtruth/h100_power.json`` are turned into (FLOP/s, B/s) at
the measured clock: the 8192³ bf16 product (2·n³ FLOP, 3·n² bf16 matrices per call), the
2 GiB copy (bytes read + written), Llama-3-8B decode (weights + KV cache read per step,
2 FLOP per weight per token plus attention) and prefill (2 FLOP per weight per token plus
causal attention). Four coefficients are fitted by least squares on relative error:
e_flop (bf16, full clock), e_byte, the awake power and the clock exponent γ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from siliconomics import catalog
from siliconomics.inputs import DATA_MAX_BYTES, load_json
from siliconomics.workload.params import parameter_counts

BF16_BYTES = 2.0


@dataclass(frozen=True)
class PowerPoint:
    """One measured workload: rates at the measured clock and the board power."""

    work: str
    flops_s: float
    bytes_s: float
    clock_frac: float
    power_w: float


def llama_rates(batch: int, context: int, tokens_s: float, decode: bool) -> tuple[float, float]:
    """(FLOP/s, B/s) of Llama-3-8B decode (batch x 1 token over ``context`` cached) or
    prefill (batch x ``context`` tokens), bf16 weights and KV cache."""
    arch = catalog.model("llama3-8b")
    counts = parameter_counts(arch)
    matmul_params = counts.total - counts.input_embedding  # the lookup is not a product
    kv_bytes_per_token = arch.layers * arch.kv_heads * arch.head_dim * 2 * BF16_BYTES
    attn_flops_per_key = arch.layers * 2 * 2 * arch.q_heads * arch.head_dim  # QK^T and PV
    weight_bytes = matmul_params * BF16_BYTES
    if decode:
        steps_s = tokens_s / batch
        flops_per_token = 2 * matmul_params + attn_flops_per_key * context
        bytes_per_step = weight_bytes + batch * context * kv_bytes_per_token
        return tokens_s * flops_per_token, steps_s * bytes_per_step
    flops_per_token = 2 * matmul_params + attn_flops_per_key * context / 2  # causal
    steps_s = tokens_s / (batch * context)
    return tokens_s * flops_per_token, steps_s * weight_bytes + tokens_s * kv_bytes_per_token


def load_points(path: Path) -> tuple[float, float, list[PowerPoint]]:
    """(idle power [W], max SM clock [MHz], workloads) from an ``h100_power.json``."""
    data = load_json(path, what="power ground truth", max_bytes=DATA_MAX_BYTES)
    smi = data["meta"]["nvidia_smi"].splitlines()[1].split(", ")
    max_mhz = float(smi[2].split()[0])
    idle = 0.0
    points: list[PowerPoint] = []
    for row in data["power"]:
        c = row["sm_clock_mhz"] / max_mhz
        work = row["work"]
        if work == "idle":
            idle = row["power_w"]
        elif work.startswith("bf16_mm_"):
            n = float(work.rsplit("_", 1)[1])
            f = row["tflops"] * 1e12
            points.append(PowerPoint(work, f, f / (2 * n**3) * 3 * n * n * BF16_BYTES, c, row["power_w"]))
        elif work.startswith("copy"):
            points.append(PowerPoint(work, 0.0, row["GBps_rw"] * 1e9, c, row["power_w"]))
        elif work.endswith("decode"):
            f, b = llama_rates(row["B"], row["L"], row["tokens_per_s"], decode=True)
            points.append(PowerPoint(f"{work} B={row['B']}", f, b, c, row["power_w"]))
        elif work.endswith("prefill"):
            f, b = llama_rates(row["B"], row["S"], row["tokens_per_s"], decode=False)
            points.append(PowerPoint(f"{work} {row['B']}x{row['S']}", f, b, c, row["power_w"]))
    return idle, max_mhz, points


@dataclass(frozen=True)
class PowerFit:
    idle_w: float
    e_flop_bf16_pj: float
    e_byte_pj: float
    awake_w: float
    clock_exponent: float
    points: list[PowerPoint]
    predicted_w: list[float]


def fit_power(path: Path) -> PowerFit:
    """Least-squares fit (relative residuals) of e_flop, e_byte, P_awake and γ."""
    idle, _, points = load_points(path)
    f = np.array([p.flops_s for p in points])
    b = np.array([p.bytes_s for p in points])
    c = np.array([p.clock_frac for p in points])
    p_meas = np.array([p.power_w for p in points])

    def model(x: np.ndarray) -> np.ndarray:
        awake, e_byte, e_flop, gamma = x
        cg = c**gamma
        predicted: np.ndarray = idle + awake * cg + e_byte * 1e-12 * b + e_flop * 1e-12 * f * cg
        return predicted

    result = least_squares(lambda x: (model(x) - p_meas) / p_meas, [250.0, 30.0, 0.5, 1.0],
                           bounds=([0, 0, 0, 0], [2000, 200, 10, 4]))
    awake, e_byte, e_flop, gamma = (float(v) for v in result.x)
    return PowerFit(idle, e_flop, e_byte, awake, gamma, points, [float(v) for v in model(result.x)])
