"""Pareto fronts: the designs no other design beats on every objective (all minimised)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def pareto_mask(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows of ``values`` (designs x objectives, lower is better) on the Pareto front.

    A row is dominated when another row is <= on every objective and < on one. Rows with a
    non-finite value are never on the front. O(n^2) over the (few hundred) stage-2 designs.
    """
    v = np.asarray(values, dtype=float)
    finite = np.all(np.isfinite(v), axis=1)
    front: NDArray[np.bool_] = np.array(finite, dtype=bool)
    for i in np.flatnonzero(finite):
        others = v[finite]
        dominated = np.any(np.all(others <= v[i], axis=1) & np.any(others < v[i], axis=1))
        front[i] = not dominated
    return front
