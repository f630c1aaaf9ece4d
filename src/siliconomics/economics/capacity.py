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
the fleet, not a single replica's capacity, is what the economics needs. Fleets are cached
per (model, chip, dtypes, traffic, SLO, sizing) within a process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from siliconomics import catalog
from siliconomics.catalog.sourced import Range
from siliconomics.economics.defaults import SourcedRange, parse_sourced_ranges
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.resolve import resolve_accelerator
from siliconomics.serving import Deployment, FleetResult, Slo, Traffic, size_fleet
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
_INT_FIELDS = {"n_requests": (1500, 200), "capacity_seeds": (2, 1), "sample_replicas": (1, 0),
               "seed": (0, 0)}


def parse_serving_setup(block: Any, where: str) -> ServingSetup:
    """The ``serving:`` block of a scenario (every field optional; one-line errors)."""
    if block is None:
        block = {}
    if not isinstance(block, dict):
        raise CatalogError(f"{where}: expected a mapping, got {type(block).__name__}")
    known = {"slo", "peak_to_mean", "headroom_frac", "capacity_scale", "lengths",
             *_INT_FIELDS}
    extra = sorted(set(block) - known)
    if extra:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(extra)}; allowed: "
                           f"{', '.join(sorted(known))}")
    slo_raw = block.get("slo") or {}
    if not isinstance(slo_raw, dict):
        raise CatalogError(f"{where}.slo: expected a mapping with ttft_s, tpot_s, percentile")
    if slo_raw and "source" not in slo_raw:
        raise CatalogError(f"{where}.slo: missing 'source'")
    try:
        slo = Slo(**{k: v for k, v in slo_raw.items() if k != "source"})
    except ValueError as exc:
        first = str(exc).splitlines()
        raise CatalogError(f"{where}.slo: {' '.join(first[:3])}") from None
    ranges = parse_sourced_ranges(
        {k: block[k] for k in ("peak_to_mean", "headroom_frac", "capacity_scale") if k in block},
        where)
    ptm = ranges.get("peak_to_mean", DEFAULT_PEAK_TO_MEAN)
    if ptm.range.low < 1.0 or ptm.range.high >= 2.0:
        raise CatalogError(f"{where}.peak_to_mean: must be in [1, 2) (a cosine diurnal "
                           f"profile), got {ptm.range.low}..{ptm.range.high}")
    scale = ranges.get("capacity_scale", DEFAULT_CAPACITY_SCALE)
    if scale.range.low <= 0:
        raise CatalogError(f"{where}.capacity_scale: must be > 0, got {scale.range.low}")
    headroom = ranges["headroom_frac"].central if "headroom_frac" in ranges else 0.1
    if not 0.0 <= headroom < 1.0:
        raise CatalogError(f"{where}.headroom_frac: must be in [0, 1), got {headroom}")
    lengths = str(block.get("lengths", "lognormal"))
    if lengths not in ("lognormal", "fixed"):
        raise CatalogError(f"{where}.lengths: must be 'lognormal' or 'fixed', got {lengths!r}")
    ints: dict[str, int] = {}
    for name, (default, low) in _INT_FIELDS.items():
        value = block.get(name, default)
        if not isinstance(value, int) or value < low:
            raise CatalogError(f"{where}.{name}: must be an integer >= {low}, got {value!r}")
        ints[name] = value
    return ServingSetup(slo=slo, peak_to_mean=ptm, headroom_frac=headroom,
                        capacity_scale=scale, lengths=lengths, **ints)


def _lengths(mean_tokens: float, sigma: float, kind: str) -> LengthDist:
    """A length distribution with the scenario's mean [tokens] (at least 1 token)."""
    mean = max(mean_tokens, 1.0)
    if kind == "fixed" or mean <= 1.0:
        return LengthDist(kind="fixed", median=round(mean), max_tokens=MAX_TOKENS)
    return LengthDist(kind="lognormal", median=mean / math.exp(0.5 * sigma**2), sigma=sigma,
                      max_tokens=MAX_TOKENS)


def serving_traffic(traffic: dict[str, SourcedRange], setup: ServingSetup) -> Traffic:
    """The serving layer's :class:`Traffic` for a scenario's central traffic.

    Mean prompt and answer lengths are the scenario's; their spread is the Azure trace's
    (lognormal) unless ``lengths: fixed``. A mean prompt below one token becomes one token
    (the simulator needs a prompt; SemiAnalysis count no prompt cost).
    """
    t = traffic
    return Traffic(
        daily_users=t["daily_users"].central,
        queries_per_user_per_day=t["queries_per_user_per_day"].central,
        peak_to_mean=setup.peak_to_mean.central,
        input_tokens=_lengths(t["input_tokens_per_query"].central, AZURE_INPUT_SIGMA,
                              setup.lengths),
        output_tokens=_lengths(t["output_tokens_per_query"].central, AZURE_OUTPUT_SIGMA,
                               setup.lengths),
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
class ServedFleet:
    """The fleet chosen for one option and what the economics layer takes from it."""

    fleet: FleetResult
    tried: tuple[tuple[int, int | None, str], ...]  # (tp, chips or None, note)
    capacity_qps_per_chip: SourcedRange
    utilisation_frac: SourcedRange

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


def served_fleet(model_id: str, hardware: str, traffic: dict[str, SourcedRange],
                 setup: ServingSetup, where: str, weight_dtype: str | None = None,
                 kv_dtype: str | None = None, tps: list[int] | None = None) -> ServedFleet:
    """Size the fleet for the scenario's traffic on ``hardware`` (module doc) and derive the
    capacity per chip [queries/s] and utilisation ranges the strategy samples."""
    wd = weight_dtype or default_weight_dtype(hardware)
    kd = kv_dtype or wd
    candidates = tps or tp_candidates(model_id, hardware, wd)
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
            dep = Deployment(model=model_id, hardware=hardware, tp=tp, weight_dtype=wd,
                             kv_dtype=kd)
            fleet = _fleet(tr, dep, setup)
        except SiliconomicsError as exc:  # does not fit, SLO unreachable: try the next TP
            tried.append((tp, None, str(exc).split(";")[0][:160]))
            continue
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
        Range(low=u * ptm.central / ptm.high, central=u, high=min(u * ptm.central / ptm.low, 1.0)),
        f"serving layer fleet: mean / capacity of {best.replicas} replicas sized for the peak "
        f"hour (peak/mean {ptm.central:g}, headroom {best.headroom_frac:g}); range from "
        f"peak/mean {ptm.low:g}-{ptm.high:g} ({setup.peak_to_mean.source})")
    return ServedFleet(best, tuple(tried), cap, util)


def serving_capacity(cfg: dict[str, Any], hardware: str, model_id: str,
                     traffic: dict[str, SourcedRange], setup: ServingSetup,
                     where: str) -> ServedFleet:
    """The ``capacity: {method: serving, weight_dtype:, kv_dtype:, tp: [..]}`` of an option."""
    allowed = {"method", "weight_dtype", "kv_dtype", "tp"}
    extra = sorted(set(cfg) - allowed)
    if extra:
        raise CatalogError(f"{where}.capacity: unknown field(s) {', '.join(extra)} for method "
                           f"'serving'; allowed: {', '.join(sorted(allowed))}")
    tps = cfg.get("tp")
    if tps is not None and (not isinstance(tps, list) or not tps
                            or not all(isinstance(x, int) and x >= 1 for x in tps)):
        raise CatalogError(f"{where}.capacity.tp: expected a list of integers >= 1, got {tps!r}")
    for key in ("weight_dtype", "kv_dtype"):
        if key in cfg and str(cfg[key]) not in _BYTES:
            raise CatalogError(f"{where}.capacity.{key}: must be one of "
                               f"{', '.join(sorted(_BYTES))}, got {cfg[key]!r}")
    wd = str(cfg["weight_dtype"]) if "weight_dtype" in cfg else None
    kd = str(cfg["kv_dtype"]) if "kv_dtype" in cfg else None
    return served_fleet(model_id, hardware, traffic, setup, where, wd, kd, tps)
