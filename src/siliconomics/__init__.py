"""siliconomics: what one AI query costs on a given chip, and which chip strategy to choose.

The pipeline runs one way: a scenario flows through workload -> perf -> serving -> fleet ->
economics -> strategy -> report, fed by the hardware catalog, the silicon model and a
calibration. See ``docs/api.md`` for a worked example and ``docs/`` for each layer.

The main entry points are exported here and imported on first use (``import siliconomics``
stays fast; the first call pays for NumPy, SciPy and friends):

- :func:`load_hardware`, :func:`load_model`: an accelerator or a model by id or path;
- :func:`predict_step`: the time of one prefill or decode step on a chip;
- :func:`run_replica` (one deployment over a request stream) and :func:`simulate` (the
  iteration-level batching simulator under it);
- :func:`size_fleet`: chips and replicas a daily load needs at its peak within an SLO;
- :func:`evaluate_design`: area, cost, power, NRE and schedule of a custom chip;
- :func:`load_scenario`, :func:`run_study`: the whole study (cost per query on each option,
  strategy Monte Carlo);
- :func:`to_frame`: any result above as a pandas DataFrame (also ``result.to_frame()``).

Errors from bad input are :class:`SiliconomicsError` with a one-line message naming the
parameter or file, the rule and the value.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "load_hardware": "siliconomics.api",
    "load_model": "siliconomics.api",
    "evaluate_design": "siliconomics.api",
    "predict_step": "siliconomics.perf.predict",
    "run_replica": "siliconomics.serving.replica",
    "simulate": "siliconomics.serving.sim",
    "size_fleet": "siliconomics.serving.fleet",
    "Deployment": "siliconomics.serving.deployment",
    "Slo": "siliconomics.serving.deployment",
    "Traffic": "siliconomics.serving.traffic",
    "LengthDist": "siliconomics.serving.traffic",
    "synthetic_requests": "siliconomics.serving.traffic",
    "load_scenario": "siliconomics.economics.scenario",
    "run_study": "siliconomics.economics.study",
    "to_frame": "siliconomics.frames",
    "Accelerator": "siliconomics.catalog.accelerator",
    "ModelArch": "siliconomics.catalog.model_arch",
    "SiliconomicsError": "siliconomics.errors",
}

__all__ = [
    "Accelerator",
    "Deployment",
    "LengthDist",
    "ModelArch",
    "SiliconomicsError",
    "Slo",
    "Traffic",
    "evaluate_design",
    "load_hardware",
    "load_model",
    "load_scenario",
    "predict_step",
    "run_replica",
    "run_study",
    "simulate",
    "size_fleet",
    "synthetic_requests",
    "to_frame",
]


if TYPE_CHECKING:
    from siliconomics.api import evaluate_design, load_hardware, load_model
    from siliconomics.catalog.accelerator import Accelerator
    from siliconomics.catalog.model_arch import ModelArch
    from siliconomics.economics.scenario import load_scenario
    from siliconomics.economics.study import run_study
    from siliconomics.errors import SiliconomicsError
    from siliconomics.frames import to_frame
    from siliconomics.perf.predict import predict_step
    from siliconomics.serving.deployment import Deployment, Slo
    from siliconomics.serving.fleet import size_fleet
    from siliconomics.serving.replica import run_replica
    from siliconomics.serving.sim import simulate
    from siliconomics.serving.traffic import LengthDist, Traffic, synthetic_requests


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'siliconomics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
