"""Serving: traffic, the iteration-level batching simulator, capacity at an SLO, fleets.

The economics layer calls :func:`size_fleet` (-> :class:`FleetResult`) and
:func:`max_rate_at_slo`; :func:`size_fleets` sizes many fleets through an executor (cached
ones looked up); see docs/serving.md.
"""

from siliconomics.serving.capacity import (
    CapacityResult,
    SloUnreachableError,
    max_rate_at_slo,
    search_deployments,
)
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import FleetJob, FleetResult, size_fleet, size_fleets
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import SchedulerConfig, SimResult, simulate
from siliconomics.serving.traffic import LengthDist, Requests, Traffic, load_trace

__all__ = [
    "CapacityResult",
    "Deployment",
    "FleetJob",
    "FleetResult",
    "LengthDist",
    "Requests",
    "SchedulerConfig",
    "SimResult",
    "Slo",
    "SloUnreachableError",
    "Traffic",
    "load_trace",
    "max_rate_at_slo",
    "run_replica",
    "search_deployments",
    "simulate",
    "size_fleet",
    "size_fleets",
]
