"""Compare predictions with a measurement file, case by case and per section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.measure.schema import Measurements
from siliconomics.perf.calibration import Calibration
from siliconomics.perf.cases import Case, build_cases
from siliconomics.perf.engine import time_step


@dataclass(frozen=True, slots=True)
class CaseResult:
    section: str
    case: str
    measured_ms: float
    predicted_ms: float

    @property
    def ape(self) -> float:
        """Absolute percentage error as a fraction (0.05 = 5 %)."""
        return abs(self.predicted_ms - self.measured_ms) / self.measured_ms


@dataclass(frozen=True, slots=True)
class SectionSummary:
    n: int
    mape: float
    median_ape: float
    max_ape: float


@dataclass(frozen=True, slots=True)
class ValidationReport:
    hardware_id: str
    calibration: str
    cases: tuple[CaseResult, ...]
    summary: dict[str, SectionSummary]

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": [
                {"section": c.section, "case": c.case, "measured_ms": c.measured_ms,
                 "predicted_ms": c.predicted_ms, "ape": c.ape}
                for c in self.cases
            ],
            "summary": {
                name: {"n": s.n, "mape": s.mape, "median_ape": s.median_ape, "max_ape": s.max_ape}
                for name, s in self.summary.items()
            },
        }


def predict_cases(cases: list[Case], hw: Accelerator, calib: Calibration) -> np.ndarray:
    """Predicted time of each case [s]."""
    return np.array([float(time_step(c.step, hw, calib).total_s) for c in cases])


def summarise(results: list[CaseResult]) -> dict[str, SectionSummary]:
    """Per-section and overall error statistics."""
    out: dict[str, SectionSummary] = {}
    sections = list(dict.fromkeys(r.section for r in results))
    for name in [*sections, "all"]:
        apes = np.array([r.ape for r in results if name in ("all", r.section)])
        if apes.size:
            out[name] = SectionSummary(int(apes.size), float(apes.mean()), float(np.median(apes)),
                                       float(apes.max()))
    return out


def validate(data: Measurements, hw: Accelerator, calib: Calibration) -> ValidationReport:
    """Predict every case of ``data`` on ``hw`` with ``calib`` and compare."""
    cases = build_cases(data)
    predicted = predict_cases(cases, hw, calib)
    results = [
        CaseResult(c.section, c.name, c.measured_s * 1e3, float(p) * 1e3)
        for c, p in zip(cases, predicted, strict=True)
    ]
    return ValidationReport(hw.id, calib.fitted_on, tuple(results), summarise(results))
