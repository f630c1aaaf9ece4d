"""Board power and energy per token of a predicted step, from the silicon layer's power model.

The step's average compute rate and memory traffic per chip (its FLOPs and bytes over its
predicted time) go through :func:`siliconomics.silicon.power.workload_power`, which adds idle
and always-on power and caps the total at the TDP (the performance model has already slowed
compute-bound steps for that cap through its sustained matrix rate).
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.process_nodes import UNPUBLISHED_NODES
from siliconomics.perf.predict import StepPrediction
from siliconomics.silicon.power import energy_per_token_j, workload_power


@dataclass(frozen=True, slots=True)
class StepPower:
    """Power of one chip during the step [W] and energy per token of the replica [J]."""

    power_w_per_chip: float
    joules_per_token: float
    clock_frac: float


def step_power(pred: StepPrediction, hardware: Accelerator) -> StepPower:
    """Power and energy per token of a scalar prediction on ``hardware``."""
    step_s = float(pred.step_s)
    flops_s = float(pred.flops) / pred.chips / step_s
    bytes_s = float(pred.moved_bytes) / pred.chips / step_s
    chip = hardware
    if hardware.process_node.strip().lower() in UNPUBLISHED_NODES:
        # Vendors that do not publish the node: taken as a contemporary N5-family node.
        chip = hardware.model_copy(update={"process_node": "N5"})
    result = workload_power(chip, flops_s, bytes_s, "bf16")
    tokens_s = float(pred.tokens_per_s)
    return StepPower(result.power_w, energy_per_token_j(result.power_w * pred.chips, tokens_s),
                     result.clock_frac)
