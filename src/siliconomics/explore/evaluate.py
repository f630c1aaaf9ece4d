"""Stage 2: one candidate design through the silicon model, the serving simulator at the SLO
and the TCO — the real cost per million tokens. One picklable task per design, so any
executor (:mod:`siliconomics.explore.executors`) can run the candidates.

    cost per Mtok = chip-hours per Mtok at the SLO (max_rate_at_slo) x TCO per chip-hour
                    (owned_tco at the design's unit cost + board and its TDP)

and the same at the unit cost's low and high cases (the silicon model's cost ranges and its
area model's held-out error: :func:`siliconomics.silicon.chip.evaluate`), so the cost of a
found design comes with the silicon's uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from siliconomics.errors import DoesNotFitError, SiliconomicsError
from siliconomics.explore.space import DesignSpace

HOST_LINK = {"lanes": 16, "gbps_per_lane": 32}
"""Host interface of every searched design: PCIe 5.0 x16 (32 GT/s per lane)."""


def design_document(space: DesignSpace, row: dict[str, Any], design_id: str) -> dict[str, Any]:
    """A ``chip-design`` mapping (what ``chip show``, ``predict``, ``serve`` and ``study``
    read) for one searched design ``row`` (:func:`screen.design_row`)."""
    dim = int(row["matrix_dim"])
    macs = dim * dim
    return {
        "type": "chip-design",
        "id": design_id,
        "name": f"{space.id} design {design_id}",
        "vendor": "siliconomics explore",
        "kind": "asic",
        "process_node": row["process_node"],
        "clock_mhz": round(float(row["clock_mhz"])),
        "compute": {
            "units": int(row["matrix_units"]),
            "macs_per_cycle": {"bf16": macs, "fp8": 2 * macs, "int8": 2 * macs},
            "vector_lanes": 2 * dim,
        },
        "sram": {"mb": round(float(row["sram_mb"]), 1)},
        "memory": {"kind": row["memory_kind"], "devices": int(row["memory_devices"]),
                   "capacity_gib_per_device": float(row["capacity_gib_per_device"])},
        "scaleup": {"lanes": int(row["scaleup_lanes"]), "gbps_per_lane": space.scaleup_gbps_per_lane,
                    "domain_chips": space.scaleup_domain_chips},
        "host": dict(HOST_LINK),
        "packaging": {"kind": row["packaging"]},
        "notes": f"found by siliconomics explore on space '{space.id}' for {space.workload.model}",
    }


def write_design(document: dict[str, Any], folder: Path) -> Path:
    """Write a design mapping as ``<id>.yaml`` in ``folder``; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{document['id']}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class CandidateTask:
    """Everything one stage-2 evaluation needs (picklable)."""

    space: DesignSpace
    design_path: str
    chips: int
    seed: int
    n_requests: int
    document: dict[str, Any] | None = None
    """The design itself: a worker on another machine (Ray cluster) where ``design_path``
    does not exist writes it to a local temporary file first."""


@dataclass(frozen=True)
class CandidateResult:
    """Stage-2 figures of one design; ``error`` says why a design has none."""

    design_path: str
    design_id: str
    die_area_mm2: float
    unit_cost_usd: float
    tdp_w: float
    nre_usd: float
    chips_per_replica: int
    cost_per_million_tokens: float
    tpot_s: float
    ttft_s: float
    output_tokens_s: float
    power_w_per_token_s: float
    cost_per_million_tokens_low: float
    """Cost per Mtok at the unit cost's low case (the rest of the TCO central) [USD]."""
    cost_per_million_tokens_high: float
    """Cost per Mtok at the unit cost's high case [USD]."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def evaluate_candidate(task: CandidateTask) -> CandidateResult:
    """Silicon, serving capacity at the SLO and TCO of one design (see module doc)."""
    from siliconomics.economics.tco import owned_tco
    from siliconomics.serving.capacity import SloUnreachableError, max_rate_at_slo
    from siliconomics.serving.deployment import Deployment, Slo
    from siliconomics.serving.traffic import LengthDist, Traffic
    from siliconomics.silicon.chip import evaluate
    from siliconomics.silicon.design import load_design

    path = Path(task.design_path)
    if not path.exists() and task.document is not None:
        import tempfile

        path = write_design(task.document, Path(tempfile.mkdtemp(prefix="siliconomics-design-")))
    report = evaluate(load_design(path), task.design_path)
    w = task.space.workload
    traffic = Traffic(daily_users=1.0, queries_per_user_per_day=1.0,
                      input_tokens=LengthDist(kind="fixed", median=w.input_tokens),
                      output_tokens=LengthDist(kind="fixed", median=w.output_tokens))
    slo = Slo(ttft_s=w.slo.ttft_s, tpot_s=w.slo.tpot_s, percentile=w.slo.percentile)
    board = report.board_usd
    unit = report.unit_cost_range_usd
    usd_per_hour = [owned_tco(u + board, report.tdp_w).total_usd_per_hour
                    for u in (unit.central, unit.low, unit.high)]

    def result(chips: int, chip_hours_per_mtok: float, tpot_s: float, ttft_s: float,
               tokens_s: float, power: float, error: str | None = None) -> CandidateResult:
        cost, low, high = (chip_hours_per_mtok * h for h in usd_per_hour)
        return CandidateResult(task.design_path, report.design.id, report.die_area_mm2,
                               report.unit_cost_usd, report.tdp_w, report.nre.total_usd, chips,
                               cost, tpot_s, ttft_s, tokens_s, power, low, high, error)

    tp = task.chips
    domain = task.space.scaleup_domain_chips
    error = "does not fit"
    while tp <= domain:
        dep = Deployment(model=w.model, hardware=str(path), tp=tp, weight_dtype=w.weight_dtype,
                         kv_dtype=w.kv_dtype)
        try:
            cap = max_rate_at_slo(dep, traffic, slo, seed=task.seed, n_requests=task.n_requests)
        except DoesNotFitError as exc:
            error = f"does not fit at tp{tp}: {exc}"
            tp *= 2
            continue
        except SloUnreachableError as exc:
            return result(tp, math.inf, exc.tpot_s, exc.ttft_s, 0.0, math.inf,
                          f"SLO unreachable: {exc}")
        except SiliconomicsError as exc:  # a layout the model cannot take (tp vs heads)
            error = f"no layout at tp{tp}: {exc}"
            break
        return result(cap.chips, cap.chip_hours_per_million_tokens, cap.tpot_s, cap.ttft_s,
                      cap.output_tokens_s, cap.chips * report.tdp_w / cap.output_tokens_s)
    return result(tp, math.inf, math.inf, math.inf, 0.0, math.inf, error)
