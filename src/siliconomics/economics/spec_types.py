"""Typed building blocks of a scenario file: sourced numbers with bounds, dates, strict models.

Every number in a scenario is a :class:`Leaf`: ``{value, source}`` or ``{low, central, high,
source}``, optionally with ``as_of`` (when the figure was true). Bounds are declared where a
field is declared (``Annotated[Leaf, bounds(gt=0)]``) and checked on the whole range.
Every model is frozen and refuses unknown keys, naming the closest valid one
(``servng`` -> ``serving``).
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from siliconomics.catalog.sourced import Range, sourced_range

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def closest_hint(name: str, valid: list[str]) -> str:
    """`` Did you mean 'x'?`` for the closest valid name, or nothing."""
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


class Strict(BaseModel):
    """A frozen model that refuses unknown keys with the closest valid name."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = sorted(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    raise ValueError(f"unknown field '{key}'.{closest_hint(str(key), valid)} "
                                     f"Valid: {', '.join(valid)}")
        return data


def date_years(text: str | int) -> float:
    """A ``YYYY`` or ``YYYY-MM`` date as fractional years (2023-04 -> 2023.25)."""
    m = _DATE.match(str(text).strip())
    if not m:
        raise ValueError(f"expected a date YYYY or YYYY-MM, got {text!r}")
    month = int(m.group(2) or 1)
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01-12, got {text!r}")
    return int(m.group(1)) + (month - 1) / 12.0


def _check_date(v: str | int) -> str:
    date_years(v)
    return str(v)


DateText = AfterValidator(_check_date)


class Leaf(Strict):
    """A sourced number: ``value`` or ``low``/``central``/``high`` (central defaults to the
    midpoint), with its ``source`` and optionally ``as_of`` (YYYY or YYYY-MM)."""

    value: float | None = None
    low: float | None = None
    central: float | None = None
    high: float | None = None
    source: str = Field(min_length=3)
    as_of: str | int | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Leaf:
        sourced_range(self.value, self.low, self.central, self.high)
        if self.as_of is not None:
            date_years(self.as_of)
        return self

    @property
    def range(self) -> Range:
        out = sourced_range(self.value, self.low, self.central, self.high)
        assert out is not None  # value is a float, checked by _one_form
        return out

    @property
    def as_of_years(self) -> float | None:
        return None if self.as_of is None else date_years(self.as_of)

    @classmethod
    def point(cls, value: float, source: str) -> Leaf:
        return cls(value=value, source=source)


def bounds(*, gt: float | None = None, ge: float | None = None, lt: float | None = None,
           le: float | None = None) -> AfterValidator:
    """A validator checking a whole :class:`Leaf` range against bounds (one-line message)."""

    def check(leaf: Leaf) -> Leaf:
        r = leaf.range
        rules: list[tuple[bool, str, float]] = []
        if gt is not None:
            rules.append((r.low > gt, f"> {gt:g}", r.low))
        if ge is not None:
            rules.append((r.low >= ge, f">= {ge:g}", r.low))
        if lt is not None:
            rules.append((r.high < lt, f"< {lt:g}", r.high))
        if le is not None:
            rules.append((r.high <= le, f"<= {le:g}", r.high))
        for ok, _rule, got in rules:
            if not ok or not math.isfinite(got):
                allowed = " and ".join(x for _, x, _ in rules)
                raise ValueError(f"must be {allowed}, got {got:g}")
        return leaf

    return AfterValidator(check)


Positive = bounds(gt=0)
NonNegative = bounds(ge=0)
Fraction = bounds(ge=0, le=1)
Probability = bounds(ge=0, le=1)
def check_economics_name_and_bounds(name: str, leaf: Leaf, valid: list[str]) -> None:
    """An ``economics:`` override: a known parameter name within its physical bounds."""
    if name not in valid:
        raise ValueError(f"unknown economic parameter '{name}'.{closest_hint(name, valid)} "
                         f"Valid: {', '.join(sorted(valid))}")
    r = leaf.range
    low, high, strict = ECON_LIMITS.get(name, (0.0, None, False))
    bad_low = r.low <= low if strict else r.low < low
    if bad_low or (high is not None and r.high > high):
        allowed = f"{'>' if strict else '>='} {low:g}" + (f" and <= {high:g}" if high else "")
        raise ValueError(f"economics.{name}: must be {allowed}, got "
                         f"{r.low if bad_low else r.high:g}")


#: (low, high, strict low) per economic parameter; PUE is at least 1 by definition.
ECON_LIMITS: dict[str, tuple[float, float | None, bool]] = {
    "pue": (1.0, 5.0, False),
    "electricity_usd_per_kwh": (0.0, None, False),
    "draw_frac": (0.0, 1.0, True),
    "server_power_multiplier": (1.0, 5.0, False),
    "server_cost_multiplier": (1.0, 5.0, False),
    "networking_frac": (0.0, 0.9, False),
    "dc_capex_usd_per_w": (0.0, None, False),
    "dc_life_years": (0.0, None, True),
    "depreciation_years": (0.0, None, True),
    "cost_of_capital_frac": (-0.5, 1.0, False),
    "ops_frac_per_year": (0.0, 1.0, False),
    "committed_discount_frac": (0.0, 0.99, False),
    "output_input_cost_ratio": (0.0, None, True),
    "hours_per_year": (8700.0, 8800.0, False),
}
