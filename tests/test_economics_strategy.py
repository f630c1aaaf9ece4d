"""Strategy engine on a small FLOP-count scenario (fast): reproducibility, collapse to the
deterministic calculation, the issue's properties (Hypothesis), fleet vintages, roadmaps,
supply caps, levelised cost, break-even per option, and the Monte Carlo speed smoke test."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from economics_toy import FLOPS, collapsed, leaf, toy, toy_dict
from siliconomics.catalog.sourced import Range
from siliconomics.economics.fleet import CapexPaths, FleetSpec, simulate_fleet
from siliconomics.economics.montecarlo import (
    Streams,
    break_even,
    deterministic,
    expected,
    run_monte_carlo,
    sample_events,
    sample_inputs,
    tornado,
)
from siliconomics.economics.resolve import resolve, with_ranges
from siliconomics.economics.scenario import scenario_from_dict
from siliconomics.errors import SiliconomicsError

BASE = toy()


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_same_seed_same_result(seed: int) -> None:
    a = run_monte_carlo(BASE.strategy, draws=300, seed=seed)
    b = run_monte_carlo(BASE.strategy, draws=300, seed=seed)
    for k in a.npv_usd:
        np.testing.assert_array_equal(a.npv_usd[k], b.npv_usd[k])
    assert a.prob_best == b.prob_best
    c = run_monte_carlo(BASE.strategy, draws=300, seed=seed + 1)
    assert not np.array_equal(a.npv_usd["asic"], c.npv_usd["asic"])


def test_changing_one_range_leaves_every_other_inputs_draws() -> None:
    # Common random numbers (montecarlo.Streams): each input reads its own stream, so
    # widening one range changes that input's draws and leaves every other input's draws and
    # the custom programme's event draws bit for bit the same. The widened input is the
    # first uncertain one in name order: with one generator drawing the inputs in that order,
    # the Beta sampler's varying use of random words shifted every input after it.
    model = BASE.strategy
    first = next(k for k in sorted(model.ranges) if not model.ranges[k].range.is_point)
    r = model.ranges[first].range
    wide = with_ranges(BASE, {first: Range(low=r.low, central=r.central,
                                           high=r.high + (r.high - r.central))}).strategy
    a, b = Streams(7, 3), Streams(7, 3)
    before, after = sample_inputs(model, 500, a), sample_inputs(wide, 500, b)
    assert not np.array_equal(before[first], after[first])
    others = [k for k in before if k != first and not model.ranges[k].range.is_point]
    assert len(others) > 5
    for k in others:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)
    events = sample_events(model, 500, a)
    assert events
    for k, v in sample_events(wide, 500, b).items():
        np.testing.assert_array_equal(v, events[k], err_msg=k)
    # an input's draws do not depend on which other inputs exist, only on (seed, block,
    # name, range); another block or seed gives other draws
    key = others[-1]
    alone = sample_inputs(replace(model, ranges={key: model.ranges[key]}), 500, Streams(7, 3))
    np.testing.assert_array_equal(alone[key], before[key])
    for seed, block in ((7, 4), (8, 3)):
        assert not np.array_equal(sample_inputs(model, 500, Streams(seed, block))[key],
                                  before[key])


def test_blocks_keep_memory_flat_and_results_whole() -> None:
    # several sampling blocks give as many draws as asked, all finite
    r = run_monte_carlo(BASE.strategy, draws=700, seed=5, block=256)
    assert all(v.shape == (700,) and np.all(np.isfinite(v)) for v in r.npv_usd.values())


def _same_result(a: Any, b: Any) -> None:
    for k in a.option_ids:
        np.testing.assert_array_equal(b.npv_usd[k], a.npv_usd[k])
        np.testing.assert_array_equal(b.levelised_usd_per_query[k],
                                      a.levelised_usd_per_query[k])
        np.testing.assert_array_equal(b.unserved_queries[k], a.unserved_queries[k])
        assert list(b.mean_costs[k]) == list(a.mean_costs[k])
        for cat, v in a.mean_costs[k].items():
            np.testing.assert_array_equal(b.mean_costs[k][cat], v, err_msg=cat)
        for lab, v in a.fleet_by_vintage[k].items():
            np.testing.assert_array_equal(b.fleet_by_vintage[k][lab], v, err_msg=lab)
    assert b.prob_best == a.prob_best
    assert b.custom_success_frac == a.custom_success_frac


def test_same_seed_same_result_whoever_runs_the_blocks() -> None:
    # 700 draws in 6 blocks: one thread, 2 and 3 threads, 2 processes give the same numbers
    from siliconomics.explore.executors import get_executor

    runs = [run_monte_carlo(BASE.strategy, draws=700, seed=11, block=128,
                            executor=get_executor(kind, max_workers=w))
            for kind, w in (("serial", None), ("threads", 2), ("threads", 3), ("local", 2))]
    first = runs[0]
    assert first.custom_success_frac["asic"] > 0
    for r in runs[1:]:
        _same_result(first, r)
    # the block size is part of the seeding: another block size is another sample
    other = run_monte_carlo(BASE.strategy, draws=700, seed=11, block=256)
    assert not np.array_equal(other.npv_usd["asic"], first.npv_usd["asic"])


def test_blocks_evaluated_together_give_each_blocks_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # blocks are sampled one by one and may be evaluated as one set of draws; the sums over
    # draws stay per block, so the result is bit for bit that of one block at a time (700
    # draws: five blocks of 128 and one of 60, evaluated in twos and threes)
    from siliconomics.economics import montecarlo

    runs = []
    for together in (1, 2, 3):
        monkeypatch.setattr(montecarlo, "EVALUATED_TOGETHER", together)
        runs.append(run_monte_carlo(BASE.strategy, draws=700, seed=11, block=128))
    assert runs[0].custom_success_frac["asic"] > 0
    for r in runs[1:]:
        _same_result(runs[0], r)


def test_an_option_that_hands_over_its_paths_is_reduced_as_the_built_in_ones() -> None:
    # an option type registered elsewhere implements only cash_flows: the engine reduces its
    # paths itself (one block at a time), to the numbers of the built-in option it wraps
    from dataclasses import replace

    from siliconomics.economics.strategy import Context, Option, OptionPaths, StrategyModel

    class Wrapped(Option):
        type = "wrapped"

        def __init__(self, inner: Option) -> None:
            super().__init__(inner.id, inner.label)
            self.inner = inner
            self.bridge = inner.bridge

        def cash_flows(self, ctx: Context, model: StrategyModel) -> OptionPaths:
            return self.inner.cash_flows(ctx, model)

    model = BASE.strategy
    # (a custom option reads its bridge's type, and its events are sampled as a custom one's)
    bridges = {o.bridge for o in model.options}
    wrapped = replace(model, options=tuple(o if o.id in bridges or o.custom else Wrapped(o)
                                           for o in model.options))
    assert [o.id for o in wrapped.options if isinstance(o, Wrapped)] == ["rent"]
    a = run_monte_carlo(model, draws=700, seed=3, block=128)
    b = run_monte_carlo(wrapped, draws=700, seed=3, block=128)
    _same_result(a, b)
    assert deterministic(wrapped) == deterministic(model)


def test_zero_width_ranges_give_the_deterministic_answer() -> None:
    s = collapsed(BASE, **{"asic.p_first_pass": 1.0, "asic.p_respin_success": 1.0})
    det = deterministic(s.strategy)
    mc = run_monte_carlo(s.strategy, draws=50, seed=3)
    for k, v in mc.npv_usd.items():
        np.testing.assert_allclose(v, det[k], rtol=1e-12)
    # p in (0, 1): only the chip events stay random; the mean converges to the
    # deterministic expectation (tolerance: 5 standard errors of the mean)
    s = collapsed(BASE, **{"asic.p_first_pass": 0.3, "asic.p_respin_success": 0.7})
    det = deterministic(s.strategy)
    mc = run_monte_carlo(s.strategy, draws=3000, seed=4)
    for k, v in mc.npv_usd.items():
        sem = v.std() / np.sqrt(v.size)
        assert abs(v.mean() - det[k]) <= 5 * sem + 1e-6 * abs(det[k]), k


A100_QPS = BASE.strategy.ranges["buy.a100-sxm-80gb.capacity_qps_per_chip"].central


def _as_inputs(changes: dict[str, float]) -> dict[str, float]:
    """``perf_ratio`` is folded into the custom chip's capacity at resolution."""
    out = dict(changes)
    if "asic.perf_ratio" in out:
        out["asic.capacity_qps_per_chip"] = A100_QPS * out.pop("asic.perf_ratio")
    return out


def _npv(changes: dict[str, float]) -> float:
    return deterministic(collapsed(BASE, **_as_inputs(changes)).strategy)["asic"]


# A custom chip cheaper to run per query than the A100 bridge (1.2-3x the capacity, cheaper
# and cooler): the dominance and monotonicity properties are about such a chip. The
# sustaining team is held at 0: it is paid only once the chip has arrived, so with a team a
# barely-better chip that succeeds can cost more than a failed programme (the engine does
# not cancel a programme that is not worth running; docs/economics.md).
better_chip = st.fixed_dictionaries({
    "asic.sustaining_usd_per_year": st.just(0.0),
    "asic.perf_ratio": st.floats(1.2, 3.0), "asic.unit_cost_usd": st.floats(1000, 8000),
    "asic.tdp_w": st.floats(100, 400), "asic.schedule_months": st.floats(6, 48),
    "asic.nre_usd": st.floats(0, 1e9), "asic.p_first_pass": st.floats(0, 1),
    "asic.p_respin_success": st.floats(0, 1), "asic.respin_cost_usd": st.floats(0, 1e8),
})


@settings(max_examples=12, deadline=None)
@given(base=better_chip, earlier=st.floats(0, 1), cheaper=st.floats(0, 1))
def test_certain_earlier_free_cheaper_chip_dominates(base: dict[str, float], earlier: float,
                                                     cheaper: float) -> None:
    better = dict(base) | {
        "asic.p_first_pass": 1.0, "asic.p_respin_success": 1.0, "asic.nre_usd": 0.0,
        "asic.respin_cost_usd": 0.0, "asic.schedule_months": base["asic.schedule_months"] * earlier
        + 1.0 * (1 - earlier), "asic.unit_cost_usd": base["asic.unit_cost_usd"] * cheaper + 500,
    }
    better["asic.schedule_months"] = min(better["asic.schedule_months"],
                                         base["asic.schedule_months"])
    better["asic.unit_cost_usd"] = min(better["asic.unit_cost_usd"], base["asic.unit_cost_usd"])
    assert _npv(better) >= _npv(base) - 1e-6 * abs(_npv(base))


@settings(max_examples=10, deadline=None)
@given(base=better_chip, p_low=st.floats(0, 1), p_high=st.floats(0, 1))
def test_raising_p_first_pass_never_lowers_expected_npv(base: dict[str, float], p_low: float,
                                                       p_high: float) -> None:
    lo, hi = sorted((p_low, p_high))
    npv_lo = _npv(base | {"asic.p_first_pass": lo})
    npv_hi = _npv(base | {"asic.p_first_pass": hi})
    assert npv_hi >= npv_lo - 1e-9 * abs(npv_lo)


@settings(max_examples=8, deadline=None)
@given(base=better_chip)
def test_more_demand_never_hurts_the_lowest_marginal_cost_option(base: dict[str, float]) -> None:
    # the custom chip (lowest marginal cost per query) vs buying and renting GPUs: its
    # levelised cost advantage never shrinks as demand grows (its fixed costs spread)
    s = collapsed(BASE, **_as_inputs(base))
    scales = np.array([0.1, 0.3, 1.0, 3.0, 10.0, 30.0])
    p = {k: np.repeat(v, scales.size) for k, v in s.strategy.central().items()}
    lev = expected(s.strategy, p, scales).levelised_usd_per_query
    for other in ("buy", "rent"):
        gap = lev["asic"] - lev[other]
        assert np.all(np.diff(gap) <= 1e-12 + 1e-9 * np.abs(gap[:-1])), (other, gap)


def test_free_certain_instant_better_chip_wins() -> None:
    # the artefact: a free, certain, 1-month chip must beat the bridge
    det = deterministic(collapsed(BASE, **{
        "asic.nre_usd": 0.0, "asic.respin_cost_usd": 0.0, "asic.p_first_pass": 1.0,
        "asic.schedule_months": 1.0, "asic.sustaining_usd_per_year": 0.0}).strategy)
    assert det["asic"] > det["buy"]
    # and the failed programme is its bridge plus what it spent
    det = deterministic(collapsed(BASE, **{"asic.p_first_pass": 0.0,
                                           "asic.p_respin_success": 0.0}).strategy)
    assert det["asic"] < det["buy"]


def test_vintages_keep_bridge_chips_until_retired() -> None:
    s = collapsed(BASE, **{"asic.p_first_pass": 1.0, "asic.schedule_months": 24.0,
                           "traffic.growth_frac_per_year": 0.3})
    mc = run_monte_carlo(s.strategy, draws=1, seed=0)
    fleet = mc.fleet_by_vintage["asic"]
    gpus, custom = fleet["a100-sxm-80gb"], fleet["asic-chip gen 1"]
    life_q = round(s.strategy.ranges["fleet.service_life_years"].central * 4)
    assert np.all(custom[:8] == 0) and custom[8] > 0  # arrives after 24 months
    # bridge GPUs bought before arrival keep serving, none bought after it ...
    assert np.all(np.diff(gpus[8:life_q]) <= 1e-9) and gpus[8] > 0
    # ... and retire at the end of their service life (first cohort after life_q quarters)
    assert gpus[life_q] < gpus[life_q - 1]
    # no chip jump: the custom chip takes growth and retirements, not the whole demand
    assert custom[8] < 0.5 * gpus[7]


def test_simulate_fleet_caps_budget_and_book_value() -> None:
    n, g, q = 2, 2, 12
    need = np.tile(np.linspace(10.0, 40.0, q), (n, 1))
    qps = np.ones((n, g, q))
    first = np.array([[4.0, 0.0], [3.5, 0.0]])  # the preferred chip arrives in quarter 4
    until = np.array([q, q])
    cap = np.array([[3.0, np.inf], [3.0, np.inf]])
    unit = CapexPaths.constant(np.full((n, g), 100.0))
    life = np.array([8.0, 8.0])
    fp = simulate_fleet(FleetSpec(need, qps, first, until, cap, unit, life))
    assert np.all(fp.purchases[:, 0, :] <= 3.0 + 1e-12)
    assert np.all(fp.purchases[:, 0, :4] == 0)
    served = (fp.installed * qps).sum(axis=1)
    np.testing.assert_allclose(served + fp.shortfall_qps, np.maximum(need, served), rtol=1e-12)
    # book value by brute force: each cohort straight-line over 8 quarters
    spend = fp.purchases[0].sum(axis=0) * 100.0
    brute = [sum(spend[b] * max(0.0, 1 - (t + 1 - b) / 8) for b in range(t + 1) if t - b < 8)
             for t in range(q)]
    np.testing.assert_allclose(fp.book_value_usd[0], brute, rtol=1e-9, atol=1e-9)
    # a power budget binds: 1 W per chip, 15 W allowed
    fp = simulate_fleet(FleetSpec(need, qps, first, until, cap, unit, life, np.ones((n, g)),
                                  np.full((n, q), 15.0)))
    assert np.all(fp.installed.sum(axis=1) <= 15.0 + 1e-9)
    assert fp.shortfall_qps[0, -1] == pytest.approx(40.0 - 15.0)


def test_compiled_fleet_equals_the_numpy_reference() -> None:
    from siliconomics.economics.fleet import simulate_fleet_reference

    rng = np.random.default_rng(0)
    n, g, q = 64, 4, 20
    # on sale from a fractional quarter (some never), until a last quarter (some never)
    first = np.where(rng.random((n, g)) > 0.9, np.inf, rng.uniform(-3, q / 2, (n, g)))
    until = np.array([q, q // 2, 3 * q // 4, -1])
    args = (rng.uniform(10, 100, (n, q)).cumsum(axis=1), rng.uniform(0.5, 2, (n, g, q)),
            first, until,
            np.where(rng.random((n, g)) > 0.5, np.inf, rng.uniform(1, 50, (n, g))),
            CapexPaths(rng.uniform(0.9, 1.0, (n, g)), rng.uniform(100, 300, (n, g)),
                       rng.uniform(150, 250, (n, g))), rng.integers(4, 24, n).astype(float))
    # the engine passes capacity as a broadcast view
    per_chip = rng.uniform(0.5, 2, (n, g))
    as_engine = (args[0], np.broadcast_to(per_chip[:, :, None], (n, g, q)), *args[2:])
    # running costs per chip-quarter (power on the in-use share, data centre) and the
    # capex of the first two generations reported apart
    running = dict(power_usd_per_chip_quarter=rng.uniform(10, 20, (n, g)),
                   datacenter_usd_per_chip_quarter=rng.uniform(1, 5, (n, g)), lead_generations=2)
    for inputs in (args, as_engine):
        for budget in ((None, None), (rng.uniform(1, 3, (n, g)), rng.uniform(100, 3000, (n, q)))):
            spec = FleetSpec(*inputs, *budget, **running)
            a = simulate_fleet(spec)
            b = simulate_fleet_reference(spec)
            # the engine asks only for the fleet summed over draws: the same sums, and the
            # same everything else
            c = simulate_fleet(spec, per_draw_fleet=False)
            assert c.purchases.shape == c.installed.shape == (0, g, q)
            for name in a.__dataclass_fields__:
                if name not in ("purchases", "installed"):
                    np.testing.assert_array_equal(getattr(c, name), getattr(b, name),
                                                  err_msg=name)
            assert b.purchases.sum() > 0 and b.shortfall_qps.sum() > 0
            assert b.power_usd.sum() > 0 and b.datacenter_usd.sum() > b.power_usd.sum() / 10
            assert 0 < b.lead_capex_usd.sum() < b.capex_usd.sum()
            # the same float operations in the same order: equal, not merely close
            for name in a.__dataclass_fields__:
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name),
                                              err_msg=name)


def _roadmap_toy(**gen2: Any) -> Any:
    d = toy_dict()
    d["options"][0]["roadmap"].append(
        {"hardware": "h100-sxm", "available": "2024-01", "capacity": FLOPS,
         "price_usd": leaf(30000), "supply_cap_chips_per_quarter": leaf(500)} | gen2)
    return d


def test_roadmap_supply_cap_and_rented_shortfall() -> None:
    s = resolve(scenario_from_dict(_roadmap_toy(), where="toy.yaml"))
    mc = run_monte_carlo(s.strategy, draws=200, seed=1)
    fleet = mc.fleet_by_vintage["buy"]
    h100, a100 = fleet["h100-sxm"], fleet["a100-sxm-80gb"]
    assert np.all(h100[:4] == 0) and h100[4] > 0  # available from 2024-01
    assert np.all(np.diff(h100[4:12]) <= 500 + 1e-9)  # capped per quarter
    assert a100[12] > a100[4]  # the shortfall beyond the cap goes to the older generation
    # with A100 sales ended and the cap binding, the shortfall is rented
    d = _roadmap_toy()
    d["options"][0]["roadmap"][0]["available_until"] = "2023-12"
    s = resolve(scenario_from_dict(d, where="toy.yaml"))
    mc = run_monte_carlo(s.strategy, draws=200, seed=1)
    assert mc.fleet_by_vintage["buy"]["rented"][-1] > 0
    assert mc.mean_costs["buy"]["rental"].sum() > 0


def test_levelised_cost_is_pv_costs_over_pv_queries() -> None:
    s = collapsed(BASE)
    ex = expected(s.strategy, s.strategy.central())
    npv = ex.npv_usd["rent"][0]
    # renting at a flat price with no fixed cost: levelised = steady state
    from siliconomics.economics.study import option_unit_cost

    uc = option_unit_cost(s, "rent")
    assert ex.levelised_usd_per_query["rent"][0] == pytest.approx(uc.cost_per_query_usd,
                                                                   rel=1e-9)
    assert npv < 0


def test_tornado_moves_with_tokens_and_users() -> None:
    base, bars = tornado(BASE.strategy, "asic", "buy", top=100)
    swing = {b.name: b.swing_usd for b in bars}
    for name in ("traffic.output_tokens_per_query", "traffic.daily_users",
                 "traffic.input_tokens_per_query"):
        assert swing[name] > 0, name
    det = deterministic(BASE.strategy)
    assert base == pytest.approx(det["asic"] - det["buy"], rel=1e-9)


def test_break_even_per_custom_option_separates_worse_from_better() -> None:
    d = toy_dict()
    second = dict(d["options"][2]) | {"id": "asic2", "type": "partner"}
    second["params"] = dict(second["params"]) | {"partner_margin_frac": leaf(0.3)}
    d["options"].append(second)
    s = resolve(scenario_from_dict(d, where="toy.yaml"))
    found = {b.custom_option: b for b in break_even(s.strategy)}
    assert set(found) == {"asic", "asic2"}
    for b in found.values():
        assert b.scale is not None and b.queries_per_day is not None
        p = {k: np.repeat(v, 2) for k, v in s.strategy.central().items()}
        ex = expected(s.strategy, p, np.array([b.scale / 3, b.scale * 3])).npv_usd
        merchant = np.max(np.vstack([ex[k] for k in s.strategy.merchant_ids]), axis=0)
        gap = ex[b.custom_option] - merchant
        assert gap[0] < 0 < gap[1]
        assert b.horizon_years is not None and b.horizon_years > 2.0


def test_monte_carlo_smoke_speed() -> None:
    # benchmarks/bench_economics.py times chatgpt-2023 (10k and 1M draws); here 5,000 toy
    # draws in well under 5 s
    t0 = time.perf_counter()
    r = run_monte_carlo(BASE.strategy, draws=5000, seed=1)
    assert time.perf_counter() - t0 < 5.0
    assert sum(r.prob_best.values()) == pytest.approx(1.0)
    assert all(np.all(np.isfinite(v)) for v in r.npv_usd.values())


def test_draws_and_seed_bounds() -> None:
    with pytest.raises(SiliconomicsError, match="draws=1000000000 must be between 1 and"):
        run_monte_carlo(BASE.strategy, draws=10**9)
    with pytest.raises(SiliconomicsError, match="seed=-1 must be >= 0"):
        run_monte_carlo(BASE.strategy, draws=10, seed=-1)
    with pytest.raises(SiliconomicsError, match="block=0 must be >= 1 draw"):
        run_monte_carlo(BASE.strategy, draws=10, block=0)


def test_stack_and_calibration_are_resolved_once_into_objects(monkeypatch: Any) -> None:
    from siliconomics.economics import resolve as res
    from siliconomics.perf.stacks import Stack

    seen: list[Any] = []

    def fake_served(model_id: str, request: Any, *args: Any) -> Any:
        seen.append((request.stack, request.calibration))  # passed as objects
        raise SiliconomicsError("stop here")

    monkeypatch.setattr(res, "served_fleet", fake_served)
    d = toy_dict()
    d["options"][0]["roadmap"][0] |= {"capacity": {"method": "serving"},
                                       "stack": "tensorrt-llm"}
    with pytest.raises(SiliconomicsError, match="stop here"):
        resolve(scenario_from_dict(d, where="toy.yaml"))
    assert isinstance(seen[0][0], Stack) and seen[0][0].id == "tensorrt-llm"
    assert seen[0][1] is None
    d["options"][0]["roadmap"][0]["stack"] = "no-such"
    with pytest.raises(SiliconomicsError, match=r"toy.yaml: options\[0\] \(buy\)\.roadmap\[0\]"
                                                r": unknown stack 'no-such'"):
        resolve(scenario_from_dict(d, where="toy.yaml"))


def test_options_read_the_sampled_inputs_read_only() -> None:
    # Context.get hands an option the sampled array itself (no copy, for speed); an
    # in-place write in an option must fail loudly instead of changing the other options'
    # inputs.
    from dataclasses import replace

    from siliconomics.economics.strategy import Context, Option, OptionPaths, StrategyModel

    class Writer(Option):
        type = "writer"

        def cash_flows(self, ctx: Context, model: StrategyModel) -> OptionPaths:
            ctx.get("econ.pue")[:] = 0.0
            raise AssertionError("the write went through")

    model = replace(BASE.strategy, options=(Writer("w", "writes its inputs"),))
    with pytest.raises(ValueError, match="read-only"):
        run_monte_carlo(model, draws=10, seed=0)


def test_last_sale_quarter_is_the_one_sale_window_of_fleet_and_rental() -> None:
    from siliconomics.economics.strategy import last_sale_quarter

    assert last_sale_quarter(float("inf"), 32) == 31  # on sale to the end of the horizon
    assert last_sale_quarter(40.0, 32) == 31
    assert last_sale_quarter(31.5, 32) == 31
    assert last_sale_quarter(7.0, 32) == 7  # the quarter holding the end of sale counts
    assert last_sale_quarter(7.9, 32) == 7
    assert last_sale_quarter(-0.5, 32) == -1  # sale ended before the horizon: no quarter
    assert last_sale_quarter(-5.0, 32) == -1
