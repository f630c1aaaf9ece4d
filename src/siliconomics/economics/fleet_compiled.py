"""The vintage fleet simulation compiled with numba: the same algorithm as
:func:`siliconomics.economics.fleet.simulate_fleet_reference`, one draw at a time (loops over
quarters and generations in machine code instead of NumPy calls on (N, G) slices), so a
million draws fit in seconds. Every float operation is done in the same order as the
reference on the same IEEE doubles (no ``fastmath``), and the tests require equal results.

Each draw's outputs are one contiguous ``(G, Q)`` block of ``purchases`` and ``installed``
(layout ``(N, G, Q)``), so a draw writes a few cache lines instead of one per quarter. The
per-quarter inputs may be broadcast views (a chip's capacity is the same every quarter):
numba reads them through their strides without a copy. ``nogil=True`` lets blocks of draws
run on several threads. ``cache=True`` keeps the machine code on disk: only the first run on
a machine compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def fleet_kernel(need: Any, qps: Any, avail: Any, cap: Any, unit: Any, life: Any, fac_w: Any,
                 budget: Any, has_budget: bool, purchases: Any, installed: Any, capex: Any,
                 retired_capex: Any, installed_capex: Any, book: Any, shortfall: Any,
                 in_use: Any) -> None:
    """Fill the output arrays (``purchases``, ``installed`` (N, G, Q); the rest (N, Q));
    ``purchases`` must arrive zeroed."""
    n, g, q = qps.shape
    cohort = np.zeros((q, g))
    cohort_total = np.zeros(q)
    base = np.zeros(g)
    for i in range(n):
        life_q = life[i]
        cohort[:, :] = 0.0
        cohort_total[:] = 0.0
        base[:] = 0.0
        base_capex = 0.0
        book_value = 0.0
        for t in range(q):
            born = t - life_q
            if born >= 0:
                out = 0.0
                for k in range(g):
                    base[k] = base[k] - purchases[i, k, born]
                    out += cohort[born, k]
                retired_capex[i, t] = out
                base_capex = base_capex - out
            have = 0.0
            for k in range(g):
                have += base[k] * qps[i, k, t]
            gap = max(need[i, t] - have, 0.0)
            head = 0.0
            if has_budget:
                used = 0.0
                for k in range(g):
                    used += base[k] * fac_w[i, k]
                head = max(budget[i, t] - used, 0.0)
            total = 0.0
            for k in range(g):
                # nothing left to buy, or not on sale: the reference's arithmetic gives 0
                # chips (capacities are positive, prices finite), so skip its divisions
                spend = 0.0
                if gap > 0.0 and avail[i, k, t]:
                    got = gap / qps[i, k, t] * avail[i, k, t]
                    got = min(got, cap[i, k])
                    if has_budget:
                        got = min(got, head / fac_w[i, k])
                        head = max(head - got * fac_w[i, k], 0.0)
                    gap = max(gap - got * qps[i, k, t], 0.0)
                    spend = got * unit[i, k, t]
                    purchases[i, k, t] = got
                    base[k] = base[k] + got
                cohort[t, k] = spend
                total += spend
                installed[i, k, t] = base[k]
            cohort_total[t] = total
            capex[i, t] = total
            base_capex = base_capex + total
            installed_capex[i, t] = base_capex
            shortfall[i, t] = gap
            have = 0.0
            for k in range(g):
                have += base[k] * qps[i, k, t]
            in_use[i, t] = min(need[i, t] / max(have, 1e-300), 1.0) if have > 0 else 0.0
            book_value = book_value + cohort_total[t] - base_capex / life_q
            book[i, t] = max(book_value, 0.0)
