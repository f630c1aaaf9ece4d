"""``siliconomics predict``, ``calibrate`` and ``validate``: the performance layer's commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.cli.common import Column, console, err_console, print_json, print_pairs, print_table
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.calibration import Calibration, default_calibration, load_calibration
from siliconomics.perf.chip import scaleup_warning
from siliconomics.perf.power import step_power
from siliconomics.perf.predict import Phase, StepPrediction, predict_step
from siliconomics.perf.stacks import Stack, shipped_stacks, stack_for_chip
from siliconomics.resolve import resolve_accelerator

if TYPE_CHECKING:  # the measurement schema and the fitting code load only when a command needs them
    from siliconomics.measure.schema import Measurements

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CalibrationOpt = Annotated[
    Path | None,
    typer.Option("--calibration", help="Calibration YAML (default: the shipped H100 fit)."),
]
StackOpt = Annotated[
    str,
    typer.Option("--stack", help="Software stack: 'auto' (the chip vendor's default), a stack id "
                 "(id@maturity for a ranged one, e.g. inhouse@0.3) or a stack YAML. Shipped: "
                 + ", ".join(shipped_stacks()) + "."),
]


def load_cli_calibration(path: Path | None, chip: Accelerator | None = None) -> Calibration:
    """The calibration a command uses (``--calibration`` or the shipped H100 fit), with a
    one-line warning on stderr when it looks like a failed fit, or when it was fitted on
    another chip than ``chip`` (its efficiencies then transfer through the spec, as the
    shipped H100 fit does for every chip)."""
    if path is None:
        return default_calibration()
    from siliconomics.perf.fit import calibration_warning

    calib = load_calibration(path)
    warning = calibration_warning(calib, str(path))
    if warning is not None:
        err_console.print(warning, markup=False, highlight=False, soft_wrap=True)
    if chip is not None and calib.fitted_hardware not in (None, chip.id):
        err_console.print(
            f"warning: calibration {path} field 'fitted_hardware' is '{calib.fitted_hardware}', "
            f"not '{chip.id}': its kernel efficiencies are transferred to {chip.id} through the "
            "spec, not measured on it", markup=False, highlight=False, soft_wrap=True)
    return calib


def cli_stack(stack: str, hw: Accelerator) -> Stack:
    """Resolve ``--stack`` for a chip ('auto' = its vendor's default), checked for its vendor."""
    return stack_for_chip(stack, hw.vendor, hw.id)


def warn_scaleup(hw: Accelerator, ranks: int) -> None:
    """Print a one-line warning when a tensor-parallel group leaves the scale-up domain."""
    warning = scaleup_warning(hw, ranks)
    if warning is not None:
        err_console.print(warning, markup=False, highlight=False, soft_wrap=True)


def _measurements_for(path: Path, hw: Accelerator) -> Measurements:
    from siliconomics.measure.schema import load_measurements
    from siliconomics.perf.fit import check_measurements

    data = load_measurements(path)
    check_measurements(data, hw, str(path))
    return data


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
    stack: StackOpt = "auto",
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict the time of one prefill or decode step of a model on an accelerator."""
    if phase not in ("prefill", "decode"):
        raise SiliconomicsError(f"--phase must be 'prefill' or 'decode', got '{phase}'")
    typed_phase: Phase = "prefill" if phase == "prefill" else "decode"
    chip = resolve_accelerator(hardware)
    software = cli_stack(stack, chip)
    calib = load_cli_calibration(calibration, chip)
    warn_scaleup(chip, tp)
    pred = predict_step(
        model, chip, phase=typed_phase, batch=batch, prompt=prompt, context=context, tp=tp,
        pp=pp, ep=ep, weight_dtype=dtype, kv_dtype=kv_dtype, stack=software, calibration=calib,
    )
    length = prompt if phase == "prefill" else context
    out = prediction_json(pred, int(length or 1))
    chip_power = step_power(pred, chip)
    power = {"power_w_per_chip": chip_power.power_w_per_chip,
             "joules_per_token": chip_power.joules_per_token,
             "clock_frac": chip_power.clock_frac}
    out["power"] = power
    if as_json:
        print_json(out)
        return
    shape = f"batch {batch} x prompt {prompt}" if phase == "prefill" else f"batch {batch} @ context {context}"
    mem = out["memory"]
    rows = [("step time", f"{out['step_s'] * 1e3:,.3f} ms"),
            ("tokens / s (replica)", f"{out['tokens_per_s']:,.0f}")]
    rows += [(f"  {kind}", f"{seconds * 1e3:,.3f} ms ({seconds / out['step_s']:.0%})")
             for kind, seconds in out["by_kind_s"].items()]
    rows += [
        ("weights / chip", f"{mem['weights_bytes_per_chip'] / 1e9:,.1f} GB"),
        ("KV cache / chip", f"{mem['kv_cache_bytes_per_chip'] / 1e9:,.2f} GB"),
        ("memory used / chip", f"{mem['used_bytes_per_chip'] / 1e9:,.1f} of "
                               f"{mem['capacity_bytes_per_chip'] / 1e9:,.1f} GB"),
        ("largest batch that fits", f"{mem['max_batch_at_length']:,}"),
        ("kernels", str(out["kernels"])),
        ("power / chip", f"{power['power_w_per_chip']:,.0f} W"),
        ("energy / token", f"{power['joules_per_token']:.4f} J"),
    ]
    print_pairs(f"{pred.model_id} {phase} on {pred.chips}x {pred.hardware_id} ({shape}, "
                f"{pred.stack})", rows)


def calibrate(
    measurements: Annotated[Path, typer.Argument(help="Measurement JSON (ground-truth format).")],
    hardware: Annotated[str, typer.Option("--hardware", help="The measured accelerator's id or YAML.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the calibration YAML.")],
) -> None:
    """Fit the performance model's parameters to measurements of one chip."""
    from siliconomics.inputs import check_output_path
    from siliconomics.perf.fit import fit_calibration

    check_output_path(output, what="-o/--output")
    chip = resolve_accelerator(hardware)
    data = _measurements_for(measurements, chip)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("fitting", total=None)
        calib = fit_calibration(
            data, chip, source=str(measurements),
            progress=lambda n: progress.update(task, description=f"fitting (evaluation {n})"),
        )
    try:
        calib.save(output)
    except OSError as exc:
        raise SiliconomicsError(f"-o/--output {output}: cannot write ({exc.strerror})") from None
    print_table(f"Calibration written to {output}",
                [Column("section", "id"), Column("in-sample MAPE")],
                [(section, f"{error:.1%}") for section, error in calib.fit_error.items()])


def validate_cmd(
    measurements: Annotated[Path, typer.Argument(help="Measurement JSON (ground-truth format).")],
    hardware: Annotated[str, typer.Option("--hardware", help="The measured accelerator's id or YAML.")],
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict every measured case and report the error per section."""
    from siliconomics.perf.validate import validate

    chip = resolve_accelerator(hardware)
    data = _measurements_for(measurements, chip)
    report = validate(data, chip, load_cli_calibration(calibration, chip))
    if as_json:
        print_json(report.to_json())
        return
    print_table(f"{measurements.name} on {chip.id} ({report.calibration})",
                [Column("section", "id"), Column("n"), Column("MAPE"), Column("median APE"),
                 Column("max APE")],
                [(name, str(s.n), f"{s.mape:.1%}", f"{s.median_ape:.1%}", f"{s.max_ape:.1%}")
                 for name, s in report.summary.items()])
    worst = sorted(report.cases, key=lambda c: -c.ape)[:8]
    print_table("Largest errors",
                [Column("section", "id"), Column("case", "value"), Column("measured ms"),
                 Column("predicted ms"), Column("APE")],
                [(c.section, c.case, f"{c.measured_ms:.4g}", f"{c.predicted_ms:.4g}", f"{c.ape:.1%}")
                 for c in worst])
    if data.sdpa_backends:
        err_console.print("note: sdpa_backends compares attention backends and is not predicted")
    if not np.isfinite([c.predicted_ms for c in report.cases]).all():
        raise SiliconomicsError("a prediction was not finite; please report this")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _error(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def calibrate_stack(
    table: Annotated[Path | None, typer.Argument(
        help="MLPerf table YAML (default: the shipped v4.0/v4.1 fitting table).")] = None,
    stack: Annotated[str, typer.Option("--stack", help="Stack id or YAML to refit.")] = "vllm-rocm",
    fit: Annotated[str, typer.Option(
        "--fit", help="Parameter to fit: a stack fraction (e.g. matmul_fp8_frac) or the "
        "calibration's architecture_credit_frac.")] = "matmul_fp8_frac",
    tie: Annotated[list[str] | None, typer.Option(
        "--tie", help="Stack parameter set equal to the fitted one (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the refitted stack (or calibration) YAML here.")] = None,
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Refit one stack parameter from published MLPerf offline rows (ratios to H200)."""
    from siliconomics.inputs import check_output_path
    from siliconomics.mlperf.fit import CALIBRATION_PARAMETERS, check_parameter, fit_stack_parameter
    from siliconomics.mlperf.table import FIT_TABLE, check_rows, load_table
    from siliconomics.perf.stacks import resolve_stack

    if output is not None:
        check_output_path(output, what="-o/--output")
    check_parameter(fit, tie or ())
    software = resolve_stack(stack)
    path = table or FIT_TABLE
    mlperf = load_table(path)
    if mlperf.role != "fit":
        raise SiliconomicsError(f"{path}: field 'role' is '{mlperf.role}': held-out rows are "
                                "for validate-serving only, never for fitting")
    check_rows(mlperf, path)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("fitting", total=None)
        result = fit_stack_parameter(
            mlperf, software, fit, calibration=load_cli_calibration(calibration), tie=tie or (),
            progress=lambda text: progress.update(task, description=text))
    rows_used = "; ".join(f"{r.row.round} {r.row.system} {r.row.benchmark} "
                          f"{r.row.tokens_s:,.1f} tok/s" for r in result.rows)
    provenance = (f"{fit} = {result.value:.4g} fitted by siliconomics calibrate-stack on {path}: "
                  f"{rows_used}, as ratios to 8x H200 of the same round (mean input tokens "
                  f"{result.conditions.input_tokens}, fitted on the H100/H200 rows)")
    if output is not None:
        if fit in CALIBRATION_PARAMETERS:
            result.calibration.model_copy(update={"notes": provenance}).save(output)
        else:
            output.write_text(result.stack.model_copy(update={"fitted_on": provenance}).to_yaml(),
                              encoding="utf-8")
    if as_json:
        print_json({"parameter": fit, "value": result.value,
                    "input_tokens": result.conditions.input_tokens, "output": str(output),
                    "rows": [{"system": r.row.system, "round": r.row.round,
                              "published_ratio": r.published_ratio,
                              "predicted_ratio": r.predicted_ratio} for r in result.rows]})
        return
    print_table(f"{result.stack.id}: {fit} = {result.value:.4g}"
                + (f" (written to {output})" if output is not None else ""),
                [Column("round", "id"), Column("chips", "id"), Column("model", "id"),
                 Column("published / H200"), Column("predicted / H200"), Column("error")],
                [(r.row.round, f"{r.row.chips}x {r.row.hardware}", r.row.benchmark,
                  _ratio(r.published_ratio), _ratio(r.predicted_ratio), _error(r.ratio_error))
                 for r in result.rows])
    console.print(f"mean input tokens (fitted, not published): {result.conditions.input_tokens}")


def validate_serving(
    table: Annotated[Path | None, typer.Argument(
        help="MLPerf table YAML (default: the shipped held-out v5.0/v5.1 table).")] = None,
    calibration: CalibrationOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict held-out MLPerf offline rows (fitted on v4.x only) and compare with them."""
    from siliconomics.mlperf.table import HELDOUT_TABLE, check_rows, load_table
    from siliconomics.mlperf.validate import load_conditions, validate_table

    path = table or HELDOUT_TABLE
    mlperf = load_table(path)
    check_rows(mlperf, path)
    fitted = load_conditions()
    missing = sorted(set(mlperf.benchmarks) - set(fitted.input_tokens))
    if missing:
        raise SiliconomicsError(f"{path}: benchmark(s) {', '.join(missing)} have no fitted mean "
                                f"input length; fitted: {', '.join(fitted.input_tokens)}")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        progress.add_task("simulating the offline rows", total=None)
        report = validate_table(mlperf, fitted.conditions(),
                                calibration=load_cli_calibration(calibration))
    if as_json:
        print_json(report.to_json())
        return
    print_table(f"{mlperf.title}: predicted vs published (offline)",
                [Column("round", "id"), Column("chips", "id"), Column("model", "id"),
                 Column("published tok/s"), Column("predicted tok/s"), Column("published / H200"),
                 Column("predicted / H200"), Column("ratio error")],
                [(r.row.round, f"{r.row.chips}x {r.row.hardware}", r.row.benchmark,
                  f"{r.row.tokens_s:,.0f}", f"{r.predicted_tokens_s:,.0f}",
                  _ratio(r.published_ratio), _ratio(r.predicted_ratio), _error(r.ratio_error))
                 for r in report.rows])
    console.print(f"ratio MAPE over {len(report.compared)} rows: {report.ratio_mape:.1%}; absolute "
                  f"tokens/s at mean input tokens {fitted.input_tokens} (fitted on v4.x, not "
                  "published) and the benchmark's mean output tokens")


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
    app.command("calibrate")(calibrate)
    app.command("validate")(validate_cmd)
    app.command("calibrate-stack")(calibrate_stack)
    app.command("validate-serving")(validate_serving)
