"""A small scenario for economics tests: FLOP-count capacity (no serving simulation), so it
resolves in milliseconds. Values are test inputs, not sourced figures."""

from __future__ import annotations

import copy
from typing import Any

from siliconomics.catalog.sourced import Range
from siliconomics.economics.resolve import Scenario, resolve, with_ranges
from siliconomics.economics.scenario import scenario_from_dict


def leaf(central: float, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    if low is None:
        return {"value": central, "source": "test value"}
    return {"low": low, "central": central, "high": high, "source": "test value"}


FLOPS = {"method": "flops", "dtype": "int8", "mfu_frac": leaf(0.175, 0.1, 0.25)}

TOY: dict[str, Any] = {
    "id": "toy",
    "as_of": "2023-01",
    "model": "gpt3-175b",
    "horizon_years": leaf(6),
    "traffic": {
        "daily_users": leaf(1e7, 5e6, 2e7),
        "queries_per_user_per_day": leaf(10),
        "input_tokens_per_query": leaf(500, 200, 1000),
        "output_tokens_per_query": leaf(500, 200, 1500),
        "growth_frac_per_year": leaf(0.3, 0.0, 0.8),
        "utilisation_frac": leaf(0.5, 0.4, 0.6),
    },
    "options": [
        {"id": "buy", "type": "buy_gpu", "roadmap": [
            {"hardware": "a100-sxm-80gb", "capacity": FLOPS,
             "price_decline_frac_per_year": leaf(0.1)}]},
        {"id": "rent", "type": "rent_gpu", "roadmap": [
            {"hardware": "a100-sxm-80gb", "capacity": FLOPS,
             "cloud_usd_per_hour": leaf(2.0, 1.5, 3.0)}]},
        {"id": "asic", "type": "build_asic", "bridge": "buy", "params": {
            "nre_usd": leaf(3e8, 2e8, 5e8), "schedule_months": leaf(24, 18, 36),
            "respin_delay_months": leaf(6), "respin_cost_usd": leaf(4e7),
            "unit_cost_usd": leaf(4000, 3000, 6000), "tdp_w": leaf(250),
            "perf_ratio": leaf(1.5, 1.2, 2.0), "p_first_pass": leaf(0.5, 0.3, 0.7),
            "p_respin_success": leaf(0.8), "sustaining_usd_per_year": leaf(5e7)}},
    ],
}


def toy_dict(**top: Any) -> dict[str, Any]:
    d = copy.deepcopy(TOY)
    d.update(top)
    return d


def toy(**top: Any) -> Scenario:
    return resolve(scenario_from_dict(toy_dict(**top), where="toy.yaml"))


def collapsed(s: Scenario, **points: float) -> Scenario:
    """Every range at its central value, some set to given points."""
    changes = {k: Range.point(v.central) for k, v in s.strategy.ranges.items()}
    changes |= {k: Range.point(v) for k, v in points.items()}
    return with_ranges(s, changes)
