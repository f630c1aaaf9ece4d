"""TCO per chip-hour and unit economics: hand-checked values and invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siliconomics import catalog
from siliconomics.economics.defaults import REQUIRED, default_economics, load_defaults
from siliconomics.economics.tco import (
    accelerator_tco,
    capital_recovery_factor,
    owned_tco,
    rented_tco,
)
from siliconomics.economics.unit_cost import chips_for_demand, unit_cost
from siliconomics.errors import CatalogError, SiliconomicsError


def test_defaults_load_with_sources() -> None:
    d = default_economics()
    for name in REQUIRED:
        assert len(d[name].source) > 10, name
        assert d[name].range.low <= d[name].central <= d[name].range.high


def test_defaults_missing_source_is_one_line_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "econ.yaml"
    path.write_text("pue: {value: 1.2}\n")
    with pytest.raises(CatalogError, match=r"econ.yaml.*pue.*source"):
        load_defaults(path)


def test_crf_textbook_values() -> None:
    # CRF(10%, 5 yr) = 0.263797 (standard interest table, e.g. Newnan App. C)
    assert capital_recovery_factor(0.10, 5) == pytest.approx(0.263797, rel=1e-5)
    assert capital_recovery_factor(0.0, 4) == pytest.approx(0.25)


def test_owned_tco_hand_check() -> None:
    # H100 at $30k, all central defaults, the equations of economics/tco.py by hand.
    d = default_economics()
    c = {k: d.central(k) for k in d.values}
    server = 30_000 * c["server_cost_multiplier"]
    net = server * c["networking_frac"] / (1 - c["networking_frac"])
    r = c["cost_of_capital_frac"]
    crf = r * (1 + r) ** c["depreciation_years"] / ((1 + r) ** c["depreciation_years"] - 1)
    power = 700 * c["server_power_multiplier"] * c["draw_frac"] * c["pue"] / 1000 * c[
        "electricity_usd_per_kwh"]
    tco = owned_tco(30_000, 700)
    assert tco.hardware_usd_per_hour == pytest.approx(server * crf / 8766)
    assert tco.networking_usd_per_hour == pytest.approx(net * crf / 8766)
    assert tco.power_usd_per_hour == pytest.approx(power)
    assert sum(tco.breakdown().values()) == pytest.approx(tco.total_usd_per_hour)
    # an owned H100 lands between the cheapest and dearest cloud prices of s.2f ($1.49-6.98/h)
    assert 1.49 < tco.total_usd_per_hour < 6.98


def test_rented_and_catalog_tco() -> None:
    h100 = catalog.hardware("h100-sxm")
    assert accelerator_tco(h100, "rented").total_usd_per_hour == pytest.approx(2.49)
    committed = accelerator_tco(h100, "rented", committed=True).total_usd_per_hour
    assert committed == pytest.approx(2.49 * (1 - 0.37))
    with pytest.raises(SiliconomicsError, match="must be > 0"):
        rented_tco(-1.0)
    with pytest.raises(SiliconomicsError, match="chip_price_usd"):
        owned_tco(-5.0, 700)


def test_unit_cost_arithmetic() -> None:
    tco = rented_tco(1.0)
    chips = float(chips_for_demand(86_400.0, 2.0, 0.5))  # 1 query/s at 2 q/s per chip, 50%
    assert chips == pytest.approx(1.0)
    uc = unit_cost("x", tco, chips, 86_400.0, 100, 100, 2.0, output_input_cost_ratio=3.0)
    assert uc.cost_per_day_usd == pytest.approx(24.0)
    assert uc.cost_per_query_usd == pytest.approx(24.0 / 86_400)
    assert uc.utilisation_frac == pytest.approx(0.5)
    assert uc.idle_capacity_usd_per_day == pytest.approx(12.0)
    # 24 $ over 86,400 x (100 + 3 x 100) weighted tokens
    assert uc.usd_per_m_input_tokens == pytest.approx(24.0 / (86_400 * 400) * 1e6)
    assert uc.usd_per_m_output_tokens == pytest.approx(3 * uc.usd_per_m_input_tokens)


def _per_query(price: float, kwh: float, util: float) -> float:
    tco = owned_tco(price, 700, overrides={"electricity_usd_per_kwh": kwh})
    queries = 1e6
    chips = float(chips_for_demand(queries, 1.0, util))
    return unit_cost("x", tco, chips, queries, 500, 500, 1.0).cost_per_query_usd


@settings(max_examples=60, deadline=None)
@given(
    price=st.floats(1_000, 100_000), kwh=st.floats(0.01, 0.5), util=st.floats(0.05, 0.95),
    bump=st.floats(1.01, 3.0),
)
def test_cost_per_query_monotone(price: float, kwh: float, util: float, bump: float) -> None:
    base = _per_query(price, kwh, util)
    assert math.isfinite(base) and base > 0
    assert _per_query(price * bump, kwh, util) > base
    assert _per_query(price, kwh * bump, util) > base
    assert _per_query(price, kwh, min(0.99, util * bump)) < base
