"""Capacity per chip from the serving layer: the fleet a scenario's traffic needs at its SLO.

Used by options whose capacity says ``{method: serving, ...}`` (and by custom chips that
reference a design). The chain is the one the rest of siliconomics uses, nothing is looked
up: the scenario's traffic -> :class:`~siliconomics.serving.Traffic` (users x queries, a
diurnal profile, prompt and answer lengths) -> for each tensor-parallel degree tried, a
:class:`~siliconomics.serving.Deployment` whose step times come from the performance layer
(``perf.iteration.iteration_model``) -> :func:`~siliconomics.serving.size_fleet` (replica
capacity at the SLO by bisection on the simulator, replicas for the peak hour with headroom)
-> the deployment with the fewest chips.

What the economics layer takes from the fleet::

    capacity_qps_per_chip = replica_capacity_per_s / chips_per_replica      (at the SLO)
    utilisation_frac      = mean_rate / (replicas x replica_capacity)       (peak, headroom)

so that ``chips = queries_per_day / 86400 / (capacity x utilisation)`` (the strategy's and
:func:`~siliconomics.economics.unit_cost.chips_for_demand`'s formula) gives back exactly the
fleet's chips at today's demand, and scales with demand as the years go by.

Uncertainty kept around the central values (both sourced in the scenario's ``serving:``
block): ``capacity_scale`` multiplies the capacity (the performance model's error on chips it
was not calibrated on), and the diurnal ``peak_to_mean`` range moves the utilisation as
``utilisation(ptm) = utilisation x ptm_central / ptm`` (replicas follow the peak hour).

Choice where the issue is silent (documented in docs/economics.md): the TP degrees tried are
the smallest power of two whose chips hold the weights and the next two doublings, within
the chip's scale-up domain and dividing the attention heads; the one with the fewest chips at
peak wins. This is the serving layer's deployment search restricted to TP (batch, token
budget and aggregated mode at the vLLM defaults), run through ``size_fleet`` directly because
the fleet, not a single replica's capacity, is what the economics needs. Fleets and the
response surface's replica capacities go through the serving layer's fleet cache (keyed by
everything that determines them; kept on disk across processes by the ``siliconomics``
command, see :mod:`siliconomics.serving.fleet_cache`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from siliconomics import catalog
from siliconomics.catalog.sourced import Range
from siliconomics.economics.defaults import SourcedRange
from siliconomics.economics.scenario import ServingSpec, TrafficSpec
from siliconomics.economics.spec_types import Leaf
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.calibration import Calibration
from siliconomics.perf.stacks import Stack
from siliconomics.resolve import resolve_accelerator
from siliconomics.serving import Deployment, FleetResult, Slo, Traffic, size_fleet
from siliconomics.serving.capacity import (
    max_rate_at_slo,
    replica_capacity_key,
    replica_capacity_per_s,
    store_replica_capacity,
)
from siliconomics.serving.executor import MapExecutor, run_map
from siliconomics.serving.traffic import LengthDist
from siliconomics.workload.params import parameter_counts

#: Log-space standard deviations of prompt and answer lengths, sigma = sqrt(2 ln(mean /
#: median)) of the Azure LLM inference trace 2023 (conversation; prompt median/mean
#: 1020/1155, answer 129/211 tokens; Microsoft AzurePublicDataset, Patel et al. "Splitwise",
#: ISCA 2024, CC BY 4.0), the same fit as ``serving.traffic.AZURE_CONV_*``.
AZURE_INPUT_SIGMA = math.sqrt(2.0 * math.log(1155.0 / 1020.0))
AZURE_OUTPUT_SIGMA = math.sqrt(2.0 * math.log(211.0 / 129.0))
#: Longest prompt or answer sampled [tokens] (clips the lognormal tail).
MAX_TOKENS = 8192

#: Bytes per weight element by dtype, to find the smallest TP that holds the weights.
_BYTES: dict[str, float] = {"fp4": 0.5, "int4": 0.5, "fp8": 1.0, "int8": 1.0, "bf16": 2.0,
                            "fp16": 2.0, "fp32": 4.0}


@dataclass(frozen=True)
class ServingSetup:
    """How a scenario's fleets are sized (the scenario's ``serving:`` block).

    ``slo``: the latency target (default the serving layer's: p99 TTFT 2 s, TPOT 0.1 s,
    issue 3); ``peak_to_mean``: busiest-hour rate over the daily mean (range, sourced);
    ``headroom_frac``: spare capacity above the peak (serving default 0.1);
    ``capacity_scale``: multiplier on the modelled capacity (range, sourced; 1 = as modelled);
    ``lengths``: ``lognormal`` (Azure-trace spread around the scenario's mean lengths) or
    ``fixed``; ``n_requests``, ``capacity_seeds``, ``sample_replicas``: simulation sizes;
    ``seed``: the fleet sizing's seed (reproducible).
    """

    slo: Slo
    peak_to_mean: SourcedRange
    headroom_frac: float
    capacity_scale: SourcedRange
    lengths: str
    n_requests: int
    capacity_seeds: int
    sample_replicas: int
    seed: int


DEFAULT_PEAK_TO_MEAN = SourcedRange(
    Range.point(1.5), "serving layer default (docs/serving.md): peak-hour / daily-mean rate "
    "1.5, an assumption (no public hourly ChatGPT curve)")
DEFAULT_CAPACITY_SCALE = SourcedRange(Range.point(1.0), "as modelled by the serving layer")


def setup_from_spec(spec: ServingSpec) -> ServingSetup:
    """The typed ``serving:`` block as the fleet sizing's settings (defaults filled in)."""
    slo = Slo() if spec.slo is None else Slo(ttft_s=spec.slo.ttft_s, tpot_s=spec.slo.tpot_s,
                                              percentile=spec.slo.percentile)

    def sourced(leaf: Leaf | None, default: SourcedRange) -> SourcedRange:
        return default if leaf is None else SourcedRange(leaf.range, leaf.source)

    return ServingSetup(
        slo=slo, peak_to_mean=sourced(spec.peak_to_mean, DEFAULT_PEAK_TO_MEAN),
        headroom_frac=0.1 if spec.headroom_frac is None else spec.headroom_frac.range.central,
        capacity_scale=sourced(spec.capacity_scale, DEFAULT_CAPACITY_SCALE),
        lengths=spec.lengths, n_requests=spec.n_requests, capacity_seeds=spec.capacity_seeds,
        sample_replicas=spec.sample_replicas, seed=spec.seed)


def _lengths(mean_tokens: float, sigma: float, kind: str) -> LengthDist:
    """A length distribution with the scenario's mean [tokens] (at least 1 token)."""
    mean = max(mean_tokens, 1.0)
    if kind == "fixed" or mean <= 1.0:
        return LengthDist(kind="fixed", median=round(mean), max_tokens=MAX_TOKENS)
    return LengthDist(kind="lognormal", median=mean / math.exp(0.5 * sigma**2), sigma=sigma,
                      max_tokens=MAX_TOKENS)


def serving_traffic(traffic: TrafficSpec, setup: ServingSetup,
                    input_tokens: float | None = None,
                    output_tokens: float | None = None) -> Traffic:
    """The serving layer's :class:`Traffic` for a scenario's central traffic (or other mean
    lengths, for the response surface).

    Mean prompt and answer lengths are the scenario's; their spread is the Azure trace's
    (lognormal) unless ``lengths: fixed``. A mean prompt below one token becomes one token
    (the simulator needs a prompt; SemiAnalysis count no prompt cost).
    """
    t = traffic
    tin = t.input_tokens_per_query.range.central if input_tokens is None else input_tokens
    tout = t.output_tokens_per_query.range.central if output_tokens is None else output_tokens
    return Traffic(
        daily_users=t.daily_users.range.central,
        queries_per_user_per_day=t.queries_per_user_per_day.range.central,
        peak_to_mean=setup.peak_to_mean.central,
        input_tokens=_lengths(tin, AZURE_INPUT_SIGMA, setup.lengths),
        output_tokens=_lengths(tout, AZURE_OUTPUT_SIGMA, setup.lengths),
    )


def default_weight_dtype(hardware: str) -> str:
    """The narrowest 8-bit format the chip's matrix units run (fp8, else int8, else bf16)."""
    peaks = resolve_accelerator(hardware).peak_flops_s
    return next((d for d in ("fp8", "int8") if d in peaks), "bf16")


def tp_candidates(model_id: str, hardware: str, weight_dtype: str, tries: int = 3) -> list[int]:
    """TP degrees to try [chips]: the smallest power of two whose memory holds the weights,
    then doublings, at most ``tries``, within the scale-up domain and dividing the heads."""
    chip = resolve_accelerator(hardware)
    arch = catalog.model(model_id)
    weights = parameter_counts(arch).total * _BYTES.get(weight_dtype, 2.0)
    tp = 1
    while tp * chip.memory_bytes < weights and tp < 4096:
        tp *= 2
    domain = max(chip.scaleup_domain_chips, 1)
    out: list[int] = []
    while len(out) < tries and tp <= max(domain, 1):
        if arch.q_heads % tp == 0:
            out.append(tp)
        tp *= 2
    return out


@lru_cache(maxsize=64)
def _fleet(traffic: Traffic, deployment: Deployment, setup: ServingSetup) -> FleetResult:
    return size_fleet(traffic, deployment, setup.slo, seed=setup.seed,
                      headroom_frac=setup.headroom_frac, capacity_seeds=setup.capacity_seeds,
                      sample_replicas=setup.sample_replicas, n_requests=setup.n_requests)


def _short_label(dep: Deployment) -> str:
    """The deployment's label with a design file shown by its name, not its path."""
    hw = dep.hardware
    return dep.label().replace(hw, Path(hw).stem) if "/" in hw else dep.label()


@dataclass(frozen=True)
class CapacitySurface:
    """Capacity per chip [queries/s] as a function of the mean prompt and answer lengths.

    Time per query on one chip is linear in the tokens around the central lengths (prefill
    work grows with the prompt, decode steps with the answer)::

        t(in, out) = t0 + s_in (in - in0) + s_out (out - out0),   capacity = 1 / t

    with ``t0`` = 1 / capacity at the central lengths and the slopes from the serving layer
    at the high end of each length range (or the FLOP count's proportionality, or 0 for an
    explicit capacity). ``t`` is floored at a tenth of ``t0``.
    """

    input_tokens0: float
    output_tokens0: float
    s_per_query0: float
    s_per_input_token: float
    s_per_output_token: float

    def ratio(self, input_tokens: Any, output_tokens: Any) -> Any:
        """Capacity at these lengths over capacity at the central lengths (vectorised)."""
        t = (self.s_per_query0 + self.s_per_input_token * (input_tokens - self.input_tokens0)
             + self.s_per_output_token * (output_tokens - self.output_tokens0))
        return self.s_per_query0 / np.maximum(t, 0.1 * self.s_per_query0)

    @classmethod
    def flat(cls, qps: float, traffic: TrafficSpec) -> CapacitySurface:
        return cls(traffic.input_tokens_per_query.range.central,
                   traffic.output_tokens_per_query.range.central, 1.0 / qps, 0.0, 0.0)

    @classmethod
    def proportional(cls, qps: float, traffic: TrafficSpec) -> CapacitySurface:
        """Time per query proportional to all its tokens (the FLOP count: 2N per token)."""
        tin = traffic.input_tokens_per_query.range.central
        tout = traffic.output_tokens_per_query.range.central
        per_token = 1.0 / qps / max(tin + tout, 1.0)
        return cls(tin, tout, 1.0 / qps, per_token, per_token)


@dataclass(frozen=True)
class ChosenFleet:
    """The fleet with the fewest chips over the TP degrees tried, and the capacity per chip
    and utilisation ranges the strategy samples (no response surface)."""

    fleet: FleetResult
    tried: tuple[tuple[int, int | None, str], ...]  # (tp, chips or None, note)
    capacity_qps_per_chip: SourcedRange
    utilisation_frac: SourcedRange

    @property
    def per_chip_qps(self) -> float:
        """Modelled capacity per chip at the SLO [queries/s] (before capacity_scale)."""
        return self.fleet.replica_capacity_per_s / self.fleet.chips_per_replica


@dataclass(frozen=True)
class ServedFleet(ChosenFleet):
    """The fleet chosen for one option and what the economics layer takes from it."""

    surface: CapacitySurface

    def summary(self) -> dict[str, Any]:
        """What the study's JSON shows about the fleet."""
        f = self.fleet
        return {
            "deployment": _short_label(f.deployment), "tp": f.deployment.tp,
            "weight_dtype": f.deployment.weight_dtype, "chips_per_replica": f.chips_per_replica,
            "replicas": f.replicas, "replicas_low": f.replicas_low,
            "replicas_high": f.replicas_high, "chips_at_peak": f.chips,
            "replica_capacity_per_s": f.replica_capacity_per_s,
            "peak_rate_per_s": f.peak_rate_per_s, "mean_rate_per_s": f.mean_rate_per_s,
            "headroom_frac": f.headroom_frac, "utilisation_frac": f.utilisation_frac,
            "chip_hours_per_day": f.chip_hours_per_day,
            "chip_hours_per_day_autoscaled": f.chip_hours_per_day_autoscaled,
            "output_tokens_s_per_chip": f.output_tokens_s_per_chip,
            "slo": f.slo.model_dump(mode="json"),
            "sample_ttft_p99_s": f.sample_ttft_p99_s[0],
            "sample_tpot_p99_s": f.sample_tpot_p99_s[0],
            "sample_slo_met_frac": f.sample_slo_met_frac,
            "tp_tried": [{"tp": tp, "chips": chips, "note": note}
                         for tp, chips, note in self.tried],
        }


def _deployment(model_id: str, hardware: str, tp: int, weight_dtype: str, kv_dtype: str,
                stack: Stack | None, calibration: Calibration | None) -> Deployment:
    extra: dict[str, Any] = {} if stack is None else {"stack": stack}
    if calibration is not None:
        extra["calibration"] = calibration
    return Deployment(model=model_id, hardware=hardware, tp=tp, weight_dtype=weight_dtype,
                      kv_dtype=kv_dtype, **extra)


@dataclass(frozen=True)
class FleetRequest:
    """One sizing question besides the scenario's model and traffic: the serving fleet on
    ``hardware`` with these dtypes (None: the defaults), TP degrees (None: every one that
    fits), stack and calibration, and its response surface too (``surface``, what
    :func:`served_fleet` adds to :func:`chosen_fleet`). The resolver asks it, and
    :func:`prefetch` asks the same questions in advance."""

    hardware: str
    weight_dtype: str | None = None
    kv_dtype: str | None = None
    tps: tuple[int, ...] | None = None
    stack: Stack | None = None
    calibration: Calibration | None = None
    surface: bool = True

    def candidates(self, model_id: str) -> tuple[str, str, list[int]]:
        """Weight and KV dtypes and the TP degrees to size (:func:`chosen_fleet`'s and
        :func:`prefetch`'s one reading of the request)."""
        wd = self.weight_dtype or default_weight_dtype(self.hardware)
        return wd, self.kv_dtype or wd, (list(self.tps) if self.tps
                                         else tp_candidates(model_id, self.hardware, wd))


def chosen_fleet(model_id: str, request: FleetRequest, traffic: TrafficSpec,
                 setup: ServingSetup, where: str) -> ChosenFleet:
    """Size the fleet for the scenario's traffic on the request's hardware at each TP degree
    and keep the one with the fewest chips (module doc), with the capacity per chip
    [queries/s] and utilisation ranges the strategy samples."""
    hardware = request.hardware
    wd, kd, candidates = request.candidates(model_id)
    if not candidates:
        raise SiliconomicsError(
            f"{where}.capacity: no tensor-parallel degree of {hardware} holds {model_id} in "
            f"{wd} within its scale-up domain and dividing its heads; give tp: [..] or use "
            f"capacity method 'flops' or 'explicit'")
    tr = serving_traffic(traffic, setup)
    best: FleetResult | None = None
    tried: list[tuple[int, int | None, str]] = []
    for tp in candidates:
        try:
            dep = _deployment(model_id, hardware, tp, wd, kd, request.stack,
                              request.calibration)
            fleet = _fleet(tr, dep, setup)
        except SiliconomicsError as exc:  # does not fit, SLO unreachable: try the next TP
            tried.append((tp, None, str(exc).split(";")[0][:160]))
            continue
        except ValueError as exc:  # a bad stack name etc. from the deployment model
            raise SiliconomicsError(f"{where}: {str(exc).splitlines()[0]}") from None
        tried.append((tp, fleet.chips, "ok"))
        if best is None or fleet.chips < best.chips:
            best = fleet
    if best is None:
        notes = "; ".join(f"tp {tp}: {note}" for tp, _, note in tried)
        raise SiliconomicsError(f"{where}.capacity: the serving layer found no deployment of "
                                f"{model_id} on {hardware} meeting the SLO ({notes})")
    per_chip = best.replica_capacity_per_s / best.chips_per_replica
    label = _short_label(best.deployment)
    cap = SourcedRange(
        setup.capacity_scale.range.scaled(per_chip),
        f"serving layer: {label}, capacity {best.replica_capacity_per_s:.3g} req/s per replica "
        f"at p{best.slo.percentile:g} TTFT <= {best.slo.ttft_s:g} s / TPOT <= "
        f"{best.slo.tpot_s:g} s; x capacity_scale ({setup.capacity_scale.source})")
    ptm = setup.peak_to_mean.range
    u = best.utilisation_frac
    util = SourcedRange(
        Range(low=min(u * ptm.central / ptm.high, u), central=u,
              high=max(min(u * ptm.central / ptm.low, 1.0), u)),  # no rounding inversion
        f"serving layer fleet: mean / capacity of {best.replicas} replicas sized for the peak "
        f"hour (peak/mean {ptm.central:g}, headroom {best.headroom_frac:g}); range from "
        f"peak/mean {ptm.low:g}-{ptm.high:g} ({setup.peak_to_mean.source})")
    return ChosenFleet(best, tuple(tried), cap, util)


def served_fleet(model_id: str, request: FleetRequest, traffic: TrafficSpec,
                 setup: ServingSetup, where: str) -> ServedFleet:
    """:func:`chosen_fleet` plus its response surface over the token lengths
    (:class:`CapacitySurface`, two more capacity bisections)."""
    c = chosen_fleet(model_id, request, traffic, setup, where)
    surface = _surface(c.fleet, traffic, setup, c.per_chip_qps)
    return ServedFleet(c.fleet, c.tried, c.capacity_qps_per_chip, c.utilisation_frac, surface)


def prefetch(model_id: str, requests: list[FleetRequest], traffic: TrafficSpec,
             setup: ServingSetup, executor: MapExecutor) -> None:
    """Size, through ``executor`` (worker processes), every fleet the requests will ask for
    and then the response-surface capacities of those that need one, into the fleet cache;
    :func:`chosen_fleet` / :func:`served_fleet` then find them there. An optimisation only:
    the results are the same numbers (each sizing carries its seeds), and anything missing
    or failed here is sized, or reported, when asked. Nothing to do with the cache off."""
    from siliconomics.serving.fleet import FleetJob, prefetch_fleets
    from siliconomics.serving.fleet_cache import FLEETS, cache_mode

    if cache_mode() == "off" or not requests:
        return
    from siliconomics.serving import compiled

    compiled.warm_up()  # workers forked from here inherit the loaded core
    tr = serving_traffic(traffic, setup)
    jobs: list[FleetJob] = []
    for req in requests:
        try:
            wd, kd, tps = req.candidates(model_id)
            jobs += [FleetJob(tr, _deployment(model_id, req.hardware, tp, wd, kd, req.stack,
                                              req.calibration),
                              setup.slo, setup.seed, setup.headroom_frac, setup.capacity_seeds,
                              setup.sample_replicas, setup.n_requests) for tp in tps]
        except (SiliconomicsError, ValueError):
            continue  # reported when asked
    prefetch_fleets(jobs, executor)
    todo: dict[str, tuple[Deployment, Traffic, Slo, int, int]] = {}
    for req in requests:
        if not req.surface:
            continue
        try:
            best = chosen_fleet(model_id, req, traffic, setup, "prefetch").fleet
        except SiliconomicsError:
            continue
        for name in ("in", "out"):
            t = _surface_traffic(traffic, setup, name)
            if t is None:
                continue
            key = replica_capacity_key(best.deployment, t, setup.slo, seed=setup.seed,
                                       n_requests=setup.n_requests)
            if key not in todo and FLEETS.get(key, cache_mode(), lambda d: d) is None:
                todo[key] = (best.deployment, t, setup.slo, setup.seed, setup.n_requests)
    rates = run_map(executor, _capacity_or_none, list(todo.values()), "response surfaces")
    for key, rate in zip(todo, rates, strict=True):
        if rate is not None:
            store_replica_capacity(key, rate)


def _capacity_or_none(item: tuple[Deployment, Traffic, Slo, int, int]) -> float | None:
    deployment, traffic, slo, seed, n_requests = item
    try:
        return max_rate_at_slo(deployment, traffic, slo, seed=seed, n_requests=n_requests,
                               stop_early=True).rate_per_s
    except (SiliconomicsError, ValueError):
        return None


def _replica_capacity(traffic: Traffic, deployment: Deployment, setup: ServingSetup) -> float:
    return replica_capacity_per_s(deployment, traffic, setup.slo, seed=setup.seed,
                                  n_requests=setup.n_requests)


def _surface_traffic(traffic: TrafficSpec, setup: ServingSetup, name: str) -> Traffic | None:
    """The serving traffic at the high end of the prompt (``in``) or answer (``out``)
    length range, or None when that end is not above the central length (no slope)."""
    lo_hi = (traffic.input_tokens_per_query if name == "in"
             else traffic.output_tokens_per_query).range
    if lo_hi.high <= lo_hi.central:
        return None
    kwargs = {"input_tokens": lo_hi.high} if name == "in" else {"output_tokens": lo_hi.high}
    return serving_traffic(traffic, setup, **kwargs)


def _surface(best: FleetResult, traffic: TrafficSpec, setup: ServingSetup,
             per_chip: float) -> CapacitySurface:
    """The response surface (:class:`CapacitySurface`): the chosen deployment's replica
    capacity at the high end of each length range, one bisection each (no fleet sizing)."""
    tin0 = traffic.input_tokens_per_query.range.central
    tout0 = traffic.output_tokens_per_query.range.central
    t0 = 1.0 / per_chip
    slopes = []
    for name, lo_hi in (("in", traffic.input_tokens_per_query.range),
                        ("out", traffic.output_tokens_per_query.range)):
        center = tin0 if name == "in" else tout0
        tr = _surface_traffic(traffic, setup, name)
        if tr is None:
            slopes.append(0.0)
            continue
        try:
            rate = _replica_capacity(tr, best.deployment, setup)
        except SiliconomicsError:  # the SLO fails at the longest lengths: a steep slope
            rate = best.replica_capacity_per_s * center / lo_hi.high * 0.5
        t_hi = best.chips_per_replica / max(rate, 1e-12)
        slopes.append((t_hi - t0) / (lo_hi.high - center))
    return CapacitySurface(tin0, tout0, t0, slopes[0], slopes[1])
