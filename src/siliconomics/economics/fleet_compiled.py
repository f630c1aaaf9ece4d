"""The vintage fleet simulation compiled with numba: the same algorithm as
:func:`siliconomics.economics.fleet.simulate_fleet_reference`, one draw at a time (loops over
quarters and generations in machine code instead of NumPy calls on (N, G) slices), so a
million draws fit in seconds. Every float operation is done in the same order as the
reference on the same IEEE doubles (no ``fastmath``), and the tests require equal results.
``cache=True`` keeps the machine code on disk: only the first run on a machine compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def fleet_kernel(need: Any, qps: Any, avail: Any, cap: Any, unit: Any, life: Any, fac_w: Any,
                 budget: Any, has_budget: bool, purchases: Any, installed: Any, capex: Any,
                 retired_capex: Any, installed_capex: Any, book: Any, shortfall: Any,
                 in_use: Any) -> None:
    """Fill the output arrays (``purchases``, ``installed`` (Q, N, G); the rest (N, Q))."""
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
                    base[k] = base[k] - purchases[born, i, k]
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
                got = gap / qps[i, k, t] * avail[i, k, t]
                got = min(got, cap[i, k])
                if has_budget:
                    got = min(got, head / fac_w[i, k])
                    head = head - got * fac_w[i, k]
                gap = max(gap - got * qps[i, k, t], 0.0)
                spend = got * unit[i, k, t]
                purchases[t, i, k] = got
                cohort[t, k] = spend
                total += spend
                base[k] = base[k] + got
                installed[t, i, k] = base[k]
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
