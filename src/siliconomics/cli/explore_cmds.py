"""``siliconomics explore SPACE.yaml``: search a design space for the chip a workload wants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from siliconomics.cli.common import Column, console, err_console, print_json, print_table
from siliconomics.errors import SiliconomicsError

NSGA_TRIALS = 512
"""Default of ``--nsga-trials``: ``explore.run.NSGA_TRIALS`` (not imported here, so that
``siliconomics --help`` does not load the search; a test keeps the two equal)."""


@contextmanager
def _stages(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """One Rich progress bar per stage, on stderr."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   console=err_console, transient=True)
    tasks: dict[str, TaskID] = {}
    with bar:
        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def explore_cmd(
    space: Annotated[Path, typer.Argument(help="Design-space YAML (type: design-space).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (created).")],
    budget: Annotated[int, typer.Option(help="Designs screened in stage 1 (Sobol).")] = 100_000,
    candidates: Annotated[int, typer.Option(help="Designs simulated in stage 2.")] = 20,
    optuna_trials: Annotated[int, typer.Option(help="Extra designs proposed by Optuna TPE.")] = 128,
    nsga_trials: Annotated[int, typer.Option(
        help="Extra designs proposed by Optuna NSGA-II on all screen objectives.")] = NSGA_TRIALS,
    executor: Annotated[str, typer.Option(help="Where stage 2 runs: serial, local, ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (executor ray).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample, the optimiser and the simulations.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Two-stage design search: screen BUDGET designs, simulate the best at the SLO, write
    the Pareto fronts (index.html), result.json and the best design per objective."""
    from siliconomics.explore.executors import get_executor
    from siliconomics.explore.report import cost_with_range, result_dict, write_outputs
    from siliconomics.explore.run import explore
    from siliconomics.explore.space import load_space
    from siliconomics.inputs import check_output_path

    if budget < 1:
        raise SiliconomicsError(f"--budget {budget}: must be >= 1 (designs to screen)")
    if candidates < 1:
        raise SiliconomicsError(f"--candidates {candidates}: must be >= 1")
    if optuna_trials < 0:
        raise SiliconomicsError(f"--optuna-trials {optuna_trials}: must be >= 0")
    if nsga_trials < 0:
        raise SiliconomicsError(f"--nsga-trials {nsga_trials}: must be >= 0")
    out_dir = check_output_path(out, what="explore output folder", directory=True)
    parsed = load_space(space)
    runner = get_executor(executor, address=address)
    with _stages(enabled=not as_json) as progress:
        found = explore(parsed, budget=budget, seed=seed, candidates=candidates,
                        optuna_trials=optuna_trials, nsga_trials=nsga_trials, out_dir=out_dir,
                        executor=runner,
                        progress=progress)
    paths = write_outputs(found, out_dir)
    if as_json:
        print_json(result_dict(found) | {"files": {k: str(v) for k, v in paths.items()}})
        return
    rows = []
    for objective, i in found.best.items():
        c = found.candidates[i]
        rows.append((objective, c.design_id, cost_with_range(c), f"{c.tpot_s:.4g}",
                     f"{c.power_w_per_token_s:.4g}", f"{c.nre_usd / 1e6:,.0f}",
                     str(c.chips_per_replica)))
    print_table(f"{parsed.id}: best design per objective ({found.screened:,} screened, "
                f"{found.feasible:,} feasible, {found.stage1_front} on the stage-1 front, "
                f"{len(found.candidates)} simulated)",
                [Column("objective", "id"), Column("design", "id"),
                 Column("USD/Mtok (unit cost low-high)"),
                 Column("p99 TPOT [s]"), Column("J/token"), Column("NRE [M USD]"),
                 Column("chips/replica")], rows)
    console.print(f"fronts and designs in {out_dir} (index.html, result.json, best-*.yaml)")


def register(app: typer.Typer) -> None:
    app.command("explore")(explore_cmd)
