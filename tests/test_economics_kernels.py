"""The compiled cash-flow reductions and spreads against the NumPy expressions they replace:
the same float operations in the same order, so equal, not merely close."""

from __future__ import annotations

import numpy as np
import pytest

from siliconomics.economics.cashflow_compiled import (
    pairwise_sum,
    rent_kernel,
    spread_kernel,
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
        np.testing.assert_array_equal(got.cost_sums_usd[name], np.einsum("nq->q", v))


def test_sum_over_draws_is_einsums() -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 1e4, (200, 32))
    out = np.empty(32)
    sum_over_draws_kernel(a, out)
    np.testing.assert_array_equal(out, np.einsum("nq->q", a))


def test_spread_matches_the_months_of_each_quarter() -> None:
    # brute force: the share of each month [m, m + 1) of 1/100-month steps inside the span
    years = np.arange(12) / 4.0
    total = np.array([1200.0, 50.0, 7.0, 0.0])
    start = np.array([0.0, 4.5, 30.0, 2.0])
    end = np.array([12.0, 10.25, 60.0, 2.0])
    out = np.zeros((4, 12))
    spread_kernel(total, start, end, years, out)
    fine = (np.arange(36 * 100) + 0.5) / 100.0  # centres of 1/100-month steps
    for i in range(4):
        inside = (fine >= start[i]) & (fine < end[i])
        per_step = total[i] / max(end[i] - start[i], 1e-9) / 100.0
        brute = (inside * per_step).reshape(12, 300).sum(axis=1)
        np.testing.assert_allclose(out[i], brute, rtol=1e-9, atol=1e-9)
    # spans past the horizon keep only their part inside it; out is added to
    assert out[2].sum() == pytest.approx(7.0 * 6.0 / 30.0)
    spread_kernel(total, start, end, years, out)
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


def test_rent_kernel_equals_the_numpy_steps() -> None:
    rng = np.random.default_rng(3)
    n, q, first, end = 100, 20, 4, 15
    left = rng.uniform(0, 50, (n, q))
    qps = rng.uniform(0.5, 2, n)
    rate = np.broadcast_to(rng.uniform(1, 3, q)[None, :], (n, q))
    rented, paid = rng.uniform(0, 1, (n, q)), rng.uniform(0, 1, (n, q))
    expect_rented, expect_paid, expect_left = rented.copy(), paid.copy(), left.copy()
    chips = expect_left[:, first:end] / qps[:, None]
    expect_rented[:, first:end] += chips
    chips *= rate[:, first:end]
    expect_paid[:, first:end] += chips
    expect_left[:, first:end] = 0.0
    rent_kernel(left, qps, rate, first, end, rented, paid)
    np.testing.assert_array_equal(rented, expect_rented)
    np.testing.assert_array_equal(paid, expect_paid)
    np.testing.assert_array_equal(left, expect_left)


def test_price_path_falls_from_launch_and_never_exceeds_it() -> None:
    from types import SimpleNamespace

    from siliconomics.economics.strategy import price_path

    ctx = SimpleNamespace(n=3, quarters=12)
    price = np.array([100.0, 200.0, 50.0])
    decline = np.array([0.2, 0.0, 0.5])
    launch = np.array([-2.0, 3.0, 5.5])  # quarters from the scenario date
    got = price_path(ctx, price, decline, launch)  # type: ignore[arg-type]
    q = np.arange(12)[None, :]
    a = np.maximum(launch, 0.0)[:, None]
    expect = np.minimum(price[:, None] * (1 - decline[:, None]) ** ((q - a) / 4.0),
                        price[:, None])
    np.testing.assert_allclose(got, expect, rtol=1e-13)
    assert got[2, 5] == 50.0 and got[2, 6] < 50.0
