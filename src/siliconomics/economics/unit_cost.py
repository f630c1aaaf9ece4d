"""Unit economics: from the cost of a chip-hour and the chips a load needs to $ per query,
per million input and output tokens, per day and per year, with the breakdown.

The capacity per chip (queries/s one chip carries at the latency SLO) and the fleet size come
from the serving layer, or from an explicit assumption (the SemiAnalysis-style FLOP count);
this module only does the arithmetic::

    chips            = mean_queries_per_s / (capacity_qps_per_chip * utilisation_frac)
    cost_per_day_usd = chips * 24 * tco_usd_per_hour
    cost_per_query   = cost_per_day_usd / queries_per_day
    idle_capacity    = cost_per_day_usd * (1 - utilisation_frac)

Tokens: the day's cost is split between input and output tokens in proportion to their work,
one output token weighing ``output_input_cost_ratio`` input tokens, so
``usd_per_m_input = cost / (in_tokens + ratio * out_tokens) * 1e6`` and the output price is
``ratio`` times that.
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.economics.tco import Num, Tco
from siliconomics.errors import SiliconomicsError

SECONDS_PER_DAY = 86_400.0


def chips_for_demand(
    queries_per_day: Num, capacity_qps_per_chip: Num, utilisation_frac: Num
) -> Num:
    """Accelerators needed [count, fractional] to carry a mean load at an average utilisation.

    ``capacity_qps_per_chip`` is what one chip sustains at the SLO when busy [queries/s];
    ``utilisation_frac`` is the average busy share of the fleet over the day (peaks, headroom).
    """
    return queries_per_day / SECONDS_PER_DAY / (capacity_qps_per_chip * utilisation_frac)


@dataclass(frozen=True)
class UnitCost:
    """What serving a load costs on one option [USD] and the parts of the daily cost."""

    option: str
    chips: float
    utilisation_frac: float
    cost_per_day_usd: float
    cost_per_year_usd: float
    cost_per_query_usd: float
    usd_per_m_input_tokens: float
    usd_per_m_output_tokens: float
    tco_usd_per_chip_hour: float
    breakdown_usd_per_day: dict[str, float]
    idle_capacity_usd_per_day: float


def unit_cost(
    option: str,
    tco: Tco,
    chips: float,
    queries_per_day: float,
    input_tokens_per_query: float,
    output_tokens_per_query: float,
    capacity_qps_per_chip: float,
    output_input_cost_ratio: float = 3.0,
    extra_usd_per_day: float = 0.0,
) -> UnitCost:
    """Cost per query, per day, per year and per million tokens for a fleet of ``chips``.

    ``extra_usd_per_day`` adds a fixed cost not tied to chip-hours (e.g. a custom chip's NRE
    amortised over the horizon); it appears in the breakdown as ``nre``.
    """
    for name, value in (("chips", chips), ("queries_per_day", queries_per_day),
                        ("capacity_qps_per_chip", capacity_qps_per_chip)):
        if not value > 0:
            raise SiliconomicsError(f"{name} must be > 0, got {value}")
    if input_tokens_per_query < 0 or output_tokens_per_query < 0:
        raise SiliconomicsError("tokens per query must be >= 0")
    hours = 24.0 * chips
    breakdown = {k: v * hours for k, v in tco.breakdown().items() if v != 0.0}
    if extra_usd_per_day:
        breakdown["nre"] = extra_usd_per_day
    per_day = tco.total_usd_per_hour * hours + extra_usd_per_day
    utilisation = min(1.0, queries_per_day / SECONDS_PER_DAY / (chips * capacity_qps_per_chip))
    weighted_tokens = queries_per_day * (
        input_tokens_per_query + output_input_cost_ratio * output_tokens_per_query
    )
    per_m_input = per_day / weighted_tokens * 1e6 if weighted_tokens > 0 else float("inf")
    return UnitCost(
        option=option,
        chips=chips,
        utilisation_frac=utilisation,
        cost_per_day_usd=per_day,
        cost_per_year_usd=per_day * 365.25,
        cost_per_query_usd=per_day / queries_per_day,
        usd_per_m_input_tokens=per_m_input,
        usd_per_m_output_tokens=per_m_input * output_input_cost_ratio,
        tco_usd_per_chip_hour=tco.total_usd_per_hour,
        breakdown_usd_per_day=breakdown,
        idle_capacity_usd_per_day=tco.total_usd_per_hour * hours * (1.0 - utilisation),
    )
