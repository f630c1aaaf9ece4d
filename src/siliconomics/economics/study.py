"""The main job: one scenario -> cost per query on every option, the strategy Monte Carlo,
sensitivity, break-even demand, the SemiAnalysis reproduction and the 4-cent explanation.

:func:`run_study` is the orchestrator (pvlib ``ModelChain`` style): it calls the steps in
order and fills a frozen :class:`StudyResult`; :meth:`StudyResult.to_json` is what
``siliconomics study --json`` prints.

Cost per query on a custom-chip option is its steady state once the chip is in service: the
TCO of its chips plus the program's fixed costs (NRE not carried by a partner, acquisition,
sustaining team over the horizon) spread evenly over the horizon's days. The timing, the risk
of failure and the GPUs bridging the gap are in the strategy NPV, not in this number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from siliconomics.economics.montecarlo import (
    BreakEven,
    StrategyResult,
    TornadoBar,
    break_even_demand,
    deterministic,
    run_monte_carlo,
    tornado,
)
from siliconomics.economics.scenario import Scenario, load_scenario
from siliconomics.economics.strategy import CUSTOM_TYPES
from siliconomics.economics.tco import owned_tco, rented_tco
from siliconomics.economics.unit_cost import UnitCost, chips_for_demand, unit_cost
from siliconomics.errors import CatalogError, SiliconomicsError

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int], None]


def option_unit_cost(s: Scenario, option_id: str, changes: dict[str, float] | None = None
                     ) -> UnitCost:
    """Cost per query/day/token of one option at the central inputs (with ``changes`` by
    global input name), in steady state."""
    c = {k: v.central for k, v in s.strategy.ranges.items()} | (changes or {})
    opt = s.strategy.option(option_id)
    econ = {k.removeprefix("econ."): v for k, v in c.items() if k.startswith("econ.")}
    qpd = c["traffic.daily_users"] * c["traffic.queries_per_user_per_day"]
    util_key = opt.key("utilisation_frac")
    util = c[util_key] if util_key in c else c["traffic.utilisation_frac"]
    extra = 0.0
    if opt.type in CUSTOM_TYPES:
        bridge = s.strategy.option(opt.bridge or "")
        own = opt.key("capacity_qps_per_chip")
        cap = c[own] if own in c else (
            c[bridge.key("capacity_qps_per_chip")] * c[opt.key("perf_ratio")])
        margin = c.get(opt.key("partner_margin_frac"), 0.0)
        tco = owned_tco(c[opt.key("unit_cost_usd")] * (1 + margin), c[opt.key("tdp_w")],
                        s.economics, econ)
        years = s.strategy.horizon_quarters / 4.0
        fixed = (c[opt.key("nre_usd")] * (1 - c.get(opt.key("partner_nre_share_frac"), 0.0))
                 + c.get(opt.key("acquisition_usd"), 0.0)
                 + c.get(opt.key("sustaining_usd_per_year"), 0.0) * years)
        extra = fixed / (years * 365.25)
    else:
        cap = c[opt.key("capacity_qps_per_chip")]
        if opt.type == "rent_gpu":
            tco = rented_tco(c[opt.key("cloud_usd_per_hour")],
                             c.get(opt.key("committed_discount_frac"), 0.0))
        else:
            tco = owned_tco(c[opt.key("price_usd")], c[opt.key("tdp_w")], s.economics, econ)
    chips = float(chips_for_demand(qpd, cap, util))
    return unit_cost(opt.id, tco, chips, qpd, c["traffic.input_tokens_per_query"],
                     c["traffic.output_tokens_per_query"], cap,
                     c["econ.output_input_cost_ratio"], extra)


@dataclass(frozen=True)
class Reproduction:
    """A published estimate recomputed from its assumptions (or, for ``own_model``, the same
    traffic and prices with the GPUs sized by siliconomics's serving and performance model).

    ``gpus`` [count], ``servers`` [count], ``usd_per_day``, ``usd_per_query`` [USD],
    ``capacity_qps_per_chip`` [queries/s per GPU when busy], ``utilisation_frac`` [average
    busy share], ``capacity_method`` (``flops``: published FLOP utilisation; ``serving``).
    """

    option: str
    gpus: float
    servers: float
    usd_per_day: float
    usd_per_query: float
    capacity_qps_per_chip: float = float("nan")
    utilisation_frac: float = float("nan")
    capacity_method: str = ""


def _reproduction_of(s: Scenario, option: str, per_server: float) -> Reproduction:
    c = s.strategy.ranges
    opt = s.strategy.option(option)
    uc = option_unit_cost(s, option)
    info = next(o for o in s.options if o.id == option)
    return Reproduction(uc.option, uc.chips, uc.chips / per_server, uc.cost_per_day_usd,
                        uc.cost_per_query_usd, c[opt.key("capacity_qps_per_chip")].central,
                        uc.utilisation_frac, info.capacity_method)


def _reproduction_block(s: Scenario) -> tuple[dict[str, Any], float] | None:
    block = s.raw.get("reproduction")
    if block is None:
        return None
    if not isinstance(block, dict) or "option" not in block:
        raise CatalogError(f"{s.path}: reproduction: needs 'option' and 'gpus_per_server'")
    ids = [o.id for o in s.options]
    for key in ("option", "own_model_option"):
        if key in block and str(block[key]) not in ids:
            raise CatalogError(f"{s.path}: reproduction.{key}: must name an option of this "
                               f"scenario ({', '.join(ids)}), got {block[key]!r}")
    return block, float(block.get("gpus_per_server", {}).get("value", 8))


def reproduce(s: Scenario) -> Reproduction | None:
    """Recompute the scenario's ``reproduction`` option (e.g. SemiAnalysis 2023)."""
    found = _reproduction_block(s)
    if found is None:
        return None
    block, per_server = found
    return _reproduction_of(s, str(block["option"]), per_server)


def reproduce_own_model(s: Scenario) -> Reproduction | None:
    """The reproduction's traffic and prices with the GPUs from siliconomics's own serving and
    performance model (the ``reproduction.own_model_option``, capacity method ``serving``)."""
    found = _reproduction_block(s)
    if found is None or "own_model_option" not in found[0]:
        return None
    block, per_server = found
    option = str(block["own_model_option"])
    info = next(o for o in s.options if o.id == option)
    if info.capacity_method != "serving":
        raise CatalogError(f"{s.path}: reproduction.own_model_option: option '{option}' must "
                           f"use capacity method 'serving', got '{info.capacity_method}'")
    return _reproduction_of(s, option, per_server)


@dataclass(frozen=True)
class ExplainStep:
    label: str
    source: str
    usd_per_query: float


def explain_target(s: Scenario) -> tuple[float, str, list[ExplainStep]] | None:
    """Cost per query after each cumulative change of assumptions in the scenario's
    ``four_cents`` block: which inputs reach the target (e.g. Bernstein's ~4 cents)."""
    block = s.raw.get("four_cents")
    repro = s.raw.get("reproduction")
    if not isinstance(block, dict) or not isinstance(repro, dict):
        return None
    option = str(repro["option"])
    changes: dict[str, float] = {}
    central = {k: v.central for k, v in s.strategy.ranges.items()}
    steps = [ExplainStep("Published assumptions (SemiAnalysis)", "as the reproduction",
                         option_unit_cost(s, option).cost_per_query_usd)]
    for i, step in enumerate(block.get("steps", [])):
        where = f"{s.path}: four_cents.steps[{i}]"
        if "source" not in step:
            raise CatalogError(f"{where}: missing 'source'")
        for name, value in (step.get("set") or {}).items():
            if name not in central:
                raise CatalogError(f"{where}.set: unknown input '{name}'")
            changes[name] = float(value)
        for name, factor in (step.get("scale") or {}).items():
            if name not in central:
                raise CatalogError(f"{where}.scale: unknown input '{name}'")
            changes[name] = changes.get(name, central[name]) * float(factor)
        steps.append(ExplainStep(str(step.get("label", f"step {i + 1}")), str(step["source"]),
                                 option_unit_cost(s, option, changes).cost_per_query_usd))
    target = block["target_usd_per_query"]
    return float(target["value"]), str(target["source"]), steps


@dataclass(frozen=True)
class StudyResult:
    """Everything the summary, the JSON and the report show."""

    scenario: Scenario
    unit_costs: dict[str, UnitCost]
    strategy: StrategyResult
    deterministic_npv_usd: dict[str, float]
    tornado_pair: tuple[str, str]
    tornado_base_usd: float
    tornado: list[TornadoBar]
    break_even: BreakEven | None
    reproduction: Reproduction | None
    own_model: Reproduction | None
    explanation: tuple[float, str, list[ExplainStep]] | None
    savings_usd_per_year: dict[str, float] | None
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        summary = self.strategy.summary()
        options: dict[str, dict[str, Any]] = {}
        for info in s.options:
            uc = self.unit_costs[info.id]
            row: dict[str, Any] = {
                "label": info.label, "type": info.type, "hardware": info.hardware,
                "capacity_method": info.capacity_method, "bridge": info.bridge,
                "chips": uc.chips, "cost_per_query_usd": uc.cost_per_query_usd,
                "cost_per_day_usd": uc.cost_per_day_usd, "cost_per_year_usd": uc.cost_per_year_usd,
                "usd_per_m_input_tokens": uc.usd_per_m_input_tokens,
                "usd_per_m_output_tokens": uc.usd_per_m_output_tokens,
                "utilisation_frac": uc.utilisation_frac,
                "tco_usd_per_chip_hour": uc.tco_usd_per_chip_hour,
                "breakdown_usd_per_day": uc.breakdown_usd_per_day,
                "idle_capacity_usd_per_day": uc.idle_capacity_usd_per_day,
                "deterministic_npv_usd": self.deterministic_npv_usd[info.id],
                "serving": info.serving, "silicon": info.silicon,
            }
            options[info.id] = row | summary[info.id]
        be = self.break_even
        return {
            "scenario": s.id, "name": s.name, "model": s.model_id,
            "queries_per_day": s.queries_per_day, "horizon_years": s.strategy.horizon_quarters / 4,
            "options": options,
            "strategy": {
                "recommended": self.strategy.recommended,
                "prob_best": self.strategy.prob_best,
                "draws": self.strategy.draws, "seed": self.strategy.seed,
                "custom_success_frac": self.strategy.custom_success_frac,
                "break_even": None if be is None else {
                    "custom_option": be.custom_option, "merchant_option": be.merchant_option,
                    "queries_per_day": be.queries_per_day, "demand_multiple": be.scale,
                },
                "tornado": {
                    "metric": f"NPV({self.tornado_pair[0]}) - NPV({self.tornado_pair[1]}) [USD]",
                    "base_usd": self.tornado_base_usd,
                    "bars": [{"input": b.name, "low": b.low_value, "high": b.high_value,
                              "metric_at_low_usd": b.metric_at_low_usd,
                              "metric_at_high_usd": b.metric_at_high_usd,
                              "swing_usd": b.swing_usd} for b in self.tornado],
                },
            },
            "reproduction": None if self.reproduction is None else vars(self.reproduction),
            "own_model": None if self.own_model is None else vars(self.own_model) | {
                "gpus_vs_published_frac": (self.own_model.gpus / self.reproduction.gpus
                                           if self.reproduction else None),
                "usd_per_query_vs_published_frac": (
                    self.own_model.usd_per_query / self.reproduction.usd_per_query
                    if self.reproduction else None),
            },
            "four_cents": None if self.explanation is None else {
                "target_usd_per_query": self.explanation[0],
                "steps": [vars(x) for x in self.explanation[2]],
            },
            "savings_usd_per_year": self.savings_usd_per_year,
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """This result as a pandas DataFrame, one row per option
        (:func:`siliconomics.frames.study_frame`)."""
        from siliconomics.frames import study_frame

        return study_frame(self)



def _savings(s: Scenario, npv: dict[str, float]) -> dict[str, float] | None:
    pair = s.raw.get("savings_compare")
    if pair is None:
        return None
    if not isinstance(pair, list) or len(pair) != 2 or any(p not in npv for p in pair):
        raise CatalogError(f"{s.path}: savings_compare: expected two option ids of this scenario")
    from siliconomics.economics.tco import capital_recovery_factor

    years = s.strategy.horizon_quarters / 4.0
    rate = s.strategy.ranges["econ.cost_of_capital_frac"].central
    annuity = float(capital_recovery_factor(rate, years))
    a, b = pair
    return {"option": a, "versus": b, "usd_per_year": (npv[a] - npv[b]) * annuity}


def run_study(scenario: str | Scenario = "chatgpt-2023", draws: int = 10_000, seed: int = 0,
              progress: Progress | None = None) -> StudyResult:
    """Run the whole study for a scenario id, path or loaded :class:`Scenario`."""
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if draws < 1:
        raise SiliconomicsError(f"draws must be >= 1, got {draws}")
    units = {o.id: option_unit_cost(s, o.id) for o in s.options}
    mc = run_monte_carlo(s.strategy, draws=draws, seed=seed, progress=progress)
    det = deterministic(s.strategy)
    ranked = sorted(det, key=lambda k: det[k], reverse=True)
    first = mc.recommended
    second = next(k for k in ranked if k != first) if len(ranked) > 1 else first
    base, bars = tornado(s.strategy, first, second)
    explanation = explain_target(s)
    if explanation is None and s.id != "semianalysis-2023":
        explanation = explain_target(load_scenario("semianalysis-2023"))
    return StudyResult(
        scenario=s, unit_costs=units, strategy=mc, deterministic_npv_usd=det,
        tornado_pair=(first, second), tornado_base_usd=base, tornado=bars,
        break_even=break_even_demand(s.strategy), reproduction=reproduce(s),
        own_model=reproduce_own_model(s),
        explanation=explanation, savings_usd_per_year=_savings(s, det), warnings=s.warnings,
    )
