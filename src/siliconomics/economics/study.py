"""The main job: one scenario -> cost per query on every option (steady state and
levelised), the strategy Monte Carlo, fleets by vintage, sensitivity, break-even demand and
horizon per custom option, the SemiAnalysis reproduction and the 4-cent explanation.

:func:`run_study` is the orchestrator (pvlib ``ModelChain`` style): it resolves the parsed
scenario once (hardware and designs to accelerator objects, fleets sized by the serving
layer), then calls the steps in order and fills a frozen :class:`StudyResult`;
:meth:`StudyResult.to_json` is what ``siliconomics study --json`` prints.

Two costs per query, side by side:

* **steady state** (``unit_costs``): the option's preferred chip at the scenario date, its
  TCO per chip-hour (:mod:`economics.tco`) x the chips today's demand needs / today's
  queries. No programme costs, no timing: what a query costs once the fleet is in place.
* **levelised** (``levelised_usd_per_query``): PV of all the option's costs over the horizon
  (NRE, bridge GPUs, respins, retirements, continuing value returned) / PV of the queries it
  served. This is the comparable number; NPV ranks the options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siliconomics.economics.montecarlo import (
    BreakEven,
    StrategyResult,
    TornadoBar,
    break_even,
    expected,
    run_monte_carlo,
    tornado,
)
from siliconomics.economics.resolve import Scenario, resolve
from siliconomics.economics.scenario import ScenarioSpec, load_scenario, scenario_from_dict
from siliconomics.economics.strategy import (
    BuyGpu,
    CustomProgram,
    Generation,
    RentGpu,
    rental_path,
)
from siliconomics.economics.tco import capital_recovery_factor, owned_tco, rented_tco
from siliconomics.economics.unit_cost import UnitCost, chips_for_demand, unit_cost
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.serving.executor import MapExecutor

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int], None]


def _preferred_at_start(gens: tuple[Generation, ...]) -> Generation:
    """The newest generation available at the scenario date (generations newest first)."""
    return next((g for g in gens if g.available_quarter <= 0), gens[-1])


def option_unit_cost(s: Scenario, option_id: str, changes: dict[str, float] | None = None
                     ) -> UnitCost:
    """Steady-state cost per query/day/token of one option at the central inputs (with
    ``changes`` by global input name): its preferred chip at the scenario date."""
    c = {k: v.central for k, v in s.strategy.ranges.items()} | (changes or {})
    opt = s.strategy.option(option_id)
    econ = {k.removeprefix("econ."): v for k, v in c.items() if k.startswith("econ.")}
    qpd = c["traffic.daily_users"] * c["traffic.queries_per_user_per_day"]
    tin, tout = c["traffic.input_tokens_per_query"], c["traffic.output_tokens_per_query"]
    if isinstance(opt, CustomProgram):
        gen = opt.chip
        margin = c.get(opt.key("partner_margin_frac"), 0.0)
        tco = owned_tco(c[opt.key("unit_cost_usd")] * (1 + margin), c[opt.key("tdp_w")],
                        s.economics, econ)
    else:
        gen = _preferred_at_start(opt.generations)
        if isinstance(opt, RentGpu):
            rate = float(rental_path(gen.rental_points, 1)[0]) if gen.rental_points else \
                c[f"{gen.key}.cloud_usd_per_hour"]
            tco = rented_tco(rate, c.get(opt.key("committed_discount_frac"), 0.0))
        else:
            assert isinstance(opt, BuyGpu)
            tco = owned_tco(c[f"{gen.key}.price_usd"], c[f"{gen.key}.tdp_w"], s.economics, econ)
    util_key = f"{gen.key}.utilisation_frac"
    util = c[util_key] if util_key in c else c["traffic.utilisation_frac"]
    cap = c[f"{gen.key}.capacity_qps_per_chip"] * float(gen.surface.ratio(tin, tout))
    chips = float(chips_for_demand(qpd, cap, util))
    return unit_cost(opt.id, tco, chips, qpd, tin, tout, cap, c["econ.output_input_cost_ratio"])


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


def _reproduction_of(s: Scenario, option: str) -> Reproduction:
    rep = s.spec.reproduction
    per_server = rep.gpus_per_server.range.central if rep and rep.gpus_per_server else 8.0
    opt = s.strategy.option(option)
    gen = _preferred_at_start(opt.generations)
    uc = option_unit_cost(s, option)
    return Reproduction(uc.option, uc.chips, uc.chips / per_server, uc.cost_per_day_usd,
                        uc.cost_per_query_usd,
                        s.strategy.ranges[f"{gen.key}.capacity_qps_per_chip"].central,
                        uc.utilisation_frac, gen.capacity_method)


def reproduce(s: Scenario) -> Reproduction | None:
    """Recompute the scenario's ``reproduction`` option (e.g. SemiAnalysis 2023)."""
    rep = s.spec.reproduction
    return None if rep is None else _reproduction_of(s, rep.option)


def reproduce_own_model(s: Scenario) -> Reproduction | None:
    """The reproduction's traffic and prices with the GPUs from siliconomics's own serving and
    performance model (the ``reproduction.own_model_option``, capacity method ``serving``)."""
    rep = s.spec.reproduction
    if rep is None or rep.own_model_option is None:
        return None
    out = _reproduction_of(s, rep.own_model_option)
    if out.capacity_method != "serving":
        raise CatalogError(f"{s.path}: reproduction.own_model_option: option "
                           f"'{rep.own_model_option}' must use capacity method 'serving', got "
                           f"'{out.capacity_method}'")
    return out


@dataclass(frozen=True)
class ExplainStep:
    label: str
    source: str
    usd_per_query: float


def explain_target(s: Scenario) -> tuple[float, str, list[ExplainStep]] | None:
    """Cost per query after each cumulative change of assumptions in the scenario's
    ``four_cents`` block: which inputs reach the target (e.g. Bernstein's ~4 cents)."""
    block = s.spec.four_cents
    rep = s.spec.reproduction
    if block is None or rep is None:
        return None
    central = {k: v.central for k, v in s.strategy.ranges.items()}
    changes: dict[str, float] = {}
    steps = [ExplainStep("Published assumptions (SemiAnalysis)", "as the reproduction",
                         option_unit_cost(s, rep.option).cost_per_query_usd)]
    for i, step in enumerate(block.steps):
        where = f"{s.path}: four_cents.steps[{i}]"
        for name, value in step.set.items():
            if name not in central:
                raise CatalogError(f"{where}.set: unknown input '{name}'")
            changes[name] = float(value)
        for name, factor in step.scale.items():
            if name not in central:
                raise CatalogError(f"{where}.scale: unknown input '{name}'")
            changes[name] = changes.get(name, central[name]) * float(factor)
        steps.append(ExplainStep(step.label, step.source,
                                 option_unit_cost(s, rep.option, changes).cost_per_query_usd))
    target = block.target_usd_per_query
    return target.range.central, target.source, steps


@dataclass(frozen=True)
class StudyResult:
    """Everything the summary, the JSON, the CSVs and the report show (frozen).

    Per option: ``unit_costs`` (steady state), ``levelised_central_usd_per_query`` (central
    inputs, expected over chip risk), ``deterministic_npv_usd``; the Monte Carlo in
    ``strategy`` (NPV and levelised cost per draw, P(best), fleet by vintage
    ``strategy.fleet_by_vintage[option][generation]`` = mean chips per quarter);
    ``break_even_by_option`` (demand and horizon per custom option); ``break_even`` is the
    one of the custom option best today; ``tornado`` on ``NPV(a) - NPV(b)`` of
    ``tornado_pair``; ``horizon_note`` says where the horizon came from.
    """

    scenario: Scenario
    unit_costs: dict[str, UnitCost]
    levelised_central_usd_per_query: dict[str, float]
    strategy: StrategyResult
    deterministic_npv_usd: dict[str, float]
    tornado_pair: tuple[str, str]
    tornado_base_usd: float
    tornado: list[TornadoBar]
    break_even_by_option: tuple[BreakEven, ...]
    break_even: BreakEven | None
    reproduction: Reproduction | None
    own_model: Reproduction | None
    explanation: tuple[float, str, list[ExplainStep]] | None
    savings_usd_per_year: dict[str, Any] | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def spec(self) -> ScenarioSpec:
        return self.scenario.spec

    @property
    def quarter_years(self) -> list[float]:
        """Calendar date [years] of the start of each quarter of the horizon."""
        q = self.scenario.strategy.horizon_quarters
        return [self.scenario.start_years + i / 4.0 for i in range(q)]

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        summary = self.strategy.summary()
        be_by = {b.custom_option: b for b in self.break_even_by_option}
        options: dict[str, dict[str, Any]] = {}
        for info in s.options:
            uc = self.unit_costs[info.id]
            b = be_by.get(info.id)
            row: dict[str, Any] = {
                "label": info.label, "type": info.type, "hardware": info.hardware,
                "generations": list(info.generations),
                "capacity_method": info.capacity_method, "bridge": info.bridge,
                "chips": uc.chips, "cost_per_query_usd": uc.cost_per_query_usd,
                "cost_per_day_usd": uc.cost_per_day_usd, "cost_per_year_usd": uc.cost_per_year_usd,
                "usd_per_m_input_tokens": uc.usd_per_m_input_tokens,
                "usd_per_m_output_tokens": uc.usd_per_m_output_tokens,
                "utilisation_frac": uc.utilisation_frac,
                "tco_usd_per_chip_hour": uc.tco_usd_per_chip_hour,
                "breakdown_usd_per_day": uc.breakdown_usd_per_day,
                "idle_capacity_usd_per_day": uc.idle_capacity_usd_per_day,
                "levelised_usd_per_query": self.levelised_central_usd_per_query[info.id],
                "deterministic_npv_usd": self.deterministic_npv_usd[info.id],
                "fleet_by_vintage": {k: [float(x) for x in v] for k, v in
                                     self.strategy.fleet_by_vintage[info.id].items()},
                "break_even": None if b is None else _be_json(b),
                "custom_success_frac": self.strategy.custom_success_frac.get(info.id),
                "serving": info.serving, "silicon": info.silicon,
            }
            options[info.id] = row | summary[info.id]
        be = self.break_even
        return {
            "scenario": s.id, "name": s.name, "model": s.model_id, "as_of": s.spec.as_of,
            "queries_per_day": s.queries_per_day,
            "horizon_years": s.strategy.horizon_quarters / 4, "horizon_note": s.horizon_note,
            "quarter_years": self.quarter_years,
            "options": options,
            "strategy": {
                "recommended": self.strategy.recommended,
                "prob_best": self.strategy.prob_best,
                "draws": self.strategy.draws, "seed": self.strategy.seed,
                "custom_success_frac": self.strategy.custom_success_frac,
                "break_even": None if be is None else _be_json(be),
                "break_even_by_option": [_be_json(b) for b in self.break_even_by_option],
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
        return _study_frame(self)


def _study_frame(r: StudyResult) -> pd.DataFrame:
    from siliconomics.frames import study_frame

    return study_frame(r)


def _be_json(b: BreakEven) -> dict[str, Any]:
    return {"custom_option": b.custom_option, "merchant_option": b.merchant_option,
            "queries_per_day": b.queries_per_day, "demand_multiple": b.scale,
            "searched_queries_per_day": list(b.searched), "horizon_years": b.horizon_years,
            "horizon_searched_years": b.horizon_searched_years,
            "npv_gap_at_today_usd": b.npv_gap_at_today_usd}


def _savings(s: Scenario, npv: dict[str, float]) -> dict[str, Any] | None:
    pair = s.spec.savings_compare
    if pair is None:
        return None
    years = s.strategy.horizon_quarters / 4.0
    rate = s.strategy.ranges["econ.cost_of_capital_frac"].central
    annuity = float(capital_recovery_factor(rate, years))
    a, b = pair
    return {"option": a, "versus": b, "usd_per_year": (npv[a] - npv[b]) * annuity}


def _explanation(s: Scenario) -> tuple[float, str, list[ExplainStep]] | None:
    """The scenario's own 4-cent explanation, or that of the scenario it names in
    ``explain_with`` (only its reproduction option resolved)."""
    if s.spec.explain_with is None:
        return explain_target(s)
    other = load_scenario(s.spec.explain_with)
    if other.reproduction is None or other.four_cents is None:
        raise CatalogError(f"{s.path}: explain_with: scenario '{s.spec.explain_with}' has no "
                           f"reproduction and four_cents blocks")
    return explain_target(resolve(other, only=(other.reproduction.option,)))


def as_scenario(scenario: str | Path | ScenarioSpec | Scenario | dict[str, Any],
                executor: MapExecutor | None = None) -> Scenario:
    """Parse (if needed) and resolve a scenario id, path, mapping or spec (``executor``:
    size its serving fleets in parallel, see :func:`resolve`)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        scenario = scenario_from_dict(scenario)
    spec = scenario if isinstance(scenario, ScenarioSpec) else load_scenario(scenario)
    return resolve(spec, executor=executor)


def run_study(scenario: str | Path | ScenarioSpec | Scenario | dict[str, Any] = "chatgpt-2023",
              *, draws: int = 10_000, seed: int = 0,
              progress: Progress | None = None) -> StudyResult:
    """Run the whole study: resolve the scenario once, price every option, run the Monte
    Carlo, tornado and break-even (module doc)."""
    if draws < 1:
        raise SiliconomicsError(f"draws={draws} must be >= 1")
    if seed < 0:
        raise SiliconomicsError(f"seed={seed} must be >= 0")
    s = as_scenario(scenario)
    model = s.strategy
    units = {o.id: option_unit_cost(s, o.id) for o in s.options}
    mc = run_monte_carlo(model, draws=draws, seed=seed, progress=progress)
    central = expected(model, model.central())
    det = {k: float(v[0]) for k, v in central.npv_usd.items()}
    lev = {k: float(v[0]) for k, v in central.levelised_usd_per_query.items()}
    ranked = sorted(det, key=lambda k: det[k], reverse=True)
    first = mc.recommended
    second = next(k for k in ranked if k != first) if len(ranked) > 1 else first
    base, bars = tornado(model, first, second)
    bes = tuple(break_even(model))
    best_be = max(bes, key=lambda b: det[b.custom_option]) if bes else None
    return StudyResult(
        scenario=s, unit_costs=units, levelised_central_usd_per_query=lev, strategy=mc,
        deterministic_npv_usd=det, tornado_pair=(first, second), tornado_base_usd=base,
        tornado=bars, break_even_by_option=bes, break_even=best_be,
        reproduction=reproduce(s), own_model=reproduce_own_model(s),
        explanation=_explanation(s), savings_usd_per_year=_savings(s, det),
        warnings=s.warnings,
    )


def npv_spread_usd(r: StudyResult) -> dict[str, float]:
    """Width of the 5-95% NPV interval per option [USD] (for summaries)."""
    return {k: float(np.percentile(v, 95) - np.percentile(v, 5))
            for k, v in r.strategy.npv_usd.items()}
