"""The per-draw pieces of an option's quarterly cash flows, compiled with numba: the
reduction of one draw (present values, sums over draws), price and discount paths, and
spreads of a cost over months; :mod:`siliconomics.economics.option_compiled` prices an
option with them, and a few kernels here run them over arrays.

The float operations are NumPy's, in NumPy's order (no ``fastmath``): the total adds the
categories in their order, as ``total = c0; total += c1; ...``; a present value sums the
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
        v = cats[0, t] if k_n > 0 else 0.0
        row[t] = v
        if k_n > 0:
            sums[0, t] += v
    for k in range(1, k_n):
        for t in range(q):
            v = cats[k, t]
            row[t] = row[t] + v
            sums[k, t] += v
    for t in range(q):
        row[t] = row[t] * factors[t]
    cost_pv[i] = pairwise_sum(row, q)
    for t in range(q):
        row[t] = served[t] * factors[t]
    served_pv[i] = pairwise_sum(row, q)


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def reduce_paths_kernel(cats: Any, served: Any, factors: Any, sum_rows: int, cost_pv: Any,
                        served_pv: Any, sums: Any) -> None:
    """:func:`reduce_draw` for every draw of categories given as arrays, ``cats`` (K, N, Q)
    and ``served`` (N, Q) (an option that hands over its paths rather than pricing them in
    :func:`~siliconomics.economics.option_compiled.option_kernel`); ``sums`` (S, K, Q) per
    run of ``sum_rows`` draws."""
    k_n, n, q = cats.shape
    row = np.empty(q)
    draw = np.empty((k_n, q))
    sums[:, :, :] = 0.0
    for i in range(n):
        for k in range(k_n):
            for t in range(q):
                draw[k, t] = cats[k, i, t]
        reduce_draw(draw, served[i], factors[i], row, i, cost_pv, served_pv,
                    sums[i // sum_rows])


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def sum_over_draws_kernel(a: Any, sum_rows: int, out: Any) -> None:
    """``out[s, t]`` = sum over the draws of run ``s`` of ``sum_rows`` draws (in order) of
    ``a[:, t]``, ``a`` (N, Q), ``out`` (S, Q)."""
    out[:, :] = 0.0
    for i in range(a.shape[0]):
        s = i // sum_rows
        for t in range(a.shape[1]):
            out[s, t] += a[i, t]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def spread_row(total: float, start: float, end: float, years: Any, out: Any) -> None:
    """Add ``total`` spread evenly over months ``[start, end)`` to ``out``, per quarter
    (``years`` (Q,): start of each quarter [years]): each quarter gets the months of the
    span inside it (at most its 3) times ``total / (end - start)``."""
    per_month = total / max(end - start, 1e-9)
    for t in range(out.shape[0]):
        m0 = years[t] * 12.0
        overlap = min(m0 + 3.0, end) - max(m0, start)
        out[t] += max(overlap, 0.0) * per_month


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def powers_row(root: float, out: Any) -> None:
    """``out[q] = root ** q`` by repeated doubling: the first two entries are 1 and
    ``root``, and each block of entries is the one before it times one power (so a path
    costs a multiplication per entry instead of a ``pow``)."""
    q = out.shape[0]
    out[0] = 1.0
    if q > 1:
        out[1] = root
    width = 2
    while width < q:
        step = out[width - 1] * out[1]  # root ** width
        take = min(width, q - width)
        for j in range(take):
            out[width + j] = out[j] * step
        width += take


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def quarterly_powers_kernel(root: Any, out: Any) -> None:
    """``out[i, q] = root[i] ** q`` (:func:`powers_row` per row)."""
    for i in range(out.shape[0]):
        powers_row(root[i], out[i])


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def price_row(root: float, start_usd: float, launch_usd: float, out_usd: Any) -> None:
    """A price [USD] per quarter ``out_usd[q] = min(root ** q * start_usd, launch_usd)``:
    falling from ``start_usd`` (at the scenario date) by the quarterly factor ``root``,
    never above the launch price. The fleet kernel prices each draw's chips with it."""
    powers_row(root, out_usd)
    for t in range(out_usd.shape[0]):
        out_usd[t] = min(out_usd[t] * start_usd, launch_usd)


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def price_path_kernel(root: Any, start_usd: Any, launch_usd: Any, out_usd: Any) -> None:
    """:func:`price_row` for every draw ``i`` and generation ``k``: ``out_usd`` (N, G, Q)
    from ``root``, ``start_usd``, ``launch_usd`` (N, G)."""
    n, g, _ = out_usd.shape
    for i in range(n):
        for k in range(g):
            price_row(root[i, k], start_usd[i, k], launch_usd[i, k], out_usd[i, k])
