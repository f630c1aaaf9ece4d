"""Fit stack parameters on published MLPerf rows (``siliconomics calibrate-stack``).

Three one-dimensional fits, each on the rows that observe its parameter, in order:

1. **Mean input tokens per benchmark** (not published): on the rows of the reference stack
   on the chips the kernel calibration already describes (H100, H200 at stock power), the
   absolute tokens/s per chip.
2. **A parameter of a stack** (e.g. ``vllm-rocm`` ``matmul_fp8_frac``) or of the calibration's
   chip transfer (``architecture_credit_frac``): on the rows that ran that stack (or, for the
   calibration parameter, the reference stack's rows on other chips), each row as a ratio to
   the H200 row of the same round and benchmark, which cancels most of the unknown input
   length and of a round's software gains.

Least squares on log(predicted / published), bounded scalar minimisation (SciPy). Rows of a
later round never enter: the tables are split by file (``v4-closed.yaml`` fits,
``v5-heldout.yaml`` validates).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from siliconomics.errors import SiliconomicsError
from siliconomics.mlperf.offline import OfflineConditions, predict_row_tokens_s
from siliconomics.mlperf.table import REFERENCE_HARDWARE, MlperfRow, MlperfTable
from siliconomics.perf.calibration import Calibration, default_calibration
from siliconomics.perf.stacks import PARAMETER_FIELDS, Stack, resolve_stack

CALIBRATED_CHIPS = ("h100-sxm", REFERENCE_HARDWARE)
"""Chips whose kernels the shipped calibration describes (H100 measured; H200 = same die)."""
CALIBRATION_PARAMETERS = ("architecture_credit_frac",)
INPUT_TOKENS_BOUNDS = (64, 1024)
"""Mean input tokens searched [tokens]: MLPerf's Llama-2-70B set caps inputs at 1024."""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RowResult:
    """A row's published and predicted tokens/s, and both as ratios to its H200 row."""

    row: MlperfRow
    predicted_tokens_s: float
    published_ratio: float | None
    predicted_ratio: float | None

    @property
    def ratio_error(self) -> float | None:
        if self.published_ratio is None or self.predicted_ratio is None:
            return None
        return self.predicted_ratio / self.published_ratio - 1.0

    @property
    def absolute_error(self) -> float:
        return self.predicted_tokens_s / self.row.tokens_s - 1.0


def _minimise(objective: Callable[[float], float], low: float, high: float) -> float:
    from scipy.optimize import minimize_scalar  # imported here: keeps the CLI start fast

    result = minimize_scalar(objective, bounds=(low, high), method="bounded",
                             options={"xatol": 1e-3 * (high - low)})
    return float(result.x)


def fit_input_tokens(table: MlperfTable, calibration: Calibration, reference_stack: Stack,
                     progress: Progress | None = None) -> OfflineConditions:
    """Mean input tokens per benchmark that best reproduce the reference stack's rows on the
    calibrated chips (absolute tokens/s)."""
    fitted: dict[str, int] = {}
    for bench in table.benchmarks:
        rows = [r for r in table.rows if r.benchmark == bench and r.scenario == "offline"
                and r.hardware in CALIBRATED_CHIPS and r.tdp_w is None
                and r.stack == reference_stack.id]
        if not rows:
            raise SiliconomicsError(
                f"{table.title}: benchmark '{bench}' has no offline row of stack "
                f"'{reference_stack.id}' on {' or '.join(CALIBRATED_CHIPS)} at stock power; "
                "the mean input length cannot be fitted without one")

        def loss(tokens: float, rows: list[MlperfRow] = rows, bench: str = bench) -> float:
            cond = OfflineConditions({**fitted, bench: round(tokens)})
            if progress is not None:
                progress(f"input tokens of {bench}: trying {round(tokens)}")
            return sum(math.log(predict_row_tokens_s(r, table, cond, calibration=calibration)
                                / r.tokens_s) ** 2 for r in rows)

        fitted[bench] = round(_minimise(loss, *INPUT_TOKENS_BOUNDS))
    return OfflineConditions(fitted)


def evaluate_rows(table: MlperfTable, conditions: OfflineConditions, *,
                  calibration: Calibration | None = None,
                  stacks: dict[str, Stack] | None = None,
                  rows: Sequence[MlperfRow] | None = None) -> list[RowResult]:
    """Predict ``rows`` (default all offline rows) and their ratios to their H200 rows.
    ``stacks`` overrides the stack a row ran, by stack id."""
    stacks = stacks or {}
    cache: dict[MlperfRow, float] = {}

    def predict(row: MlperfRow) -> float:
        if row not in cache:
            cache[row] = predict_row_tokens_s(row, table, conditions, stack=stacks.get(row.stack),
                                              calibration=calibration)
        return cache[row]

    out = []
    for row in rows if rows is not None else table.rows:
        if row.scenario != "offline":
            continue
        ref = table.reference_row(row)
        predicted = predict(row)
        if ref is None:
            out.append(RowResult(row, predicted, None, None))
            continue
        out.append(RowResult(row, predicted, row.tokens_s_per_chip / ref.tokens_s_per_chip,
                             predicted / row.chips / (predict(ref) / ref.chips)))
    return out


def _ratio_loss(results: list[RowResult]) -> float:
    return sum(math.log(1.0 + (r.ratio_error or 0.0)) ** 2 for r in results)


@dataclass(frozen=True, slots=True)
class StackFitResult:
    """What ``calibrate-stack`` found: the fitted stack or calibration and the rows."""

    parameter: str
    value: float
    conditions: OfflineConditions
    stack: Stack
    calibration: Calibration
    rows: tuple[RowResult, ...]


def check_parameter(parameter: str, tie: Sequence[str] = ()) -> None:
    """Refuse a parameter that is not fitted, or a tie that is not between stack fractions."""
    if parameter not in (*PARAMETER_FIELDS, *CALIBRATION_PARAMETERS):
        raise SiliconomicsError(
            f"parameter='{parameter}' is not a fitted parameter; valid: "
            f"{', '.join((*PARAMETER_FIELDS, *CALIBRATION_PARAMETERS))}")
    for name in tie:
        if parameter not in PARAMETER_FIELDS:
            raise SiliconomicsError(f"tie='{name}': '{parameter}' is a calibration parameter; "
                                    "only stack parameters can be tied")
        if name not in PARAMETER_FIELDS:
            raise SiliconomicsError(f"tie='{name}' is not a stack parameter; valid: "
                                    f"{', '.join(PARAMETER_FIELDS)}")


def fit_stack_parameter(table: MlperfTable, stack: Stack | str, parameter: str, *,
                        calibration: Calibration | None = None,
                        conditions: OfflineConditions | None = None,
                        tie: Sequence[str] = (),
                        progress: Progress | None = None) -> StackFitResult:
    """Fit one parameter (a stack fraction, or ``architecture_credit_frac`` of the
    calibration) on the table's rows of ``stack``, as ratios to the H200 rows; ``tie``
    names stack parameters set equal to the fitted one (unobserved formats)."""
    software = resolve_stack(stack)
    calib = calibration or default_calibration()
    reference = resolve_stack("tensorrt-llm")
    check_parameter(parameter, tie)
    on_calibrated = parameter in CALIBRATION_PARAMETERS
    rows = [r for r in table.rows if r.stack == software.id and r.scenario == "offline"
            and table.reference_row(r) is not None
            and not (on_calibrated and r.hardware in CALIBRATED_CHIPS)]
    if not rows:
        raise SiliconomicsError(
            f"{table.title}: no offline row of stack '{software.id}' with an H200 row of the "
            f"same round{' on a chip other than H100/H200' if on_calibrated else ''}: "
            f"nothing to fit '{parameter}' on")
    if conditions is None:
        conditions = fit_input_tokens(table, calib, reference, progress)
    high = 1.0 if parameter != "step_overhead_s" else 0.05
    low = 0.0 if parameter in CALIBRATION_PARAMETERS or parameter == "step_overhead_s" else 0.05

    def variant(value: float) -> tuple[Stack, Calibration]:
        if on_calibrated:
            kernel = calib.kernel.model_copy(update={parameter: value})
            return software, calib.model_copy(update={"kernel": kernel})
        return software.with_parameters(**{parameter: value, **{t: value for t in tie}}), calib

    def loss(value: float) -> float:
        s, c = variant(value)
        if progress is not None:
            progress(f"{software.id} {parameter}: trying {value:.3f}")
        return _ratio_loss(evaluate_rows(table, conditions, calibration=c,
                                         stacks={software.id: s}, rows=rows))

    value = _minimise(loss, low, high)
    fitted_stack, fitted_calib = variant(value)
    results = evaluate_rows(table, conditions, calibration=fitted_calib,
                            stacks={software.id: fitted_stack}, rows=rows)
    return StackFitResult(parameter, value, conditions, fitted_stack, fitted_calib,
                          tuple(results))
