"""Predict an MLPerf offline row with the serving simulator: all samples queued at t = 0,
continuous batching on each model instance, output tokens/s of the whole system.

A system of ``chips`` chips runs ``chips / tp`` identical instances (how the submissions
run: 4 x tp 2 on 8 H100, 8 x tp 1 on 8 H200 or MI300X), so the system's rate is the
instance's times the instance count. Lengths are fixed at the benchmark's mean input and
output tokens per sample (the OpenOrca length distribution itself is not modelled). The
scheduler is the same for every chip (:data:`OFFLINE_SCHEDULER`) so that ratios between
chips compare chips and stacks, not scheduler settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics import catalog
from siliconomics.catalog.accelerator import Accelerator
from siliconomics.mlperf.table import MlperfRow, MlperfTable
from siliconomics.perf.calibration import Calibration, default_calibration
from siliconomics.perf.iteration import iteration_model
from siliconomics.perf.stacks import Stack, stack_for_chip
from siliconomics.serving.deployment import Deployment
from siliconomics.serving.replica import offline_throughput_tokens_s, run_replica
from siliconomics.serving.sim import SchedulerConfig
from siliconomics.serving.traffic import offline_requests

OFFLINE_SCHEDULER = SchedulerConfig(max_batch=1024, token_budget=8192)
"""Offline scheduler for every chip: a batch cap of 1024 sequences (NVIDIA's v4.0 configs
run 806-896 per instance, closed/NVIDIA/configs/llama2-70b/Offline) and vLLM's 8192-token
budget."""
OFFLINE_REQUESTS = 3000
"""Samples simulated per instance [count]: enough for ~3 batch turnovers at batch 1024."""


@dataclass(frozen=True, slots=True)
class OfflineConditions:
    """What the comparison assumes: mean input tokens per benchmark (not published)."""

    input_tokens: dict[str, int]
    requests: int = OFFLINE_REQUESTS


def row_hardware(row: MlperfRow) -> Accelerator:
    """The row's chip, at the row's power limit if it states one (H200 CTS: 1000 W)."""
    hw = catalog.hardware(row.hardware)
    if row.tdp_w is not None:
        hw = hw.model_copy(update={"tdp_w": row.tdp_w, "id": f"{hw.id}@{row.tdp_w:g}W"})
    return hw


def predict_row_tokens_s(row: MlperfRow, table: MlperfTable, conditions: OfflineConditions, *,
                         stack: Stack | str | None = None,
                         calibration: Calibration | None = None) -> float:
    """Predicted output tokens/s of the whole system of ``row`` (offline scenario).

    ``stack``: the stack to run (default: the row's own stack id, checked for the chip's
    vendor).
    """
    bench = table.benchmarks[row.benchmark]
    hw = row_hardware(row)
    software = stack_for_chip(stack if stack is not None else row.stack, hw.vendor, hw.id)
    calib = calibration or default_calibration()
    step = iteration_model(bench.model, hw, tp=row.tp, weight_dtype=row.weight_dtype,
                           kv_dtype=row.kv_dtype, stack=software, calibration=calib)
    deployment = Deployment(model=bench.model, hardware=row.hardware, tp=row.tp,
                            weight_dtype=row.weight_dtype, kv_dtype=row.kv_dtype,
                            scheduler=OFFLINE_SCHEDULER)
    requests = offline_requests(conditions.requests, conditions.input_tokens[row.benchmark],
                                table.output_tokens(row))
    instance = offline_throughput_tokens_s(run_replica(deployment, requests, step))
    return instance * (row.chips / row.tp)
