"""The vintage fleet simulation compiled with numba: the same algorithm as
:func:`siliconomics.economics.fleet.simulate_fleet_reference`, one draw at a time (loops over
quarters and generations in machine code instead of NumPy calls on (N, G) slices), so a
million draws fit in seconds. Every float operation is done in the same order as the
reference on the same IEEE doubles (no ``fastmath``), and the tests require equal results.

Each draw's outputs are one contiguous ``(G, Q)`` block of ``purchases`` and ``installed``
(layout ``(N, G, Q)``), so a draw writes a few cache lines instead of one per quarter; a
caller that needs only the fleet summed over the draws (the strategy engine) skips those
two arrays, the larger part of the kernel's memory traffic. The
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
def fleet_kernel(need: Any, qps: Any, first: Any, until: Any, cap: Any, unit: Any, life: Any,
                 fac_w: Any,
                 budget: Any, has_budget: bool, power_q: Any, dc_q: Any, lead: int,
                 per_draw: bool, purchases: Any, installed: Any, installed_sum: Any, capex: Any,
                 retired_capex: Any, installed_capex: Any, book: Any, shortfall: Any,
                 in_use: Any, power: Any, datacenter: Any, lead_capex: Any) -> None:
    """Fill every element of the output arrays: ``purchases`` and ``installed`` (N, G, Q)
    only when ``per_draw`` (otherwise they are not touched), ``installed_sum`` (G, Q) the
    chips installed summed over the draws, the rest (N, Q). Generation ``k`` is on sale in
    quarters ``first[i, k] <= t <= until[k]``.
    ``power_q`` / ``dc_q`` (N, G): running cost of one chip-quarter in use /
    installed [USD], summed over the fleet into ``power`` (on the in-use share) and
    ``datacenter``; ``lead_capex``: the capex spent on the first ``lead`` generations
    (``lead_capex`` is not touched when ``lead`` is 0). ``fac_w`` and ``budget`` are read
    only when ``has_budget``."""
    n, g, q = qps.shape
    cohort = np.zeros((q, g))  # capex of each quarter's cohort, by generation
    bought = np.zeros((g, q))  # chips of each quarter's cohort (this draw)
    base = np.zeros(g)
    installed_sum[:, :] = 0.0
    for i in range(n):
        life_q = life[i]
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
            retired_capex[i, t] = out
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
                    spend = got * unit[i, k, t]
                    base[k] = base[k] + got
                bought[k, t] = got
                cohort[t, k] = spend
                total += spend
                if k < lead:
                    lead_total += spend
                installed_sum[k, t] += base[k]
                if per_draw:
                    purchases[i, k, t] = got
                    installed[i, k, t] = base[k]
                have += base[k] * qps[i, k, t]
                run_power += base[k] * power_q[i, k]
                run_dc += base[k] * dc_q[i, k]
            if lead > 0:
                lead_capex[i, t] = lead_total
            capex[i, t] = total
            base_capex = base_capex + total
            installed_capex[i, t] = base_capex
            shortfall[i, t] = gap
            use = min(need[i, t] / max(have, 1e-300), 1.0) if have > 0 else 0.0
            in_use[i, t] = use
            power[i, t] = run_power * use
            datacenter[i, t] = run_dc
            book_value = book_value + total - base_capex / life_q
            book[i, t] = max(book_value, 0.0)
