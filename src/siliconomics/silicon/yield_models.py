"""Die yield models: the fraction of dies with no killer defect.

Each model is a pure function of the die area ``A`` [mm²] and the defect density ``D0``
[defects/cm²] (the product ``A·D0`` is dimensionless once A is in cm²). They accept floats or
NumPy arrays, so a sweep over designs evaluates in one call.

References: Cunningham, "The use and evaluation of yield models in integrated circuit
manufacturing", IEEE Trans. Semicond. Manuf. 3(2), 1990 (doi:10.1109/66.53188); Stapper,
"Modeling of integrated circuit defect sensitivities", IBM J. Res. Dev. 27(6), 1983
(negative binomial with clustering α). Formulas as collected in
``shared/research/economics-sources.md`` s.2c.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from siliconomics.errors import SiliconomicsError
from siliconomics.registry import Registry

FloatOrArray: TypeAlias = float | NDArray[np.float64]

MM2_PER_CM2 = 100.0


def _defects_per_die(die_area_mm2: FloatOrArray, defect_density_per_cm2: FloatOrArray) -> FloatOrArray:
    """Mean killer defects per die, λ = A·D0 [-] (A converted from mm² to cm²)."""
    area_mm2 = np.asarray(die_area_mm2, dtype=float)
    d0 = np.asarray(defect_density_per_cm2, dtype=float)
    for name, value in (("die_area_mm2", area_mm2), ("defect_density_per_cm2", d0)):
        if not (np.all(np.isfinite(value)) and np.all(value >= 0)):
            raise SiliconomicsError(f"yield: {name} must be finite and >= 0, got {value}")
    lam: NDArray[np.float64] = area_mm2 / MM2_PER_CM2 * d0
    return lam


def _out(value: NDArray[np.float64]) -> FloatOrArray:
    return float(value) if value.ndim == 0 else value


def scalar_fields(result: object) -> dict[str, float]:
    """A breakdown dataclass of scalar results as ``{field: float}`` (JSON-ready)."""
    return {k: float(np.asarray(v)) for k, v in vars(result).items()}


def poisson(die_area_mm2: FloatOrArray, defect_density_per_cm2: FloatOrArray) -> FloatOrArray:
    """Poisson yield, Y = exp(−A·D0) [-]: defects scattered independently (no clustering)."""
    lam = np.asarray(_defects_per_die(die_area_mm2, defect_density_per_cm2))
    return _out(np.exp(-lam))


def murphy(die_area_mm2: FloatOrArray, defect_density_per_cm2: FloatOrArray) -> FloatOrArray:
    """Murphy's yield, Y = [(1 − exp(−A·D0)) / (A·D0)]² [-] (triangular D0 distribution).

    Murphy, "Cost-size optima of monolithic integrated circuits", Proc. IEEE 52(12), 1964.
    The limit A·D0 → 0 is 1.
    """
    lam = np.asarray(_defects_per_die(die_area_mm2, defect_density_per_cm2))
    safe = np.where(lam > 1e-12, lam, 1.0)
    ratio = np.where(lam > 1e-12, -np.expm1(-safe) / safe, 1.0 - lam / 2.0)
    return _out(ratio**2)


def seeds(die_area_mm2: FloatOrArray, defect_density_per_cm2: FloatOrArray) -> FloatOrArray:
    """Seeds' yield, Y = 1 / (1 + A·D0) [-] (exponential D0 distribution, strong clustering)."""
    lam = np.asarray(_defects_per_die(die_area_mm2, defect_density_per_cm2))
    return _out(1.0 / (1.0 + lam))


def negative_binomial(
    die_area_mm2: FloatOrArray, defect_density_per_cm2: FloatOrArray, alpha: float = 3.0
) -> FloatOrArray:
    """Negative-binomial yield, Y = (1 + A·D0/α)^(−α) [-] (Stapper 1983).

    ``alpha`` is the clustering parameter [-]: α → ∞ gives Poisson, α = 1 gives Seeds.
    Defaults: α = 3 (Princeton supply-chain model); Chiplet Actuary uses 10; industry 1–5.
    """
    if not alpha > 0:
        raise SiliconomicsError(f"negative binomial yield: clustering alpha must be > 0, got "
                                f"{alpha}")
    lam = np.asarray(_defects_per_die(die_area_mm2, defect_density_per_cm2))
    return _out((1.0 + lam / alpha) ** (-alpha))


YieldModel: TypeAlias = Callable[[FloatOrArray, FloatOrArray], FloatOrArray]

YIELD_MODELS: Registry[YieldModel] = Registry(
    "yield model",
    {
        "poisson": poisson,
        "murphy": murphy,
        "seeds": seeds,
        "negative_binomial": negative_binomial,
    },
)


def die_yield(
    model: str,
    die_area_mm2: FloatOrArray,
    defect_density_per_cm2: FloatOrArray,
    alpha: float = 3.0,
) -> FloatOrArray:
    """Yield [-] of ``model`` (a name in :data:`YIELD_MODELS`); α only for negative binomial."""
    if model == "negative_binomial":
        return negative_binomial(die_area_mm2, defect_density_per_cm2, alpha)
    return YIELD_MODELS[model](die_area_mm2, defect_density_per_cm2)


def harvested_yield(
    model: str,
    shared_area_mm2: FloatOrArray,
    unit_area_mm2: FloatOrArray,
    units: FloatOrArray,
    enabled_units: FloatOrArray,
    defect_density_per_cm2: FloatOrArray,
    alpha: float = 3.0,
) -> FloatOrArray:
    """Yield [-] of a die sold with only ``enabled_units`` of its ``units`` repeated blocks
    working (partial-good harvesting, e.g. 132 of 144 SMs on the H100 SXM).

    The die works when its shared area (I/O, L2, control) has no killer defect and at least
    ``enabled_units`` of the ``units`` blocks have none:

        Y = Y(A_shared) · Σ_{j ≥ k} C(n, j) · y^j · (1 − y)^(n − j),  y = Y(A_unit)

    Units are treated as independent given the model's per-unit yield (a standard
    approximation; clustering makes neighbouring failures correlated). With k = n this is
    close to, but slightly above, the whole-die yield for clustered models.
    """
    # P(X >= k) for X ~ Binomial(n, y) is the regularised incomplete beta I_y(k, n - k + 1);
    # scipy.special.betainc is the same Boost ibeta that scipy.stats.binom.sf calls
    # (identical doubles), without importing scipy.stats (~1 s).
    from scipy.special import betainc

    y_shared = np.asarray(die_yield(model, shared_area_mm2, defect_density_per_cm2, alpha))
    y_unit = np.asarray(die_yield(model, unit_area_mm2, defect_density_per_cm2, alpha))
    n = np.asarray(units, dtype=float)
    k = np.floor(np.asarray(enabled_units, dtype=float) - 1.0) + 1.0  # as binom.sf(k - 1)
    inside = np.clip(k, 1.0, np.maximum(n, 1.0))  # k <= 0 is certain, k > n impossible
    p_enough = np.where(k <= 0.0, 1.0,
                        np.where(k > n, 0.0, betainc(inside, n - inside + 1.0, y_unit)))
    return _out(y_shared * p_enough)
