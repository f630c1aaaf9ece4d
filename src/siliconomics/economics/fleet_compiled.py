"""The vintage fleet simulation compiled with numba: the same algorithm as
:func:`siliconomics.economics.fleet.simulate_fleet_reference`, one draw at a time (loops over
quarters and generations in machine code instead of NumPy calls on (N, G) slices), so a
million draws fit in seconds. Every float operation is done in the same order as the
reference on the same IEEE doubles (no ``fastmath``), and the tests require equal results.

One draw is :func:`simulate_draw`; :func:`fleet_kernel` runs it over the draws into arrays
(:func:`siliconomics.economics.fleet.simulate_fleet`), and the strategy engine runs it inside
each option's pricing pass (:mod:`siliconomics.economics.option_compiled`), so no per-draw
fleet array is written there. A chip's price in each quarter is computed per draw from three
numbers (:func:`siliconomics.economics.cashflow_compiled.price_row`). The per-quarter inputs
may be broadcast views (a chip's capacity is the same every quarter): numba reads them
through their strides without a copy. ``nogil=True`` lets blocks of draws run on several
threads. ``cache=True`` keeps the machine code on disk: only the first run on a machine
compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from siliconomics.economics.cashflow_compiled import price_row

#: Rows of a draw's quarterly fleet outputs (:func:`simulate_draw`), in this order.
ROWS = ("capex", "retired_capex", "installed_capex", "book", "shortfall", "in_use", "power",
        "datacenter", "lead_capex")
(ROW_CAPEX, ROW_RETIRED, ROW_INSTALLED_CAPEX, ROW_BOOK, ROW_SHORTFALL, ROW_IN_USE, ROW_POWER,
 ROW_DATACENTER, ROW_LEAD) = range(len(ROWS))


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def simulate_draw(i: int, need: Any, qps: Any, first: Any, until: Any, cap: Any,
                  price_root: Any, price_start: Any, price_launch: Any, life: Any, fac_w: Any,
                  budget: Any, has_budget: bool, power_q: Any, dc_q: Any, lead: int,
                  unit: Any, cohort: Any, bought: Any, base: Any, per_draw: bool,
                  purchases: Any, installed: Any, installed_sum: Any, rows: Any) -> None:
    """The fleet of draw ``i`` (inputs as :func:`fleet_kernel`'s).

    Writes the draw's quarters into ``rows`` (:data:`ROWS`, Q) and, with ``per_draw``, its
    chips bought and installed into ``purchases`` and ``installed`` (G, Q); adds its chips
    installed to ``installed_sum`` (G, Q). Scratch: ``unit`` (G, Q) the draw's price of a
    chip [USD], ``cohort`` (Q, G) each quarter's capex, ``bought`` (G, Q) its chips,
    ``base`` (G,) chips installed. The fleet kernel and the option pricing
    (:mod:`siliconomics.economics.option_compiled`) both simulate a draw with this one
    function."""
    g, q = bought.shape
    life_q = life[i]
    for k in range(g):
        if first[i, k] <= min(until[k], q - 1):  # (never on sale: its price is never read)
            price_row(price_root[i, k], price_start[i, k], price_launch[i, k], unit[k])
    base[:] = 0.0
    base_capex = 0.0
    book_value = 0.0
    for t in range(q):
        # retire the cohort born a service life ago, and sum what is left (capacity, and
        # facility power against a budget), in one pass over the generations
        born = t - life_q
        out = 0.0
        have = 0.0
        used = 0.0
        for k in range(g):
            if born >= 0:
                base[k] = base[k] - bought[k, born]
                out += cohort[born, k]
            have += base[k] * qps[i, k, t]
            if has_budget:
                used += base[k] * fac_w[i, k]
        rows[ROW_RETIRED, t] = out
        if born >= 0:
            base_capex = base_capex - out
        gap = max(need[i, t] - have, 0.0)
        head = max(budget[i, t] - used, 0.0) if has_budget else 0.0
        # buy in preference order, and sum the fleet as bought (capacity, running costs)
        total = 0.0
        lead_total = 0.0
        have = 0.0
        run_power = 0.0
        run_dc = 0.0
        for k in range(g):
            # nothing left to buy, or not on sale: the reference's arithmetic gives 0
            # chips (capacities are positive, prices finite), so skip its divisions; on
            # sale, its factor 1.0 changes nothing
            got = 0.0
            spend = 0.0
            if gap > 0.0 and t >= first[i, k] and t <= until[k]:
                got = min(gap / qps[i, k, t], cap[i, k])
                if has_budget:
                    got = min(got, head / fac_w[i, k])
                    head = max(head - got * fac_w[i, k], 0.0)
                gap = max(gap - got * qps[i, k, t], 0.0)
                spend = got * unit[k, t]
                base[k] = base[k] + got
            bought[k, t] = got
            cohort[t, k] = spend
            total += spend
            if k < lead:
                lead_total += spend
            installed_sum[k, t] += base[k]
            if per_draw:
                purchases[k, t] = got
                installed[k, t] = base[k]
            have += base[k] * qps[i, k, t]
            run_power += base[k] * power_q[i, k]
            run_dc += base[k] * dc_q[i, k]
        rows[ROW_LEAD, t] = lead_total
        rows[ROW_CAPEX, t] = total
        base_capex = base_capex + total
        rows[ROW_INSTALLED_CAPEX, t] = base_capex
        rows[ROW_SHORTFALL, t] = gap
        use = min(need[i, t] / max(have, 1e-300), 1.0) if have > 0 else 0.0
        rows[ROW_IN_USE, t] = use
        rows[ROW_POWER, t] = run_power * use
        rows[ROW_DATACENTER, t] = run_dc
        book_value = book_value + total - base_capex / life_q
        rows[ROW_BOOK, t] = max(book_value, 0.0)


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def fleet_kernel(need: Any, qps: Any, first: Any, until: Any, cap: Any, price_root: Any,
                 price_start: Any, price_launch: Any, life: Any, fac_w: Any,
                 budget: Any, has_budget: bool, power_q: Any, dc_q: Any, lead: int,
                 per_draw: bool, purchases: Any, installed: Any, installed_sum: Any,
                 rows: Any) -> None:
    """Simulate every draw (:func:`simulate_draw`): ``need`` (N, Q) demand [queries/s],
    ``qps`` (N, G, Q) what a chip carries, generation ``k`` on sale in quarters
    ``first[i, k] <= t <= until[k]``, at most ``cap`` (N, G) a quarter, at the prices
    ``price_row(price_root, price_start, price_launch)`` (N, G each), retired after
    ``life`` (N,) quarters; ``fac_w`` (N, G) facility power per chip and ``budget`` (N, Q)
    read only when ``has_budget``; ``power_q`` / ``dc_q`` (N, G): running cost of one
    chip-quarter in use / installed [USD]; ``lead``: how many first generations' capex to
    sum apart. Fills ``rows`` (:data:`ROWS`, N, Q), ``installed_sum`` (G, Q) the chips
    installed summed over the draws, and with ``per_draw`` ``purchases`` and ``installed``
    (N, G, Q) (otherwise not touched)."""
    n, g, q = qps.shape
    unit = np.empty((g, q))
    cohort = np.zeros((q, g))
    bought = np.zeros((g, q))
    base = np.zeros(g)
    row = np.empty((len(ROWS), q))
    unused = np.empty((g, q))  # what a draw's fleet per generation goes to without per_draw
    installed_sum[:, :] = 0.0
    for i in range(n):
        pr = purchases[i] if per_draw else unused
        ins = installed[i] if per_draw else unused
        simulate_draw(i, need, qps, first, until, cap, price_root, price_start, price_launch,
                      life, fac_w, budget, has_budget, power_q, dc_q, lead, unit, cohort,
                      bought, base, per_draw, pr, ins, installed_sum, row)
        for r in range(len(ROWS)):
            for t in range(q):
                rows[r, i, t] = row[r, t]
