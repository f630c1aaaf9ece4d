"""Fleet sizing: replicas and chips for a daily load at its peak hour, within the SLO.

Requests routed uniformly at random split a Poisson stream into independent Poisson streams,
so replicas are independent and one replica at rate peak / replicas stands for all of them.
The steps: replica capacity at the SLO (bisection, :mod:`capacity`) on ``capacity_seeds``
independent samples -> replicas = ceil(peak rate x (1 + headroom) / capacity) -> a sample of
``sample_replicas`` replicas simulated at their share of the peak, reporting the spread of
their p99 latencies (the sampling uncertainty) -> utilisation and chip-hours over the day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from siliconomics.catalog.sourced import read_yaml
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.inputs import check_keys, parse_model
from siliconomics.serving.capacity import CapacityResult, Progress, max_rate_at_slo
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.executor import MapExecutor, run_map
from siliconomics.serving.fleet_cache import FLEETS, cache_mode, fleet_key
from siliconomics.serving.metrics import slo_latencies
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import DEFAULT_CORE, Core
from siliconomics.serving.stepmodel import StepModel
from siliconomics.serving.traffic import Traffic

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class FleetResult:
    """A fleet sized for a daily load (frozen; the economics layer's input).

    Counts: ``replicas``, ``chips`` (= replicas x ``chips_per_replica``); rates
    [requests/s]: ``peak_rate_per_s``, ``mean_rate_per_s``, ``replica_capacity_per_s``
    (mean over seeds) with ``replica_capacity_std_per_s`` (sample standard deviation);
    ``replicas_low`` / ``replicas_high``: replicas needed with the capacity at +/- 2 standard
    errors; ``utilisation_frac``: mean demand / fleet capacity at the SLO over the day;
    ``chip_hours_per_day`` of the static fleet [chip-h/day] and
    ``chip_hours_per_day_autoscaled`` when replicas follow the hourly demand;
    ``output_tokens_s_per_chip`` at the daily mean load [tokens/s/chip];
    ``sample_ttft_p99_s`` / ``sample_tpot_p99_s``: SLO-percentile latencies of the sampled
    replicas at their peak share (mean and standard deviation across the sample) [s];
    ``sample_slo_met_frac`` the fraction of sampled replicas meeting the SLO.
    """

    deployment: Deployment
    slo: Slo
    replicas: int
    chips_per_replica: int
    chips: int
    peak_rate_per_s: float
    mean_rate_per_s: float
    headroom_frac: float
    replica_capacity_per_s: float
    replica_capacity_std_per_s: float
    replicas_low: int
    replicas_high: int
    utilisation_frac: float
    chip_hours_per_day: float
    chip_hours_per_day_autoscaled: float
    output_tokens_per_day: float
    output_tokens_s_per_chip: float
    chip_hours_per_million_tokens: float
    sample_ttft_p99_s: tuple[float, float]
    sample_tpot_p99_s: tuple[float, float]
    sample_slo_met_frac: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deployment"] = self.deployment.model_dump(mode="json")
        data["slo"] = self.slo.model_dump(mode="json")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FleetResult:
        """The inverse of :meth:`to_dict` (the fleet cache's disk layer)."""
        fields = dict(data)
        fields["deployment"] = Deployment.model_validate(fields["deployment"])
        fields["slo"] = Slo.model_validate(fields["slo"])
        fields["sample_ttft_p99_s"] = tuple(fields["sample_ttft_p99_s"])
        fields["sample_tpot_p99_s"] = tuple(fields["sample_tpot_p99_s"])
        return cls(**fields)

    def to_frame(self) -> pd.DataFrame:
        """This result as a pandas DataFrame, one row
        (:func:`siliconomics.frames.fleet_frame`)."""
        from siliconomics.frames import fleet_frame

        return fleet_frame(self)



def replicas_needed(rate_per_s: float, capacity_per_s: float, headroom_frac: float) -> int:
    """ceil(rate x (1 + headroom) / capacity) [replicas], at least 1."""
    return max(1, math.ceil(rate_per_s * (1.0 + headroom_frac) / capacity_per_s - 1e-9))


@dataclass(frozen=True)
class FleetJob:
    """Everything that determines one fleet: the fleet cache's key and a parallel work item
    (picklable). Fields as in :func:`size_fleet`."""

    traffic: Traffic
    deployment: Deployment
    slo: Slo = field(default_factory=Slo)
    seed: int = 0
    headroom_frac: float = 0.1
    capacity_seeds: int = 3
    sample_replicas: int = 4
    n_requests: int = 3000

    def key(self) -> str:
        """The fleet cache key (:func:`~siliconomics.serving.fleet_cache.fleet_key`)."""
        return fleet_key(**{f.name: getattr(self, f.name) for f in fields(self)})


def size_fleet(traffic: Traffic, deployment: Deployment, slo: Slo | None = None,
               seed: int = 0, *, headroom_frac: float = 0.1, capacity_seeds: int = 3,
               sample_replicas: int = 4, n_requests: int = 3000,
               step: StepModel | None = None, progress: Progress | None = None,
               core: Core = DEFAULT_CORE, cache: bool = True,
               executor: MapExecutor | None = None) -> FleetResult:
    """Size the fleet for ``traffic`` with ``deployment`` replicas at ``slo`` (module doc).

    Results are shared through the fleet cache (:mod:`fleet_cache`: keyed by traffic,
    deployment, SLO, seed and the sizing settings) unless ``cache`` is False or an explicit
    ``step`` model is given (an object the key cannot see into). ``executor`` (e.g.
    ``siliconomics.explore.executors.get_executor("local")``) runs the capacity seeds and the
    sampled replicas in parallel; the result does not depend on it.
    """
    job = FleetJob(traffic, deployment, slo or Slo(), seed, headroom_frac, capacity_seeds,
                   sample_replicas, n_requests)
    total = capacity_seeds + sample_replicas
    if not cache or step is not None:
        return _size_fleet(job, step, progress, core, executor)
    mode = cache_mode()
    key = job.key()
    found = FLEETS.get(key, mode, FleetResult.from_dict)
    if isinstance(found, FleetResult):
        if progress is not None:
            progress(total, total)
        return _as_asked(found, job)
    result = _size_fleet(job, None, progress, core, executor)
    FLEETS.put(key, result, mode, FleetResult.to_dict)
    return result


def size_fleets(jobs: Sequence[FleetJob], *, executor: MapExecutor | None = None,
                core: Core = DEFAULT_CORE, cache: bool = True,
                progress: Progress | None = None) -> list[FleetResult]:
    """Size many fleets (design candidates, TP choices, scenarios): cached ones are looked
    up, the others run one per task through ``executor`` (serial when None); results in the
    order of ``jobs`` and independent of the executor."""
    mode = cache_mode() if cache else "off"
    keys = [job.key() for job in jobs] if cache else [""] * len(jobs)
    found = [FLEETS.get(key, mode, FleetResult.from_dict) for key in keys]
    found = [_as_asked(hit, job) if isinstance(hit, FleetResult) else None
             for hit, job in zip(found, jobs, strict=True)]
    todo = [i for i, hit in enumerate(found) if not isinstance(hit, FleetResult)]
    sized = run_map(executor, _size_fleet_task, [(jobs[i], core) for i in todo],
                    "sizing fleets", progress) if todo else []
    for i, result in zip(todo, sized, strict=True):
        found[i] = result
        FLEETS.put(keys[i], result, mode, FleetResult.to_dict)
    return [r for r in found if isinstance(r, FleetResult)]


def prefetch_fleets(jobs: Sequence[FleetJob], executor: MapExecutor | None, *,
                    core: Core = DEFAULT_CORE) -> int:
    """Size the jobs that are not cached yet through ``executor`` and put them in the fleet
    cache, so that later :func:`size_fleet` calls with the same inputs are hits (a caller
    that knows its fleets in advance sizes them in parallel, then asks in its own order).
    A job whose sizing raises a :class:`SiliconomicsError` (does not fit, SLO unreachable)
    is left out: the caller's own sizing meets and reports it. Returns the fleets sized."""
    mode = cache_mode()
    if mode == "off":
        return 0
    todo: dict[str, FleetJob] = {}
    for job in jobs:
        key = job.key()
        if key not in todo and FLEETS.get(key, mode, FleetResult.from_dict) is None:
            todo[key] = job
    sized = run_map(executor, _size_fleet_or_none, [(job, core) for job in todo.values()],
                    "sizing fleets")
    for key, result in zip(todo, sized, strict=True):
        if result is not None:
            FLEETS.put(key, result, mode, FleetResult.to_dict)
    return sum(r is not None for r in sized)


def _size_fleet_or_none(item: tuple[FleetJob, Core]) -> FleetResult | None:
    try:
        return _size_fleet_task(item)
    except (SiliconomicsError, ValueError):  # ValueError: a deployment the model refuses
        return None


def _as_asked(found: FleetResult, job: FleetJob) -> FleetResult:
    """A cached fleet with the caller's own deployment and SLO objects (equal by the key; a
    fleet read from disk has a stack object only as its id, and no calibration)."""
    if found.deployment == job.deployment and found.slo == job.slo:
        return found
    return replace(found, deployment=job.deployment, slo=job.slo)


def _size_fleet_task(item: tuple[FleetJob, Core]) -> FleetResult:
    job, core = item
    return _size_fleet(job, None, None, core, None)


@dataclass(frozen=True)
class _ReplicaTask:
    """One independent simulation of a fleet sizing: a capacity bisection (``share`` None)
    or a sampled replica at ``share`` [requests/s]. ``step`` None: the worker builds it."""

    job: FleetJob
    seed: int
    step: StepModel | None
    core: Core
    share: float | None = None


def _capacity_task(task: _ReplicaTask) -> CapacityResult:
    j = task.job
    return max_rate_at_slo(j.deployment, j.traffic, j.slo, seed=task.seed,
                           n_requests=j.n_requests, step=task.step, core=task.core,
                           stop_early=True)  # only the rate is kept


def _sample_task(task: _ReplicaTask) -> tuple[float, float]:
    j = task.job
    assert task.share is not None  # set for sample tasks by construction
    req = j.traffic.sample(task.share, j.n_requests, np.random.default_rng(task.seed))
    res = run_replica(j.deployment, req, task.step, core=task.core)
    return slo_latencies(res, j.slo.percentile, warmup_frac=0.1)


def _size_fleet(job: FleetJob, step: StepModel | None, progress: Progress | None, core: Core,
                executor: MapExecutor | None) -> FleetResult:
    traffic, deployment, slo, seed = job.traffic, job.deployment, job.slo, job.seed
    headroom_frac, capacity_seeds = job.headroom_frac, job.capacity_seeds
    total = capacity_seeds + job.sample_replicas
    task_step = step
    step = step or deployment.step_model()
    if executor is None:
        task_step = step  # in this process: build the performance model once

    def report(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _: progress(offset + done, total)

    caps: list[CapacityResult] = run_map(
        executor, _capacity_task,
        [_ReplicaTask(job, seed + i, task_step, core) for i in range(capacity_seeds)],
        "capacity at the SLO", report(0))
    rates = np.array([c.rate_per_s for c in caps])
    cap_mean = float(rates.mean())
    cap_std = float(rates.std(ddof=1)) if len(rates) > 1 else 0.0
    stderr = cap_std / math.sqrt(len(rates))
    peak, mean = traffic.peak_rate_per_s, traffic.mean_rate_per_s
    replicas = replicas_needed(peak, cap_mean, headroom_frac)
    lo_cap = max(cap_mean - 2 * stderr, 1e-12)
    chips_per_replica = deployment.chips(step)

    share = peak / replicas
    latencies = run_map(
        executor, _sample_task,
        [_ReplicaTask(job, seed + 1000 + j, task_step, core, share)
         for j in range(job.sample_replicas)],
        "sampled replicas", report(capacity_seeds))
    ttfts = [ttft for ttft, _ in latencies]
    tpots = [tpot for _, tpot in latencies]
    met = sum(int(slo.met_by(ttft, tpot)) for ttft, tpot in latencies)
    sample_replicas = job.sample_replicas

    hourly = traffic.hourly_rates_per_s()
    autoscaled = sum(replicas_needed(float(r), cap_mean, headroom_frac) for r in hourly)
    mean_out = traffic.output_tokens.mean()
    tokens_per_day = traffic.queries_per_day * mean_out
    chips = replicas * chips_per_replica
    return FleetResult(
        deployment=deployment, slo=slo, replicas=replicas,
        chips_per_replica=chips_per_replica, chips=chips,
        peak_rate_per_s=peak, mean_rate_per_s=mean, headroom_frac=headroom_frac,
        replica_capacity_per_s=cap_mean, replica_capacity_std_per_s=cap_std,
        replicas_low=replicas_needed(peak, cap_mean + 2 * stderr, headroom_frac),
        replicas_high=replicas_needed(peak, lo_cap, headroom_frac),
        utilisation_frac=mean / (replicas * cap_mean),
        chip_hours_per_day=chips * 24.0,
        chip_hours_per_day_autoscaled=autoscaled * chips_per_replica * 1.0,
        output_tokens_per_day=tokens_per_day,
        output_tokens_s_per_chip=mean * mean_out / chips,
        chip_hours_per_million_tokens=chips * 24.0 / tokens_per_day * 1e6,
        sample_ttft_p99_s=_mean_std(ttfts), sample_tpot_p99_s=_mean_std(tpots),
        sample_slo_met_frac=met / sample_replicas if sample_replicas else float("nan"),
    )


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return (float("nan"), float("nan"))
    arr = np.asarray(values, dtype=np.float64)
    return (float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0)


class FleetScenario(BaseModel):
    """A fleet-sizing scenario file: ``traffic`` (:class:`Traffic` fields), ``deployment``
    (:class:`Deployment` fields), optional ``slo``, ``headroom_frac`` [-] (default 0.1, an
    assumption: spare capacity above the peak hour) and ``seed``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    traffic: Traffic
    deployment: Deployment
    slo: Slo = Slo()
    headroom_frac: float = Field(default=0.1, ge=0, lt=10)
    seed: int = Field(default=0, ge=0)


def load_fleet_scenario(path: Path) -> FleetScenario:
    """Read a fleet scenario YAML: the keys at the top level, or under ``serving:`` (a
    study scenario, whose other top-level keys belong to the economics layer). Errors name
    the file and the field; an unknown key names the closest valid one."""
    data = read_yaml(path, what="fleet scenario")
    if "serving" not in data:
        check_keys(data, [*FleetScenario.model_fields, "serving"], where=path)
    section = data.get("serving", data)
    if not isinstance(section, dict):
        raise CatalogError(f"{path}: field 'serving' must be a mapping with traffic and "
                           f"deployment, got {type(section).__name__}")
    return parse_model(FleetScenario, section, where=path)
