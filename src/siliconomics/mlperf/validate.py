"""Held-out validation (``siliconomics validate-serving``): predict published MLPerf rows the
model was never fitted on, with the conditions fitted on the v4.x table, and compare each
as a ratio to the H200 row of its round (and in absolute tokens/s at the stated input length).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError
from siliconomics.mlperf.fit import RowResult, evaluate_rows
from siliconomics.mlperf.offline import OfflineConditions
from siliconomics.mlperf.table import REFERENCE_HARDWARE, MlperfTable
from siliconomics.perf.calibration import Calibration

FITTED_CONDITIONS = Path(str(resources.files("siliconomics.mlperf") / "data" / "fitted.yaml"))


class FittedConditions(BaseModel):
    """The comparison conditions fitted on the v4.x table (mean input tokens per benchmark)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    fitted_on: str = Field(min_length=1)
    input_tokens: dict[str, int]
    note: str = ""

    def conditions(self) -> OfflineConditions:
        return OfflineConditions(dict(self.input_tokens))


def load_conditions(path: Path = FITTED_CONDITIONS) -> FittedConditions:
    try:
        return FittedConditions.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None


@dataclass(frozen=True, slots=True)
class HeldoutReport:
    """Every compared row and the mean absolute error of the ratios [fraction]."""

    rows: tuple[RowResult, ...]
    conditions: OfflineConditions

    @property
    def compared(self) -> list[RowResult]:
        """Rows with a ratio (the H200 reference rows themselves excluded)."""
        return [r for r in self.rows if r.ratio_error is not None
                and r.row.hardware != REFERENCE_HARDWARE]

    @property
    def ratio_mape(self) -> float:
        errors = [abs(r.ratio_error or 0.0) for r in self.compared]
        return float(np.mean(errors)) if errors else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "input_tokens": self.conditions.input_tokens,
            "ratio_mape": self.ratio_mape,
            "rows": [{
                "round": r.row.round, "submitter": r.row.submitter, "system": r.row.system,
                "hardware": r.row.hardware, "benchmark": r.row.benchmark,
                "stack": r.row.stack, "published_tokens_s": r.row.tokens_s,
                "predicted_tokens_s": r.predicted_tokens_s, "absolute_error": r.absolute_error,
                "published_ratio_to_h200": r.published_ratio,
                "predicted_ratio_to_h200": r.predicted_ratio, "ratio_error": r.ratio_error,
                "source": r.row.source,
            } for r in self.rows],
        }


def validate_table(table: MlperfTable, conditions: OfflineConditions, *,
                   calibration: Calibration | None = None) -> HeldoutReport:
    """Predict every offline row of ``table`` (each on its own stack) and compare."""
    return HeldoutReport(tuple(evaluate_rows(table, conditions, calibration=calibration)),
                         conditions)
