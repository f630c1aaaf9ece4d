"""Work per joule of a chip on a compute-bound, training-like workload: the design search's
check against TPU v4 (Jouppi et al., "TPU v4: An Optically Reconfigurable Supercomputer for
Machine Learning with Hardware Support for Embeddings", ISCA 2023, doi:10.1145/3579371.3589350:
on MLPerf Training, at similar system size, TPU v4 is 1.2-1.7x faster than the A100 and uses
1.3-1.9x less power).

The workload is the forward pass of a training step: a prefill of ``batch`` sequences of
``prompt`` tokens of a dense model in bf16 on one chip, whose GEMMs are large enough to be
compute-bound (a training step's backward pass is the same GEMMs twice more, so work per
joule is the forward's). Two layers of the project price it:

- ``stack``: throughput from the performance layer (:func:`siliconomics.perf.predict.
  predict_step`, its sustained matrix rate capped by ``(TDP - idle) / energy per FLOP``),
  board power from the silicon power model at the step's FLOP and byte rates
  (:func:`siliconomics.perf.power.step_power` → :func:`siliconomics.silicon.power.
  workload_power`);
- ``silicon``: the silicon power model alone: the chip runs the step's mix (its bytes per
  FLOP) at its peak bf16 rate at full clock, and :func:`~siliconomics.silicon.power.
  workload_power` lowers the clock (and the voltage: energy per FLOP ∝ clock^γ) until the
  board draws its TDP; work per joule = sustained FLOP/s / power.

    FLOP per joule = sustained FLOP/s / board power [FLOP/J]
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.errors import DoesNotFitError
from siliconomics.perf.power import step_power
from siliconomics.perf.predict import predict_step
from siliconomics.silicon.power import workload_power

TRAINING_MODEL = "llama3-8b"
"""Dense transformer of the check: its bf16 weights (16 GB) fit one TPU v4 (32 GiB), so the
chips are compared alone, without a parallel layout (U)."""
TRAINING_BATCH = 8
TRAINING_PROMPT_TOKENS = 2048


@dataclass(frozen=True)
class Efficiency:
    """One chip on the training-like workload, by one layer (``stack`` or ``silicon``)."""

    hardware_id: str
    layer: str
    flops_s: float
    """Sustained matrix-and-vector work [FLOP/s]."""
    power_w: float
    """Board power while running it [W]."""
    clock_frac: float
    """Clock the silicon power model runs it at, relative to the design's [-]."""

    @property
    def flops_per_j(self) -> float:
        return self.flops_s / self.power_w


def training_efficiency(hardware: Accelerator, *, model: str = TRAINING_MODEL,
                        batch: int = TRAINING_BATCH,
                        prompt_tokens: int = TRAINING_PROMPT_TOKENS) -> dict[str, Efficiency]:
    """Work per joule of ``hardware`` (per chip) on the training-like step, by both layers
    (module doc). On the fewest chips (tensor parallel, a power of two up to the scale-up
    domain) whose memory holds the weights and activations."""
    pred = None
    tp = 1
    while pred is None:
        try:
            pred = predict_step(model, hardware, phase="prefill", batch=batch,
                                prompt=prompt_tokens, tp=tp)
        except DoesNotFitError:
            if tp * 2 > hardware.scaleup_domain_chips:
                raise
            tp *= 2
    step_s = float(pred.step_s)
    flops = float(pred.flops) / pred.chips
    stack_power = step_power(pred, hardware)
    stack = Efficiency(hardware.id, "stack", flops / step_s, stack_power.power_w_per_chip,
                       stack_power.clock_frac)
    peak = hardware.peak("bf16")
    full = workload_power(hardware, peak, peak * float(pred.moved_bytes) / float(pred.flops),
                          "bf16")
    silicon = Efficiency(hardware.id, "silicon", full.flops_s, full.power_w, full.clock_frac)
    return {"stack": stack, "silicon": silicon}
