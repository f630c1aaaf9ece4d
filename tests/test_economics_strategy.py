"""Strategy Monte Carlo: reproducibility, collapse to the deterministic calculation, bad
scenarios, break-even and tornado, and a speed smoke test."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from siliconomics.catalog.sourced import Range
from siliconomics.economics.montecarlo import (
    break_even_demand,
    deterministic,
    expected_npv,
    run_monte_carlo,
    tornado,
)
from siliconomics.economics.scenario import SCENARIO_DIR, load_scenario, replace_ranges
from siliconomics.errors import CatalogError, UnknownIdError


def _collapsed(p_first: float, p_respin: float):  # type: ignore[no-untyped-def]
    s = load_scenario("chatgpt-2023")
    changes = {k: Range.point(v.central) for k, v in s.strategy.ranges.items()}
    for o in s.strategy.custom_ids:
        changes[f"{o}.p_first_pass"] = Range.point(p_first)
        changes[f"{o}.p_respin_success"] = Range.point(p_respin)
    return replace_ranges(s, changes)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_same_seed_same_result(seed: int) -> None:
    s = load_scenario("chatgpt-2023")
    a = run_monte_carlo(s.strategy, draws=300, seed=seed, chunk=128)
    b = run_monte_carlo(s.strategy, draws=300, seed=seed, chunk=300)
    for k in a.npv_usd:
        np.testing.assert_array_equal(a.npv_usd[k], b.npv_usd[k])
    assert a.prob_best == b.prob_best


def test_collapsed_ranges_equal_deterministic() -> None:
    # p = 1: every draw is the same, and equals the deterministic calculation exactly
    s = _collapsed(1.0, 1.0)
    det = deterministic(s.strategy)
    mc = run_monte_carlo(s.strategy, draws=50, seed=3)
    for k, v in mc.npv_usd.items():
        np.testing.assert_allclose(v, det[k], rtol=1e-12)
    # p in (0, 1): only the chip events stay random; the mean converges to the
    # deterministic expectation (tolerance: 5 standard errors of the mean)
    s = _collapsed(0.3, 0.7)
    det = deterministic(s.strategy)
    mc = run_monte_carlo(s.strategy, draws=4000, seed=4)
    for k, v in mc.npv_usd.items():
        sem = v.std() / np.sqrt(v.size)
        assert abs(v.mean() - det[k]) <= 5 * sem + 1e-6 * abs(det[k]), k


def test_failed_program_reduces_to_its_bridge_plus_nre() -> None:
    s = _collapsed(0.0, 0.0)
    det = deterministic(s.strategy)
    # the bridge alone costs less than build-asic (which adds NRE and respin)
    bridge = s.strategy.option("build-asic").bridge
    assert bridge is not None
    assert det["build-asic"] < det[bridge]


def test_tornado_and_break_even() -> None:
    s = load_scenario("chatgpt-2023")
    base, bars = tornado(s.strategy, "build-asic", "buy-h100")
    swings = [b.swing_usd for b in bars]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    names = [b.name for b in bars]
    assert "build-asic.nre_usd" in names
    det = deterministic(replace_ranges(s, {}).strategy)
    assert base == pytest.approx(det["build-asic"] - det["buy-h100"], rel=1e-9)


def test_break_even_demand_separates_worse_from_better() -> None:
    # With the serving layer's capacities the shipped custom chip (TPU v5e-like, 37 months)
    # does not pay within 5 years at any demand (bridge A100s are sunk, the chip serves < 2
    # years). A chip 4x as fast on a 12-month schedule must cross, and the crossing must
    # separate demand where the custom option loses from demand where it wins.
    s = load_scenario("chatgpt-2023")
    c = s.strategy.ranges
    custom = s.strategy.custom_ids
    changes = {k: Range.point(12.0) for k in c if k.endswith(".schedule_months")}
    changes |= {f"{o}.capacity_qps_per_chip": Range.point(
        4 * c[f"{o}.capacity_qps_per_chip"].central) for o in custom}
    fast = replace_ranges(s, changes).strategy
    be = break_even_demand(fast)
    assert be is not None and be.queries_per_day is not None and be.scale is not None
    assert np.isfinite(be.queries_per_day) and be.queries_per_day > 0
    p = {k: np.repeat(v, 2) for k, v in fast.central().items()}
    npv = expected_npv(fast, p, np.array([be.scale / 3, be.scale * 3]))
    merchant = np.max(np.vstack([npv[k] for k in fast.merchant_ids]), axis=0)
    gap = npv[be.custom_option] - merchant
    assert gap[0] < 0 < gap[1]


def test_monte_carlo_smoke_speed() -> None:
    # benchmarks/bench_economics.py runs 10,000 draws (< 10 s); here 2,000 in well under 5 s
    s = load_scenario("chatgpt-2023")
    t0 = time.perf_counter()
    r = run_monte_carlo(s.strategy, draws=2000, seed=1)
    assert time.perf_counter() - t0 < 5.0
    assert sum(r.prob_best.values()) == pytest.approx(1.0)
    assert all(np.all(np.isfinite(v)) for v in r.npv_usd.values())


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((SCENARIO_DIR / "chatgpt-2023.yaml").read_text())
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _opt(data, oid):  # type: ignore[no-untyped-def]
    return next(o for o in data["options"] if o["id"] == oid)


def test_unknown_option_type(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda d: d["options"][0].update(type="lease_gpu"))
    with pytest.raises(UnknownIdError, match=r"bad.yaml.*options\[0\].type.*lease_gpu.*Valid:"):
        load_scenario(path)


def test_negative_price(tmp_path: Path) -> None:
    def mutate(d):  # type: ignore[no-untyped-def]
        _opt(d, "build-asic")["params"]["unit_cost_usd"] = {"value": -5000, "source": "x test"}
    with pytest.raises(CatalogError, match=r"bad.yaml.*build-asic.*unit_cost_usd.*>= 0.*-5000"):
        load_scenario(_write(tmp_path, mutate))


def test_missing_source(tmp_path: Path) -> None:
    def mutate(d):  # type: ignore[no-untyped-def]
        d["traffic"]["daily_users"] = {"value": 13e6}
    with pytest.raises(CatalogError, match=r"bad.yaml.*daily_users.*source"):
        load_scenario(_write(tmp_path, mutate))


def test_horizon_shorter_than_schedule_warns(tmp_path: Path) -> None:
    def mutate(d):  # type: ignore[no-untyped-def]
        d["horizon_years"] = {"value": 1, "source": "test: one year"}
    s = load_scenario(_write(tmp_path, mutate))
    text = " ".join(s.warnings)
    assert "build-asic" in text and "never arrives" in text and "bridge" in text
    det = deterministic(s.strategy)
    mc = run_monte_carlo(s.strategy, draws=200, seed=0)
    # the chip never arrives: no custom chips in service, the option costs more than its bridge
    assert np.all(mc.mean_chips["build-asic"][1] == 0)
    assert det["build-asic"] < det["buy-h100"]
