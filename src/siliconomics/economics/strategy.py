"""Strategy options and their quarterly cash flows, vectorised over Monte Carlo draws.

Every option serves the same demand path (users x queries, growing each quarter); what
differs is how chips are obtained and paid for. Each option type is one class registered in
:data:`OPTION_CLASSES`; it owns its cash flows (``cash_flows(ctx) -> OptionPaths``), arrays
of shape ``(N, Q)`` for ``N`` sampled input sets. Costs are positive; NPV is minus their
present value, so the best option has the highest NPV. The central (deterministic) answer
is the same code with ``N = 1``.

* :class:`BuyGpu`: an owned fleet by vintage (:mod:`siliconomics.economics.fleet`) over a
  roadmap of merchant generations; shortfall rented at that quarter's price or unserved.
* :class:`RentGpu`: the newest available generation rented at its dated price path.
* :class:`CustomProgram` (``build_asic``, ``acquire``, ``partner``): NRE over the design
  schedule, a respin with its delay and cost when first silicon fails, failure with
  probability ``(1 - p_first_pass)(1 - p_respin_success)``; once the chip arrives new
  capacity goes to it (installed bridge GPUs keep serving until retired), a next generation
  every ``generation_months`` at ``next_gen_nre_usd`` with ``next_gen_capacity_gain_frac``
  more capacity per chip; the bridge option's chips serve before arrival, beyond the custom
  chip's supply cap, and everything when the programme fails. ``acquire`` pays for a
  company up front and saves schedule; ``partner`` shares the NRE and pays the partner a
  margin on every chip.

Owned chip costs come from :mod:`siliconomics.economics.tco`'s functions (capex with server
share and network, power at the average draw, data-centre build per W, operations as a share
of installed capex).

An option's classes gather its inputs per draw (prices, capacities, the programme's
schedule); the loops over draws and quarters are one compiled pass per option
(:func:`price_option` -> :mod:`siliconomics.economics.option_compiled`), which simulates its
fleet draw by draw (:mod:`siliconomics.economics.fleet_compiled`), prices it, rents its
shortfall and reduces it (:mod:`siliconomics.economics.cashflow_compiled`: price and
discount paths, spreads, present values, sums over draws). The deterministic answer
(``N = 1``) runs the same pass as the Monte Carlo; an option type registered elsewhere may
hand over its paths instead (:meth:`Option.cash_flows`), which the engine reduces with the
same per-draw reduction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

import numpy as np

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.economics.capacity import CapacitySurface
from siliconomics.economics.defaults import SourcedRange
from siliconomics.economics.fleet import (
    CapexPaths,
    FleetSpec,
    IntArray,
    kernel_input,
)
from siliconomics.economics.tco import (
    FloatArray,
    datacenter_usd_per_year,
    networking_usd,
    power_usd_per_hour,
)
from siliconomics.economics.unit_cost import SECONDS_PER_DAY
from siliconomics.registry import Registry


@dataclass(frozen=True)
class Generation:
    """One chip an option can buy or rent, resolved once (the accelerator object, its
    capacity response surface, when it is available).

    Inputs sampled under ``<key>.<name>``: ``capacity_qps_per_chip`` (at the central token
    lengths), ``utilisation_frac``, ``price_usd``, ``price_decline_frac_per_year``,
    ``supply_cap_chips_per_quarter``, ``tdp_w``, ``cloud_usd_per_hour`` (when there is no
    dated rental path).
    """

    key: str
    label: str
    accelerator: Accelerator
    available_quarter: float
    surface: CapacitySurface
    last_quarter: float = float("inf")
    #: Dated rental prices as (quarters from the scenario date, USD per chip-hour), sorted.
    rental_points: tuple[tuple[float, float], ...] | None = None
    capacity_method: str = "serving"
    serving: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Context:
    """Shared inputs of one evaluation: sampled values (N,), demand, time."""

    p: Mapping[str, FloatArray]
    n: int
    quarters: int
    years: FloatArray  # (Q,) start of each quarter, years from the scenario date
    demand_qpd: FloatArray  # (N, Q) queries/day
    events: Mapping[str, FloatArray]  # option id -> (N, 2) uniforms (first pass, respin)
    factors: FloatArray  # (N, Q) present-value factors (:func:`discount_factors`)
    #: Draws per partial sum over draws (:class:`OptionTotals`); the last run may be shorter.
    sum_rows: int
    unserved_usd_per_query: float | None = None
    power_budget: bool = False
    #: Per-evaluation results shared by options (a bridge's chips, a generation's capacity),
    #: computed once: keyed by what they are (``chip:<gen key>``, ``qps:<gen key>``).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def get(self, key: str) -> FloatArray:
        v = self.p[key]  # sampled draws already have the shape: no view needed
        if isinstance(v, np.ndarray) and v.shape == (self.n,):
            return v
        return np.broadcast_to(v, (self.n,))

    def opt(self, key: str, default: float) -> FloatArray:
        """The sampled input ``key``, or ``default`` in every draw when the scenario has no
        such input (one read-only array per default value and evaluation)."""
        if key in self.p:
            return self.get(key)
        memo = f"default:{default!r}"
        if memo not in self.memo:
            self.memo[memo] = _read_only(np.full(self.n, default))
        out: FloatArray = self.memo[memo]
        return out

    def econ(self, name: str) -> FloatArray:
        return self.get(f"econ.{name}")

    @property
    def hours_per_quarter(self) -> FloatArray:
        return self.econ("hours_per_year") / 4.0

    @property
    def need_qps(self) -> FloatArray:
        """Mean demand [queries/s] (N, Q), computed once per evaluation (read-only)."""
        if "need_qps" not in self.memo:
            self.memo["need_qps"] = _read_only(self.demand_qpd / SECONDS_PER_DAY)
        out: FloatArray = self.memo["need_qps"]
        return out

    @property
    def quarter_index(self) -> FloatArray:
        return np.arange(self.quarters, dtype=float)


@dataclass
class OptionPaths:
    """One option's outcome: costs [USD per quarter] by category ``(N, Q)``; the labels of
    its owned generations and the chips installed of each, summed over the draws
    ``(G, Q)``; rented chips, unserved and served queries ``(N, Q)``;
    ``book_value_usd`` of owned chips at the end of each quarter ``(N, Q)`` (the continuing
    value if the horizon ended there); ``arrival_quarter`` of a custom chip (``inf`` when
    the programme fails)."""

    costs: dict[str, FloatArray]
    chip_labels: tuple[str, ...]
    installed_over_draws: FloatArray
    rented_chips: FloatArray
    unserved_queries: FloatArray
    served_queries: FloatArray
    book_value_usd: FloatArray
    arrival_quarter: FloatArray = field(default_factory=lambda: np.zeros(0))

    def total(self) -> FloatArray:
        """All cost categories summed [USD per quarter] ``(N, Q)``."""
        parts = iter(self.costs.values())
        out = np.array(next(parts, np.zeros_like(self.rented_chips)), dtype=float)
        for v in parts:
            out += v
        return out


def qps_per_chip(ctx: Context, gen: Generation) -> FloatArray:
    """What one chip of ``gen`` carries on average [queries/s] per draw: its capacity at the
    SLO at the sampled token lengths (response surface) x its fleet utilisation."""
    memo = f"qps:{gen.key}"
    if memo not in ctx.memo:
        util_key = f"{gen.key}.utilisation_frac"
        util = ctx.get(util_key) if util_key in ctx.p else ctx.get("traffic.utilisation_frac")
        ratio = gen.surface.ratio(ctx.get("traffic.input_tokens_per_query"),
                                  ctx.get("traffic.output_tokens_per_query"))
        ctx.memo[memo] = np.asarray(ctx.get(f"{gen.key}.capacity_qps_per_chip") * ratio * util)
    out: FloatArray = ctx.memo[memo]
    return out


def capex_per_chip(ctx: Context, price_usd: FloatArray) -> FloatArray:
    """Up-front cost of one accelerator with its server share and network [USD], per draw
    ``(N,)``; the price path of a chip is this times its decline (:func:`price_path`)."""
    server = price_usd * ctx.econ("server_cost_multiplier")
    return np.asarray(server + networking_usd(server, ctx.econ("networking_frac")))


def running_usd_per_chip_quarter(ctx: Context, tdp_w: FloatArray
                                 ) -> tuple[FloatArray, FloatArray]:
    """Power [USD per chip-quarter in use] and data centre [USD per installed chip-quarter],
    for ``tdp_w`` per draw ``(N,)`` or per draw and generation ``(N, G)``."""
    def econ(name: str) -> FloatArray:
        v = ctx.econ(name)
        return v[:, None] if np.ndim(tdp_w) > 1 else v

    spm = econ("server_power_multiplier")
    power_h = power_usd_per_hour(tdp_w, spm, econ("draw_frac"), econ("pue"),
                                 econ("electricity_usd_per_kwh"))
    dc_year = datacenter_usd_per_year(tdp_w, spm, econ("dc_capex_usd_per_w"),
                                      econ("cost_of_capital_frac"), econ("dc_life_years"))
    return np.asarray(power_h * (econ("hours_per_year") / 4.0)), np.asarray(dc_year) / 4.0


def quarterly_powers(base: FloatArray, quarters: int) -> FloatArray:
    """``base ** (q / 4)`` for the quarters ``q = 0 .. quarters - 1``, per draw ``(N, Q)``.

    The quarterly factor ``base ** 0.25`` raised by repeated doubling (each block of columns
    is the previous block times one power), so a path costs a few multiplications per
    element instead of a ``pow`` each; within a few ulp of ``np.power``. Compiled
    (:func:`siliconomics.economics.cashflow_compiled.quarterly_powers_kernel`).
    """
    from siliconomics.economics.cashflow_compiled import quarterly_powers_kernel

    out = np.empty((base.size, quarters))
    quarterly_powers_kernel(np.ascontiguousarray(np.power(base, 0.25), dtype=float), out)
    return out


def price_path(price_usd: FloatArray, decline: FloatArray, available_quarter: FloatArray,
               root: FloatArray | None = None) -> CapexPaths:
    """Price [USD] of a chip bought in each quarter, per draw ``(N,)``: the launch price
    ``price_usd`` falling by ``decline`` a year from its launch ``a`` = ``available_quarter``
    (quarters from the scenario date; from the scenario date if launched before).

    ``price (1 - decline) ** ((q - a) / 4)`` is written as ``start_usd = price (1 - decline)
    ** (-a / 4)`` times the quarterly powers of ``root = (1 - decline) ** 0.25`` (given by
    the caller when it has it: several chips with one decline); before the launch that is
    above the launch price, so the path is the minimum of the two
    (:class:`~siliconomics.economics.fleet.CapexPaths`, which the fleet kernel prices from).
    Declines are below 1 (scenario bounds), so the powers stay finite."""
    a = np.maximum(available_quarter, 0.0)
    kept = 1.0 - decline
    return CapexPaths(np.power(kept, 0.25) if root is None else root,
                      price_usd * np.power(kept, -a / 4.0), _per_draw(price_usd, np.size(a)))


@cache
def rental_path(points: tuple[tuple[float, float], ...], quarters: int) -> FloatArray:
    """Per-quarter price [USD/h] from dated points (quarter, price): log-linear between
    points, flat before the first and after the last. Computed once per (points, quarters)
    and shared, so read-only."""
    q = np.array([x for x, _ in points])
    logs = np.log(np.array([v for _, v in points]))
    return _read_only(np.exp(np.interp(np.arange(quarters, dtype=float), q, logs)))


def rental_sources(ctx: Context, gens: list[Generation]
                   ) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, IntArray]:
    """The generations a shortfall can be rented from, in preference order, as
    :func:`~siliconomics.economics.option_compiled.option_kernel` reads them: what a chip
    carries ``(N, R)`` [queries/s], the price of a chip-hour [USD] as a path ``(R, Q)``
    times a multiplier ``(N, R)`` (the dated path times 1, or 1 times the sampled constant:
    exact either way), and the quarters ``first <= t < end`` each can be rented ``(R,)``. A
    generation without a rental price, or whose sale window misses the horizon, is left out.
    """
    n, q = ctx.n, ctx.quarters
    qps, paths, mults, firsts, ends = [], [], [], [], []
    for gen in gens:
        key = f"{gen.key}.cloud_usd_per_hour"
        if gen.rental_points is not None:
            path, mult = rental_path(gen.rental_points, q), np.ones(n)
        elif key in ctx.p:
            path, mult = np.ones(q), ctx.get(key)
        else:
            continue
        first = max(int(np.ceil(gen.available_quarter)), 0)
        end = last_sale_quarter(gen.last_quarter, q) + 1
        if first >= end:
            continue
        qps.append(qps_per_chip(ctx, gen))
        paths.append(path)
        mults.append(mult)
        firsts.append(first)
        ends.append(end)
    return (_columns(qps, n), np.array(paths, dtype=float).reshape(len(paths), q),
            _columns(mults, n), np.array(firsts, dtype=np.int64), np.array(ends, dtype=np.int64))


@dataclass(frozen=True)
class OwnedChip:
    """One generation as the fleet simulation sees it, per draw: what a chip carries
    [queries/s] (the same every quarter), the first quarter it can be bought (fractional;
    ``inf`` never) and the last, its supply cap [chips/quarter], its capex path [USD] and
    TDP [W]."""

    label: str
    qps: FloatArray  # (N,)
    available_quarter: FloatArray  # (N,)
    last_quarter: float
    supply_cap: FloatArray  # (N,)
    capex: CapexPaths  # (N,) each
    tdp_w: FloatArray  # (N,)


def merchant_chip(ctx: Context, gen: Generation) -> OwnedChip:
    """A merchant generation as an owned chip, once per evaluation (a custom programme's
    bridge buys the same chips as the bridge option)."""
    memo = f"chip:{gen.key}"
    if memo not in ctx.memo:
        avail = np.full(ctx.n, gen.available_quarter)
        unit = price_path(capex_per_chip(ctx, ctx.get(f"{gen.key}.price_usd")),
                          ctx.opt(f"{gen.key}.price_decline_frac_per_year", 0.0), avail)
        ctx.memo[memo] = OwnedChip(
            gen.label, qps_per_chip(ctx, gen), avail, gen.last_quarter,
            ctx.opt(f"{gen.key}.supply_cap_chips_per_quarter", np.inf), unit,
            ctx.get(f"{gen.key}.tdp_w"))
    chip: OwnedChip = ctx.memo[memo]
    return chip


def _columns(per_draw: list[FloatArray], n: int) -> FloatArray:
    """``(N,)`` arrays side by side, ``(N, K)`` (``np.stack(..., axis=1)`` without its
    per-call overhead, which adds up over blocks)."""
    out = np.empty((n, len(per_draw)))
    for k, v in enumerate(per_draw):
        out[:, k] = v
    return out


def _per_draw(v: FloatArray | float, n: int) -> FloatArray:
    """``v`` as an ``(N,)`` float array: itself when it already is one, else broadcast."""
    if isinstance(v, np.ndarray) and v.shape == (n,) and v.dtype == np.float64:
        return v
    return np.broadcast_to(np.asarray(v, dtype=float), (n,))


def last_sale_quarter(last_quarter: float, quarters: int) -> int:
    """Index of the last quarter of the horizon in which a generation can be bought: the
    quarter holding its end of sale ``last_quarter`` (the same in every draw; ``inf`` on
    sale to the end), ``quarters - 1`` at most, ``-1`` when sale ended before the horizon.
    The fleet and the rental of a shortfall both read a generation's sale window from it."""
    if last_quarter >= quarters - 1:
        return quarters - 1
    return max(int(np.floor(last_quarter)), -1)


@dataclass(frozen=True)
class OwnedFleet:
    """The vintage fleet of these chips (labels, in preference order), as the compiled
    fleet reads it (:meth:`~siliconomics.economics.fleet.FleetSpec.kernel_inputs`); simulated draw by
    draw where the option is priced (:func:`price_option`)."""

    labels: tuple[str, ...]
    inputs: tuple[Any, ...]


def owned_fleet(ctx: Context, chips: list[OwnedChip], lead: int = 0) -> OwnedFleet:
    """The vintage fleet for these chips in preference order (first preferred), with its
    power and data-centre costs, and the capex of the first ``lead`` chips apart. Capacity
    is passed as a broadcast view ``(N, G, Q)``."""
    n, g, q = ctx.n, len(chips), ctx.quarters
    tdp_w = _columns([c.tdp_w for c in chips], n)
    power_w = None
    budget = None
    if ctx.power_budget:
        facility = tdp_w * (
            ctx.econ("server_power_multiplier") * ctx.econ("pue"))[:, None]
        power_w = facility
        budget = (ctx.get("fleet.power_budget_mw")[:, None]
                  + ctx.opt("fleet.power_build_out_mw_per_quarter", 0.0)[:, None]
                  * ctx.quarter_index[None, :]) * 1e6
    qps = np.broadcast_to(_columns([c.qps for c in chips], n)[:, :, None], (n, g, q))
    first = _columns([c.available_quarter for c in chips], n)
    until = np.array([last_sale_quarter(c.last_quarter, q) for c in chips], dtype=np.int64)
    unit = CapexPaths(_columns([c.capex.root for c in chips], n),
                      _columns([c.capex.start_usd for c in chips], n),
                      _columns([c.capex.launch_usd for c in chips], n))
    power_q, dc_q = running_usd_per_chip_quarter(ctx, tdp_w)
    return OwnedFleet(tuple(c.label for c in chips), FleetSpec(
        ctx.need_qps, qps, first, until, _columns([c.supply_cap for c in chips], n), unit,
        ctx.get("fleet.service_life_years") * 4.0, power_w, budget, power_q, dc_q,
        lead).kernel_inputs())


#: Cost categories of an owned fleet, in the order they are added (:func:`price_option`).
FLEET_CATEGORIES = ("capex", "power", "datacenter", "operations", "resale", "continuing_value")


@dataclass(frozen=True)
class OptionTotals:
    """One option reduced over its draws: present value of its costs [USD] and of its
    queries served ``(N,)``; summed over each run of :attr:`Context.sum_rows` draws (``S``
    runs: one, unless the Monte Carlo evaluates several blocks at once), each cost category
    [USD per quarter] ``(S, Q)``, its owned generations' chips installed ``(S, G, Q)`` (labels
    ``chip_labels``), rented chips and unserved queries ``(S, Q)``; the quarter its custom
    chip arrived per draw ``(N,)`` (``inf`` when the programme failed; empty for a merchant
    option)."""

    cost_pv_usd: FloatArray
    served_pv_queries: FloatArray
    cost_sums_usd: dict[str, FloatArray]
    chip_labels: tuple[str, ...]
    installed_over_draws: FloatArray
    rented_over_draws: FloatArray
    unserved_over_draws: FloatArray
    arrival_quarter: FloatArray


@dataclass(frozen=True)
class Priced:
    """An option evaluated: its :class:`OptionTotals`, and its :class:`OptionPaths` per
    draw when asked for (None otherwise)."""

    totals: OptionTotals
    paths: OptionPaths | None


@dataclass(frozen=True)
class Programme:
    """A custom programme's own costs as its option's compiled pass prices them:
    ``inputs`` ``(8, N)``, the rows ``option_compiled.PROGRAMME_INPUTS`` (NRE and the month
    it ends, a respin's cost and span, an acquisition, sustaining engineering per quarter,
    the month the chip arrives); ``next_generations``
    ``(K, 3, N)`` each next generation's NRE, and the months it starts and ends; the quarter
    the chip arrives ``(N,)`` (``inf`` when the programme fails)."""

    inputs: FloatArray
    next_generations: FloatArray
    arrival_quarter: FloatArray


def _rows(values: Mapping[str, FloatArray], order: tuple[str, ...], n: int) -> FloatArray:
    """Named ``(N,)`` values (or scalars) as the rows of one ``(len(order), N)`` array."""
    out = np.empty((len(order), n))
    for r, name in enumerate(order):
        out[r] = values[name]
    return out


def price_option(ctx: Context, per_draw: bool, rent_from: list[Generation],
                 rental_category: str = "rental", discount: FloatArray | None = None,
                 fleet: OwnedFleet | None = None, margin_frac: FloatArray | None = None,
                 programme: Programme | None = None) -> Priced:
    """Price an option and reduce it, draw by draw in one compiled pass
    (:func:`~siliconomics.economics.option_compiled.option_kernel`).

    Its costs [USD per quarter]: with an owned ``fleet``, the fleet's capex, power on chips
    in use and data centre (:func:`owned_fleet`), operations on installed capex, resale of
    retired chips, and the book value of the chips left at the horizon returned as
    continuing value; with ``margin_frac``, the partner's margin on the first generations'
    capex (moved out of capex into ``partner_margin``); the shortfall (of the fleet, or the
    whole demand without one) rented from ``rent_from`` (newest first, each over its sale
    window, at that quarter's price less ``discount``) under ``rental_category``, what is
    left unserved (priced when the scenario prices it); then a custom ``programme``'s own
    costs. ``per_draw`` also returns the :class:`OptionPaths`.
    """
    from siliconomics.economics.option_compiled import PROGRAMME, option_kernel

    _read = kernel_input
    n, q = ctx.n, ctx.quarters
    names = [*FLEET_CATEGORIES, *(("partner_margin",) if margin_frac is not None else ())] \
        if fleet is not None else []
    names.append(rental_category)
    priced = ctx.unserved_usd_per_query is not None
    if priced:
        names.append("unserved")
    if programme is not None:
        names += PROGRAMME
    rent = rental_sources(ctx, rent_from)
    hours = ctx.hours_per_quarter
    disc = 0.0 if discount is None else discount
    # without a fleet: placeholders of the fleet inputs' types (not read), no generations
    fleet_in = fleet.inputs if fleet is not None else _NO_FLEET
    labels = fleet.labels if fleet is not None else ()
    rows = n if per_draw else 0
    cats = np.empty((len(names), rows, q))
    rented, unserved, served, book = (np.empty((rows, q)) for _ in range(4))
    cost_pv, served_pv = np.empty(n), np.empty(n)
    runs = -(-n // ctx.sum_rows)
    sums = np.empty((runs, len(names), q))
    rented_sum, unserved_sum = np.empty((runs, q)), np.empty((runs, q))
    installed_sum = np.empty((runs, len(labels), q))
    kernel: Any = option_kernel  # (a numba dispatcher: its arguments are typed when called)
    kernel(
        fleet is not None, *fleet_in, _read(ctx.need_qps),
        _read(ctx.econ("ops_frac_per_year") / 4.0),
        _read(-ctx.get("fleet.resale_frac")), margin_frac is not None,
        _read(np.zeros(n) if margin_frac is None else margin_frac / (1.0 + margin_frac)),
        _read(rent[0]), _read(rent[1]), _read(rent[2]), _read(rent[3], dtype=np.int64),
        _read(rent[4], dtype=np.int64), _read((1.0 - disc) * hours),
        _read(SECONDS_PER_DAY / 24.0 * hours), priced,
        float(ctx.unserved_usd_per_query or 0.0), _read(_queries(ctx)), programme is not None,
        _read(ctx.years), _read(np.zeros((8, 1)) if programme is None else programme.inputs),
        _read(np.zeros((0, 3, 1)) if programme is None else programme.next_generations),
        _read(ctx.factors), ctx.sum_rows, per_draw, cats, rented, unserved, served, book,
        cost_pv, served_pv, sums, rented_sum, unserved_sum, installed_sum)
    arrival = np.zeros(0) if programme is None else programme.arrival_quarter
    totals = OptionTotals(cost_pv, served_pv,
                          {name: sums[:, k] for k, name in enumerate(names)}, labels,
                          installed_sum, rented_sum, unserved_sum, arrival)
    paths = None
    if per_draw:
        paths = OptionPaths(dict(zip(names, cats, strict=True)), labels, installed_sum.sum(0),
                            rented, unserved, served, book, arrival)
    return Priced(totals, paths)


#: The fleet inputs of an option without a fleet: placeholders of the right types, not read.
#: (Capacity a broadcast view, as an option's fleet passes it: one compiled signature.)
_NO_FLEET = FleetSpec(np.zeros((1, 2)), np.broadcast_to(np.ones((1, 1, 1)), (1, 1, 2)),
                      np.zeros((1, 1)), np.zeros(1, dtype=np.int64), np.zeros((1, 1)),
                      CapexPaths.constant(np.zeros((1, 1))), np.ones(1)).kernel_inputs()


def _queries(ctx: Context) -> FloatArray:
    """Queries demanded per quarter (N, Q), once per evaluation (read-only)."""
    if "queries" not in ctx.memo:
        ctx.memo["queries"] = _read_only(ctx.demand_qpd * (ctx.hours_per_quarter[:, None] / 24.0))
    out: FloatArray = ctx.memo["queries"]
    return out


class Option(ABC):
    """A strategy option: one registered class per type, owning its cash flows."""

    type: ClassVar[str]
    custom: ClassVar[bool] = False

    def __init__(self, id: str, label: str) -> None:
        self.id = id
        self.label = label
        #: The merchant option serving before a custom chip arrives (custom options only).
        self.bridge: str | None = None

    def key(self, name: str) -> str:
        return f"{self.id}.{name}"

    @property
    def generations(self) -> tuple[Generation, ...]:
        return ()

    @abstractmethod
    def cash_flows(self, ctx: Context, model: StrategyModel) -> OptionPaths:
        """Costs and fleet of this option for the draws in ``ctx``."""

    def price(self, ctx: Context, model: StrategyModel, per_draw: bool) -> Priced:
        """This option reduced over the draws (and its paths when ``per_draw``): here by
        reducing :meth:`cash_flows`; the built-in options price and reduce in one compiled
        pass instead (:func:`price_option`)."""
        paths = self.cash_flows(ctx, model)
        return Priced(option_totals(paths, ctx.factors, ctx.sum_rows),
                      paths if per_draw else None)


class PricedOption(Option):
    """An option whose cash flows come from :func:`price_option`: :meth:`price` is the one
    evaluation, :meth:`cash_flows` its paths."""

    @abstractmethod
    def price(self, ctx: Context, model: StrategyModel, per_draw: bool) -> Priced:
        """This option priced by :func:`price_option`."""

    def cash_flows(self, ctx: Context, model: StrategyModel) -> OptionPaths:
        paths = self.price(ctx, model, per_draw=True).paths
        assert paths is not None
        return paths


class BuyGpu(PricedOption):
    type = "buy_gpu"

    def __init__(self, id: str, label: str, gens: tuple[Generation, ...],
                 shortfall: str = "rent") -> None:
        super().__init__(id, label)
        # preference: the newest available generation first
        self._gens = tuple(sorted(gens, key=lambda g: -g.available_quarter))
        self.shortfall = shortfall

    @property
    def generations(self) -> tuple[Generation, ...]:
        return self._gens

    def owned_chips(self, ctx: Context) -> list[OwnedChip]:
        return [merchant_chip(ctx, g) for g in self._gens]

    def price(self, ctx: Context, model: StrategyModel, per_draw: bool) -> Priced:
        chips = self.owned_chips(ctx)
        return price_option(ctx, per_draw, self.rent_from(), fleet=owned_fleet(ctx, chips))

    def rent_from(self) -> list[Generation]:
        """The generations its shortfall is rented from (none when it is left unserved)."""
        return list(self._gens) if self.shortfall == "rent" else []


class RentGpu(PricedOption):
    type = "rent_gpu"

    def __init__(self, id: str, label: str, gens: tuple[Generation, ...]) -> None:
        super().__init__(id, label)
        self._gens = tuple(sorted(gens, key=lambda g: -g.available_quarter))

    @property
    def generations(self) -> tuple[Generation, ...]:
        return self._gens

    def price(self, ctx: Context, model: StrategyModel, per_draw: bool) -> Priced:
        return price_option(ctx, per_draw, list(self._gens),
                            discount=ctx.opt(self.key("committed_discount_frac"), 0.0))


def arrival_months(schedule_months: FloatArray, respin_delay_months: FloatArray,
                   p_first_pass: FloatArray, p_respin_success: FloatArray,
                   u: FloatArray) -> FloatArray:
    """Months until the custom chip is in volume; ``inf`` if the programme fails.

    ``u`` (N, 2) are uniform draws deciding first-pass success and respin success.
    """
    first_ok = u[:, 0] < p_first_pass
    respin_ok = u[:, 1] < p_respin_success
    return np.where(first_ok, schedule_months,
                    np.where(respin_ok, schedule_months + respin_delay_months, np.inf))


class CustomProgram(PricedOption):
    """A custom-chip programme with its bridge (module doc)."""

    type = "build_asic"
    custom = True
    #: Most custom generations modelled (the first and its successors within the horizon).
    MAX_GENERATIONS = 4

    def __init__(self, id: str, label: str, chip: Generation, bridge: str) -> None:
        super().__init__(id, label)
        self.chip = chip
        self.bridge: str = bridge

    @property
    def generations(self) -> tuple[Generation, ...]:
        return (self.chip,)

    def arrival(self, ctx: Context) -> FloatArray:
        saved = ctx.opt(self.key("time_saved_months"), 0.0)
        schedule = np.maximum(ctx.get(self.key("schedule_months")) - saved, 1.0)
        return arrival_months(schedule, ctx.get(self.key("respin_delay_months")),
                              ctx.get(self.key("p_first_pass")),
                              ctx.get(self.key("p_respin_success")), ctx.events[self.id])

    def n_generations(self, model: StrategyModel) -> int:
        key = self.key("generation_months")
        if key not in model.ranges:
            return 1
        every = model.ranges[key].range.low
        sched = model.ranges[self.key("schedule_months")].range.low
        saved = model.ranges.get(self.key("time_saved_months"))
        earliest = max(sched - (saved.range.high if saved else 0.0), 1.0)
        later = max(model.horizon_quarters * 3.0 - earliest, 0.0)
        return int(min(self.MAX_GENERATIONS, 1 + later // every))

    def price(self, ctx: Context, model: StrategyModel, per_draw: bool) -> Priced:
        bridge = model.option(self.bridge)
        arrival = self.arrival(ctx)  # months, inf when the programme fails
        schedule = np.maximum(ctx.get(self.key("schedule_months"))
                              - ctx.opt(self.key("time_saved_months"), 0.0), 1.0)
        delay = ctx.get(self.key("respin_delay_months"))
        every = ctx.opt(self.key("generation_months"), np.inf)
        gain = ctx.opt(self.key("next_gen_capacity_gain_frac"), 0.0)
        margin = ctx.opt(self.key("partner_margin_frac"), 0.0)
        unit = capex_per_chip(ctx, ctx.get(self.key("unit_cost_usd")) * (1.0 + margin))
        decline = ctx.opt(self.key("price_decline_frac_per_year"), 0.0)
        base_qps = qps_per_chip(ctx, self.chip)
        cap = ctx.opt(self.key("supply_cap_chips_per_quarter"), np.inf)
        tdp = ctx.get(self.key("tdp_w"))
        k_max = self.n_generations(model)
        root = np.power(1.0 - decline, 0.25)  # (every generation falls at the same rate)
        custom: list[OwnedChip] = []
        for k in range(k_max - 1, -1, -1):  # newest first
            avail_q = (arrival + k * every if k else arrival) / 3.0
            path = price_path(unit, decline, np.where(np.isfinite(avail_q), avail_q, 0.0), root)
            custom.append(OwnedChip(f"{self.chip.label} gen {k + 1}", base_qps * (1.0 + gain) ** k,
                                    avail_q, float("inf"), cap, path, tdp))
        bridge_owned = bridge.owned_chips(ctx) if isinstance(bridge, BuyGpu) else []
        chips = custom + bridge_owned
        fleet = owned_fleet(ctx, chips, lead=len(custom))
        # the shortfall: rented or left unserved as the bridge option does
        rent_from = bridge.rent_from() if isinstance(bridge, BuyGpu) else list(bridge.generations)
        discount = ctx.opt(bridge.key("committed_discount_frac"), 0.0) \
            if isinstance(bridge, RentGpu) else None
        # the programme's own costs, per draw (priced in the option's compiled pass)
        from siliconomics.economics.option_compiled import PROGRAMME_INPUTS

        n = ctx.n
        first_failed = ctx.events[self.id][:, 0] >= ctx.get(self.key("p_first_pass"))
        inputs = {
            "nre_usd": ctx.get(self.key("nre_usd"))
            * (1.0 - ctx.opt(self.key("partner_nre_share_frac"), 0.0)),
            "nre_end_months": schedule,
            "respin_usd": np.where(first_failed, ctx.get(self.key("respin_cost_usd")), 0.0),
            "respin_start_months": schedule,
            "respin_end_months": schedule + np.maximum(delay, 1e-3),
            "acquisition_usd": ctx.opt(self.key("acquisition_usd"), 0.0),
            "sustaining_usd_per_quarter": ctx.opt(self.key("sustaining_usd_per_year"), 0.0)
            / 4.0,
            "arrival_months": arrival,
        }
        next_nre = ctx.opt(self.key("next_gen_nre_usd"), 0.0)
        nxt = np.empty((k_max - 1, 3, n))
        for k in range(1, k_max):  # each next generation's NRE over the span before it
            end = arrival + k * every
            ok = np.isfinite(end) & (end < ctx.quarters * 3.0)
            nxt[k - 1] = (np.where(ok, next_nre, 0.0), np.where(ok, end - every, 0.0),
                          np.where(ok, end, 1.0))
        return price_option(ctx, per_draw, rent_from, "bridge_rental", discount, fleet, margin,
                            Programme(_rows(inputs, PROGRAMME_INPUTS, n), nxt, arrival / 3.0))


class BuildAsic(CustomProgram):
    type = "build_asic"


class Acquire(CustomProgram):
    type = "acquire"


class Partner(CustomProgram):
    type = "partner"


OPTION_CLASSES: Registry[type[Option]] = Registry(
    "option type", {c.type: c for c in (BuyGpu, RentGpu, BuildAsic, Acquire, Partner)})
CUSTOM_TYPES = frozenset(k for k, c in OPTION_CLASSES.items() if c.custom)


@dataclass(frozen=True)
class StrategyModel:
    """Everything the cash-flow model needs, every uncertain input a named range.

    ``ranges`` maps global names (``traffic.growth_frac_per_year``, ``econ.pue``,
    ``buy-gpu.h100-sxm.price_usd``, ``build-asic.p_first_pass`` ...) to sourced ranges.
    """

    scenario_id: str
    horizon_quarters: int
    queries_per_day: float
    options: tuple[Option, ...]
    ranges: dict[str, SourcedRange]
    unserved_usd_per_query: float | None = None
    power_budget: bool = False

    def option(self, option_id: str) -> Option:
        return Registry("option", {o.id: o for o in self.options})[option_id]

    @property
    def custom_ids(self) -> list[str]:
        return [o.id for o in self.options if o.custom]

    @property
    def merchant_ids(self) -> list[str]:
        return [o.id for o in self.options if not o.custom]

    def central(self) -> dict[str, FloatArray]:
        return {k: np.array([v.central]) for k, v in self.ranges.items()}

    def with_horizon(self, quarters: int) -> StrategyModel:
        from dataclasses import replace

        return replace(self, horizon_quarters=quarters)


def demand_path(daily_users: FloatArray, queries_per_user: FloatArray, growth: FloatArray,
                quarters: int) -> FloatArray:
    """Demand [queries/day] per draw and quarter: ``users x queries x (1 + g)^t``, ``t`` the
    start of each quarter [years]."""
    d0 = daily_users * queries_per_user
    return np.asarray(quarterly_powers(1.0 + growth, quarters) * d0[:, None])


def _read_only(value: FloatArray) -> FloatArray:
    view = np.asarray(value).view()
    view.flags.writeable = False
    return view


def evaluate_each(model: StrategyModel, p: Mapping[str, FloatArray],
                  events: Mapping[str, FloatArray], demand_scale: FloatArray | float = 1.0,
                  per_draw: bool = False, sum_rows: int | None = None
                  ) -> Iterator[tuple[str, Priced]]:
    """Evaluate one option at a time, ``(option id, priced)``, reduced over the draws (sums
    over each run of ``sum_rows`` draws, all of them by default), and with its paths per
    draw when ``per_draw``: a caller that keeps only each option's reduction holds one
    option's arrays at a time, not all."""
    n = int(max(np.size(v) for v in p.values()))
    years = np.arange(model.horizon_quarters) / 4.0

    def g(k: str) -> FloatArray:
        return np.asarray(np.broadcast_to(p[k], (n,)), dtype=float)

    scale = np.broadcast_to(np.asarray(demand_scale, float), (n,))
    demand = demand_path(g("traffic.daily_users") * scale, g("traffic.queries_per_user_per_day"),
                         g("traffic.growth_frac_per_year"), model.horizon_quarters)
    factors = discount_factors(g("econ.cost_of_capital_frac"), model.horizon_quarters)
    # the options read the sampled arrays themselves (Context.get): read-only views, once
    # per evaluation, so an in-place write in an option is an error, not a corrupted input
    frozen = {k: _read_only(v) for k, v in p.items()}
    ctx = Context(p=frozen, n=n, quarters=model.horizon_quarters, years=years, demand_qpd=demand,
                  events=events, factors=_read_only(factors), sum_rows=sum_rows or n,
                  unserved_usd_per_query=model.unserved_usd_per_query,
                  power_budget=model.power_budget)
    for opt in model.options:
        yield opt.id, opt.price(ctx, model, per_draw)


def discount_factors(rate_frac: FloatArray, quarters: int) -> FloatArray:
    """(N, Q) present-value factors, cash at mid-quarter: ``(1 + r)^-(q + 0.5)/4``."""
    factors = quarterly_powers(1.0 / (1.0 + rate_frac), quarters)
    factors *= np.power(1.0 + rate_frac, -0.125)[:, None]
    return factors


def option_totals(paths: OptionPaths, factors: FloatArray, sum_rows: int | None = None
                  ) -> OptionTotals:
    """Reduce the paths of an option that hands them over (:meth:`Option.price`) with the
    :func:`discount_factors` ``factors``, in one compiled pass
    (:func:`~siliconomics.economics.cashflow_compiled.reduce_paths_kernel`, the per-draw
    reduction the built-in options run inside their pricing): present values of the total
    cost (:meth:`OptionPaths.total`) and of the queries served, each cost category, the
    rented chips and the unserved queries summed over each run of ``sum_rows`` draws (all
    of them by default). The chips installed come summed over the draws (one run)."""
    from siliconomics.economics.cashflow_compiled import (
        reduce_paths_kernel,
        sum_over_draws_kernel,
    )

    n, q = factors.shape
    rows = n if sum_rows is None else sum_rows
    runs = -(-n // rows)
    names = list(paths.costs)
    cats = np.empty((len(names), n, q))
    for k, v in enumerate(paths.costs.values()):
        cats[k] = v
    sums = np.empty((runs, len(names), q))
    cost_pv, served_pv = np.empty(n), np.empty(n)
    reduce_paths_kernel(cats, kernel_input(paths.served_queries), kernel_input(factors), rows,
                        cost_pv, served_pv, sums)
    over: list[FloatArray] = []
    for a in (paths.rented_chips, paths.unserved_queries):
        over.append(np.empty((runs, q)))
        sum_over_draws_kernel(kernel_input(a), rows, over[-1])
    if runs > 1 and paths.chip_labels:
        raise ValueError("an option that hands over its paths reports its chips installed "
                         "summed over all draws: evaluate it in one run")
    return OptionTotals(cost_pv, served_pv, {name: sums[:, k] for k, name in enumerate(names)},
                        paths.chip_labels, paths.installed_over_draws[None], over[0], over[1],
                        paths.arrival_quarter)


def npv_by_horizon(model: StrategyModel, p: Mapping[str, FloatArray],
                   paths: Mapping[str, OptionPaths]) -> dict[str, FloatArray]:
    """NPV [USD] had the horizon ended after each quarter (N, Q): costs up to it, minus the
    book value of the chips then installed as continuing value."""
    n = next(iter(paths.values())).rented_chips.shape[0]
    rate = np.broadcast_to(p["econ.cost_of_capital_frac"], (n,))
    factors = discount_factors(np.asarray(rate), model.horizon_quarters)
    out = {}
    for k, v in paths.items():
        flows = v.total() - v.costs.get("continuing_value", 0.0)
        cum = np.cumsum(flows * factors, axis=1)
        end_factor = factors * np.power(1.0 + rate, -0.125)[:, None]  # (1 + r)^-(q+1)/4
        out[k] = -(cum - v.book_value_usd * end_factor)
    return out
