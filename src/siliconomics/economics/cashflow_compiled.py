"""Reductions of an option's quarterly cash flows, compiled with numba: present values per
draw and sums over draws, in one pass over the ``(N, Q)`` arrays instead of a NumPy
temporary per step (the total, its product with the discount factors, each sum).

The float operations are NumPy's, in NumPy's order (no ``fastmath``): the total adds the
categories in their order, as ``total = c0; total += c1; ...`` (one call per category,
summing it over draws on the way); a present value sums the
discounted row pairwise exactly as ``ndarray.sum`` over a contiguous row does
(:func:`pairwise_sum`, 8 partial sums for up to 128 quarters); a sum over draws adds the rows
in draw order, as ``np.einsum("nq->q", a)``. The tests require equal results.
``nogil=True`` lets blocks of draws run on several threads; ``cache=True`` keeps the
machine code on disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def pairwise_sum(a: Any, n: int) -> float:
    """Sum of ``a[:n]`` in the order of NumPy's pairwise summation (``pairwise_sum`` in
    ``numpy/_core/src/umath/loops_utils.h.src``): sequential below 8 values, 8 interleaved
    partial sums up to 128, halves (a multiple of 8 first) above."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
        r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
        i = 8
        stop = n - n % 8
        while i < stop:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return float(res)
    half = n // 2
    half -= half % 8
    total: float = pairwise_sum(a, half) + pairwise_sum(a[half:], n - half)
    return total


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def reduce_draw(cats: Any, served: Any, factors: Any, row: Any, i: int, cost_pv: Any,
                served_pv: Any, sums: Any) -> None:
    """Reduce draw ``i``: its cost categories ``cats`` (K, Q) added in their order into the
    total (``total = c0; total += c1; ...``), ``cost_pv[i]`` the total's present value with
    the draw's discount ``factors`` (Q,) and ``served_pv[i]`` that of ``served`` (Q,), each
    row summed as NumPy sums it (:func:`pairwise_sum`); each category added to its sum over
    draws ``sums`` (K, Q). ``row`` (Q,) is scratch. Every option's reduction runs this.
    Loops run along the quarters (contiguous, so they vectorise); each quarter's total still
    adds the categories in their order."""
    k_n, q = cats.shape
    for t in range(q):
        row[t] = cats[0, t] if k_n > 0 else 0.0
    for k in range(1, k_n):
        for t in range(q):
            row[t] = row[t] + cats[k, t]
    for k in range(k_n):
        for t in range(q):
            sums[k, t] += cats[k, t]
    for t in range(q):
        row[t] = row[t] * factors[t]
    cost_pv[i] = pairwise_sum(row, q)
    for t in range(q):
        row[t] = served[t] * factors[t]
    served_pv[i] = pairwise_sum(row, q)


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def reduce_paths_kernel(cats: Any, served: Any, factors: Any, cost_pv: Any, served_pv: Any,
                        sums: Any) -> None:
    """:func:`reduce_draw` for every draw of categories given as arrays, ``cats`` (K, N, Q)
    and ``served`` (N, Q) (an option that hands over its paths rather than pricing them in
    :func:`option_kernel`)."""
    k_n, n, q = cats.shape
    row = np.empty(q)
    draw = np.empty((k_n, q))
    sums[:, :] = 0.0
    for i in range(n):
        for k in range(k_n):
            for t in range(q):
                draw[k, t] = cats[k, i, t]
        reduce_draw(draw, served[i], factors[i], row, i, cost_pv, served_pv, sums)


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def option_kernel(has_fleet: bool, capex: Any, power: Any, datacenter: Any,
                  installed_capex: Any, retired_capex: Any, book: Any, lead_capex: Any,
                  shortfall: Any, ops_q: Any, neg_resale: Any, has_margin: bool,
                  margin_share: Any, rent_qps: Any, rent_path: Any, rent_mult: Any,
                  rent_first: Any, rent_end: Any, rental_factor: Any, unserved_factor: Any,
                  has_unserved_price: bool, unserved_price: float, queries: Any, extras: Any,
                  factors: Any, per_draw: bool, cats_out: Any, rented_out: Any,
                  unserved_out: Any, served_out: Any, cost_pv: Any, served_pv: Any, sums: Any,
                  rented_sum: Any, unserved_sum: Any) -> None:
    """Price one option draw by draw and reduce it (:func:`reduce_draw`), without an
    ``(N, Q)`` array per step.

    Per draw ``i``: the shortfall ``shortfall`` [queries/s] (N, Q) is rented from the
    rental generations in order (``rent_qps`` (N, R) per chip; price per chip-hour
    ``rent_path[r, t] * rent_mult[i, r]``: a dated path with multiplier 1, or a constant
    path 1 times the sampled price; quarters ``rent_first[r] <= t < rent_end[r]``; no
    generations: nothing rented). The categories, in this order:

    * with ``has_fleet``, the owned fleet's (arrays of
      :class:`~siliconomics.economics.fleet.FleetPaths`): capex (less the partner margin
      with ``has_margin``), power, datacenter, operations (``ops_q`` x installed capex),
      resale (``neg_resale`` x retired capex), continuing value (minus the last quarter's
      book value), and with ``has_margin`` the partner margin (``lead_capex`` x
      ``margin_share``);
    * rental (chip-hours x price x ``rental_factor``: hours a quarter less a discount);
    * with ``has_unserved_price``, unserved queries x ``unserved_price``;
    * ``extras`` (E, N, Q), computed by the option.

    Unserved queries are what is left x ``unserved_factor`` (seconds per quarter), served
    ones ``queries`` less those. Outputs: ``cost_pv``, ``served_pv`` (N,); ``sums`` (K, Q)
    per category, ``rented_sum`` and ``unserved_sum`` (Q,) over draws; with ``per_draw``
    also ``cats_out`` (K, N, Q), ``rented_out``, ``unserved_out``, ``served_out`` (N, Q).
    """
    n, q = factors.shape
    n_fleet = (7 if has_margin else 6) if has_fleet else 0
    k_n = n_fleet + 1 + (1 if has_unserved_price else 0) + extras.shape[0]
    cats = np.empty((k_n, q))
    left = np.empty(q)
    rented = np.empty(q)
    paid = np.empty(q)
    served = np.empty(q)
    row = np.empty(q)
    sums[:, :] = 0.0
    rented_sum[:] = 0.0
    unserved_sum[:] = 0.0
    for i in range(n):
        for t in range(q):
            left[t] = shortfall[i, t]
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
                cats[0, t] = capex[i, t]
                cats[1, t] = power[i, t]
                cats[2, t] = datacenter[i, t]
                cats[3, t] = ops_q[i] * installed_capex[i, t]
                cats[4, t] = neg_resale[i] * retired_capex[i, t]
                cats[5, t] = 0.0
            cats[5, q - 1] = -book[i, q - 1]
            if has_margin:
                for t in range(q):
                    margin = lead_capex[i, t] * margin_share[i]
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
        for e in range(extras.shape[0]):
            for t in range(q):
                cats[k + e, t] = extras[e, i, t]
        reduce_draw(cats, served, factors[i], row, i, cost_pv, served_pv, sums)
        for t in range(q):
            rented_sum[t] += rented[t]
            unserved_sum[t] += left[t]
        if per_draw:
            for t in range(q):
                for kk in range(k_n):
                    cats_out[kk, i, t] = cats[kk, t]
                rented_out[i, t] = rented[t]
                unserved_out[i, t] = left[t]
                served_out[i, t] = served[t]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def sum_over_draws_kernel(a: Any, out: Any) -> None:
    """``out[t]`` = sum over draws (axis 0, in order) of ``a[:, t]``, ``a`` (N, Q)."""
    out[:] = 0.0
    for i in range(a.shape[0]):
        for t in range(a.shape[1]):
            out[t] += a[i, t]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def spread_kernel(total: Any, start: Any, end: Any, years: Any, out: Any) -> None:
    """Add ``total[i]`` spread evenly over months ``[start[i], end[i])`` to ``out[i]``, per
    quarter (``years`` (Q,): start of each quarter [years]): each quarter gets the months of
    the span inside it (at most its 3) times ``total / (end - start)``."""
    n, q = out.shape
    for i in range(n):
        s = start[i]
        e = end[i]
        per_month = total[i] / max(e - s, 1e-9)
        for t in range(q):
            m0 = years[t] * 12.0
            overlap = min(m0 + 3.0, e) - max(m0, s)
            out[i, t] += max(overlap, 0.0) * per_month


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def quarterly_powers_kernel(root: Any, out: Any) -> None:
    """``out[i, q] = root[i] ** q`` by repeated doubling: the first two columns are 1 and
    ``root``, and each block of columns is the one before it times one power (so a path
    costs a multiplication per element instead of a ``pow``)."""
    n, q = out.shape
    for i in range(n):
        out[i, 0] = 1.0
        if q > 1:
            out[i, 1] = root[i]
        width = 2
        while width < q:
            step = out[i, width - 1] * out[i, 1]  # root ** width
            take = min(width, q - width)
            for j in range(take):
                out[i, width + j] = out[i, j] * step
            width += take


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def price_path_kernel(powers: Any, start_usd: Any, launch_usd: Any, out_usd: Any) -> None:
    """``out_usd[i, t] = min(powers[i, t] * start_usd[i], launch_usd[i])``: a price [USD]
    falling from ``start_usd`` (at the scenario date) by the quarterly ``powers``, never
    above the launch price."""
    n, q = out_usd.shape
    for i in range(n):
        for t in range(q):
            out_usd[i, t] = min(powers[i, t] * start_usd[i], launch_usd[i])
