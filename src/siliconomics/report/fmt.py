"""Human labels and numbers for people who decide: $743M, 0.17 ¢, 97%, "H100 rental price".

Every number a person reads in the report or the dashboard goes through one of these
functions, so both show the same text for the same value. Field names (``cost_per_query_usd``,
``rent-h100.cloud_usd_per_hour``) become labels with their unit (:func:`label`); the unit is
read from the name's suffix (the project's naming rule puts units in names), so a new input
gets a readable label without being listed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _three_sig(x: float) -> str:
    """``x`` (>= 1 after scaling) with three significant digits, no trailing ``.0``."""
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}".removesuffix(".0")
    return f"{x:.2f}".rstrip("0").rstrip(".")


def compact(x: float) -> str:
    """A count or amount in k/M/B/T with three significant digits: 195M, 1.2B, 17.1k, 42."""
    if not math.isfinite(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    a = abs(x)
    for scale, suffix in _SCALES:
        if round(a / scale, 2) >= 1:
            return f"{sign}{_three_sig(a / scale)}{suffix}"
    if a >= 1 or a == 0:
        return f"{sign}{_three_sig(a)}"
    return f"{sign}{a:.2g}"


def usd(x: float, *, zero: str = "$0") -> str:
    """Money: $743M, -$1.23B, $45.2k, $0.50; exactly zero is ``zero``."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return zero
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a < 1000:
        return f"{sign}${a:,.2f}" if a < 100 else f"{sign}${a:,.0f}"
    return f"{sign}${compact(a)}"


def cents(usd_per_query: float) -> str:
    """Cost per query in US cents: 0.001692 USD -> ``0.17 ¢``."""
    if not math.isfinite(usd_per_query):
        return "n/a"
    c = usd_per_query * 100.0
    if abs(c) >= 0.1:
        return f"{c:.2f} ¢"
    return f"{c:.2g} ¢"


def pct(frac: float) -> str:
    """A fraction as a percentage: 0.968 -> 97%; a non-zero share under 0.5% -> <1%."""
    if not math.isfinite(frac):
        return "n/a"
    if 0 < abs(frac) < 0.005:
        return "<1%"
    return f"{frac * 100:.0f}%"


def count(x: float) -> str:
    """Chips, replicas: 17,064 below 100k, then 318k, 1.2M."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) < 100_000 else compact(x)


def per_day(x_usd: float) -> str:
    return f"{usd(x_usd)}/day"


def seconds(x_s: float) -> str:
    """A latency: 0.083 s -> 83 ms, 1.9 s -> 1.9 s."""
    if not math.isfinite(x_s):
        return "n/a"
    return f"{x_s * 1000:.0f} ms" if x_s < 1 else f"{x_s:.2g} s"


@dataclass(frozen=True)
class Unit:
    """How a quantity with this name suffix is written: its bracket text and formatter."""

    suffix: str
    text: str
    kind: str  # usd | usd_rate | frac | count | plain


# Longest suffix first: ``_usd_per_hour`` must win over ``_usd``.
UNITS: tuple[Unit, ...] = (
    Unit("_usd_per_chip_hour", "$/chip-hour", "usd_rate"),
    Unit("_usd_per_m_output_tokens", "$ per M output tokens", "usd_rate"),
    Unit("_usd_per_m_input_tokens", "$ per M input tokens", "usd_rate"),
    Unit("_usd_per_hour", "$/hour", "usd_rate"),
    Unit("_usd_per_year", "$/year", "usd"),
    Unit("_usd_per_day", "$/day", "usd"),
    Unit("_usd_per_kwh", "$/kWh", "usd_rate"),
    Unit("_usd_per_w", "$/W", "usd_rate"),
    Unit("_usd", "$", "usd"),
    Unit("_frac_per_year", "%/year", "frac"),
    Unit("_frac", "%", "frac"),
    Unit("_chips_per_quarter", "chips/quarter", "count"),
    Unit("_qps_per_chip", "queries/s per chip", "plain"),
    Unit("_per_user_per_day", "per user per day", "plain"),
    Unit("_tokens_per_query", "tokens/query", "count"),
    Unit("_months", "months", "plain"),
    Unit("_years", "years", "plain"),
    Unit("_mm2", "mm²", "plain"),
    Unit("_w", "W", "count"),
    Unit("_s", "s", "plain"),
)

#: Words for the stem of a name (after its unit suffix is removed); anything else is
#: turned into words by replacing underscores.
STEMS: dict[str, str] = {
    "cloud": "Cloud rental price",
    "price": "Purchase price",
    "shortfall": "Price of rented shortfall",
    "capacity": "Capacity",
    "utilisation": "Fleet utilisation",
    "tdp": "Chip power (TDP)",
    "price_decline": "Price decline",
    "supply_cap": "Purchase cap",
    "committed_discount": "Committed-use discount",
    "unit_cost": "Unit cost",
    "nre": "Design cost (NRE)",
    "nre_total": "Design cost (NRE, incl. expected respin)",
    "nre_expected_respin": "Expected respin cost",
    "respin_cost": "Respin cost",
    "respin_delay": "Respin delay",
    "schedule": "Time to first chips",
    "months_to_volume": "Time to volume",
    "time_saved": "Time saved by acquiring",
    "acquisition": "Acquisition price",
    "sustaining": "Sustaining team",
    "p_first_pass": "Chance first silicon works",
    "p_respin_success": "Chance a respin works",
    "p_respin": "Chance of a respin",
    "partner_margin": "Partner's margin on chips",
    "partner_nre_share": "NRE share paid by partner",
    "perf_ratio": "Speed vs bridge GPU",
    "daily_users": "Daily users",
    "queries": "Queries",
    "input": "Prompt length",
    "output": "Answer length",
    "growth": "Demand growth",
    "cost_of_capital": "Cost of capital",
    "dc_capex": "Data-centre build cost",
    "dc_life": "Data-centre life",
    "depreciation": "Depreciation period",
    "draw": "Average power draw",
    "electricity": "Electricity price",
    "hours_per_year": "Hours per year",
    "networking": "Networking share of server cost",
    "ops": "Operations cost",
    "output_input_cost_ratio": "Output vs input token cost ratio",
    "pue": "PUE (data-centre overhead)",
    "server_cost_multiplier": "Server cost per chip price",
    "server_power_multiplier": "Server power per chip TDP",
    "nre_scale": "NRE scale",
    "schedule_scale": "Schedule scale",
    "unit_cost_scale": "Unit cost scale",
    "capacity_scale": "Serving capacity scale",
    "die_area": "Die area",
    "board": "Board and packaging",
    "process_node": "Process node",
}

#: Prefixes of global input names and how they are shown.
SCOPES = {"traffic": "Traffic", "econ": "Economics"}


def split_unit(name: str) -> tuple[str, Unit | None]:
    """``cloud_usd_per_hour`` -> (``cloud``, the $/hour unit)."""
    for u in UNITS:
        if name.endswith(u.suffix) and len(name) > len(u.suffix):
            return name[: -len(u.suffix)], u
    return name, None


def words(stem: str) -> str:
    text = STEMS.get(stem, stem.replace("_", " "))
    return text[:1].upper() + text[1:]


def label(name: str, *, unit: bool = True) -> str:
    """A readable label for a field or input name, with its unit in brackets.

    ``rent-h100.cloud_usd_per_hour`` -> ``rent-h100: Cloud rental price [$/hour]``;
    ``traffic.daily_users`` -> ``Traffic: Daily users``.
    """
    scope, _, field = name.rpartition(".")
    stem, u = split_unit(field)
    text = words(stem)
    if unit and u is not None:
        text += f" [{u.text}]"
    if scope:
        text = f"{SCOPES.get(scope, scope)}: {text}"
    return text


def value(name: str, x: float) -> str:
    """An input's value written in its unit (from the name's suffix)."""
    stem, u = split_unit(name.rpartition(".")[2])
    kind = u.kind if u else ("frac" if stem.startswith("p_") else "plain")
    if kind == "usd":
        return usd(x)
    if kind == "usd_rate":
        return f"${x:,.2f}" if abs(x) < 1000 else usd(x)
    if kind == "frac":
        return f"{x * 100:.3g}%"
    if kind == "count":
        return count(x)
    return compact(x) if abs(x) >= 1000 else f"{x:.3g}"
