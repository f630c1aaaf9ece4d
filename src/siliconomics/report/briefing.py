"""The one adapter between the study API and what a person sees (report and dashboard).

:func:`briefing` turns a study result into a frozen :class:`Briefing`: per option the cost
per query and per day, the NPV draws and P(best), the fleet over time; the tornado, the
break-even demand, the scenario-specific sections and the inputs with their sources. The
HTML report, the charts and the dashboard read only this, so a change in the study API
(e.g. the strategy engine's typed ``run_study``) is a change here and nowhere else.

:func:`what_if` is the dashboard's rerun: the loaded scenario with some inputs' central
values moved (their sources kept, their ranges stretched to include the new value), then
the same ``run_study`` the CLI calls. Fleets are sized when the scenario is loaded, so a
what-if never re-simulates serving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from siliconomics.catalog.sourced import Range
from siliconomics.economics.montecarlo import BreakEven
from siliconomics.economics.resolve import Scenario
from siliconomics.economics.resolve import with_ranges as replace_ranges
from siliconomics.economics.study import StudyResult, run_study
from siliconomics.errors import SiliconomicsError
from siliconomics.registry import unknown_id_message

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int], None]

#: Scenarios whose report explains Bernstein's ~4 cents per ChatGPT query: the figure is
#: about ChatGPT, so it belongs to the scenarios that model ChatGPT, not to the others.
FOUR_CENTS_MODELS = ("gpt3-175b",)


@dataclass(frozen=True)
class OptionView:
    """One option as the report and dashboard show it (all money in USD)."""

    id: str
    label: str
    type: str
    hardware: str | None
    capacity_method: str
    chips: float
    utilisation_frac: float
    cost_per_query_usd: float
    cost_per_day_usd: float
    usd_per_m_output_tokens: float
    tco_usd_per_chip_hour: float
    breakdown_usd_per_day: Mapping[str, float]
    idle_capacity_usd_per_day: float
    npv_draws_usd: FloatArray
    npv_mean_usd: float
    prob_best: float
    fleet_gpu_chips: FloatArray  # mean over draws, per quarter
    fleet_custom_chips: FloatArray
    serving: Mapping[str, Any] | None
    silicon: Mapping[str, Any] | None
    levelised_usd_per_query: float  # PV of costs / PV of queries, central inputs
    levelised_draws_usd_per_query: FloatArray
    fleet_by_vintage: Mapping[str, FloatArray]  # generation (or "rented") -> mean chips/quarter
    break_even: BreakEven | None  # custom options: vs the best merchant option

    def npv_percentile_usd(self, q: float) -> float:
        return float(np.percentile(self.npv_draws_usd, q))


@dataclass(frozen=True)
class TornadoView:
    """One input's swing of the decision metric, low -> high, others central."""

    name: str
    low: float
    high: float
    metric_at_low_usd: float
    metric_at_high_usd: float
    source: str

    @property
    def swing_usd(self) -> float:
        return abs(self.metric_at_high_usd - self.metric_at_low_usd)


@dataclass(frozen=True)
class InputView:
    name: str
    low: float
    central: float
    high: float
    source: str


@dataclass(frozen=True)
class Briefing:
    """Everything the report and the dashboard show about one study."""

    scenario_id: str
    name: str
    description: str
    model_id: str
    model_note: str
    queries_per_day: float
    horizon_years: float
    draws: int
    seed: int
    options: tuple[OptionView, ...]
    recommended: str
    tornado_pair: tuple[str, str]
    tornado_base_usd: float
    tornado: tuple[TornadoView, ...]
    break_even: BreakEven | None
    inputs: tuple[InputView, ...]
    warnings: tuple[str, ...]
    show_four_cents: bool
    result: StudyResult  # for the JSON, the CSVs and the scenario-specific sections

    def option(self, option_id: str) -> OptionView:
        for o in self.options:
            if o.id == option_id:
                return o
        raise SiliconomicsError(unknown_id_message("option", option_id,
                                                   [o.id for o in self.options]))

    @property
    def quarters_years(self) -> FloatArray:
        """Years from the start of the horizon at each quarter."""
        n = len(self.options[0].fleet_gpu_chips) if self.options else 0
        return np.arange(n, dtype=float) / 4.0

    @property
    def calendar_years(self) -> FloatArray:
        """Calendar date [years, e.g. 2023.25] at the start of each quarter."""
        return np.asarray(self.result.quarter_years, dtype=float)

    def to_json(self) -> dict[str, Any]:
        """Exactly what ``siliconomics study --json`` prints (without the report path)."""
        return self.result.to_json()


def briefing(r: StudyResult) -> Briefing:
    """The view of a study result (see module doc)."""
    s = r.scenario
    options = []
    be_by = {x.custom_option: x for x in r.break_even_by_option}
    for info in s.options:
        uc = r.unit_costs[info.id]
        gpu, custom = r.strategy.mean_chips[info.id]
        npv = np.asarray(r.strategy.npv_usd[info.id], dtype=float)
        options.append(OptionView(
            id=info.id, label=info.label, type=info.type, hardware=info.hardware,
            capacity_method=info.capacity_method, chips=uc.chips,
            utilisation_frac=uc.utilisation_frac, cost_per_query_usd=uc.cost_per_query_usd,
            cost_per_day_usd=uc.cost_per_day_usd,
            usd_per_m_output_tokens=uc.usd_per_m_output_tokens,
            tco_usd_per_chip_hour=uc.tco_usd_per_chip_hour,
            breakdown_usd_per_day=dict(uc.breakdown_usd_per_day),
            idle_capacity_usd_per_day=uc.idle_capacity_usd_per_day,
            npv_draws_usd=npv, npv_mean_usd=float(npv.mean()),
            prob_best=r.strategy.prob_best[info.id],
            fleet_gpu_chips=np.asarray(gpu, dtype=float),
            fleet_custom_chips=np.asarray(custom, dtype=float),
            serving=info.serving, silicon=info.silicon,
            levelised_usd_per_query=r.levelised_central_usd_per_query[info.id],
            levelised_draws_usd_per_query=np.asarray(
                r.strategy.levelised_usd_per_query[info.id], dtype=float),
            fleet_by_vintage={k: np.asarray(v, dtype=float)
                              for k, v in r.strategy.fleet_by_vintage[info.id].items()},
            break_even=be_by.get(info.id),
        ))
    be = r.break_even
    ranges = s.strategy.ranges
    return Briefing(
        scenario_id=s.id, name=s.name, description=s.description, model_id=s.model_id,
        model_note=s.model_note, queries_per_day=_queries_per_day(s),
        horizon_years=s.strategy.horizon_quarters / 4.0, draws=r.strategy.draws,
        seed=r.strategy.seed, options=tuple(options), recommended=r.strategy.recommended,
        tornado_pair=r.tornado_pair, tornado_base_usd=r.tornado_base_usd,
        tornado=tuple(TornadoView(b.name, b.low_value, b.high_value, b.metric_at_low_usd,
                                  b.metric_at_high_usd, b.source) for b in r.tornado),
        break_even=be,
        inputs=tuple(InputView(k, v.range.low, v.central, v.range.high, v.source)
                     for k, v in sorted(ranges.items())),
        warnings=tuple(r.warnings),
        show_four_cents=r.explanation is not None and s.model_id in FOUR_CENTS_MODELS,
        result=r,
    )


def _queries_per_day(s: Scenario) -> float:
    c = s.strategy.ranges
    return c["traffic.daily_users"].central * c["traffic.queries_per_user_per_day"].central


def study(s: Scenario, *, draws: int, seed: int, progress: Progress | None = None) -> Briefing:
    """Run the study the CLI runs on a loaded scenario and return its briefing."""
    return briefing(run_study(s, draws=draws, seed=seed, progress=progress))


def with_centrals(s: Scenario, centrals: Mapping[str, float]) -> Scenario:
    """The scenario with some inputs' central values set (sources kept). A value outside
    the input's range stretches the range to include it; the range is the uncertainty the
    Monte Carlo samples, the central value is the user's what-if."""
    changes: dict[str, Range] = {}
    for name, x in centrals.items():
        if name not in s.strategy.ranges:
            raise SiliconomicsError(unknown_id_message("input", name, s.strategy.ranges))
        if not np.isfinite(x):
            raise SiliconomicsError(f"input {name}: must be a finite number, got {x}")
        r = s.strategy.ranges[name].range
        changes[name] = Range(low=min(r.low, x), central=x, high=max(r.high, x))
    return replace_ranges(s, changes)


def what_if(s: Scenario, centrals: Mapping[str, float], *, draws: int, seed: int,
            progress: Progress | None = None) -> Briefing:
    """The study with some inputs moved (the dashboard's What-if page)."""
    return study(with_centrals(s, centrals), draws=draws, seed=seed, progress=progress)
