"""Dies per wafer: how many candidate dies of a given size a round wafer holds.

Formulas as collected in ``shared/research/economics-sources.md`` s.2c.
"""

from __future__ import annotations

import numpy as np

from siliconomics.silicon.yield_models import FloatOrArray, _out


def dies_per_wafer(
    die_area_mm2: FloatOrArray,
    wafer_diameter_mm: float = 300.0,
    edge_exclusion_mm: float = 0.0,
    scribe_mm: float = 0.0,
) -> FloatOrArray:
    """Gross dies per wafer [-] (fractional; floor it for a physical count).

        A' = A + 2·s·√A + s²              (die grown by the scribe lane s)
        DPW = π·(d/2 − e)² / A' − π·(d − 2e) / √(2·A')

    with wafer diameter d [mm], edge exclusion e [mm] and scribe s [mm]. With e = s = 0 this
    is the usual formula π(d/2)²/A − πd/√(2A) (Princeton supply-chain model; 63.5 for an
    814 mm² die on 300 mm); the Chiplet Actuary variant uses e = 5 mm, s = 0.2 mm (57.6).
    """
    area = np.asarray(die_area_mm2, dtype=float)
    grown = area + 2.0 * scribe_mm * np.sqrt(area) + scribe_mm**2
    usable_radius_mm = wafer_diameter_mm / 2.0 - edge_exclusion_mm
    gross = np.pi * usable_radius_mm**2 / grown - np.pi * (
        wafer_diameter_mm - 2.0 * edge_exclusion_mm
    ) / np.sqrt(2.0 * grown)
    return _out(np.maximum(gross, 0.0))
