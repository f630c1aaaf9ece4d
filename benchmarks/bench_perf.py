"""Speed of the performance model (issue 2). Run: python benchmarks/bench_perf.py

Prints: one Llama-3-70B decode-step prediction after import [ms]; a vectorised grid of 10,000
(batch, context) points [s]; `siliconomics predict` as a whole process [s].
Targets: well under 1 ms; under 1 s; under 1.5 s.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from siliconomics.perf.predict import predict_step


def one_prediction_ms(repeats: int = 500) -> float:
    predict_step("llama3-70b", "h100-sxm", phase="decode", batch=64, context=2048, tp=4)
    start = time.perf_counter()
    for _ in range(repeats):
        predict_step("llama3-70b", "h100-sxm", phase="decode", batch=64, context=2048, tp=4)
    return (time.perf_counter() - start) / repeats * 1e3


def grid_s(points: int = 10_000) -> float:
    side = int(np.sqrt(points))
    batch, context = np.meshgrid(np.arange(1, side + 1), np.linspace(128, 4096, side))
    start = time.perf_counter()
    pred = predict_step("llama3-70b", "h100-sxm", phase="decode", batch=batch.ravel(),
                        context=context.ravel(), tp=8, weight_dtype="fp8")
    elapsed = time.perf_counter() - start
    assert pred.step_s.shape == (side * side,)
    return elapsed


def cli_process_s(repeats: int = 3) -> float:
    command = [sys.executable, "-m", "siliconomics.cli", "predict", "--model", "llama3-70b",
               "--hardware", "h100-sxm", "--tp", "4", "--phase", "decode", "--batch", "64",
               "--context", "2048", "--json"]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    print(f"one 70B decode-step prediction: {one_prediction_ms():.3f} ms (target < 1 ms)")
    print(f"10,000-point (batch, context) grid: {grid_s():.3f} s (target < 1 s)")
    print(f"`siliconomics predict` process: {cli_process_s():.2f} s (target < 1.5 s)")
