"""The strategy Monte Carlo: sample every uncertain input, evaluate all options at once,
and summarise: NPV distributions, probability each option is best, break-even demand and a
tornado of the inputs that move the decision most.

Seeded and vectorised: one :class:`numpy.random.Generator` from the seed draws every range
(in the sorted order of their names, so adding an option does not reshuffle the others) and
the uniform event draws of each custom-chip program; draws are evaluated in chunks with the
same generator state, so the result depends only on (scenario, draws, seed).

The deterministic calculation (:func:`deterministic`) takes every input at its central value
and the expectation over the discrete events (first-pass success, respin, failure)
enumerated exactly; a Monte Carlo whose ranges are all points draws only the events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from siliconomics.economics.distributions import SAMPLERS
from siliconomics.economics.strategy import (
    CUSTOM_TYPES,
    OptionPaths,
    StrategyModel,
    evaluate,
    present_value,
)
from siliconomics.economics.tco import FloatArray

Progress = Callable[[int], None]


def sample_inputs(model: StrategyModel, n: int, rng: np.random.Generator,
                  distribution: str = "pert") -> dict[str, FloatArray]:
    """``n`` draws of every uncertain input, by global name."""
    sampler = SAMPLERS[distribution]
    return {name: sampler(rng, model.ranges[name].range, n) for name in sorted(model.ranges)}


def sample_events(model: StrategyModel, n: int, rng: np.random.Generator) -> dict[str, FloatArray]:
    """Uniform draws (N, 2) deciding first-pass and respin success of each custom program."""
    return {o.id: rng.random((n, 2)) for o in model.options if o.type in CUSTOM_TYPES}


@dataclass(frozen=True)
class StrategyResult:
    """Monte Carlo outcome: NPV [USD] per option and draw, and the summaries."""

    option_ids: tuple[str, ...]
    npv_usd: dict[str, FloatArray]
    prob_best: dict[str, float]
    recommended: str
    draws: int
    seed: int
    mean_chips: dict[str, tuple[FloatArray, FloatArray]]  # (gpu, custom) mean per quarter
    mean_costs: dict[str, dict[str, FloatArray]]  # category -> mean USD per quarter
    custom_success_frac: dict[str, float]

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for k in self.option_ids:
            v = self.npv_usd[k]
            out[k] = {
                "npv_mean_usd": float(v.mean()),
                "npv_p05_usd": float(np.percentile(v, 5)),
                "npv_p50_usd": float(np.percentile(v, 50)),
                "npv_p95_usd": float(np.percentile(v, 95)),
                "prob_best": self.prob_best[k],
            }
        return out


def _accumulate(acc: dict[str, dict[str, FloatArray]], paths: dict[str, OptionPaths]) -> None:
    for k, v in paths.items():
        slot = acc.setdefault(k, {})
        for cat, arr in v.costs.items():
            slot[cat] = slot.get(cat, 0.0) + arr.sum(axis=0)
        slot["__gpu"] = slot.get("__gpu", 0.0) + v.gpu_chips.sum(axis=0)
        slot["__custom"] = slot.get("__custom", 0.0) + v.custom_chips.sum(axis=0)
        if v.arrival_quarter.size:
            ok = np.isfinite(v.arrival_quarter).sum()
            slot["__success"] = slot.get("__success", 0.0) + np.array([float(ok)])


def run_monte_carlo(model: StrategyModel, draws: int = 10_000, seed: int = 0,
                    chunk: int = 5_000, progress: Progress | None = None,
                    distribution: str = "pert") -> StrategyResult:
    """Sample ``draws`` input sets, evaluate every option, and summarise."""
    if draws < 1:
        from siliconomics.errors import SiliconomicsError

        raise SiliconomicsError(f"draws={draws} must be >= 1")
    rng = np.random.default_rng(seed)
    p = sample_inputs(model, draws, rng, distribution)
    ev = sample_events(model, draws, rng)
    npv: dict[str, list[FloatArray]] = {o.id: [] for o in model.options}
    acc: dict[str, dict[str, FloatArray]] = {}
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        p_c = {k: v[start:stop] for k, v in p.items()}
        ev_c = {k: v[start:stop] for k, v in ev.items()}
        paths = evaluate(model, p_c, ev_c)
        pv = present_value(model, p_c, paths)
        for k, v in pv.items():
            npv[k].append(-v)
        _accumulate(acc, paths)
        if progress is not None:
            progress(stop - start)
    npv_all = {k: np.concatenate(v) for k, v in npv.items()}
    ids = tuple(o.id for o in model.options)
    stacked = np.vstack([npv_all[k] for k in ids])
    best = np.argmax(stacked, axis=0)
    prob = {k: float(np.mean(best == i)) for i, k in enumerate(ids)}
    means = {k: float(npv_all[k].mean()) for k in ids}
    recommended = max(ids, key=lambda k: (prob[k], means[k]))
    mean_costs = {k: {c: v / draws for c, v in slot.items() if not c.startswith("__")}
                  for k, slot in acc.items()}
    mean_chips = {k: (slot["__gpu"] / draws, slot["__custom"] / draws) for k, slot in acc.items()}
    success = {k: float(slot["__success"][0] / draws) for k, slot in acc.items()
               if "__success" in slot}
    return StrategyResult(ids, npv_all, prob, recommended, draws, seed, mean_chips, mean_costs,
                          success)


def _event_rows(model: StrategyModel, p: dict[str, FloatArray], m: int
                ) -> tuple[dict[str, FloatArray], dict[str, FloatArray], dict[str, FloatArray]]:
    """Repeat ``m`` input sets three times with the three event outcomes of each custom
    program, and the weight of each row for the expectation.

    Rows (first pass ok), (respin ok), (program fails): u = (0, 0), (1, 0), (1, 1) with
    weights p1, (1 - p1) p2, (1 - p1)(1 - p2). Options do not share events, so each option's
    expected cost only needs its own three rows.
    """
    rep = {k: np.tile(np.broadcast_to(v, (m,)), 3) for k, v in p.items()}
    outcomes = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), m, axis=0)
    events: dict[str, FloatArray] = {}
    weights: dict[str, FloatArray] = {}
    for o in model.options:
        if o.type not in CUSTOM_TYPES:
            weights[o.id] = np.concatenate([np.ones(m), np.zeros(2 * m)])
            continue
        p1 = np.broadcast_to(p[o.key("p_first_pass")], (m,))
        p2 = np.broadcast_to(p[o.key("p_respin_success")], (m,))
        events[o.id] = outcomes
        weights[o.id] = np.concatenate([p1, (1 - p1) * p2, (1 - p1) * (1 - p2)])
    return rep, events, weights


def expected_npv(model: StrategyModel, p: dict[str, FloatArray],
                 demand_scale: FloatArray | float = 1.0) -> dict[str, FloatArray]:
    """NPV [USD] of each option for ``m`` input sets, exact expectation over chip events."""
    m = int(max(np.size(v) for v in p.values()))
    rep, events, weights = _event_rows(model, p, m)
    scale = np.tile(np.broadcast_to(np.asarray(demand_scale, float), (m,)), 3)
    paths = evaluate(model, rep, events, scale)
    pv = present_value(model, rep, paths)
    return {k: -(v * weights[k]).reshape(3, m).sum(axis=0) for k, v in pv.items()}


def deterministic(model: StrategyModel) -> dict[str, float]:
    """NPV [USD] of each option at the central inputs (expected over chip events)."""
    return {k: float(v[0]) for k, v in expected_npv(model, model.central()).items()}


@dataclass(frozen=True)
class TornadoBar:
    """How far an input moves the decision metric between its low and high value [USD]."""

    name: str
    low_value: float
    high_value: float
    metric_at_low_usd: float
    metric_at_high_usd: float
    source: str

    @property
    def swing_usd(self) -> float:
        return abs(self.metric_at_high_usd - self.metric_at_low_usd)


def tornado(model: StrategyModel, option_a: str, option_b: str, top: int = 12
            ) -> tuple[float, list[TornadoBar]]:
    """Sensitivity of ``NPV(a) - NPV(b)`` to each uncertain input, one at a time (others
    central, events at their expectation); bars sorted by swing, largest first."""
    names = [k for k in sorted(model.ranges) if not model.ranges[k].range.is_point]
    central = model.central()
    m = 1 + 2 * len(names)
    p = {k: np.repeat(v, m) for k, v in central.items()}
    for i, name in enumerate(names):
        p[name][1 + 2 * i] = model.ranges[name].range.low
        p[name][2 + 2 * i] = model.ranges[name].range.high
    npv = expected_npv(model, p)
    metric = npv[option_a] - npv[option_b]
    bars = [
        TornadoBar(name, model.ranges[name].range.low, model.ranges[name].range.high,
                   float(metric[1 + 2 * i]), float(metric[2 + 2 * i]),
                   model.ranges[name].source)
        for i, name in enumerate(names)
    ]
    bars.sort(key=lambda b: b.swing_usd, reverse=True)
    return float(metric[0]), bars[:top]


@dataclass(frozen=True)
class BreakEven:
    """Demand [queries/day at the start] where the best custom option's expected NPV equals
    the best merchant option's; ``None`` when it does not cross within the searched span."""

    custom_option: str
    merchant_option: str
    queries_per_day: float | None
    scale: float | None
    searched: tuple[float, float]


def break_even_demand(model: StrategyModel, span: tuple[float, float] = (1e-3, 1e3),
                      points: int = 121) -> BreakEven | None:
    """Demand at which building (the best custom option) breaks even with buying/renting.

    Evaluates the central inputs on a log grid of demand multipliers in one vectorised call
    and interpolates the crossing of ``NPV(custom) - max NPV(merchant)`` (log scale).
    """
    if not model.custom_ids or not model.merchant_ids:
        return None
    scales = np.logspace(np.log10(span[0]), np.log10(span[1]), points)
    p = {k: np.repeat(v, points) for k, v in model.central().items()}
    npv = expected_npv(model, p, scales)
    at_one = deterministic(model)
    custom = max(model.custom_ids, key=lambda k: at_one[k])
    merchant_best = np.max(np.vstack([npv[k] for k in model.merchant_ids]), axis=0)
    merchant = max(model.merchant_ids, key=lambda k: at_one[k])
    gap = npv[custom] - merchant_best
    cross = np.nonzero(np.diff(np.sign(gap)) > 0)[0]
    d0 = model.queries_per_day
    if cross.size == 0:
        return BreakEven(custom, merchant, None, None, (span[0] * d0, span[1] * d0))
    i = int(cross[0])
    x0, x1 = np.log10(scales[i]), np.log10(scales[i + 1])
    g0, g1 = gap[i], gap[i + 1]
    x = x0 + (x1 - x0) * (-g0) / (g1 - g0)
    scale = float(10**x)
    return BreakEven(custom, merchant, scale * d0, scale, (span[0] * d0, span[1] * d0))
