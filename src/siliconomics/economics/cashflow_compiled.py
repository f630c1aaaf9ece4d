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
def add_category_kernel(cost: Any, total: Any, sums: Any, first: bool) -> None:
    """Add one cost category ``cost`` (N, Q) to ``total`` (N, Q; set to it when ``first``)
    and set ``sums[t]`` to its sum over draws. One call per category, so the signature does
    not depend on how many categories an option has."""
    n, q = cost.shape
    sums[:] = 0.0
    for i in range(n):
        for t in range(q):
            v = cost[i, t]
            total[i, t] = v if first else total[i, t] + v
            sums[t] += v


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def present_values_kernel(total: Any, served: Any, factors: Any, cost_pv: Any,
                          served_pv: Any) -> None:
    """``cost_pv[i]`` = sum over quarters of ``total * factors``, ``served_pv[i]`` the same
    for ``served``, each row summed as NumPy does (:func:`pairwise_sum`)."""
    n, q = factors.shape
    row = np.empty(q)
    for i in range(n):
        for t in range(q):
            row[t] = total[i, t] * factors[i, t]
        cost_pv[i] = pairwise_sum(row, q)
        for t in range(q):
            row[t] = served[i, t] * factors[i, t]
        served_pv[i] = pairwise_sum(row, q)


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
def rent_kernel(left_qps: Any, qps_per_chip: Any, usd_per_hour: Any, first: int, end: int,
                rented_chips: Any, paid_usd_per_hour: Any) -> None:
    """Rent the shortfall ``left_qps`` [queries/s] (N, Q) of quarters ``first <= t < end``
    with chips carrying ``qps_per_chip[i]`` each: add the chips to ``rented_chips`` and chips
    x ``usd_per_hour`` to ``paid_usd_per_hour``, and clear ``left_qps`` there (as NumPy's
    ``chips = left / qps; rented += chips; chips *= rate; paid += chips``)."""
    for i in range(left_qps.shape[0]):
        for t in range(first, end):
            chips = left_qps[i, t] / qps_per_chip[i]
            rented_chips[i, t] += chips
            paid_usd_per_hour[i, t] += chips * usd_per_hour[i, t]
            left_qps[i, t] = 0.0


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
