"""The report's number and label formatting: money in $k/$M/$B, cost per query in cents,
field names turned into words with units (never raw snake_case)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siliconomics.report import fmt


@pytest.mark.parametrize(("x", "text"), [
    (743_164_467, "$743M"), (1_234_567_890, "$1.23B"), (-1_760_000_000, "-$1.76B"),
    (45_200, "$45.2k"), (999_999, "$1M"), (12_500, "$12.5k"), (568.4, "$568"), (0.5, "$0.50"),
    (0, "$0"), (2.49, "$2.49"), (3.2e12, "$3.2T"),
])
def test_usd(x: float, text: str) -> None:
    assert fmt.usd(x) == text


@pytest.mark.parametrize(("usd_per_query", "text"), [
    (0.001692, "0.17 ¢"), (0.0388, "3.88 ¢"), (0.00022, "0.022 ¢"), (0.0, "0 ¢"),
])
def test_cents(usd_per_query: float, text: str) -> None:
    assert fmt.cents(usd_per_query) == text


def test_pct_count_seconds_and_non_finite() -> None:
    assert fmt.pct(0.968) == "97%" and fmt.pct(0.0005) == "<1%" and fmt.pct(0.0) == "0%"
    assert fmt.count(17_064.2) == "17,064" and fmt.count(318_400) == "318k"
    assert fmt.seconds(0.083) == "83 ms" and fmt.seconds(1.9) == "1.9 s"
    assert fmt.usd(math.nan) == "n/a" and fmt.cents(math.inf) == "n/a"


@pytest.mark.parametrize(("name", "text"), [
    ("rent-h100.cloud_usd_per_hour", "rent-h100: Cloud rental price [$/hour]"),
    ("traffic.daily_users", "Traffic: Daily users"),
    ("econ.electricity_usd_per_kwh", "Economics: Electricity price [$/kWh]"),
    ("build-asic.nre_usd", "build-asic: Design cost (NRE) [$]"),
    ("buy-a100.utilisation_frac", "buy-a100: Fleet utilisation [%]"),
    ("cost_per_query_usd", "Cost per query [$]"),
])
def test_label_words_and_unit(name: str, text: str) -> None:
    assert fmt.label(name) == text


def test_value_in_the_unit_of_the_name() -> None:
    assert fmt.value("buy-a100.price_usd", 12_500) == "$12.5k"
    assert fmt.value("rent-h100.cloud_usd_per_hour", 1.49) == "$1.49"
    assert fmt.value("traffic.growth_frac_per_year", 2.0) == "200%"
    assert fmt.value("build-asic.p_first_pass", 0.24) == "24%"
    assert fmt.value("build-asic.schedule_months", 37.0) == "37"


@given(st.from_regex(r"[a-z]{2,8}(_[a-z]{2,8}){1,4}", fullmatch=True))
def test_no_label_keeps_snake_case(name: str) -> None:
    assert not re.search(r"[a-z]_[a-z]", fmt.label(name))


@given(st.floats(min_value=-1e13, max_value=1e13, allow_nan=False))
def test_usd_is_short_and_signed(x: float) -> None:
    text = fmt.usd(x)
    assert text.startswith("-$") == (x < 0 and text != "$0")
    assert len(text) <= 8
