"""Where stage 1 looks: a scrambled Sobol sample of the unit cube (scipy.stats.qmc), then an
Optuna study (TPE for one objective) that proposes more designs near the best ones. Both
seeded, so the same seed gives the same designs.

Optuna proposes in batches (``ask`` a batch, screen it vectorised, ``tell`` the values), so
the optimiser costs little next to the screen.
"""

from __future__ import annotations

import math

import numpy as np

from siliconomics.explore.screen import (
    PARAM_ORDER,
    Array,
    ScreenResult,
    map_unit_cube,
    objective_values,
    screen,
)
from siliconomics.explore.space import DesignSpace


def sobol_points(n: int, seed: int) -> Array:
    """``n`` points of the unit cube, one column per parameter (scrambled Sobol, seeded)."""
    from scipy.stats import qmc

    sampler = qmc.Sobol(d=len(PARAM_ORDER), scramble=True, seed=seed)
    m = max(1, math.ceil(math.log2(max(n, 1))))
    points: Array = sampler.random_base2(m)[:n]
    return points


def sobol_screen(space: DesignSpace, n: int, seed: int) -> ScreenResult:
    """Screen ``n`` Sobol designs."""
    return screen(space, map_unit_cube(space, sobol_points(n, seed)))


def optuna_points(space: DesignSpace, n_trials: int, seed: int, batch: int = 64,
                  warm_start: Array | None = None, warm_values: Array | None = None) -> Array:
    """Unit-cube points proposed by Optuna's TPE sampler on the screen's objective.

    ``warm_start``/``warm_values``: already screened points (e.g. the best Sobol designs)
    told to the study first. Infeasible designs are told a large penalty, not dropped.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True))
    dists: dict[str, optuna.distributions.BaseDistribution] = {
        name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in PARAM_ORDER}
    if warm_start is not None and warm_values is not None:
        for point, value in zip(warm_start, warm_values, strict=True):
            study.add_trial(optuna.trial.create_trial(
                params=dict(zip(PARAM_ORDER, map(float, point), strict=True)),
                distributions=dists, value=_finite(float(value))))
    out: list[Array] = []
    done = 0
    while done < n_trials:
        size = min(batch, n_trials - done)
        trials = [study.ask(dists) for _ in range(size)]
        u = np.array([[t.params[name] for name in PARAM_ORDER] for t in trials], dtype=float)
        values = objective_values(screen(space, map_unit_cube(space, u)), space.objective)
        for trial, value in zip(trials, values, strict=True):
            study.tell(trial, _finite(float(value)))
        out.append(u)
        done += size
    return np.vstack(out) if out else np.empty((0, len(PARAM_ORDER)))


PENALTY = 1e12


def _finite(value: float) -> float:
    return value if math.isfinite(value) else PENALTY
