"""Owned fleets by vintage, vectorised over Monte Carlo draws.

Chips are bought in quarterly cohorts. Each cohort serves for the service life and is then
retired (sold at the resale fraction of its price). Every quarter the capacity needed is
compared with the installed capacity; the gap (growth plus retirements) is bought from the
generations in preference order (the first is the preferred chip, e.g. the newest GPU or the
custom chip once it has arrived), each at most its supply cap per quarter and only once
available, and within the data-centre power budget when there is one. What no owned
generation can supply is the shortfall (rented or unserved by the option).

Shapes: ``N`` draws, ``G`` generations, ``Q`` quarters. Pure function of arrays; the option
classes in :mod:`siliconomics.economics.strategy` price the result. :func:`simulate_fleet`
runs the compiled kernel (:mod:`siliconomics.economics.fleet_compiled`, one pass per draw);
:func:`simulate_fleet_reference` is the same algorithm in NumPy, vectorised over draws, kept
as the readable reference (tests require both to agree).

Choices where the issue is silent (stated in docs/economics.md): installed chips are never
sold early; chips in use are spread evenly over the installed fleet (power is paid on the
in-use share of every chip); fractional chips (a fleet is large enough that rounding does
not matter to its cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from siliconomics.economics.tco import FloatArray

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CapexPaths:
    """What a chip costs when bought in each quarter [USD], per draw, ``(N,)`` for one chip
    (:func:`~siliconomics.economics.strategy.price_path`) or ``(N, G)`` for a fleet's
    generations: ``min(root ** q * start_usd, launch_usd)`` in quarter ``q`` (a price falling
    by the quarterly factor ``root`` from ``start_usd`` at the scenario date, never above the
    launch price ``launch_usd``). The fleet kernel prices each draw's chips from these three
    numbers, so no ``(N, G, Q)`` table is built; :meth:`values` builds it (the reference)."""

    root: FloatArray
    start_usd: FloatArray
    launch_usd: FloatArray

    @staticmethod
    def constant(unit_usd: FloatArray) -> CapexPaths:
        """The same price every quarter, ``unit_usd`` ``(N, G)``."""
        unit = np.asarray(unit_usd, dtype=float)
        return CapexPaths(np.ones_like(unit), unit, unit)

    def values(self, quarters: int) -> FloatArray:
        """The prices ``(N, G, Q)`` (compiled, the fleet kernel's arithmetic)."""
        from siliconomics.economics.cashflow_compiled import price_path_kernel

        out = np.empty((*np.shape(self.root), quarters))
        price_path_kernel(kernel_input(self.root), kernel_input(self.start_usd),
                          kernel_input(self.launch_usd), out)
        return out


@dataclass(frozen=True)
class FleetPaths:
    """An owned fleet over the horizon.

    ``purchases`` / ``installed`` [chips], ``(N, G, Q)`` (``(0, G, Q)`` when the caller asked
    only for ``installed_over_draws``, the chips installed summed over the draws ``(G, Q)``);
    ``capex_usd`` spent
    on purchases ``(N, Q)``; ``retired_capex_usd`` the purchase value of the chips retired
    ``(N, Q)``; ``installed_capex_usd`` of the chips still installed at the end of each
    quarter ``(N, Q)``; ``book_value_usd`` of those chips (straight line over the service
    life) at the end of each quarter ``(N, Q)``; ``shortfall_qps`` not served by owned chips
    ``(N, Q)``; ``in_use_frac`` of the installed capacity serving ``(N, Q)``; the running
    costs of the installed fleet [USD per quarter] ``(N, Q)``: ``power_usd`` (each chip's
    power cost times the in-use share) and ``datacenter_usd`` (on every installed chip).
    """

    purchases: FloatArray
    installed: FloatArray
    installed_over_draws: FloatArray
    capex_usd: FloatArray
    retired_capex_usd: FloatArray
    installed_capex_usd: FloatArray
    book_value_usd: FloatArray
    shortfall_qps: FloatArray
    in_use_frac: FloatArray
    power_usd: FloatArray
    datacenter_usd: FloatArray
    lead_capex_usd: FloatArray


FleetInputs = tuple[Any, ...]
"""A fleet's inputs as the compiled fleet reads them (:meth:`FleetSpec.kernel_inputs`)."""


@dataclass(frozen=True)
class FleetSpec:
    """An owned fleet to simulate over N draws, G generations (in preference order) and Q
    quarters.

    ``need_qps`` (N, Q): mean demand [queries/s]; ``qps_per_chip`` (N, G, Q): what one chip
    carries on average (capacity at the SLO x utilisation) [queries/s], possibly a broadcast
    view; ``available_from_quarter`` (N, G): the first quarter a generation can be bought
    (fractional: from the next whole quarter; ``inf`` never) and ``available_until_quarter``
    (G,) the last (an integer, the same in every draw); ``supply_cap`` (N, G)
    [chips/quarter] (``inf`` for none); ``unit_capex`` the price of a chip with its server
    share and network bought in each quarter (:class:`CapexPaths`); ``life_quarters`` (N,)
    service life; ``facility_w_per_chip`` (N, G) and ``power_budget_w`` (N, Q): the optional
    budget; ``power_usd_per_chip_quarter`` (N, G) the power cost of a chip in use for a
    quarter and ``datacenter_usd_per_chip_quarter`` (N, G) the data-centre cost of an
    installed chip [USD] (zero when not given); ``lead_generations``: how many of the first
    generations' capex to report apart as well.
    """

    need_qps: FloatArray
    qps_per_chip: FloatArray
    available_from_quarter: FloatArray
    available_until_quarter: IntArray
    supply_cap: FloatArray
    unit_capex: CapexPaths
    life_quarters: FloatArray
    facility_w_per_chip: FloatArray | None = None
    power_budget_w: FloatArray | None = None
    power_usd_per_chip_quarter: FloatArray | None = None
    datacenter_usd_per_chip_quarter: FloatArray | None = None
    lead_generations: int = 0

    def kernel_inputs(self) -> FleetInputs:
        """The inputs as the compiled fleet reads them
        (:func:`~siliconomics.economics.fleet_compiled.simulate_draw`, in its argument order):
        one conversion shared by :func:`simulate_fleet` and the option pricing."""
        n, g, _ = self.qps_per_chip.shape
        has_budget = self.power_budget_w is not None and self.facility_w_per_chip is not None
        return (
            kernel_input(self.need_qps), kernel_input(self.qps_per_chip, contiguous=False),
            kernel_input(self.available_from_quarter, (n, g)),
            kernel_input(self.available_until_quarter, dtype=np.int64),
            kernel_input(self.supply_cap, (n, g)),
            kernel_input(self.unit_capex.root, (n, g)),
            kernel_input(self.unit_capex.start_usd, (n, g)),
            kernel_input(self.unit_capex.launch_usd, (n, g)),
            kernel_input(np.maximum(np.rint(self.life_quarters).astype(np.int64), 1),
                         dtype=np.int64),
            # read only with a budget: otherwise placeholders of the right type
            kernel_input(self.facility_w_per_chip
                         if self.facility_w_per_chip is not None and has_budget
                         else np.ones((1, 1))),
            kernel_input(self.power_budget_w if self.power_budget_w is not None and has_budget
                         else np.zeros((1, 1))), has_budget,
            _per_chip(self.power_usd_per_chip_quarter, n, g),
            _per_chip(self.datacenter_usd_per_chip_quarter, n, g),
            min(self.lead_generations, g))


def simulate_fleet(spec: FleetSpec, per_draw_fleet: bool = True) -> FleetPaths:
    """Buy, serve and retire chip cohorts quarter by quarter (module doc), compiled; equal to
    :func:`simulate_fleet_reference`. The ``(N, G, Q)`` inputs may be broadcast views (read
    in place, not copied). ``per_draw_fleet=False`` skips ``purchases`` and ``installed``
    per draw (returned as ``(0, G, Q)``) for a caller that needs only
    ``installed_over_draws``."""
    from siliconomics.economics.fleet_compiled import ROWS, fleet_kernel

    n, g, q = spec.qps_per_chip.shape
    kept = n if per_draw_fleet else 0
    purchases, installed = np.empty((kept, g, q)), np.empty((kept, g, q))
    installed_sum = np.empty((g, q))
    rows = np.empty((len(ROWS), n, q))  # the kernel writes every element
    kernel: Any = fleet_kernel  # (a numba dispatcher: its arguments are typed when called)
    kernel(*spec.kernel_inputs(), per_draw_fleet, purchases, installed, installed_sum, rows)
    out = dict(zip(ROWS, rows, strict=True))
    return FleetPaths(purchases, installed, installed_sum, out["capex"], out["retired_capex"],
                      out["installed_capex"], out["book"], out["shortfall"], out["in_use"],
                      out["power"], out["datacenter"], out["lead_capex"])


def kernel_input(a: npt.ArrayLike, shape: tuple[int, ...] | None = None, dtype: type = float,
                 contiguous: bool = True) -> npt.NDArray[np.generic]:
    """An input as the kernel reads it: of ``dtype``, broadcast to ``shape``, C-contiguous
    (unless ``contiguous`` is False: a broadcast view is read through its strides) and
    read-only, so every caller gets the same compiled signature (numba compiles one per
    combination of layouts and writeability). An input that already is all that is passed
    as it is, and no step is taken that is not needed (this runs for every kernel argument
    of every Monte Carlo block, holding Python's lock)."""
    arr: npt.NDArray[np.generic] = np.asarray(a, dtype=dtype)
    if shape is not None and arr.shape != shape:
        arr = np.broadcast_to(arr, shape)
    if contiguous and not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    if arr.flags.writeable:
        arr = arr.view()  # the caller's array stays writeable
        arr.flags.writeable = False
    return arr


def _per_chip(usd: FloatArray | None, n: int, g: int) -> FloatArray:
    """A running cost per chip-quarter ``(N, G)`` as the kernel reads it (zero when absent)."""
    return np.asarray(kernel_input(np.zeros((n, g)) if usd is None else usd, (n, g)), dtype=float)


def simulate_fleet_reference(spec: FleetSpec) -> FleetPaths:
    """Buy, serve and retire chip cohorts quarter by quarter (module doc; inputs as
    :class:`FleetSpec`): the NumPy reference the compiled :func:`simulate_fleet` is tested
    against."""
    n, g, q = spec.qps_per_chip.shape
    unit_capex_usd = spec.unit_capex.values(q)
    quarter = np.arange(q)
    first = np.broadcast_to(spec.available_from_quarter, (n, g))[:, :, None]
    last = np.asarray(spec.available_until_quarter)[None, :, None]
    available = (quarter[None, None, :] >= first) & (quarter[None, None, :] <= last)
    power_q = _per_chip(spec.power_usd_per_chip_quarter, n, g)
    dc_q = _per_chip(spec.datacenter_usd_per_chip_quarter, n, g)
    budget_w, facility_w = spec.power_budget_w, spec.facility_w_per_chip
    rows = np.arange(n)
    life = np.maximum(np.rint(spec.life_quarters).astype(np.int64), 1)
    purchases = np.zeros((n, g, q))
    installed = np.zeros((n, g, q))
    cohort_capex = np.zeros((n, g, q))
    cohort_total = np.zeros((q, n))
    capex = np.zeros((n, q))
    retired_capex = np.zeros((n, q))
    installed_capex = np.zeros((n, q))
    book = np.zeros((n, q))
    shortfall = np.zeros((n, q))
    in_use = np.zeros((n, q))
    power = np.zeros((n, q))
    datacenter = np.zeros((n, q))
    lead_capex = np.zeros((n, q))
    base = np.zeros((n, g))
    base_capex = np.zeros(n)
    book_value = np.zeros(n)
    for t in range(q):
        born = t - life
        old = born >= 0
        if old.any():
            idx = np.where(old, born, 0)
            gone = purchases[rows, :, idx] * old[:, None]
            base = base - gone
            out = (cohort_capex[rows, :, idx] * old[:, None]).sum(axis=1)
            retired_capex[:, t] = out
            base_capex = base_capex - out
        cap_t = spec.qps_per_chip[:, :, t]
        have = (base * cap_t).sum(axis=1)
        gap = np.maximum(spec.need_qps[:, t] - have, 0.0)
        headroom_w = None
        if budget_w is not None and facility_w is not None:
            headroom_w = np.maximum(budget_w[:, t] - (base * facility_w).sum(1), 0.0)
        buy = np.zeros((n, g))
        for k in range(g):
            want = gap / cap_t[:, k] * available[:, k, t]
            got = np.minimum(want, spec.supply_cap[:, k])
            if headroom_w is not None and facility_w is not None:
                got = np.minimum(got, headroom_w / facility_w[:, k])
                headroom_w = np.maximum(headroom_w - got * facility_w[:, k], 0.0)
            buy[:, k] = got
            gap = np.maximum(gap - got * cap_t[:, k], 0.0)
        spend = buy * unit_capex_usd[:, :, t]
        purchases[:, :, t] = buy
        cohort_capex[:, :, t] = spend
        cohort_total[t] = spend.sum(axis=1)
        for k in range(min(spec.lead_generations, g)):
            lead_capex[:, t] += spend[:, k]
        base = base + buy
        installed[:, :, t] = base
        capex[:, t] = cohort_total[t]
        base_capex = base_capex + capex[:, t]
        installed_capex[:, t] = base_capex
        shortfall[:, t] = gap
        have = (base * cap_t).sum(axis=1)
        in_use[:, t] = np.where(have > 0, np.minimum(spec.need_qps[:, t] / np.maximum(have, 1e-300),
                                                     1.0), 0.0)
        power[:, t] = (base * power_q).sum(axis=1) * in_use[:, t]
        datacenter[:, t] = (base * dc_q).sum(axis=1)
        # value left in the installed cohorts (straight line over the life): each loses
        # capex / life a quarter, a retired cohort has none left, a new one starts at full
        book_value = book_value + cohort_total[t] - base_capex / life
        book[:, t] = np.maximum(book_value, 0.0)
    # summed over the draws in draw order, as the kernel does
    over_draws = np.stack([np.einsum("nq->q", installed[:, k, :]) for k in range(g)]) \
        if g else np.zeros((0, q))
    return FleetPaths(purchases, installed, over_draws, capex, retired_capex, installed_capex,
                      book, shortfall, in_use, power, datacenter, lead_capex)
