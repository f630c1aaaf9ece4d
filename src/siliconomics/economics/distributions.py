"""Sampling uncertain inputs from their low/central/high ranges (vectorised, seeded).

PERT (a scaled Beta with the mode at ``central``; Malcolm et al. 1959, Vose, *Risk Analysis*,
3rd ed., s.9.1.4): ``alpha = 1 + lam (c - l) / (h - l)``, ``beta = 1 + lam (h - c) / (h - l)``,
``x = l + (h - l) * Beta(alpha, beta)`` with ``lam = 4``; triangular and uniform as
alternatives. A range whose low equals its high is a constant (no draw consumed), so a
collapsed range gives exactly the deterministic value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from siliconomics.catalog.sourced import Range
from siliconomics.economics.tco import FloatArray
from siliconomics.errors import SiliconomicsError
from siliconomics.registry import Registry

Sampler = Callable[[np.random.Generator, Range, int], FloatArray]


def _check_count(n: int) -> None:
    if n < 0:
        raise SiliconomicsError(f"draws: n={n} must be >= 0")


def pert(rng: np.random.Generator, r: Range, n: int, lam: float = 4.0) -> FloatArray:
    """``n`` PERT draws on ``[low, high]`` with mode ``central``."""
    _check_count(n)
    if r.is_point:
        return np.full(n, r.central)
    width = r.high - r.low
    alpha = 1.0 + lam * (r.central - r.low) / width
    beta = 1.0 + lam * (r.high - r.central) / width
    x = rng.beta(alpha, beta, size=n)
    x *= width  # low + width * x, in place (no temporaries)
    x += r.low
    return x


def triangular(rng: np.random.Generator, r: Range, n: int) -> FloatArray:
    """``n`` triangular draws on ``[low, high]`` with mode ``central``."""
    _check_count(n)
    if r.is_point:
        return np.full(n, r.central)
    return rng.triangular(r.low, r.central, r.high, size=n)


def uniform(rng: np.random.Generator, r: Range, n: int) -> FloatArray:
    """``n`` uniform draws on ``[low, high]`` (ignores ``central``)."""
    _check_count(n)
    if r.is_point:
        return np.full(n, r.central)
    return rng.uniform(r.low, r.high, size=n)


SAMPLERS: Registry[Sampler] = Registry(
    "distribution", {"pert": pert, "triangular": triangular, "uniform": uniform}
)
