"""Strategy options and their quarterly cash flows, vectorised over Monte Carlo draws.

Every option serves the same demand path (queries/day growing each quarter) over the
horizon; what differs is how chips are obtained and paid for. Each option type is a function
in the :data:`OPTION_TYPES` registry that takes the sampled inputs (arrays of shape ``(N,)``)
and returns the costs per quarter (arrays ``(N, Q)``). Costs are positive; NPV is minus their
present value, so the best option has the highest NPV.

Option types:

* ``buy_gpu``: buy accelerators as demand grows, at a price falling ``price_decline`` per
  year, at most ``supply_cap_chips_per_quarter`` a quarter (the 2023-24 H100 shortage); a
  shortfall is rented at ``shortfall_usd_per_hour``. Capex when bought, power on chips in use,
  data centre and operations on all installed chips, the undepreciated book value returned at
  the horizon (straight line over the depreciation life).
* ``rent_gpu``: pay the cloud price (after a committed discount) for the chips needed.
* ``build_asic``: spend the NRE over the design schedule; the first silicon works with
  probability ``p_first_pass``, otherwise a respin costs ``respin_cost_usd`` and
  ``respin_delay_months`` and works with probability ``p_respin_success``; if it fails the
  program ends and the bridge option (a ``buy_gpu`` or ``rent_gpu`` option) carries on.
  Until the chip arrives the bridge serves the demand; afterwards the custom chips do (bought
  bridge GPUs are sunk: they stay on the books and are sold at book value at the horizon).
  A team sustaining the chip and its software costs ``sustaining_usd_per_year``.
* ``acquire``: as ``build_asic`` after paying ``acquisition_usd`` up front for a company whose
  existing design saves ``time_saved_months`` and succeeds more often.
* ``partner``: as ``build_asic`` with a design partner (Broadcom for Google's TPU) that
  carries part of the NRE and takes ``partner_margin_frac`` of the unit cost on every chip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from siliconomics.catalog.sourced import Range
from siliconomics.economics.defaults import SourcedRange
from siliconomics.economics.tco import FloatArray, capital_recovery_factor
from siliconomics.economics.unit_cost import SECONDS_PER_DAY
from siliconomics.registry import Registry

HOURS_PER_QUARTER = 8766.0 / 4.0
BoolArray = np.ndarray  # (N,) of bool


@dataclass(frozen=True)
class OptionSpec:
    """One strategy option: its type, its inputs (sourced ranges) and what it leans on."""

    id: str
    type: str
    label: str
    params: dict[str, SourcedRange]
    hardware: str | None = None
    bridge: str | None = None

    def key(self, name: str) -> str:
        return f"{self.id}.{name}"


@dataclass(frozen=True)
class StrategyModel:
    """Everything the cash-flow model needs, with every uncertain input as a named range.

    ``ranges`` maps global names (``traffic.growth_frac_per_year``, ``econ.pue``,
    ``buy-h100.price_usd`` ...) to sourced ranges; options find theirs under ``<id>.<name>``.
    """

    scenario_id: str
    horizon_quarters: int
    queries_per_day: float
    options: tuple[OptionSpec, ...]
    ranges: dict[str, SourcedRange]

    def option(self, option_id: str) -> OptionSpec:
        return Registry("option", {o.id: o for o in self.options})[option_id]

    @property
    def custom_ids(self) -> list[str]:
        return [o.id for o in self.options if o.type in CUSTOM_TYPES]

    @property
    def merchant_ids(self) -> list[str]:
        return [o.id for o in self.options if o.type not in CUSTOM_TYPES]

    def central(self) -> dict[str, FloatArray]:
        return {k: np.array([v.central]) for k, v in self.ranges.items()}


@dataclass
class OptionPaths:
    """Costs [USD per quarter] by category and chips in service, each ``(N, Q)``."""

    costs: dict[str, FloatArray]
    gpu_chips: FloatArray
    custom_chips: FloatArray
    arrival_quarter: FloatArray = field(default_factory=lambda: np.zeros(0))

    def total(self) -> FloatArray:
        return sum(self.costs.values(), np.zeros_like(self.gpu_chips))


@dataclass(frozen=True)
class Context:
    """Shared inputs of one evaluation: sampled values, demand and discounting."""

    p: Mapping[str, FloatArray]
    n: int
    quarters: int
    demand_qpd: FloatArray  # (N, Q) queries/day
    years: FloatArray  # (Q,) start of each quarter [yr]

    def get(self, key: str) -> FloatArray:
        return np.broadcast_to(self.p[key], (self.n,))

    def has(self, key: str) -> bool:
        return key in self.p


def demand_path(queries_per_day: FloatArray, growth_frac_per_year: FloatArray,
                years: FloatArray) -> FloatArray:
    """Demand [queries/day] per draw and quarter: ``D0 (1 + g)^t``."""
    return queries_per_day[:, None] * np.power(1.0 + growth_frac_per_year[:, None], years[None, :])


def utilisation(ctx: Context, opt: OptionSpec) -> FloatArray:
    """Average busy share of an option's fleet: its own ``utilisation_frac`` (set by the
    serving layer's fleet sizing: mean load / capacity of a fleet sized for the peak hour)
    or the scenario's ``traffic.utilisation_frac``."""
    key = opt.key("utilisation_frac")
    return ctx.get(key) if ctx.has(key) else ctx.get("traffic.utilisation_frac")


def chips_needed(ctx: Context, capacity_qps_per_chip: FloatArray,
                 utilisation_frac: FloatArray | None = None) -> FloatArray:
    """Accelerators [count] to carry the demand at the fleet's average utilisation."""
    util = ctx.get("traffic.utilisation_frac") if utilisation_frac is None else utilisation_frac
    return ctx.demand_qpd / SECONDS_PER_DAY / (capacity_qps_per_chip * util)[:, None]


def owned_fleet(needed: FloatArray, supply_cap: FloatArray | None) -> tuple[FloatArray, FloatArray]:
    """Installed base and purchases per quarter [chips]: buy up to the need, at most the cap.

    Chips are never sold before the horizon, so the installed base only grows.
    """
    n, q = needed.shape
    installed = np.zeros((n, q))
    purchases = np.zeros((n, q))
    base = np.zeros(n)
    for i in range(q):
        buy = np.maximum(needed[:, i] - base, 0.0)
        if supply_cap is not None:
            buy = np.minimum(buy, supply_cap)
        base = base + buy
        installed[:, i] = base
        purchases[:, i] = buy
    return installed, purchases


def _econ(ctx: Context, name: str) -> FloatArray:
    return ctx.get(f"econ.{name}")


def capex_per_chip(ctx: Context, price_usd: FloatArray) -> FloatArray:
    """Up-front cost of one accelerator with its server share and network [USD]."""
    return price_usd * _econ(ctx, "server_cost_multiplier") / (1.0 - _econ(ctx, "networking_frac"))


def running_costs_per_chip_quarter(
    ctx: Context, tdp_w: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Power [USD per chip-quarter in use] and data centre [USD per installed chip-quarter]."""
    spm = _econ(ctx, "server_power_multiplier")
    power_h = tdp_w * spm * _econ(ctx, "draw_frac") * _econ(ctx, "pue") / 1000.0 * _econ(
        ctx, "electricity_usd_per_kwh")
    crf_dc = capital_recovery_factor(
        _econ(ctx, "cost_of_capital_frac"), _econ(ctx, "dc_life_years")
    )
    dc_year = tdp_w * spm * _econ(ctx, "dc_capex_usd_per_w") * crf_dc
    return power_h * HOURS_PER_QUARTER, dc_year / 4.0


def owned_costs(
    ctx: Context, needed: FloatArray, price_usd: FloatArray, tdp_w: FloatArray,
    price_decline: FloatArray, supply_cap: FloatArray | None,
    shortfall_usd_per_hour: FloatArray | None,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """Quarterly costs of an owned fleet following ``needed``; returns (costs, chips in use)."""
    installed, purchases = owned_fleet(needed, supply_cap)
    price_q = price_usd[:, None] * np.power(1.0 - price_decline[:, None], ctx.years[None, :])
    unit_capex = capex_per_chip(ctx, np.ones(ctx.n))[:, None] * price_q
    capex = purchases * unit_capex
    in_use = np.minimum(installed, needed)
    power_q, dc_q = running_costs_per_chip_quarter(ctx, tdp_w)
    # operations on the installed base: a yearly share of the capex spent so far
    base_value = np.cumsum(capex, axis=1)
    costs = {
        "capex": capex,
        "power": in_use * power_q[:, None],
        "datacenter": installed * dc_q[:, None],
        "operations": _econ(ctx, "ops_frac_per_year")[:, None] / 4.0 * base_value,
    }
    horizon_years = ctx.quarters / 4.0
    age = horizon_years - ctx.years
    book_frac = np.clip(1.0 - age[None, :] / _econ(ctx, "depreciation_years")[:, None], 0.0, 1.0)
    salvage = np.zeros_like(capex)
    salvage[:, -1] = -(capex * book_frac).sum(axis=1)
    costs["salvage"] = salvage
    shortfall = np.maximum(needed - installed, 0.0)
    if shortfall_usd_per_hour is not None:
        costs["rental"] = shortfall * shortfall_usd_per_hour[:, None] * HOURS_PER_QUARTER
    return costs, installed


def rented_costs(ctx: Context, needed: FloatArray, usd_per_hour: FloatArray,
                 discount_frac: FloatArray) -> dict[str, FloatArray]:
    """Quarterly rental [USD] of the chips needed."""
    rate = usd_per_hour * (1.0 - discount_frac)
    return {"rental": needed * rate[:, None] * HOURS_PER_QUARTER}


def merchant_costs(ctx: Context, opt: OptionSpec, share: FloatArray | None = None
                   ) -> tuple[dict[str, FloatArray], FloatArray, FloatArray]:
    """Costs, chips held and chips needed of a ``buy_gpu``/``rent_gpu`` option serving
    ``share`` (N, Q) of the demand (all of it when None)."""
    needed = chips_needed(ctx, ctx.get(opt.key("capacity_qps_per_chip")), utilisation(ctx, opt))
    if share is not None:
        needed = needed * share
    if opt.type == "rent_gpu":
        discount = ctx.get(opt.key("committed_discount_frac")) if ctx.has(
            opt.key("committed_discount_frac")) else np.zeros(ctx.n)
        return rented_costs(ctx, needed, ctx.get(opt.key("cloud_usd_per_hour")), discount), \
            needed, needed
    cap = ctx.get(opt.key("supply_cap_chips_per_quarter")) if ctx.has(
        opt.key("supply_cap_chips_per_quarter")) else None
    shortfall = ctx.get(opt.key("shortfall_usd_per_hour")) if ctx.has(
        opt.key("shortfall_usd_per_hour")) else None
    costs, installed = owned_costs(
        ctx, needed, ctx.get(opt.key("price_usd")), ctx.get(opt.key("tdp_w")),
        ctx.get(opt.key("price_decline_frac_per_year")), cap, shortfall,
    )
    return costs, installed, needed


def buy_gpu(ctx: Context, opt: OptionSpec, model: StrategyModel,
            events: FloatArray | None) -> OptionPaths:
    costs, held, _ = merchant_costs(ctx, opt)
    return OptionPaths(costs, held, np.zeros_like(held))


def rent_gpu(ctx: Context, opt: OptionSpec, model: StrategyModel,
             events: FloatArray | None) -> OptionPaths:
    costs, held, _ = merchant_costs(ctx, opt)
    return OptionPaths(costs, held, np.zeros_like(held))


def _opt_or(ctx: Context, opt: OptionSpec, name: str, default: float) -> FloatArray:
    return ctx.get(opt.key(name)) if ctx.has(opt.key(name)) else np.full(ctx.n, default)


def arrival_months(schedule_months: FloatArray, respin_delay_months: FloatArray,
                   p_first_pass: FloatArray, p_respin_success: FloatArray,
                   u: FloatArray) -> FloatArray:
    """Months until the custom chip is in volume; ``inf`` if the program fails.

    ``u`` (N, 2) are uniform draws deciding first-pass success and respin success.
    """
    first_ok = u[:, 0] < p_first_pass
    respin_ok = u[:, 1] < p_respin_success
    return np.where(first_ok, schedule_months,
                    np.where(respin_ok, schedule_months + respin_delay_months, np.inf))


def custom_capacity(ctx: Context, opt: OptionSpec, bridge: OptionSpec) -> FloatArray:
    """Queries/s per custom chip: its own (serving layer on the silicon layer's derived
    accelerator) or the bridge GPU's times ``perf_ratio``."""
    if ctx.has(opt.key("capacity_qps_per_chip")):
        return ctx.get(opt.key("capacity_qps_per_chip"))
    return ctx.get(bridge.key("capacity_qps_per_chip")) * ctx.get(opt.key("perf_ratio"))


def custom_program(ctx: Context, opt: OptionSpec, model: StrategyModel,
                   events: FloatArray | None) -> OptionPaths:
    """Cash flows of a custom-chip program (build, acquire or partner) with its bridge."""
    if events is None:
        raise ValueError(f"option '{opt.id}': a custom-chip program needs its event draws")
    bridge = model.option(opt.bridge or "")
    saved = _opt_or(ctx, opt, "time_saved_months", 0.0)
    schedule = np.maximum(ctx.get(opt.key("schedule_months")) - saved, 1.0)
    delay = ctx.get(opt.key("respin_delay_months"))
    arrival = arrival_months(schedule, delay, ctx.get(opt.key("p_first_pass")),
                             ctx.get(opt.key("p_respin_success")), events)
    months = ctx.years * 12.0
    q_len = 3.0
    # the custom chips serve a quarter once they arrive before its start
    share = (months[None, :] >= arrival[:, None]).astype(float)
    costs: dict[str, FloatArray] = {}
    # NRE spread evenly over the design months, quarter by quarter
    nre = ctx.get(opt.key("nre_usd")) * (1.0 - _opt_or(ctx, opt, "partner_nre_share_frac", 0.0))
    overlap = np.clip(schedule[:, None] - months[None, :], 0.0, q_len)
    costs["nre"] = nre[:, None] * overlap / schedule[:, None]
    first_failed = events[:, 0] >= ctx.get(opt.key("p_first_pass"))
    respin_window = np.clip(schedule[:, None] + delay[:, None] - months[None, :], 0.0, q_len) - \
        np.clip(schedule[:, None] - months[None, :], 0.0, q_len)
    costs["respin"] = np.where(
        first_failed[:, None],
        ctx.get(opt.key("respin_cost_usd"))[:, None] * respin_window
        / np.maximum(delay, 1e-9)[:, None],
        0.0,
    )
    acquisition = np.zeros((ctx.n, ctx.quarters))
    acquisition[:, 0] = _opt_or(ctx, opt, "acquisition_usd", 0.0)
    costs["acquisition"] = acquisition
    sustaining = _opt_or(ctx, opt, "sustaining_usd_per_year", 0.0)
    costs["sustaining"] = np.where(share > 0, sustaining[:, None] / 4.0, 0.0)
    # the bridge serves what the custom chip does not
    bridge_costs, bridge_held, _ = merchant_costs(ctx, bridge, share=1.0 - share)
    for name, value in bridge_costs.items():
        costs[f"bridge_{name}"] = value
    needed = chips_needed(ctx, custom_capacity(ctx, opt, bridge), utilisation(ctx, opt)) * share
    unit = ctx.get(opt.key("unit_cost_usd")) * (1.0 + _opt_or(ctx, opt, "partner_margin_frac", 0.0))
    own, held = owned_costs(ctx, needed, unit, ctx.get(opt.key("tdp_w")),
                            _opt_or(ctx, opt, "price_decline_frac_per_year", 0.0), None, None)
    margin_frac = _opt_or(ctx, opt, "partner_margin_frac", 0.0)
    partner_share = margin_frac / (1.0 + margin_frac)
    costs["partner_margin"] = own["capex"] * partner_share[:, None]
    own["capex"] = own["capex"] - costs["partner_margin"]
    own["salvage"] = own["salvage"] * (1.0 - partner_share)[:, None]
    for name, value in own.items():
        costs[name] = value
    return OptionPaths(costs, bridge_held, held, arrival_quarter=arrival / q_len)


OptionFn = Callable[[Context, OptionSpec, StrategyModel, "FloatArray | None"], OptionPaths]

OPTION_TYPES: Registry[OptionFn] = Registry(
    "option type",
    {"buy_gpu": buy_gpu, "rent_gpu": rent_gpu, "build_asic": custom_program,
     "acquire": custom_program, "partner": custom_program},
)
CUSTOM_TYPES = frozenset({"build_asic", "acquire", "partner"})

#: Inputs each option type requires (beyond optional ones), for the scenario loader.
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "buy_gpu": ("capacity_qps_per_chip", "price_usd", "tdp_w", "price_decline_frac_per_year"),
    "rent_gpu": ("capacity_qps_per_chip", "cloud_usd_per_hour"),
    "build_asic": ("nre_usd", "schedule_months", "p_first_pass", "respin_delay_months",
                   "respin_cost_usd", "p_respin_success", "unit_cost_usd", "tdp_w", "perf_ratio"),
    "acquire": ("nre_usd", "schedule_months", "p_first_pass", "respin_delay_months",
                "respin_cost_usd", "p_respin_success", "unit_cost_usd", "tdp_w", "perf_ratio",
                "acquisition_usd", "time_saved_months"),
    "partner": ("nre_usd", "schedule_months", "p_first_pass", "respin_delay_months",
                "respin_cost_usd", "p_respin_success", "unit_cost_usd", "tdp_w", "perf_ratio",
                "partner_margin_frac"),
}


def discount_factors(rate_frac: FloatArray, quarters: int) -> FloatArray:
    """(N, Q) present-value factors, cash at mid-quarter: ``(1 + r)^-(q + 0.5)/4``."""
    t = (np.arange(quarters) + 0.5) / 4.0
    factors: FloatArray = np.power(1.0 + rate_frac[:, None], -t[None, :])
    return factors


def evaluate(model: StrategyModel, p: Mapping[str, FloatArray],
             events: Mapping[str, FloatArray], demand_scale: FloatArray | float = 1.0,
             ) -> dict[str, OptionPaths]:
    """Cash flows of every option for N sampled input sets (arrays of shape ``(N,)``).

    ``events`` maps each custom option to its (N, 2) uniform draws (first pass, respin).
    """
    n = int(max(np.size(v) for v in p.values()))
    years = np.arange(model.horizon_quarters) / 4.0
    d0 = np.broadcast_to(np.asarray(model.queries_per_day * np.asarray(demand_scale), float), (n,))
    growth = np.broadcast_to(p["traffic.growth_frac_per_year"], (n,))
    ctx = Context(p=p, n=n, quarters=model.horizon_quarters,
                  demand_qpd=demand_path(np.asarray(d0), np.asarray(growth), years), years=years)
    out: dict[str, OptionPaths] = {}
    for opt in model.options:
        fn = OPTION_TYPES[opt.type]
        out[opt.id] = fn(ctx, opt, model, events.get(opt.id))
    return out


def present_value(model: StrategyModel, p: Mapping[str, FloatArray],
                  paths: Mapping[str, OptionPaths]) -> dict[str, FloatArray]:
    """Present value of each option's costs [USD], shape (N,)."""
    n = next(iter(paths.values())).gpu_chips.shape[0]
    rate = np.broadcast_to(p["econ.cost_of_capital_frac"], (n,))
    factors = discount_factors(np.asarray(rate), model.horizon_quarters)
    return {k: (v.total() * factors).sum(axis=1) for k, v in paths.items()}


def point(value: float, source: str) -> SourcedRange:
    """A sourced constant."""
    return SourcedRange(Range.point(value), source)
