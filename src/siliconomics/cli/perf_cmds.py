"""``siliconomics predict``, ``calibrate`` and ``validate``: the performance layer's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from siliconomics import catalog
from siliconomics.cli.common import console, err_console, print_json
from siliconomics.errors import SiliconomicsError
from siliconomics.measure.schema import load_measurements
from siliconomics.perf.calibration import Calibration, default_calibration, load_calibration
from siliconomics.perf.fit import fit_calibration
from siliconomics.perf.power import step_power
from siliconomics.perf.predict import Phase, StepPrediction, predict_step
from siliconomics.perf.validate import validate
from siliconomics.workload.stacks import DEFAULT_STACK, STACKS

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CalibrationOpt = Annotated[
    Path | None,
    typer.Option("--calibration", help="Calibration YAML (default: the shipped H100 fit)."),
]


def _calibration(path: Path | None) -> Calibration:
    return load_calibration(path) if path is not None else default_calibration()


def prediction_json(pred: StepPrediction, length: int) -> dict[str, Any]:
    """A scalar prediction as plain JSON values (seconds, bytes, tokens/s); ``length`` is the
    prompt (prefill) or context (decode) per sequence."""
    return {
        "model": pred.model_id,
        "hardware": pred.hardware_id,
        "phase": pred.phase,
        "stack": pred.stack,
        "chips": pred.chips,
        "step_s": float(pred.step_s),
        "tokens": float(pred.tokens),
        "tokens_per_s": float(pred.tokens_per_s),
        "by_kind_s": {k: float(v) for k, v in pred.by_kind_s.items()},
        "by_operator_s": {k: float(v) for k, v in pred.by_operator_s.items()},
        "kernels": pred.kernels,
        "flops": float(pred.flops),
        "moved_bytes": float(pred.moved_bytes),
        "memory": {
            "capacity_bytes_per_chip": pred.memory.capacity_bytes,
            "weights_bytes_per_chip": pred.memory.weights_bytes,
            "kv_cache_bytes_per_chip": float(pred.kv_bytes_used),
            "used_bytes_per_chip": float(pred.memory_used_bytes),
            "kv_capacity_tokens": pred.memory.kv_capacity_tokens,
            "max_batch_at_length": int(pred.memory.max_batch(length)),
        },
    }


def predict(
    model: Annotated[str, typer.Option("--model", help="Model id or a model YAML / config.json.")],
    hardware: Annotated[str, typer.Option("--hardware", help="Accelerator id or YAML file.")],
    phase: Annotated[str, typer.Option("--phase", help="prefill or decode.")] = "decode",
    batch: Annotated[int, typer.Option("--batch", help="Sequences in the step.")] = 1,
    prompt: Annotated[int | None, typer.Option("--prompt", help="Prefill: tokens per sequence.")] = None,
    context: Annotated[
        int | None, typer.Option("--context", help="Decode: cached tokens per sequence.")
    ] = None,
    tp: Annotated[int, typer.Option("--tp", help="Tensor-parallel degree.")] = 1,
    pp: Annotated[int, typer.Option("--pp", help="Pipeline-parallel degree.")] = 1,
    ep: Annotated[int, typer.Option("--ep", help="Expert-parallel degree (1 or --tp).")] = 1,
    dtype: Annotated[str, typer.Option("--dtype", help="Weights: bf16, fp8, int8, int4, fp4.")] = "bf16",
    kv_dtype: Annotated[str | None, typer.Option("--kv-dtype", help="KV cache dtype.")] = None,
    stack: Annotated[
        str, typer.Option("--stack", help=f"Software stack: {', '.join(STACKS)}.")
    ] = DEFAULT_STACK,
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict the time of one prefill or decode step of a model on an accelerator."""
    if phase not in ("prefill", "decode"):
        raise SiliconomicsError(f"--phase must be 'prefill' or 'decode', got '{phase}'")
    typed_phase: Phase = "prefill" if phase == "prefill" else "decode"
    pred = predict_step(
        model, hardware, phase=typed_phase, batch=batch, prompt=prompt, context=context, tp=tp,
        pp=pp, ep=ep, weight_dtype=dtype, kv_dtype=kv_dtype, stack=stack,
        calibration=_calibration(calibration),
    )
    length = prompt if phase == "prefill" else context
    out = prediction_json(pred, int(length or 1))
    chip_power = step_power(pred, catalog.hardware(hardware))
    power = {"power_w_per_chip": chip_power.power_w_per_chip,
             "joules_per_token": chip_power.joules_per_token,
             "clock_frac": chip_power.clock_frac}
    out["power"] = power
    if as_json:
        print_json(out)
        return
    shape = f"batch {batch} x prompt {prompt}" if phase == "prefill" else f"batch {batch} @ context {context}"
    table = Table(title=f"{pred.model_id} {phase} on {pred.chips}x {pred.hardware_id} ({shape}, {stack})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("step time", f"{out['step_s'] * 1e3:,.3f} ms")
    table.add_row("tokens / s (replica)", f"{out['tokens_per_s']:,.0f}")
    for kind, seconds in out["by_kind_s"].items():
        table.add_row(f"  {kind}", f"{seconds * 1e3:,.3f} ms ({seconds / out['step_s']:.0%})")
    mem = out["memory"]
    table.add_row("weights / chip", f"{mem['weights_bytes_per_chip'] / 1e9:,.1f} GB")
    table.add_row("KV cache / chip", f"{mem['kv_cache_bytes_per_chip'] / 1e9:,.2f} GB")
    table.add_row("memory used / chip", f"{mem['used_bytes_per_chip'] / 1e9:,.1f} of "
                  f"{mem['capacity_bytes_per_chip'] / 1e9:,.1f} GB")
    table.add_row("largest batch that fits", f"{mem['max_batch_at_length']:,}")
    table.add_row("kernels", str(out["kernels"]))
    table.add_row("power / chip", f"{power['power_w_per_chip']:,.0f} W")
    table.add_row("energy / token", f"{power['joules_per_token']:.4f} J")
    console.print(table)


def calibrate(
    measurements: Annotated[Path, typer.Argument(help="Measurement JSON (ground-truth format).")],
    hardware: Annotated[str, typer.Option("--hardware", help="The measured accelerator's id or YAML.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the calibration YAML.")],
) -> None:
    """Fit the performance model's parameters to measurements of one chip."""
    data = load_measurements(measurements)
    chip = catalog.hardware(hardware)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("fitting", total=None)
        calib = fit_calibration(
            data, chip, source=str(measurements),
            progress=lambda n: progress.update(task, description=f"fitting (evaluation {n})"),
        )
    calib.save(output)
    table = Table(title=f"Calibration written to {output}")
    table.add_column("section")
    table.add_column("in-sample MAPE", justify="right")
    for section, error in calib.fit_error.items():
        table.add_row(section, f"{error:.1%}")
    console.print(table)


def validate_cmd(
    measurements: Annotated[Path, typer.Argument(help="Measurement JSON (ground-truth format).")],
    hardware: Annotated[str, typer.Option("--hardware", help="The measured accelerator's id or YAML.")],
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict every measured case and report the error per section."""
    data = load_measurements(measurements)
    chip = catalog.hardware(hardware)
    report = validate(data, chip, _calibration(calibration))
    if as_json:
        print_json(report.to_json())
        return
    table = Table(title=f"{measurements.name} on {chip.id} ({report.calibration})")
    for col in ("section", "n", "MAPE", "median APE", "max APE"):
        table.add_column(col, justify="left" if col == "section" else "right")
    for name, s in report.summary.items():
        table.add_row(name, str(s.n), f"{s.mape:.1%}", f"{s.median_ape:.1%}", f"{s.max_ape:.1%}")
    console.print(table)
    worst = sorted(report.cases, key=lambda c: -c.ape)[:8]
    detail = Table(title="Largest errors")
    for col in ("section", "case", "measured ms", "predicted ms", "APE"):
        detail.add_column(col, justify="left" if col in ("section", "case") else "right")
    for c in worst:
        detail.add_row(c.section, c.case, f"{c.measured_ms:.4g}", f"{c.predicted_ms:.4g}", f"{c.ape:.1%}")
    console.print(detail)
    if data.sdpa_backends:
        err_console.print("note: sdpa_backends compares attention backends and is not predicted")
    if not np.isfinite([c.predicted_ms for c in report.cases]).all():
        raise SiliconomicsError("a prediction was not finite; please report this")


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
    app.command("calibrate")(calibrate)
    app.command("validate")(validate_cmd)
