"""The strategy Monte Carlo: sample every uncertain input, evaluate all options at once,
and summarise: NPV distributions, probability each option is best, levelised cost, fleet by
vintage, break-even demand and horizon per custom option, and a tornado.

Seeded, vectorised and sampled per block: block ``b`` of :data:`BLOCK` draws has its own
generator, seeded by ``(seed, b)``, and every uncertain input and every custom programme's
event draws read their own stream of it (:class:`Streams`: the block's generator advanced
by an offset fixed by the input's name). So each input's draws depend only on (seed, block,
its name, its range): widening one range, or adding an input, leaves every other input's
draws as they were (common random numbers), and two versions of a scenario differ only by
what was changed, not by a reshuffled sample. :data:`EVALUATED_TOGETHER`
consecutive blocks make one self-contained item (:class:`Blocks` -> :func:`run_blocks` ->
one :class:`BlockSums` per block) that any executor of :mod:`siliconomics.explore.executors`
can run (``threads`` shares this process's memory; each option is one ``nogil`` compiled
pass over the draws, :mod:`siliconomics.economics.option_compiled`); items are handed out a
few at a time and the blocks' sums added in block order, so memory stays flat in the number
of draws and the result depends only on (scenario, draws, seed, block), never on the
executor, its workers or how many blocks are evaluated together.

Measured and where the time goes: ``docs/economics.md`` (``benchmarks/bench_economics.py
--million``).

The deterministic calculation (:func:`deterministic`) takes every input at its central value
and the expectation over the discrete events (first-pass success, respin, failure)
enumerated exactly; a Monte Carlo whose ranges are all points draws only the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from siliconomics.economics.distributions import SAMPLERS
from siliconomics.economics.strategy import (
    CustomProgram,
    PricedOption,
    StrategyModel,
    evaluate_each,
    npv_by_horizon,
)
from siliconomics.economics.tco import FloatArray
from siliconomics.errors import SiliconomicsError
from siliconomics.serving.executor import MapExecutor, run_map

Progress = Callable[[int], None]
#: Draws per sampling block. Part of the seeding (block ``b`` draws from its
#: :class:`Streams`, seeded by ``(seed, b)``): changing it changes the random stream. Small enough that a
#: block's (draws x quarters) arrays stay near the core (1024 x 32 x 8 B = 256 kB each) and
#: one block in flight per thread holds about 15 MB.
BLOCK = 1024
#: Blocks handed to the executor at a time: bounds the memory of block results not yet
#: added (64 x ~100 kB), while giving every worker many blocks (a worker idles only at the
#: end of a wave, waiting for the others).
WAVE_BLOCKS = 64
#: Consecutive blocks sampled one by one but evaluated as one set of draws: the Python
#: between an option's compiled passes (looking up inputs, small NumPy steps), which holds
#: the interpreter's lock, is paid once for them, so threads wait less on each other. Sums
#: over draws stay per block, so the result does not depend on it.
EVALUATED_TOGETHER = 4
#: Most draws ``run_monte_carlo`` accepts (memory of the NPV arrays: 8 bytes x options).
MAX_DRAWS = 5_000_000


class Streams:
    """The random streams of one sampling block: one generator seeded by ``(seed, block)``
    (``default_rng([seed, block])``'s bit generator), restarted and advanced for each
    ``key`` by ``hash(key) · 2^64`` steps (a 64-bit BLAKE2b hash of the key), so every key
    reads its own stretch of the 2^128-long PCG64 sequence whatever else is drawn. Two keys
    share a stream only if their hashes collide (about one in 2^64 per pair)."""

    def __init__(self, seed: int, block: int) -> None:
        self._bits = np.random.PCG64(np.random.SeedSequence([seed, block]))
        self._start = self._bits.state
        self._generator = np.random.Generator(self._bits)

    def __call__(self, key: str) -> np.random.Generator:
        """The block's generator, at the start of ``key``'s stream."""
        self._bits.state = self._start
        self._bits.advance(_offset(key))
        return self._generator


@lru_cache(maxsize=4096)
def _offset(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") << 64


def sample_inputs(model: StrategyModel, n: int, streams: Streams,
                  distribution: str = "pert") -> dict[str, FloatArray]:
    """``n`` draws of every uncertain input, by global name, each from its own stream."""
    sampler = SAMPLERS[distribution]
    return {name: sampler(streams(f"input:{name}"), model.ranges[name].range, n)
            for name in sorted(model.ranges)}


def sample_events(model: StrategyModel, n: int, streams: Streams) -> dict[str, FloatArray]:
    """Uniform draws (N, 2) deciding first-pass and respin success of each custom
    programme, each from its own stream."""
    return {o.id: streams(f"events:{o.id}").random((n, 2)) for o in model.options if o.custom}


@dataclass(frozen=True)
class StrategyResult:
    """Monte Carlo outcome.

    ``npv_usd``: NPV [USD] per option and draw; ``levelised_usd_per_query``: per option and
    draw, PV of costs / PV of queries served; ``mean_chips``: per option (owned GPUs + rented,
    custom chips) mean per quarter; ``fleet_by_vintage``: per option, mean chips installed per
    generation per quarter (plus ``rented``); ``mean_costs``: per option, category -> mean
    USD per quarter; ``unserved_queries``: per option, mean unserved queries per quarter;
    ``custom_success_frac``: share of draws where the programme delivered a chip.
    """

    option_ids: tuple[str, ...]
    npv_usd: dict[str, FloatArray]
    levelised_usd_per_query: dict[str, FloatArray]
    prob_best: dict[str, float]
    recommended: str
    draws: int
    seed: int
    mean_chips: dict[str, tuple[FloatArray, FloatArray]]
    fleet_by_vintage: dict[str, dict[str, FloatArray]]
    mean_costs: dict[str, dict[str, FloatArray]]
    unserved_queries: dict[str, FloatArray]
    custom_success_frac: dict[str, float]

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for k in self.option_ids:
            v = self.npv_usd[k]
            lev = self.levelised_usd_per_query[k]
            out[k] = {
                "npv_mean_usd": float(v.mean()),
                "npv_p05_usd": float(np.percentile(v, 5)),
                "npv_p50_usd": float(np.percentile(v, 50)),
                "npv_p95_usd": float(np.percentile(v, 95)),
                "prob_best": self.prob_best[k],
                "levelised_usd_per_query_mean": float(lev.mean()),
                "levelised_usd_per_query_p05": float(np.percentile(lev, 5)),
                "levelised_usd_per_query_p95": float(np.percentile(lev, 95)),
                "unserved_queries_total": float(self.unserved_queries[k].sum()),
            }
        return out


@dataclass(frozen=True)
class Blocks:
    """Consecutive sampling blocks ``first``, ``first + 1``, ... of ``sizes`` draws, evaluated
    together: everything their evaluation needs (picklable), so where it runs cannot change
    its result."""

    model: StrategyModel
    seed: int
    first: int
    sizes: tuple[int, ...]
    distribution: str = "pert"


@dataclass(frozen=True)
class BlockSums:
    """What one block contributes: NPV [USD] and levelised cost [USD/query] per option and
    draw; per option, sums over the block's draws of each cost category [USD per quarter],
    chips per generation (and ``rented``), unserved queries per quarter, and the number of
    draws where the custom programme delivered a chip (the same whether the block was
    evaluated alone or with others)."""

    npv_usd: dict[str, FloatArray]
    levelised_usd_per_query: dict[str, FloatArray]
    costs: dict[str, dict[str, FloatArray]]
    vintage: dict[str, dict[str, FloatArray]]
    unserved: dict[str, FloatArray]
    success: dict[str, float]


def run_blocks(blocks: Blocks) -> list[BlockSums]:
    """Sample each block ``b`` from its :class:`Streams`, evaluate every option on the
    blocks' draws side by side (one pass per option holds Python's lock once for all of
    them), and reduce each block to its :class:`BlockSums`: sums over draws are taken block
    by block, so the numbers are those of each block evaluated alone."""
    model, sizes = blocks.model, blocks.sizes
    parts = []
    for j, size in enumerate(sizes):
        streams = Streams(blocks.seed, blocks.first + j)
        parts.append((sample_inputs(model, size, streams, blocks.distribution),
                      sample_events(model, size, streams)))
    p, ev = parts[0] if len(parts) == 1 else (
        {k: np.concatenate([pp[k] for pp, _ in parts]) for k in parts[0][0]},
        {k: np.concatenate([e[k] for _, e in parts]) for k in parts[0][1]})
    bounds = np.cumsum((0, *sizes))
    out = [BlockSums({}, {}, {}, {}, {}, {}) for _ in sizes]
    # each option arrives reduced block by block (no per-draw paths)
    for k, priced in evaluate_each(model, p, ev, sum_rows=sizes[0]):
        t = priced.totals
        lev = t.cost_pv_usd / np.maximum(t.served_pv_queries, 1e-300)
        for j, sums in enumerate(out):
            rows = slice(bounds[j], bounds[j + 1])
            sums.npv_usd[k] = -t.cost_pv_usd[rows]
            sums.levelised_usd_per_query[k] = lev[rows]
            sums.costs[k] = {name: v[j] for name, v in t.cost_sums_usd.items()}
            sums.vintage[k] = dict(zip(t.chip_labels, t.installed_over_draws[j], strict=True))
            sums.vintage[k]["rented"] = t.rented_over_draws[j]
            sums.unserved[k] = t.unserved_over_draws[j]
            if t.arrival_quarter.size:
                sums.success[k] = float(np.isfinite(t.arrival_quarter[rows]).sum())
    return out


class _Acc:
    """Running sums per option over blocks, added in block order (means at the end)."""

    def __init__(self) -> None:
        self.costs: dict[str, dict[str, FloatArray]] = {}
        self.vintage: dict[str, dict[str, FloatArray]] = {}
        self.unserved: dict[str, FloatArray] = {}
        self.success: dict[str, float] = {}

    @staticmethod
    def _add_all(into: dict[str, FloatArray], more: dict[str, FloatArray]) -> None:
        for name, v in more.items():
            into[name] = into[name] + v if name in into else v

    def add(self, sums: BlockSums) -> None:
        for k in sums.costs:
            self._add_all(self.costs.setdefault(k, {}), sums.costs[k])
            self._add_all(self.vintage.setdefault(k, {}), sums.vintage[k])
        self._add_all(self.unserved, sums.unserved)
        for k, v in sums.success.items():
            self.success[k] = self.success.get(k, 0.0) + v


def _custom_labels(model: StrategyModel, option_id: str, labels: list[str]) -> set[str]:
    opt = model.option(option_id)
    if not isinstance(opt, CustomProgram):
        return set()
    return {lab for lab in labels if lab.startswith(f"{opt.chip.label} gen ")}


def run_monte_carlo(model: StrategyModel, draws: int = 10_000, seed: int = 0,
                    progress: Progress | None = None, distribution: str = "pert",
                    block: int = BLOCK, executor: MapExecutor | None = None) -> StrategyResult:
    """Sample ``draws`` input sets block by block, evaluate every option, and summarise.

    ``executor`` runs the blocks: any ``map`` of :mod:`siliconomics.explore.executors`
    (None: ``threads`` on all cores; ``get_executor("serial")`` for this thread only). The
    result is the same whichever runs them. ``progress(n)`` is called with each block's
    draws, in block order.
    """
    from siliconomics.explore.executors import ThreadExecutor

    if not 1 <= draws <= MAX_DRAWS:
        raise SiliconomicsError(f"draws={draws} must be between 1 and {MAX_DRAWS:,}")
    if seed < 0:
        raise SiliconomicsError(f"seed={seed} must be >= 0")
    if block < 1:
        raise SiliconomicsError(f"block={block} must be >= 1 draw")
    ids = tuple(o.id for o in model.options)
    # one row per option, filled block by block: the result's arrays are views of these
    npv_rows = np.empty((len(ids), draws))
    lev_rows = np.empty((len(ids), draws))
    sizes = [min(draws, start + block) - start for start in range(0, draws, block)]
    # blocks evaluated together (an option that hands over its paths: one at a time, as
    # it reports its chips summed over all the draws it is given)
    together = EVALUATED_TOGETHER if all(isinstance(o, PricedOption)
                                         for o in model.options) else 1
    items = [Blocks(model, seed, b, tuple(sizes[b:b + together]), distribution)
             for b in range(0, len(sizes), together)]
    per_wave = max(WAVE_BLOCKS // together, 1)
    acc = _Acc()
    start = 0
    for w in range(0, len(items), per_wave):
        done = run_map(executor or ThreadExecutor(), run_blocks, items[w:w + per_wave],
                       "Monte Carlo blocks")
        for sums in (s for batch in done for s in batch):
            n = next(iter(sums.npv_usd.values())).size
            for i, k in enumerate(ids):
                npv_rows[i, start:start + n] = sums.npv_usd[k]
                lev_rows[i, start:start + n] = sums.levelised_usd_per_query[k]
            acc.add(sums)
            start += n
            if progress is not None:
                progress(n)
    npv_all = {k: npv_rows[i] for i, k in enumerate(ids)}
    lev_all = {k: lev_rows[i] for i, k in enumerate(ids)}
    best = np.argmax(npv_rows, axis=0)
    prob = {k: float(np.mean(best == i)) for i, k in enumerate(ids)}
    del best
    means = {k: float(npv_all[k].mean()) for k in ids}
    recommended = max(ids, key=lambda k: (prob[k], means[k]))
    mean_costs = {k: {c: v / draws for c, v in slot.items()} for k, slot in acc.costs.items()}
    vintage = {k: {lab: v / draws for lab, v in slot.items()} for k, slot in acc.vintage.items()}
    mean_chips: dict[str, tuple[FloatArray, FloatArray]] = {}
    zero = np.zeros(model.horizon_quarters)
    for k, slot in vintage.items():
        custom = _custom_labels(model, k, list(slot))
        gpu = sum((v for lab, v in slot.items() if lab not in custom), zero)
        cus = sum((v for lab, v in slot.items() if lab in custom), zero)
        mean_chips[k] = (np.asarray(gpu), np.asarray(cus))
    unserved = {k: v / draws for k, v in acc.unserved.items()}
    success = {k: v / draws for k, v in acc.success.items()}
    return StrategyResult(ids, npv_all, lev_all, prob, recommended, draws, seed, mean_chips,
                          vintage, mean_costs, unserved, success)


def _event_rows(model: StrategyModel, p: dict[str, FloatArray], m: int
                ) -> tuple[dict[str, FloatArray], dict[str, FloatArray], dict[str, FloatArray]]:
    """Repeat ``m`` input sets three times with the three event outcomes of each custom
    programme, and the weight of each row for the expectation.

    Rows (first pass ok), (respin ok), (programme fails): u = (0, 0), (1, 0), (1, 1) with
    weights p1, (1 - p1) p2, (1 - p1)(1 - p2). Options do not share events, so each option's
    expected cost only needs its own three rows.
    """
    rep = {k: np.tile(np.broadcast_to(v, (m,)), 3) for k, v in p.items()}
    outcomes = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), m, axis=0)
    events: dict[str, FloatArray] = {}
    weights: dict[str, FloatArray] = {}
    for o in model.options:
        if not o.custom:
            weights[o.id] = np.concatenate([np.ones(m), np.zeros(2 * m)])
            continue
        p1 = np.broadcast_to(p[o.key("p_first_pass")], (m,))
        p2 = np.broadcast_to(p[o.key("p_respin_success")], (m,))
        events[o.id] = outcomes
        weights[o.id] = np.concatenate([p1, (1 - p1) * p2, (1 - p1) * (1 - p2)])
    return rep, events, weights


@dataclass(frozen=True)
class Expected:
    """Expected (over chip events) NPV [USD] and levelised cost [USD/query] per option, for
    ``m`` input sets; ``npv_by_quarter`` (m, Q) when asked for."""

    npv_usd: dict[str, FloatArray]
    levelised_usd_per_query: dict[str, FloatArray]
    npv_by_quarter: dict[str, FloatArray] | None = None


def expected(model: StrategyModel, p: dict[str, FloatArray],
             demand_scale: FloatArray | float = 1.0, by_quarter: bool = False) -> Expected:
    """NPV and levelised cost of each option for ``m`` input sets, exact expectation over
    the custom programmes' events."""
    m = int(max(np.size(v) for v in p.values()))
    rep, events, weights = _event_rows(model, p, m)
    scale = np.tile(np.broadcast_to(np.asarray(demand_scale, float), (m,)), 3)
    priced = dict(evaluate_each(model, rep, events, scale, per_draw=by_quarter))
    npv = {k: -(v.totals.cost_pv_usd * weights[k]).reshape(3, m).sum(axis=0)
           for k, v in priced.items()}
    srv = {k: (v.totals.served_pv_queries * weights[k]).reshape(3, m).sum(axis=0)
           for k, v in priced.items()}
    lev = {k: -npv[k] / np.maximum(srv[k], 1e-300) for k in npv}
    byq = None
    if by_quarter:
        paths = {k: v.paths for k, v in priced.items() if v.paths is not None}
        nq = npv_by_horizon(model, rep, paths)
        byq = {k: (v * weights[k][:, None]).reshape(3, m, -1).sum(axis=0) for k, v in nq.items()}
    return Expected(npv, lev, byq)


def expected_npv(model: StrategyModel, p: dict[str, FloatArray],
                 demand_scale: FloatArray | float = 1.0) -> dict[str, FloatArray]:
    """NPV [USD] of each option for ``m`` input sets, exact expectation over chip events."""
    return expected(model, p, demand_scale).npv_usd


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


def tornado(model: StrategyModel, option_a: str, option_b: str, top: int = 15
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
    """Where a custom option's expected NPV equals the best merchant option's (central
    inputs): the starting demand [queries/day] (``None`` when it never crosses within the
    searched span) and the horizon [years] at today's demand (``None`` when it does not pay
    within ``horizon_searched_years``)."""

    custom_option: str
    merchant_option: str
    queries_per_day: float | None
    scale: float | None
    searched: tuple[float, float]
    horizon_years: float | None = None
    horizon_searched_years: float = 0.0
    npv_gap_at_today_usd: float = 0.0


def _crossing(scales: FloatArray, gap: FloatArray) -> float | None:
    if gap[0] >= 0:
        return float(scales[0])
    cross = np.nonzero((gap[:-1] < 0) & (gap[1:] >= 0))[0]
    if cross.size == 0:
        return None
    i = int(cross[0])
    x0, x1 = np.log10(scales[i]), np.log10(scales[i + 1])
    g0, g1 = gap[i], gap[i + 1]
    return float(10 ** (x0 + (x1 - x0) * (-g0) / (g1 - g0)))


def break_even(model: StrategyModel, span: tuple[float, float] = (1e-3, 1e3), points: int = 61,
               horizon_search_years: float = 20.0) -> list[BreakEven]:
    """Break-even demand and horizon for every custom option against the best merchant
    option (central inputs, expected over chip risk), one vectorised call each."""
    if not model.custom_ids or not model.merchant_ids:
        return []
    scales = np.logspace(np.log10(span[0]), np.log10(span[1]), points)
    p = {k: np.repeat(v, points) for k, v in model.central().items()}
    npv = expected_npv(model, p, scales)
    merchant_best = np.max(np.vstack([npv[k] for k in model.merchant_ids]), axis=0)
    long = model.with_horizon(max(model.horizon_quarters, round(horizon_search_years * 4)))
    ex = expected(long, long.central(), 1.0, by_quarter=True)
    assert ex.npv_by_quarter is not None
    m_q = np.max(np.vstack([ex.npv_by_quarter[k][0] for k in model.merchant_ids]), axis=0)
    at_one = deterministic(model)
    merchant = max(model.merchant_ids, key=lambda k: at_one[k])
    d0 = model.queries_per_day
    out = []
    for c in model.custom_ids:
        scale = _crossing(scales, npv[c] - merchant_best)
        gap_q = ex.npv_by_quarter[c][0] - m_q
        ahead = np.nonzero(gap_q >= 0)[0]
        horizon = None if ahead.size == 0 else float(ahead[0] + 1) / 4.0
        out.append(BreakEven(c, merchant, None if scale is None else scale * d0, scale,
                             (span[0] * d0, span[1] * d0), horizon, long.horizon_quarters / 4.0,
                             at_one[c] - at_one[merchant]))
    return out


def break_even_demand(model: StrategyModel, span: tuple[float, float] = (1e-3, 1e3),
                      points: int = 61) -> BreakEven | None:
    """The break-even of the custom option that is best at today's demand (or None)."""
    found = break_even(model, span, points)
    if not found:
        return None
    at_one = deterministic(model)
    return max(found, key=lambda b: at_one[b.custom_option])
