"""Total cost of ownership per chip-hour: owned hardware or a cloud rental.

Pure functions of numbers (floats or NumPy arrays, so the Monte Carlo evaluates thousands of
draws at once), a thin wrapper that takes an :class:`~siliconomics.catalog.Accelerator` and
the sourced defaults, and a frozen :class:`Tco` with the breakdown.

Owned hardware, per accelerator (Barroso, Hölzle & Ranganathan, *The Datacenter as a
Computer*, 3rd ed. 2018, ch. 6: capex amortised with the cost of money + opex; Magaki et al.,
"ASIC Clouds", ISCA 2016: TCO = server capex + DC capex per W + energy)::

    capex_usd        = chip_price_usd * server_cost_multiplier           (server share)
    networking_usd   = capex_usd * f_net / (1 - f_net)                   (f_net of cluster cost)
    hardware $/yr    = (capex_usd + networking_usd) * CRF(r, depreciation_years)
    datacenter $/yr  = dc_capex_usd_per_w * tdp_w * server_power_multiplier * CRF(r, dc_life)
    power $/h        = tdp_w * server_power_multiplier * draw_frac * pue / 1000 * usd_per_kwh
    operations $/yr  = ops_frac_per_year * (capex_usd + networking_usd)

with the capital recovery factor CRF(r, n) = r (1+r)^n / ((1+r)^n - 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
import numpy.typing as npt

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.economics.defaults import EconomicsDefaults, default_economics
from siliconomics.errors import SiliconomicsError

FloatArray = npt.NDArray[np.float64]
Num = Union[float, FloatArray]  # noqa: UP007 - a runtime alias, not an annotation


def capital_recovery_factor(rate_frac: Num, years: Num) -> Num:
    """Annual payment per dollar borrowed over ``years`` at ``rate_frac`` [1/yr].

    CRF = r (1+r)^n / ((1+r)^n - 1), which tends to 1/n as r -> 0 (straight-line).
    (Any engineering-economics text, e.g. Newnan, *Engineering Economic Analysis*, ch. 4.)
    """
    r = np.asarray(rate_frac, dtype=float)
    n = np.asarray(years, dtype=float)
    tiny = np.abs(r) < 1e-9
    safe_r = np.where(tiny, 1.0, r)
    growth = np.power(1.0 + safe_r, n)
    crf = np.where(tiny, 1.0 / n, safe_r * growth / (growth - 1.0))
    return float(crf) if crf.ndim == 0 else crf


def networking_usd(capex_usd: Num, networking_frac: Num) -> Num:
    """Cluster network cost [USD] when it is ``networking_frac`` of the whole cluster cost."""
    return capex_usd * networking_frac / (1.0 - networking_frac)


def power_usd_per_hour(
    tdp_w: Num, server_power_multiplier: Num, draw_frac: Num, pue: Num, usd_per_kwh: Num
) -> Num:
    """Electricity per accelerator-hour [USD/h]: TDP x server multiplier x draw x PUE x price."""
    return tdp_w * server_power_multiplier * draw_frac * pue / 1000.0 * usd_per_kwh


def datacenter_usd_per_year(
    tdp_w: Num, server_power_multiplier: Num, dc_capex_usd_per_w: Num, rate_frac: Num,
    dc_life_years: Num,
) -> Num:
    """Data-centre build cost per accelerator per year [USD/yr], per W of provisioned IT load."""
    provisioned_w = tdp_w * server_power_multiplier
    return provisioned_w * dc_capex_usd_per_w * capital_recovery_factor(rate_frac, dc_life_years)


def cloud_usd_per_hour(on_demand_usd_per_hour: Num, committed_discount_frac: Num) -> Num:
    """A rented accelerator-hour [USD/h] after a committed-use discount (0 = on demand)."""
    return on_demand_usd_per_hour * (1.0 - committed_discount_frac)


@dataclass(frozen=True)
class Tco:
    """Cost of one accelerator-hour [USD/h] and its parts (they sum to ``total_usd_per_hour``).

    ``capex_usd`` is what one accelerator costs up front with its server share and network.
    """

    total_usd_per_hour: float
    hardware_usd_per_hour: float
    networking_usd_per_hour: float
    datacenter_usd_per_hour: float
    power_usd_per_hour: float
    operations_usd_per_hour: float
    rental_usd_per_hour: float
    capex_usd: float
    kind: str

    def breakdown(self) -> dict[str, float]:
        """The parts by name [USD/h]."""
        return {
            "hardware": self.hardware_usd_per_hour,
            "networking": self.networking_usd_per_hour,
            "datacenter": self.datacenter_usd_per_hour,
            "power": self.power_usd_per_hour,
            "operations": self.operations_usd_per_hour,
            "rental": self.rental_usd_per_hour,
        }


def owned_tco(
    chip_price_usd: float,
    tdp_w: float,
    defaults: EconomicsDefaults | None = None,
    overrides: dict[str, float] | None = None,
) -> Tco:
    """TCO of an owned accelerator-hour from its price [USD] and TDP [W] (central defaults).

    ``overrides`` replaces any default by name (e.g. ``{"electricity_usd_per_kwh": 0.12}``).
    """
    if not chip_price_usd > 0:
        raise SiliconomicsError(f"chip_price_usd must be > 0, got {chip_price_usd}")
    if not tdp_w > 0:
        raise SiliconomicsError(f"tdp_w must be > 0, got {tdp_w}")
    d = defaults or default_economics()
    p = {name: d.central(name) for name in d.values} | (overrides or {})
    hours = p["hours_per_year"]
    r = p["cost_of_capital_frac"]
    server = chip_price_usd * p["server_cost_multiplier"]
    network = float(networking_usd(server, p["networking_frac"]))
    crf = float(capital_recovery_factor(r, p["depreciation_years"]))
    hardware_h = server * crf / hours
    network_h = network * crf / hours
    dc_h = float(
        datacenter_usd_per_year(tdp_w, p["server_power_multiplier"], p["dc_capex_usd_per_w"], r,
                                p["dc_life_years"])
    ) / hours
    power_h = float(
        power_usd_per_hour(tdp_w, p["server_power_multiplier"], p["draw_frac"], p["pue"],
                           p["electricity_usd_per_kwh"])
    )
    ops_h = p["ops_frac_per_year"] * (server + network) / hours
    total = hardware_h + network_h + dc_h + power_h + ops_h
    return Tco(total, hardware_h, network_h, dc_h, power_h, ops_h, 0.0, server + network, "owned")


def rented_tco(on_demand_usd_per_hour: float, committed_discount_frac: float = 0.0) -> Tco:
    """TCO of a rented accelerator-hour [USD/h]: the price, after any committed discount."""
    if not on_demand_usd_per_hour > 0:
        raise SiliconomicsError(
            f"cloud price must be > 0 USD/h, got {on_demand_usd_per_hour}"
        )
    if not 0.0 <= committed_discount_frac < 1.0:
        raise SiliconomicsError(
            f"committed_discount_frac must be in [0, 1), got {committed_discount_frac}"
        )
    rate = float(cloud_usd_per_hour(on_demand_usd_per_hour, committed_discount_frac))
    return Tco(rate, 0.0, 0.0, 0.0, 0.0, 0.0, rate, 0.0, "rented")


def accelerator_tco(
    chip: Accelerator, mode: str = "owned", defaults: EconomicsDefaults | None = None,
    committed: bool = False,
) -> Tco:
    """TCO per hour of a catalog accelerator, owned (its price range's central value) or
    rented (its cloud price's central value, optionally with the 1-year committed discount)."""
    d = defaults or default_economics()
    if mode == "owned":
        if chip.price_usd is None:
            raise SiliconomicsError(f"hardware '{chip.id}' has no price_usd in the catalog")
        return owned_tco(chip.price_usd.central, chip.tdp_w, d)
    if mode == "rented":
        if chip.cloud_usd_per_hour is None:
            raise SiliconomicsError(
                f"hardware '{chip.id}' has no cloud_usd_per_hour in the catalog"
            )
        discount = d.central("committed_discount_frac") if committed else 0.0
        return rented_tco(chip.cloud_usd_per_hour.central, discount)
    raise SiliconomicsError(f"TCO mode must be 'owned' or 'rented', got {mode!r}")
