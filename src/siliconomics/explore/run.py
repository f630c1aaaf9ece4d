"""The search orchestrator: sample → screen (stage 1) → simulate the best (stage 2) → fronts.

    explore(space, budget=N, seed=S, executor=...)  ->  ExploreResult

1. ``budget`` designs from a scrambled Sobol sample, plus ``optuna_trials`` proposed by
   Optuna's TPE around the best of them on the space's objective, plus ``nsga_trials``
   proposed by NSGA-II on all the screen's objectives starting from the Sobol sample's front
   (all seeded), screened vectorised (:mod:`screen`); the stage-1 Pareto front over the
   screen's objectives;
2. ``candidates`` distinct feasible designs — the best by the space's objective, designs
   spread along the stage-1 front, the best of each node — written as design files and
   evaluated by the serving simulator at the SLO with their TCO (:mod:`evaluate`), one task
   per design on the chosen executor;
3. Pareto fronts over the stage-2 results: cost per million tokens vs p99 TPOT vs power
   per token/s, and cost vs NRE; the best design per objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siliconomics.errors import SiliconomicsError
from siliconomics.explore.evaluate import (
    CandidateResult,
    CandidateTask,
    design_document,
    evaluate_candidate,
    write_design,
)
from siliconomics.explore.executors import Executor, get_executor
from siliconomics.explore.pareto import pareto_indices, pareto_mask
from siliconomics.explore.sample import nsga2_points, optuna_points, sobol_points
from siliconomics.explore.screen import (
    ScreenResult,
    design_row,
    emptying_constraint,
    map_unit_cube,
    objective_matrix,
    objective_values,
    screen,
)
from siliconomics.explore.space import DesignSpace

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``."""

OBJECTIVES = ("cost_per_million_tokens", "tpot_s", "power_w_per_token_s", "nre_usd")
FRONTS = {
    "cost_tpot_power": ("cost_per_million_tokens", "tpot_s", "power_w_per_token_s"),
    "cost_nre": ("cost_per_million_tokens", "nre_usd"),
}
SCREEN_CHUNK = 1 << 17
NSGA_TRIALS = 512
"""Designs NSGA-II proposes by default: 8 generations of 64 (about a second)."""


@dataclass(frozen=True)
class ExploreResult:
    """What a search found: stage-1 counts, stage-2 results, fronts, best per objective."""

    space: DesignSpace
    seed: int
    screened: int
    feasible: int
    best_screen_value: float
    stage1_front: int
    """Designs on the stage-1 front (screen objectives, feasible designs)."""
    candidates: tuple[CandidateResult, ...]
    fronts: dict[str, tuple[int, ...]]
    best: dict[str, int]

    def best_result(self, objective: str) -> CandidateResult:
        return self.candidates[self.best[objective]]


def screen_chunked(space: DesignSpace, u: np.ndarray, progress: Progress | None = None) -> ScreenResult:
    """Screen the points ``u`` in chunks (bounded memory); results concatenated."""
    parts = []
    for start in range(0, len(u), SCREEN_CHUNK):
        parts.append(screen(space, map_unit_cube(space, u[start:start + SCREEN_CHUNK])))
        if progress is not None:
            progress("screen", min(start + SCREEN_CHUNK, len(u)), len(u))
    return _concat(parts)


def _concat(parts: list[ScreenResult]) -> ScreenResult:
    from dataclasses import fields

    from siliconomics.explore.screen import DesignBatch

    if len(parts) == 1:
        return parts[0]
    batch = DesignBatch(*(np.concatenate([getattr(p.designs, f.name) for p in parts])
                          for f in fields(DesignBatch)))
    arrays = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
              for f in fields(ScreenResult) if f.name not in ("designs", "constraint_ok")}
    ok = {k: np.concatenate([p.constraint_ok[k] for p in parts]) for k in parts[0].constraint_ok}
    return ScreenResult(designs=batch, constraint_ok=ok, **arrays)


def stage1(space: DesignSpace, budget: int, seed: int, optuna_trials: int,
           progress: Progress | None = None, nsga_trials: int = 0,
           ) -> tuple[ScreenResult, np.ndarray]:
    """Sobol + Optuna TPE + NSGA-II screen; returns the screen of every point and the points
    (Sobol rows first, then TPE's, then NSGA-II's)."""
    if budget < 1:
        raise SiliconomicsError(f"budget={budget} must be >= 1 (designs to screen)")
    u = sobol_points(budget, seed)
    result = screen_chunked(space, u, progress)
    values = objective_values(result, space.objective)
    parts, points = [result], [u]
    if optuna_trials > 0:
        top = np.argsort(values)[: min(64, len(values))]
        extra = optuna_points(space, optuna_trials, seed, warm_start=u[top], warm_values=values[top])
        parts.append(screen(space, map_unit_cube(space, extra)))
        points.append(extra)
        if progress is not None:
            progress("optuna", optuna_trials, optuna_trials)
    if nsga_trials > 0:
        extra = nsga2_points(space, nsga_trials, seed, initial=u[stage1_front(result)])
        parts.append(screen(space, map_unit_cube(space, extra)))
        points.append(extra)
        if progress is not None:
            progress("nsga-ii", nsga_trials, nsga_trials)
    return _concat(parts), np.vstack(points)


def stage1_front(result: ScreenResult) -> np.ndarray:
    """Indices of the feasible designs on the Pareto front of the screen's objectives
    (:data:`~siliconomics.explore.screen.SCREEN_OBJECTIVES`), ascending."""
    values = objective_matrix(result)
    values[~result.feasible] = np.inf
    return pareto_indices(values)


def pick_candidates(space: DesignSpace, result: ScreenResult, n: int,
                    front: np.ndarray | None = None) -> list[int]:
    """``n`` distinct feasible designs: the best by the space's objective (stage-1 value); then,
    when the stage-1 ``front`` is given, front designs spread along it (each the farthest, in
    log objective space, from those already chosen); then the best of each process node in
    turn, so that the NRE front (set by the node) has designs on every node to compare.
    Without a front: half by the objective, half by node."""
    values = objective_values(result, space.objective)
    order = [int(i) for i in np.argsort(values, kind="stable") if np.isfinite(values[i])]
    chosen: list[int] = []
    seen: set[tuple[object, ...]] = set()

    def add(i: int) -> None:
        row = design_row(space, result.designs, i)
        key = (row["process_node"], round(row["clock_mhz"]), row["matrix_units"], row["matrix_dim"],
               round(row["sram_mb"], 1), row["memory_kind"], row["memory_devices"],
               row["capacity_gib_per_device"], row["scaleup_lanes"], row["packaging"])
        if key not in seen and len(chosen) < n:
            seen.add(key)
            chosen.append(i)

    by_objective = (n + 1) // 2 if front is None else (n + 2) // 3
    for i in order:
        if len(chosen) >= by_objective:
            break
        add(i)
    if front is not None and len(front):
        _spread_along_front(result, [int(i) for i in front], chosen, n - n // 3, add)
    per_node = [[i for i in order if result.designs.node_index[i] == k]
                for k in range(len(space.parameters.process_node.choices))]
    position = [0] * len(per_node)
    while len(chosen) < n and any(position[k] < len(per_node[k]) for k in range(len(per_node))):
        for k, pool in enumerate(per_node):
            if position[k] < len(pool):
                add(pool[position[k]])
                position[k] += 1
    return chosen


def _spread_along_front(result: ScreenResult, front: list[int], chosen: list[int], upto: int,
                        add: Callable[[int], None]) -> None:
    """Add front designs to ``chosen`` until it holds ``upto``: each time the one farthest
    (Euclidean, objectives as log10 scaled to [0, 1] over the front) from every design
    already chosen; ties to the lower index."""
    logs = np.log10(np.maximum(objective_matrix(result), 1e-300))
    span = logs[front].max(axis=0) - logs[front].min(axis=0)
    scaled = (logs - logs[front].min(axis=0)) / np.where(span > 0, span, 1.0)
    remaining = sorted(set(front) - set(chosen))
    while len(chosen) < upto and remaining:
        if chosen:
            gaps = np.linalg.norm(scaled[remaining][:, None, :] - scaled[chosen][None, :, :], axis=2)
            nearest = gaps.min(axis=1)
        else:
            nearest = np.zeros(len(remaining))
        pick = remaining.pop(int(np.argmax(nearest)))
        add(pick)


def explore(space: DesignSpace, *, budget: int = 100_000, seed: int = 0, candidates: int = 20,
            optuna_trials: int = 128, nsga_trials: int = NSGA_TRIALS, n_requests: int = 600,
            out_dir: Path, executor: Executor | None = None,
            progress: Progress | None = None) -> ExploreResult:
    """Run the two-stage search (module doc). Design files go to ``out_dir/candidates``."""
    if candidates < 1:
        raise SiliconomicsError(f"candidates={candidates} must be >= 1")
    result, _ = stage1(space, budget, seed, optuna_trials, progress, nsga_trials=nsga_trials)
    empty = emptying_constraint(result)
    if empty is not None:
        raise SiliconomicsError(
            f"design space '{space.id}': no design satisfies every constraint; constraint "
            f"'{empty}' empties it ({int(result.constraint_ok[empty].sum())} of "
            f"{len(result.designs)} screened designs pass it); relax it or widen the parameters")
    front = stage1_front(result)
    picked = pick_candidates(space, result, candidates, front)
    tasks = []
    for rank, i in enumerate(picked):
        row = design_row(space, result.designs, i)
        doc = design_document(space, row, f"{space.id}-c{rank:03d}")
        path = write_design(doc, out_dir / "candidates")
        tasks.append(CandidateTask(space, str(path), int(result.chips_per_replica[i]),
                                   seed, n_requests, doc))
    runner = executor or get_executor("serial")
    stage2_progress = None if progress is None else (lambda d, t: progress("simulate", d, t))
    evaluated = tuple(runner.map(evaluate_candidate, tasks, description="stage 2",
                                 progress=stage2_progress))
    fronts, best = fronts_and_best(evaluated)
    values = objective_values(result, space.objective)
    return ExploreResult(space, seed, len(result.designs), int(result.feasible.sum()),
                         float(np.min(values)), len(front), evaluated, fronts, best)


def fronts_and_best(
    results: tuple[CandidateResult, ...],
) -> tuple[dict[str, tuple[int, ...]], dict[str, int]]:
    """Pareto fronts (indices into ``results``) and the best result per objective."""
    ok = [i for i, r in enumerate(results) if r.ok]
    if not ok:
        reasons = "; ".join(sorted({(r.error or "")[:120] for r in results}))
        raise SiliconomicsError(f"no candidate design meets the SLO in simulation ({reasons})")
    fronts: dict[str, tuple[int, ...]] = {}
    for name, objectives in FRONTS.items():
        values = np.array([[getattr(results[i], o) for o in objectives] for i in ok], dtype=float)
        mask = pareto_mask(values)
        fronts[name] = tuple(ok[j] for j in np.flatnonzero(mask))
    best = {o: _argmin(results, ok, o) for o in OBJECTIVES}
    return fronts, best


def _argmin(results: tuple[CandidateResult, ...], indices: list[int], objective: str) -> int:
    """Index of the lowest ``objective`` among ``indices`` (ties: the first)."""
    return min(indices, key=lambda i: (float(getattr(results[i], objective)), i))


def best_design_for(space: DesignSpace, objective: str = "cost_per_million_tokens", *,
                    budget: int = 20_000, seed: int = 0, candidates: int = 8,
                    optuna_trials: int = 128, nsga_trials: int = 0, n_requests: int = 600,
                    out_dir: Path) -> Path:
    """The design file of the best design for ``objective`` (for a scenario's build option;
    no NSGA-II by default: one objective is asked for, and a scenario's search is quick)."""
    if objective not in OBJECTIVES:
        raise SiliconomicsError(f"objective {objective!r} is not known; valid: {', '.join(OBJECTIVES)}")
    found = explore(space, budget=budget, seed=seed, candidates=candidates,
                    optuna_trials=optuna_trials, nsga_trials=nsga_trials, n_requests=n_requests,
                    out_dir=out_dir)
    return Path(found.best_result(objective).design_path)
