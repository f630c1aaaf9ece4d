"""Where stage 1 looks: a scrambled Sobol sample of the unit cube (scipy.stats.qmc), then two
Optuna studies that propose more designs: TPE on the space's one objective (near its
optimum), and NSGA-II on all the screen's objectives at once (cost per million tokens, TPOT,
energy per token, NRE; Deb et al., IEEE TEC 6(2), 2002, doi:10.1109/4235.996017) so that
stage 2 gets designs along the whole front, not only one objective's corner. All seeded, so
the same seed gives the same designs.

Optuna proposes in batches (``ask`` a batch, screen it vectorised, ``tell`` the values), so
the optimisers cost little next to the screen. NSGA-II's batch is its population: one
generation is asked, screened and told at once.
"""

from __future__ import annotations

import math

import numpy as np

from siliconomics.explore.screen import (
    PARAM_ORDER,
    SCREEN_OBJECTIVES,
    Array,
    ScreenResult,
    constraint_violations,
    map_unit_cube,
    objective_matrix,
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


def nsga2_points(space: DesignSpace, n_trials: int, seed: int, population: int = 64,
                 initial: Array | None = None) -> Array:
    """Unit-cube points proposed by Optuna's NSGA-II sampler on every objective of the screen
    (:data:`~siliconomics.explore.screen.SCREEN_OBJECTIVES`, all minimised), under every
    constraint of the space.

    ``initial``: points of the first generation (e.g. the Sobol sample's front), at most
    ``population``; the rest of it is random. Each constraint is told as its relative violation
    (:func:`~siliconomics.explore.screen.constraint_violations`), so among infeasible designs
    NSGA-II keeps the nearer ones. Generations of ``population`` designs are asked, screened
    together and told, ``n_trials`` designs in all.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=population, seed=seed)
    study = optuna.create_study(directions=["minimize"] * len(SCREEN_OBJECTIVES), sampler=sampler)
    dists: dict[str, optuna.distributions.BaseDistribution] = {
        name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in PARAM_ORDER}
    if initial is not None:
        if len(initial) > population:  # spread over the given points, not their first rows
            initial = initial[np.linspace(0, len(initial) - 1, population).round().astype(np.int64)]
        for point in initial:
            study.enqueue_trial(dict(zip(PARAM_ORDER, map(float, point), strict=True)))
    out: list[Array] = []
    done = 0
    while done < n_trials:
        size = min(population, n_trials - done)
        trials = [study.ask(dists) for _ in range(size)]
        u = np.array([[t.params[name] for name in PARAM_ORDER] for t in trials], dtype=float)
        result = screen(space, map_unit_cube(space, u))
        values = objective_matrix(result)
        violations = constraint_violations(space, result)
        for row, trial in enumerate(trials):
            for name, over in violations.items():
                trial.set_constraint(name, float(over[row]))
            study.tell(trial, [_finite(float(v)) for v in values[row]])
        out.append(u)
        done += size
    return np.vstack(out) if out else np.empty((0, len(PARAM_ORDER)))


PENALTY = 1e12


def _finite(value: float) -> float:
    return value if math.isfinite(value) else PENALTY
