"""``siliconomics measure``: time inference building blocks on this machine (needs PyTorch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from siliconomics.cli.common import console, err_console
from siliconomics.inputs import check_output_path


def measure(
    output: Annotated[Path, typer.Option("-o", "--output", help="Measurement JSON to write.")],
    smoke: Annotated[bool, typer.Option("--smoke", help="Tiny sizes on the CPU (checks the "
                                        "harness, not the hardware). Without it a CUDA GPU "
                                        "is required.")] = False,
) -> None:
    """Measure GEMMs, attention, norms and whole-model steps; write the ground-truth JSON."""
    from siliconomics.measure.harness import (
        choose_device,
        import_torch,
        run_measurements,
        write_measurements,
    )
    from siliconomics.measure.schema import load_measurements

    check_output_path(output, what="-o", create_parents=True)
    torch = import_torch()
    choose_device(torch, smoke)  # no GPU and no --smoke: refused now, not after hours on the CPU
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err_console, transient=False) as bar:
        task = bar.add_task("measuring", total=None)

        def on_step(name: str, index: int, total: int) -> None:
            bar.update(task, description=f"measuring: {name}", completed=index, total=total)

        results = run_measurements(smoke=smoke, progress=on_step, torch=torch)
        bar.update(task, description="measuring: done", completed=bar.tasks[0].total or 0)
    write_measurements(output, results)
    loaded = load_measurements(output)  # the file must read back with the schema
    rows = sum(len(getattr(loaded, s)) for s in ("gemm", "gemm_fp8", "attn_prefill",
                                                  "attn_decode", "elementwise", "e2e"))
    console.print(f"wrote {output}: {rows} timed rows on {loaded.meta.device} "
                  f"({len(loaded.errors)} errors) in {loaded.meta.elapsed_s or 0:.1f} s")


def register(app: typer.Typer) -> None:
    app.command("measure")(measure)
