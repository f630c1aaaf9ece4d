"""Pareto fronts: the designs no other design beats on every objective (all minimised)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FRONT_BLOCK = 1024
"""Designs compared at once by :func:`pareto_indices` (bounds its memory to block x front)."""


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


def _dominated_by(points: NDArray[np.float64], by: NDArray[np.float64]) -> NDArray[np.bool_]:
    """For each row of ``points``: is it dominated by some row of ``by``? (One objective at a
    time: points x by boolean planes, no points x by x objectives array.)"""
    if len(by) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    le = np.ones((len(points), len(by)), dtype=bool)
    lt = np.zeros((len(points), len(by)), dtype=bool)
    for j in range(points.shape[1]):
        p, b = points[:, j, None], by[None, :, j]
        le &= b <= p
        lt |= b < p
    out: NDArray[np.bool_] = np.any(le & lt, axis=1)
    return out


def _front_sorted(v: NDArray[np.float64], rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """The front among ``rows`` of ``v`` (all finite). Rows sorted lexicographically can be
    dominated only by earlier rows (a dominating row is <= everywhere and < somewhere, so it
    sorts first), and a row dominated by a dominated row is dominated by a front row too; so
    blocks of rows, in that order, are checked against the front so far, then among
    themselves."""
    order = rows[np.lexsort(v[rows].T[::-1])]
    front: list[NDArray[np.int64]] = []
    front_values = np.empty((0, v.shape[1]))
    for start in range(0, len(order), FRONT_BLOCK):
        block = order[start:start + FRONT_BLOCK]
        alive = block[~_dominated_by(v[block], front_values)]
        kept = alive[~_dominated_by(v[alive], v[alive])]
        if len(kept):
            front.append(kept)
            front_values = np.vstack([front_values, v[kept]])
    return np.concatenate(front) if front else np.empty(0, dtype=np.int64)


def pareto_indices(values: NDArray[np.float64], elite_per_objective: int = 1024) -> NDArray[np.int64]:
    """Indices (ascending) of the rows of ``values`` on the Pareto front: the same rows as
    :func:`pareto_mask`, for the stage-1 screen's up to millions of designs.

    The front of an elite (the ``elite_per_objective`` best rows on each objective) removes,
    in one vectorised pass, every row it dominates; the exact front of what is left (the elite
    front and the rows it does not dominate) is the front of all rows, since a row dominated
    by a removed row is dominated by the elite front as well. O(n x elite front) comparisons.
    """
    v = np.asarray(values, dtype=float)
    rows = np.flatnonzero(np.all(np.isfinite(v), axis=1)).astype(np.int64)
    if len(rows) <= FRONT_BLOCK:
        return np.sort(_front_sorted(v, rows))
    k = min(elite_per_objective, len(rows) - 1)
    elite = np.unique(np.concatenate([rows[np.argpartition(v[rows, j], k)[:k]]
                                      for j in range(v.shape[1])]))
    elite_front = _front_sorted(v, elite)
    keep = [rows[start:start + FRONT_BLOCK][
        ~_dominated_by(v[rows[start:start + FRONT_BLOCK]], v[elite_front])]
        for start in range(0, len(rows), FRONT_BLOCK)]
    left = np.union1d(elite_front, np.concatenate(keep))
    return np.sort(_front_sorted(v, left.astype(np.int64)))
