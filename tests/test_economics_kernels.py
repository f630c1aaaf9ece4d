"""The compiled cash-flow reductions and spreads against the NumPy expressions they replace:
the same float operations in the same order, so equal, not merely close."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from siliconomics.economics.cashflow_compiled import (
    pairwise_sum,
    spread_row,
    sum_over_draws_kernel,
)
from siliconomics.economics.strategy import (
    OptionPaths,
    discount_factors,
    option_totals,
    quarterly_powers,
)


@pytest.mark.parametrize("q", [1, 5, 8, 13, 32, 80, 128, 129, 300])
def test_pairwise_sum_is_numpys(q: int) -> None:
    rng = np.random.default_rng(q)
    rows = rng.standard_normal((50, q)) * 10 ** rng.uniform(-6, 10, (50, q))
    ours = np.array([pairwise_sum(r, q) for r in rows])
    np.testing.assert_array_equal(ours, rows.sum(axis=1))


def _paths(n: int, q: int, g: int, rng: np.random.Generator) -> OptionPaths:
    costs = {name: rng.uniform(-1e6, 1e9, (n, q)) for name in ("capex", "power", "resale")}
    installed = rng.uniform(0, 1e4, (g, q))
    return OptionPaths(costs, tuple(f"gen {k}" for k in range(g)), installed,
                       rng.uniform(0, 10, (n, q)), rng.uniform(0, 1e6, (n, q)),
                       rng.uniform(0, 1e12, (n, q)), rng.uniform(0, 1e9, (n, q)))


@pytest.mark.parametrize("q", [8, 32, 80])
def test_option_totals_equal_the_numpy_expressions(q: int) -> None:
    rng = np.random.default_rng(1)
    n = 300
    paths = _paths(n, q, 3, rng)
    factors = discount_factors(rng.uniform(0.02, 0.2, n), q)
    got = option_totals(paths, factors)
    np.testing.assert_array_equal(got.cost_pv_usd, (paths.total() * factors).sum(axis=1))
    np.testing.assert_array_equal(got.served_pv_queries,
                                  (paths.served_queries * factors).sum(axis=1))
    assert list(got.cost_sums_usd) == list(paths.costs)
    for name, v in paths.costs.items():
        np.testing.assert_array_equal(got.cost_sums_usd[name], np.einsum("nq->q", v)[None])
    # sums over runs of draws (the Monte Carlo's blocks), each as if alone; the chips
    # installed come summed over all draws, so paths with chips cannot be split in runs
    with pytest.raises(ValueError, match="one run"):
        option_totals(paths, factors, sum_rows=128)
    runs = option_totals(replace(paths, chip_labels=(), installed_over_draws=np.zeros((0, q))),
                         factors, sum_rows=128)
    for name, v in paths.costs.items():
        assert runs.cost_sums_usd[name].shape == (3, q)
        for s, start in enumerate(range(0, n, 128)):
            np.testing.assert_array_equal(runs.cost_sums_usd[name][s],
                                          np.einsum("nq->q", v[start:start + 128]))
    np.testing.assert_array_equal(runs.cost_pv_usd, got.cost_pv_usd)


def test_sum_over_draws_is_einsums() -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 1e4, (200, 32))
    out = np.empty((1, 32))
    sum_over_draws_kernel(a, 200, out)
    np.testing.assert_array_equal(out[0], np.einsum("nq->q", a))
    runs = np.empty((3, 32))
    sum_over_draws_kernel(a, 70, runs)
    for s, start in enumerate((0, 70, 140)):
        np.testing.assert_array_equal(runs[s], np.einsum("nq->q", a[start:start + 70]))


def _spread(total: Any, start: Any, end: Any, years: Any, out: Any) -> None:
    for i in range(out.shape[0]):
        spread_row(total[i], start[i], end[i], years, out[i])


def _numpy_spread(total: Any, start: Any, end: Any, years: Any) -> Any:
    """The NumPy expression :func:`spread_row` computes, for every draw at once."""
    m0 = (years * 12.0)[None, :]
    overlap = np.minimum(m0 + 3.0, end[:, None]) - np.maximum(m0, start[:, None])
    return np.maximum(overlap, 0.0) * (total / np.maximum(end - start, 1e-9))[:, None]


def test_spread_matches_the_months_of_each_quarter() -> None:
    # brute force: the share of each month [m, m + 1) of 1/100-month steps inside the span
    years = np.arange(12) / 4.0
    total = np.array([1200.0, 50.0, 7.0, 0.0])
    start = np.array([0.0, 4.5, 30.0, 2.0])
    end = np.array([12.0, 10.25, 60.0, 2.0])
    out = np.zeros((4, 12))
    _spread(total, start, end, years, out)
    fine = (np.arange(36 * 100) + 0.5) / 100.0  # centres of 1/100-month steps
    for i in range(4):
        inside = (fine >= start[i]) & (fine < end[i])
        per_step = total[i] / max(end[i] - start[i], 1e-9) / 100.0
        brute = (inside * per_step).reshape(12, 300).sum(axis=1)
        np.testing.assert_allclose(out[i], brute, rtol=1e-9, atol=1e-9)
    # spans past the horizon keep only their part inside it; out is added to
    assert out[2].sum() == pytest.approx(7.0 * 6.0 / 30.0)
    _spread(total, start, end, years, out)
    assert out[0].sum() == pytest.approx(2 * 1200.0)


@pytest.mark.parametrize("q", [1, 2, 3, 8, 13, 32, 80])
def test_quarterly_powers_by_doubling(q: int) -> None:
    base = np.array([0.5, 0.9, 1.0, 1.3, 2.0])
    got = quarterly_powers(base, q)
    # the NumPy doubling it replaced, operation for operation
    ref = np.empty((base.size, q))
    ref[:, 0] = 1.0
    if q > 1:
        ref[:, 1] = np.power(base, 0.25)
    width = 2
    while width < q:
        step = ref[:, width - 1] * ref[:, 1]
        take = min(width, q - width)
        np.multiply(ref[:, :take], step[:, None], out=ref[:, width:width + take])
        width += take
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(got, np.power(base[:, None], np.arange(q) / 4.0), rtol=1e-13)


def _numpy_pricing(rng: np.random.Generator, n: int, q: int, margin: bool, priced: bool,
                   fleet: bool) -> tuple[list[Any], dict[str, Any]]:
    """Random inputs of :func:`option_kernel`, and what the fleet kernel and the NumPy steps
    the pricing replaced give for them: the owned fleet's costs, the shortfall rented
    generation by generation over each sale window, what is left unserved, the total, its
    present value, the sums."""
    from siliconomics.economics.fleet import CapexPaths, FleetSpec, simulate_fleet

    g, r = 3, 3
    need = rng.uniform(10, 60, (n, q)).cumsum(axis=1)
    per_chip = rng.uniform(0.5, 2, (n, g))
    capacity = np.broadcast_to(per_chip[:, :, None], (n, g, q))
    fleet_args = (need, capacity, rng.uniform(-2, q / 2, (n, g)), np.array([q, q // 2, q]),
                  rng.uniform(20, 200, (n, g)),
                  CapexPaths(rng.uniform(0.9, 1.0, (n, g)), rng.uniform(100, 300, (n, g)),
                             rng.uniform(150, 250, (n, g))),
                  rng.integers(4, 16, n).astype(float), None, None,
                  rng.uniform(10, 20, (n, g)), rng.uniform(1, 5, (n, g)), 2)
    spec = FleetSpec(*fleet_args)
    fp = simulate_fleet(spec)  # (chips per draw too: the sums over runs of draws)
    shortfall = fp.shortfall_qps if fleet else need
    ops, resale = rng.uniform(0.01, 0.1, n), rng.uniform(0, 0.3, n)
    margin_frac = rng.uniform(0, 0.3, n)
    rent_qps = rng.uniform(0.5, 2, (n, r))
    rent_path = np.vstack([rng.uniform(1, 3, q), np.ones(q), rng.uniform(2, 4, q)])
    rent_mult = np.column_stack([np.ones(n), rng.uniform(1, 3, n), np.ones(n)])
    first, end = np.array([5, 0, 5]), np.array([q, 3, q - 3])  # quarters 3-4 unserved
    hours, disc = rng.uniform(2000, 2200, n), rng.uniform(0, 0.3, n)
    queries = rng.uniform(1e6, 1e7, (n, q))
    # a custom programme's own costs: NRE, a respin for some draws, an acquisition,
    # sustaining engineering once the chip arrives (never, for some), two next generations
    years = np.arange(q) / 4.0
    schedule = rng.uniform(12, 30, n)
    arrival = np.where(rng.random(n) > 0.2, schedule + rng.uniform(0, 9, n), np.inf)
    respin = np.where(rng.random(n) > 0.5, rng.uniform(1e6, 5e6, n), 0.0)
    programme = np.vstack([rng.uniform(1e7, 5e7, n), schedule, respin, schedule,
                           schedule + rng.uniform(3, 9, n), rng.uniform(0, 1e8, n),
                           rng.uniform(1e5, 1e6, n), arrival])
    nxt = np.stack([np.vstack([rng.uniform(1e6, 1e7, n), arrival + 24 * k - 24,
                               arrival + 24 * k]) for k in (1, 2)])
    nxt[:, :, ~np.isfinite(arrival)] = np.array([0.0, 0.0, 1.0])[None, :, None]
    factors = discount_factors(rng.uniform(0.02, 0.2, n), q)
    args = [fleet, *spec.kernel_inputs(), need, ops / 4.0, -resale, margin,
            margin_frac / (1.0 + margin_frac), rent_qps, rent_path, rent_mult, first, end,
            (1.0 - disc) * hours, 3600.0 * hours, priced, 0.02, queries, fleet, years,
            programme, nxt, factors]
    # the NumPy steps
    costs: dict[str, Any] = {}
    if fleet:
        costs = {"capex": fp.capex_usd, "power": fp.power_usd, "datacenter": fp.datacenter_usd,
                 "operations": ops[:, None] / 4.0 * fp.installed_capex_usd,
                 "resale": -resale[:, None] * fp.retired_capex_usd,
                 "continuing_value": np.zeros((n, q))}
        costs["continuing_value"][:, -1] = -fp.book_value_usd[:, -1]
        if margin:
            costs["partner_margin"] = fp.lead_capex_usd * (margin_frac
                                                           / (1.0 + margin_frac))[:, None]
            costs["capex"] = costs["capex"] - costs["partner_margin"]
    left = shortfall.copy()
    rented, paid = np.zeros((n, q)), np.zeros((n, q))
    for k in range(r):
        rate = rent_path[k][None, :] * rent_mult[:, k][:, None]
        chips = left[:, first[k]:end[k]] / rent_qps[:, k][:, None]
        rented[:, first[k]:end[k]] += chips
        paid[:, first[k]:end[k]] += chips * rate[:, first[k]:end[k]]
        left[:, first[k]:end[k]] = 0.0
    costs["rental"] = paid * ((1.0 - disc) * hours)[:, None]
    unserved = left * (3600.0 * hours)[:, None]
    if priced:
        costs["unserved"] = unserved * 0.02
    if fleet:  # (a programme comes with its fleet)
        acquisition = np.zeros((n, q))
        acquisition[:, 0] = programme[5]
        sustaining = np.zeros((n, q))
        np.multiply(years[None, :] * 12.0 + 3.0 > arrival[:, None], programme[6][:, None],
                    out=sustaining)
        costs |= {"nre": _numpy_spread(programme[0], np.zeros(n), schedule, years),
                  "respin": _numpy_spread(respin, schedule, programme[4], years),
                  "acquisition": acquisition, "sustaining": sustaining,
                  "next_generation_nre": _numpy_spread(*nxt[0], years)
                  + _numpy_spread(*nxt[1], years)}
    total = np.array(next(iter(costs.values())), dtype=float)
    for v in list(costs.values())[1:]:
        total += v
    served = queries - unserved
    expect = dict(costs=costs, cost_pv=(total * factors).sum(axis=1),
                  served_pv=(served * factors).sum(axis=1), rented=rented, unserved=unserved,
                  served=served, book=fp.book_value_usd if fleet else np.zeros((n, q)),
                  installed=fp.installed if fleet else np.zeros((n, 0, q)))
    return args, expect


def _in_order(a: Any, rows: int) -> Any:
    """Sums over each run of ``rows`` draws (axis 0), adding the draws one by one in order."""
    out = np.zeros((-(-a.shape[0] // rows), *a.shape[1:]))
    for i in range(a.shape[0]):
        out[i // rows] += a[i]
    return out


@pytest.mark.parametrize(("margin", "priced", "fleet"),
                         [(False, False, True), (True, True, True), (False, True, False)])
def test_option_kernel_equals_the_fleet_and_the_numpy_steps(margin: bool, priced: bool,
                                                            fleet: bool) -> None:
    # one compiled pass per draw simulates an option's fleet, prices and reduces it: the
    # fleet kernel's numbers and the same float operations, in the same order, as the NumPy
    # pricing steps it replaced, so equal, not merely close
    from siliconomics.economics.option_compiled import option_kernel

    n, q = 60, 24
    args, expect = _numpy_pricing(np.random.default_rng(4), n, q, margin, priced, fleet)
    k_n, g = len(expect["costs"]), expect["installed"].shape[1]
    for per_draw, sum_rows in ((True, n), (False, n), (False, 25)):
        rows, runs = (n if per_draw else 0), -(-n // sum_rows)
        cats = np.empty((k_n, rows, q))
        per = [np.empty((rows, q)) for _ in range(4)]
        cost_pv, served_pv, sums = np.empty(n), np.empty(n), np.empty((runs, k_n, q))
        rented_sum, unserved_sum = np.empty((runs, q)), np.empty((runs, q))
        installed_sum = np.empty((runs, g, q))
        option_kernel(*args, sum_rows, per_draw, cats, *per, cost_pv, served_pv, sums,
                      rented_sum, unserved_sum, installed_sum)
        np.testing.assert_array_equal(cost_pv, expect["cost_pv"])
        np.testing.assert_array_equal(served_pv, expect["served_pv"])
        np.testing.assert_array_equal(installed_sum, _in_order(expect["installed"], sum_rows))
        for k, v in enumerate(expect["costs"].values()):
            np.testing.assert_array_equal(sums[:, k], _in_order(v, sum_rows))
            if per_draw:
                np.testing.assert_array_equal(cats[k], v)
        np.testing.assert_array_equal(rented_sum, _in_order(expect["rented"], sum_rows))
        np.testing.assert_array_equal(unserved_sum, _in_order(expect["unserved"], sum_rows))
        if per_draw:
            for got, name in zip(per, ("rented", "unserved", "served", "book"), strict=True):
                np.testing.assert_array_equal(got, expect[name], err_msg=name)
    # something was bought, rented and left unserved
    assert expect["rented"].sum() > 0 and expect["unserved"].sum() > 0
    assert not fleet or expect["installed"].sum() > 0
    assert not fleet or all(v.any() for v in expect["costs"].values())


def test_price_path_falls_from_launch_and_never_exceeds_it() -> None:
    from siliconomics.economics.fleet import CapexPaths
    from siliconomics.economics.strategy import price_path

    price = np.array([100.0, 200.0, 50.0])
    decline = np.array([0.2, 0.0, 0.5])
    launch = np.array([-2.0, 3.0, 5.5])  # quarters from the scenario date
    path = price_path(price, decline, launch)
    # as the fleet kernel prices it (one generation per draw)
    got = CapexPaths(path.root[:, None], path.start_usd[:, None],
                     path.launch_usd[:, None]).values(12)[:, 0, :]
    q = np.arange(12)[None, :]
    a = np.maximum(launch, 0.0)[:, None]
    expect = np.minimum(price[:, None] * (1 - decline[:, None]) ** ((q - a) / 4.0),
                        price[:, None])
    np.testing.assert_allclose(got, expect, rtol=1e-13)
    assert got[2, 5] == 50.0 and got[2, 6] < 50.0
