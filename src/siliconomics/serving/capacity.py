"""Capacity at a latency SLO: the highest request rate a replica sustains, and the cheapest
deployment choice in chip-hours per million output tokens.

The rate is found by bisection: at each candidate rate a fixed number of requests with the
traffic's lengths arrive (Poisson or gamma), the replica is simulated, and the SLO
percentiles of TTFT and TPOT (first ``warmup_frac`` of requests left out) are compared with
the target. The same seed is used at every rate (common random numbers), so the pass/fail
boundary is sharp.

With ``stop_early`` (the fleet sizing's searches, which keep only the rate) a probe above
the light load ends as soon as enough requests have waited longer than the TTFT target for
their first token that its TTFT percentile must miss the target
(:meth:`~siliconomics.serving.sim.TtftStop.for_percentile`): the pass/fail answer, and so
the rate found, are the same as from the whole run, which an overloaded probe would spend
simulating a queue that has already failed. Such a probe's check records TTFT = inf (known
to be above the target) and TPOT NaN.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from siliconomics.errors import DoesNotFitError, SiliconomicsError
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.executor import MapExecutor, run_map
from siliconomics.serving.metrics import slo_latencies
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import DEFAULT_CORE, Core, SchedulerConfig, SimResult, TtftStop
from siliconomics.serving.stepmodel import StepModel
from siliconomics.serving.traffic import LengthDist, RequestDraws, Traffic

Progress = Callable[[int, int], None]


class SloUnreachableError(SiliconomicsError):
    """No rate (or no configuration) meets the latency target; carries the best SLO-percentile
    TTFT [s] and TPOT [s/token] reached (at a light load)."""

    def __init__(self, message: str, ttft_s: float, tpot_s: float) -> None:
        super().__init__(message)
        self.ttft_s = ttft_s
        self.tpot_s = tpot_s


@dataclass(frozen=True)
class SloCheck:
    """Latencies at one rate [requests/s]: SLO-percentile TTFT [s] and TPOT [s/token]."""

    rate_per_s: float
    ttft_s: float
    tpot_s: float
    meets: bool


@dataclass(frozen=True)
class CapacityResult:
    """Highest rate one replica sustains within the SLO, and its cost in chip time.

    ``rate_per_s`` [requests/s]; ``output_tokens_s`` at that rate [tokens/s];
    ``chips`` per replica; ``chip_hours_per_million_tokens`` [chip-h per 1e6 output tokens];
    ``checks`` every rate tried.
    """

    deployment: Deployment
    slo: Slo
    rate_per_s: float
    output_tokens_s: float
    chips: int
    chip_hours_per_million_tokens: float
    ttft_s: float
    tpot_s: float
    step_error_frac: float
    checks: tuple[SloCheck, ...] = field(repr=False)


def chip_hours_per_million_tokens(chips: int, output_tokens_s: float) -> float:
    """Chip-hours per million output tokens [chip-h]: chips / (tokens/s x 3600) x 1e6."""
    return chips / (output_tokens_s * 3600.0) * 1e6


def _check(deployment: Deployment, step: StepModel, draws: RequestDraws, slo: Slo,
           rate: float, n_requests: int, warmup_frac: float,
           core: Core = DEFAULT_CORE, stop_early: bool = False) -> tuple[SloCheck, SimResult]:
    req = draws.at_rate(rate)
    stop = None
    if stop_early and deployment.mode == "aggregated":
        stop = TtftStop.for_percentile(n_requests, int(n_requests * warmup_frac),
                                       slo.percentile, slo.ttft_s)
    result = run_replica(deployment, req, step, core=core, stop=stop)
    if result.stopped:
        return SloCheck(rate, math.inf, math.nan, False), result
    ttft, tpot = slo_latencies(result, slo.percentile, warmup_frac)
    return SloCheck(rate, ttft, tpot, slo.met_by(ttft, tpot)), result


def _length_guess(step: StepModel, input_dist: LengthDist, output_dist: LengthDist,
                  scheduler: SchedulerConfig) -> float:
    """A rate near saturation [requests/s] to start the bracket from: full-batch decode
    throughput over the mean answer length (only a starting point for the search)."""
    batch = scheduler.max_batch
    ctx = input_dist.mean() + output_dist.mean() / 2
    step_s = float(np.asarray(step.time_s(0.0, 0.0, float(batch), batch * ctx)))
    return max(batch / step_s / output_dist.mean(), 1e-3)


def max_rate_at_slo(deployment: Deployment, traffic: Traffic, slo: Slo | None = None, *,
                    seed: int = 0, n_requests: int = 3000, warmup_frac: float = 0.1,
                    rel_tol: float = 0.02, step: StepModel | None = None,
                    progress: Progress | None = None,
                    core: Core = DEFAULT_CORE, stop_early: bool = False) -> CapacityResult:
    """Bisection on the arrival rate for the highest one meeting ``slo`` (see module doc;
    ``stop_early``: end failing probes early, the same rate).

    Raises :class:`SloUnreachableError` (with the best p-latencies found) when even a very
    light load misses the target. The result's latencies are those of the highest passing
    probe (kept, not simulated again).
    """
    slo = slo or Slo()
    step = step or deployment.step_model()
    checks: list[SloCheck] = []
    passed: list[tuple[SloCheck, SimResult]] = []  # the highest passing probe so far
    draws = traffic.draws(n_requests, np.random.default_rng(seed))  # the same at every rate

    def probe(rate: float, stop: bool = stop_early) -> SloCheck:
        check, result = _check(deployment, step, draws, slo, rate, n_requests, warmup_frac,
                               core, stop)
        checks.append(check)
        if check.meets:
            passed[:] = [(check, result)]
        if progress is not None:
            progress(len(checks), 0)
        return check

    guess = _length_guess(step, traffic.input_tokens, traffic.output_tokens,
                          deployment.scheduler) * deployment.instances
    lo, hi = 0.0, guess
    light = probe(guess * 0.01, stop=False)  # its latencies are the error's message
    if not light.meets:
        raise SloUnreachableError(
            f"SLO not reachable for {deployment.label()}: even at a light load "
            f"({light.rate_per_s:.3g} req/s) p{slo.percentile:g} TTFT is {light.ttft_s:.3g} s "
            f"(target {slo.ttft_s:g} s) and p{slo.percentile:g} TPOT is {light.tpot_s:.3g} s "
            f"(target {slo.tpot_s:g} s)", light.ttft_s, light.tpot_s)
    lo = light.rate_per_s
    while probe(hi).meets:
        lo, hi = hi, hi * 2.0
        if hi > guess * 1e6:
            raise SiliconomicsError(f"capacity search for {deployment.label()} found no "
                                    f"saturation up to {hi:.3g} req/s (internal error)")
    while (hi - lo) > rel_tol * hi:
        mid = 0.5 * (lo + hi)
        if probe(mid).meets:
            lo = mid
        else:
            hi = mid
    final, result = passed[0]
    out_tps = lo * float(np.mean(result.requests.output_tokens))
    chips = deployment.chips(step)
    return CapacityResult(deployment, slo, lo, out_tps, chips,
                          chip_hours_per_million_tokens(chips, out_tps), final.ttft_s,
                          final.tpot_s, result.step_error_frac, tuple(checks))


def replica_capacity_per_s(deployment: Deployment, traffic: Traffic, slo: Slo | None = None,
                           *, seed: int = 0, n_requests: int = 3000,
                           core: Core = DEFAULT_CORE) -> float:
    """:func:`max_rate_at_slo`'s rate [requests/s] through the fleet cache (its key: the
    same inputs as a fleet's plus ``kind``), so that with the disk layer (the command's
    default) a new process reuses it as it reuses fleets (a study's response surfaces). An
    unreachable SLO is raised, not stored."""
    from siliconomics.serving.fleet_cache import FLEETS, cache_mode

    slo = slo or Slo()
    mode = cache_mode()
    key = replica_capacity_key(deployment, traffic, slo, seed=seed, n_requests=n_requests)
    found = FLEETS.get(key, mode, lambda d: float(d["rate_per_s"]))
    if isinstance(found, float):
        return found
    rate = max_rate_at_slo(deployment, traffic, slo, seed=seed, n_requests=n_requests,
                           core=core, stop_early=True).rate_per_s
    store_replica_capacity(key, rate)
    return rate


def replica_capacity_key(deployment: Deployment, traffic: Traffic, slo: Slo, *, seed: int,
                         n_requests: int) -> str:
    """The fleet-cache key of :func:`replica_capacity_per_s`'s result."""
    from siliconomics.serving.fleet_cache import fleet_key

    return fleet_key(kind="replica_capacity_per_s", traffic=traffic, deployment=deployment,
                     slo=slo, seed=seed, n_requests=n_requests)


def store_replica_capacity(key: str, rate_per_s: float) -> None:
    """Put a capacity [requests/s] computed elsewhere (a worker process) in the cache."""
    from siliconomics.serving.fleet_cache import FLEETS, cache_mode

    FLEETS.put(key, float(rate_per_s), cache_mode(), lambda r: {"rate_per_s": r})


@dataclass(frozen=True)
class SearchResult:
    """Every configuration tried and the cheapest one meeting the SLO."""

    best: CapacityResult
    results: tuple[CapacityResult, ...]
    unreachable: tuple[str, ...]


def candidate_deployments(base: Deployment, tps: Sequence[int] = (1, 2, 4, 8),
                          max_batches: Sequence[int] = (64, 128, 256),
                          token_budgets: Sequence[int] = (2048, 8192),
                          modes: Sequence[str] = ("aggregated", "disaggregated"),
                          disagg_ratios: Sequence[tuple[int, int]] = ((1, 1), (1, 3)),
                          ) -> list[Deployment]:
    """The grid of deployment choices around ``base`` (same model, chip and dtypes)."""
    out: list[Deployment] = []
    for tp, batch, budget, mode in itertools.product(tps, max_batches, token_budgets, modes):
        sched = base.scheduler.model_copy(update={"max_batch": batch, "token_budget": budget})
        ratios = disagg_ratios if mode == "disaggregated" else ((1, 1),)
        for pre, dec in ratios:
            out.append(base.model_copy(update={
                "tp": tp, "scheduler": sched, "mode": mode,
                "prefill_instances": pre, "decode_instances": dec}))
    return out


@dataclass(frozen=True)
class _Outcome:
    """What one candidate's capacity search gave (picklable; errors travel as values)."""

    result: CapacityResult | None = None
    misfit: str | None = None
    unreachable: str | None = None
    ttft_s: float = math.inf
    tpot_s: float = math.inf


def _search_task(item: tuple[Deployment, Traffic, Slo, int, int, Core]) -> _Outcome:
    dep, traffic, slo, seed, n_requests, core = item
    try:
        return _Outcome(max_rate_at_slo(dep, traffic, slo, seed=seed, n_requests=n_requests,
                                        core=core))
    except DoesNotFitError as exc:
        return _Outcome(misfit=str(exc))
    except SloUnreachableError as exc:
        return _Outcome(unreachable=str(exc), ttft_s=exc.ttft_s, tpot_s=exc.tpot_s)


def search_deployments(candidates: Sequence[Deployment], traffic: Traffic,
                       slo: Slo | None = None, *, seed: int = 0, n_requests: int = 2000,
                       progress: Progress | None = None,
                       executor: MapExecutor | None = None,
                       core: Core = DEFAULT_CORE) -> SearchResult:
    """The candidate with the lowest chip-hours per million output tokens at the SLO.

    Candidates whose model does not fit are skipped; if none fits the last
    DoesNotFitError is raised; if none meets the SLO, :class:`SloUnreachableError` says so
    with the best latencies any of them reached. ``executor`` runs the candidates in
    parallel (see :mod:`executor`); the result does not depend on it.
    """
    slo = slo or Slo()
    outcomes = run_map(executor, _search_task,
                       [(dep, traffic, slo, seed, n_requests, core) for dep in candidates],
                       "deployment candidates", progress)
    results = [o.result for o in outcomes if o.result is not None]
    unreachable = [o.unreachable for o in outcomes if o.unreachable is not None]
    misfits = [o.misfit for o in outcomes if o.misfit is not None]
    misfit = DoesNotFitError(misfits[-1]) if misfits else None
    best_ttft = min((o.ttft_s for o in outcomes), default=math.inf)
    best_tpot = min((o.tpot_s for o in outcomes), default=math.inf)
    if not results:
        if misfit is not None and not unreachable:
            raise misfit
        raise SloUnreachableError(
            f"no configuration meets p{slo.percentile:g} TTFT <= {slo.ttft_s:g} s and TPOT <= "
            f"{slo.tpot_s:g} s; best achievable p{slo.percentile:g} at light load: TTFT "
            f"{best_ttft:.3g} s, TPOT {best_tpot:.3g} s ({len(unreachable)} configurations "
            f"tried)", best_ttft, best_tpot)
    best = min(results, key=lambda r: r.chip_hours_per_million_tokens)
    return SearchResult(best, tuple(results), tuple(unreachable))
