"""Non-recurring engineering cost and schedule of a chip program.

    NRE = masks + IP + hw_eng_years·(loaded + EDA) + sw_eng_years·loaded + package design
          + p_respin·(f_mask·masks + team burn during the respin delay)
    months to volume = frontend + backend + fab + OSAT + bring-up + p_respin·respin delay
                       + ramp

Moonwalk-style decomposition (Khazraee et al., ASPLOS 2017; parameters in the Princeton
supply-chain model), defaults per node from ``process_nodes.yaml`` and the rest from
``silicon_defaults.yaml`` (economics-sources.md s.3); every term overridable.
"""

from __future__ import annotations

from dataclasses import dataclass

WEEKS_PER_MONTH = 52.0 / 12.0
MONTHS_PER_YEAR = 12.0


@dataclass(frozen=True)
class NreInputs:
    mask_set_usd: float
    ip_licence_usd: float
    hw_engineer_years: float
    sw_engineer_years: float
    loaded_cost_per_engineer_year_usd: float
    eda_usd_per_engineer_year: float
    package_design_usd: float
    respin_probability: float
    respin_mask_frac: float


@dataclass(frozen=True)
class ScheduleInputs:
    frontend_months: float
    backend_months: float
    fab_latency_weeks: float
    osat_weeks: float
    bringup_months: float
    ramp_months: float
    respin_debug_months: float


@dataclass(frozen=True)
class Schedule:
    """Months from program start to volume, by phase [months]."""

    design_months: float
    fab_months: float
    bringup_months: float
    expected_respin_months: float
    ramp_months: float
    months_to_volume: float
    respin_delay_months: float


@dataclass(frozen=True)
class Nre:
    """Expected NRE [USD] by term."""

    masks_usd: float
    ip_usd: float
    hw_labour_usd: float
    eda_usd: float
    sw_labour_usd: float
    package_design_usd: float
    expected_respin_usd: float
    total_usd: float


def schedule(s: ScheduleInputs, respin_probability: float) -> Schedule:
    """Expected months to volume (a respin adds debug + fab + OSAT with probability p)."""
    fab = (s.fab_latency_weeks + s.osat_weeks) / WEEKS_PER_MONTH
    design = s.frontend_months + s.backend_months
    respin_delay = s.respin_debug_months + fab
    expected_respin = respin_probability * respin_delay
    total = design + fab + s.bringup_months + expected_respin + s.ramp_months
    return Schedule(design, fab, s.bringup_months, expected_respin, s.ramp_months, total,
                    respin_delay)


def nre(n: NreInputs, sched: Schedule) -> Nre:
    """Expected NRE [USD] (module doc); the respin burns the hardware team for its delay."""
    hw_labour = n.hw_engineer_years * n.loaded_cost_per_engineer_year_usd
    eda = n.hw_engineer_years * n.eda_usd_per_engineer_year
    sw_labour = n.sw_engineer_years * n.loaded_cost_per_engineer_year_usd
    design_years = max(sched.design_months / MONTHS_PER_YEAR, 1e-9)
    team = n.hw_engineer_years / design_years
    respin_burn = team * sched.respin_delay_months / MONTHS_PER_YEAR * (
        n.loaded_cost_per_engineer_year_usd + n.eda_usd_per_engineer_year
    )
    respin = n.respin_probability * (n.respin_mask_frac * n.mask_set_usd + respin_burn)
    total = n.mask_set_usd + n.ip_licence_usd + hw_labour + eda + sw_labour + \
        n.package_design_usd + respin
    return Nre(n.mask_set_usd, n.ip_licence_usd, hw_labour, eda, sw_labour,
               n.package_design_usd, respin, total)
