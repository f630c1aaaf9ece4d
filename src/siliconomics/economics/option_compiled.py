"""One strategy option priced draw by draw in one compiled pass (numba): its fleet simulated
(:func:`siliconomics.economics.fleet_compiled.simulate_draw`), its costs, the rental of the
shortfall, what is left unserved, and the reductions (present values, sums over draws,
:func:`siliconomics.economics.cashflow_compiled.reduce_draw`), all on one draw's quarters at a
time. Nothing of size draws x quarters is written unless the caller asks for the paths, and
Python's lock is released once per option instead of around every NumPy step (the Monte
Carlo runs blocks of draws on threads).

The float operations are those of the NumPy steps this replaced, in their order (no
``fastmath``); the tests compare them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from siliconomics.economics.cashflow_compiled import reduce_draw, spread_row
from siliconomics.economics.fleet_compiled import (
    ROW_BOOK,
    ROW_CAPEX,
    ROW_DATACENTER,
    ROW_INSTALLED_CAPEX,
    ROW_LEAD,
    ROW_POWER,
    ROW_RETIRED,
    ROW_SHORTFALL,
    ROWS,
    simulate_draw,
)

#: A custom programme's own cost categories, in the order they are added.
PROGRAMME = ("nre", "respin", "acquisition", "sustaining", "next_generation_nre")
#: Its inputs per draw, rows of ``programme`` in this order.
PROGRAMME_INPUTS = ("nre_usd", "nre_end_months", "respin_usd", "respin_start_months",
                    "respin_end_months", "acquisition_usd", "sustaining_usd_per_quarter",
                    "arrival_months")
(NRE_USD, NRE_END, RESPIN_USD, RESPIN_START, RESPIN_END, ACQUISITION_USD, SUSTAINING_USD,
 ARRIVAL_MONTHS) = range(len(PROGRAMME_INPUTS))


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def option_kernel(has_fleet: bool, need: Any, qps: Any, first: Any, until: Any, cap: Any,
                  price_root: Any, price_start: Any, price_launch: Any, life: Any, fac_w: Any,
                  budget: Any, has_budget: bool, power_q: Any, dc_q: Any, lead: int,
                  shortfall_in: Any, ops_q: Any, neg_resale: Any, has_margin: bool,
                  margin_share: Any, rent_qps: Any, rent_path: Any, rent_mult: Any,
                  rent_first: Any, rent_end: Any, rental_factor: Any, unserved_factor: Any,
                  has_unserved_price: bool, unserved_price: float, queries: Any,
                  has_programme: bool, years: Any, programme: Any, next_generations: Any,
                  factors: Any, sum_rows: int, per_draw: bool, cats_out: Any, rented_out: Any,
                  unserved_out: Any, served_out: Any, book_out: Any, cost_pv: Any,
                  served_pv: Any, sums: Any, rented_sum: Any, unserved_sum: Any,
                  installed_sum: Any) -> None:
    """Price one option, draw by draw, and reduce it.

    Per draw ``i``: with ``has_fleet``, its owned fleet (``need`` ... ``lead``: the inputs of
    :func:`~siliconomics.economics.fleet_compiled.fleet_kernel`; chips installed added to
    ``installed_sum`` (G, Q)), whose shortfall [queries/s] is rented; without, the shortfall
    is ``shortfall_in`` (N, Q). It is rented from the rental generations in order
    (``rent_qps`` (N, R) per chip; price per chip-hour ``rent_path[r, t] * rent_mult[i, r]``:
    a dated path with multiplier 1, or a constant path 1 times the sampled price; quarters
    ``rent_first[r] <= t < rent_end[r]``; no generations: nothing rented). The categories, in
    this order:

    * with ``has_fleet``: capex (less the partner margin with ``has_margin``), power,
      datacenter, operations (``ops_q`` x installed capex), resale (``neg_resale`` x retired
      capex), continuing value (minus the last quarter's book value), and with
      ``has_margin`` the partner margin (the lead generations' capex x ``margin_share``);
    * rental (chip-hours x price x ``rental_factor``: hours a quarter less a discount);
    * with ``has_unserved_price``, unserved queries x ``unserved_price``;
    * with ``has_programme``, a custom programme's own costs (:data:`PROGRAMME`, its inputs
      ``programme`` (8, N) in that order): the NRE spread over ``[0, nre_end_months)``, a
      respin's cost over ``[respin_start_months, respin_end_months)``, an acquisition paid
      in the first quarter, sustaining engineering every quarter that ends after the chip
      arrives (``years`` (Q,) start of each quarter), and each next generation's NRE
      (``next_generations`` (K, 3, N): total, start, end months) spread over its span.

    Unserved queries are what is left x ``unserved_factor`` (seconds per quarter), served
    ones ``queries`` less those. Outputs: ``cost_pv``, ``served_pv`` (N,); summed over each
    run ``s`` of ``sum_rows`` draws (a Monte Carlo block), ``sums`` (S, K, Q) per category,
    ``rented_sum`` and ``unserved_sum`` (S, Q), ``installed_sum`` (S, G, Q); with
    ``per_draw`` also ``cats_out`` (K, N, Q), ``rented_out``, ``unserved_out``,
    ``served_out`` and ``book_out`` (N, Q).
    """
    n, q = factors.shape
    g = installed_sum.shape[1]
    n_fleet = (7 if has_margin else 6) if has_fleet else 0
    k_n = n_fleet + 1 + (1 if has_unserved_price else 0) + (len(PROGRAMME) if has_programme
                                                             else 0)
    cats = np.empty((k_n, q))
    left = np.empty(q)
    rented = np.empty(q)
    paid = np.empty(q)
    served = np.empty(q)
    row = np.empty(q)
    # the fleet's scratch and one draw's quarters (simulate_draw)
    unit = np.empty((g, q))
    cohort = np.zeros((q, g))
    bought = np.zeros((g, q))
    base = np.zeros(g)
    fleet = np.zeros((len(ROWS), q))
    unused = np.empty((g, q))
    sums[:, :, :] = 0.0
    rented_sum[:, :] = 0.0
    unserved_sum[:, :] = 0.0
    installed_sum[:, :, :] = 0.0
    for i in range(n):
        s = i // sum_rows
        if has_fleet:
            simulate_draw(i, need, qps, first, until, cap, price_root, price_start,
                          price_launch, life, fac_w, budget, has_budget, power_q, dc_q, lead,
                          unit, cohort, bought, base, False, unused, unused,
                          installed_sum[s], fleet)
            for t in range(q):
                left[t] = fleet[ROW_SHORTFALL, t]
        else:
            for t in range(q):
                left[t] = shortfall_in[i, t]
        for t in range(q):
            rented[t] = 0.0
            paid[t] = 0.0
        for r in range(rent_qps.shape[1]):
            for t in range(rent_first[r], rent_end[r]):
                # nothing left (rented already, or no shortfall): renting it adds 0.0 chips
                # at a finite price, so skip the division
                if left[t] != 0.0:
                    chips = left[t] / rent_qps[i, r]
                    rented[t] += chips
                    paid[t] += chips * (rent_path[r, t] * rent_mult[i, r])
                    left[t] = 0.0
        if has_fleet:
            for t in range(q):
                cats[0, t] = fleet[ROW_CAPEX, t]
                cats[1, t] = fleet[ROW_POWER, t]
                cats[2, t] = fleet[ROW_DATACENTER, t]
                cats[3, t] = ops_q[i] * fleet[ROW_INSTALLED_CAPEX, t]
                cats[4, t] = neg_resale[i] * fleet[ROW_RETIRED, t]
                cats[5, t] = 0.0
            cats[5, q - 1] = -fleet[ROW_BOOK, q - 1]
            if has_margin:
                for t in range(q):
                    margin = fleet[ROW_LEAD, t] * margin_share[i]
                    cats[0, t] = cats[0, t] - margin
                    cats[6, t] = margin
        k = n_fleet
        for t in range(q):
            cats[k, t] = paid[t] * rental_factor[i]
            left[t] = left[t] * unserved_factor[i]  # now unserved queries
            served[t] = queries[i, t] - left[t]
        if has_unserved_price:
            for t in range(q):
                cats[k + 1, t] = left[t] * unserved_price
        k += 2 if has_unserved_price else 1
        if has_programme:
            for e in range(len(PROGRAMME)):
                for t in range(q):
                    cats[k + e, t] = 0.0
            spread_row(programme[NRE_USD, i], 0.0, programme[NRE_END, i], years, cats[k])
            spread_row(programme[RESPIN_USD, i], programme[RESPIN_START, i],
                       programme[RESPIN_END, i], years, cats[k + 1])
            cats[k + 2, 0] = programme[ACQUISITION_USD, i]
            for t in range(q):
                arrived = 1.0 if years[t] * 12.0 + 3.0 > programme[ARRIVAL_MONTHS, i] else 0.0
                cats[k + 3, t] = arrived * programme[SUSTAINING_USD, i]
            for j in range(next_generations.shape[0]):
                spread_row(next_generations[j, 0, i], next_generations[j, 1, i],
                           next_generations[j, 2, i], years, cats[k + 4])
        reduce_draw(cats, served, factors[i], row, i, cost_pv, served_pv, sums[s])
        for t in range(q):
            rented_sum[s, t] += rented[t]
            unserved_sum[s, t] += left[t]
        if per_draw:
            for t in range(q):
                for kk in range(k_n):
                    cats_out[kk, i, t] = cats[kk, t]
                rented_out[i, t] = rented[t]
                unserved_out[i, t] = left[t]
                served_out[i, t] = served[t]
                book_out[i, t] = fleet[ROW_BOOK, t]
