"""Results as pandas DataFrames: one function per result type, one row per case.

Every main result type has a ``to_frame()`` method that calls the function here, so the
tables are built in one place with the same column names (units in the names, base units:
seconds, bytes, FLOP, USD) as the JSON the command line prints. pandas is imported on first
use, so ``import siliconomics`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from siliconomics.economics.study import StudyResult
    from siliconomics.perf.predict import StepPrediction
    from siliconomics.serving.fleet import FleetResult
    from siliconomics.serving.sim import SimResult
    from siliconomics.silicon.chip import ChipReport


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Nested mappings as ``a.b.c`` columns; tuples and lists kept as one cell."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value


def _one_row(data: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    row: dict[str, Any] = {}
    _flat("", data, row)
    return pd.DataFrame([row])


def step_prediction_frame(pred: StepPrediction) -> pd.DataFrame:
    """One row per predicted case (the batch/length arrays broadcast together): times [s],
    tokens, throughput [tokens/s], FLOP, bytes moved and memory used per chip [B], and the
    time per operator kind (``time_s.<kind>``)."""
    import pandas as pd

    columns: dict[str, Any] = {
        "step_s": pred.step_s, "tokens": pred.tokens, "tokens_per_s": pred.tokens_per_s,
        "flops": pred.flops, "moved_bytes": pred.moved_bytes,
        "kv_cache_bytes_per_chip": pred.kv_bytes_used,
        "memory_used_bytes_per_chip": pred.memory_used_bytes,
    }
    columns |= {f"time_s.{kind}": t for kind, t in pred.by_kind_s.items()}
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in columns.values()))
    frame = pd.DataFrame({k: a.ravel() for k, a in zip(columns, arrays, strict=True)})
    frame.insert(0, "chips", pred.chips)
    frame.insert(0, "stack", pred.stack)
    frame.insert(0, "phase", pred.phase)
    frame.insert(0, "hardware", pred.hardware_id)
    frame.insert(0, "model", pred.model_id)
    return frame


def sim_frame(result: SimResult) -> pd.DataFrame:
    """One row per request: arrival, prompt and answer lengths, first token and finish
    times, TTFT, TPOT, end-to-end and queueing latencies [s], preemptions."""
    import pandas as pd

    r = result.requests
    return pd.DataFrame({
        "arrival_s": r.arrival_s, "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens, "produced_tokens": result.produced_tokens,
        "first_token_s": result.first_token_s, "finish_s": result.finish_s,
        "ttft_s": result.ttft_s, "tpot_s": result.tpot_s, "e2e_s": result.e2e_s,
        "queue_s": result.queue_s, "preemptions": result.preemptions,
    })


def fleet_frame(result: FleetResult) -> pd.DataFrame:
    """One row: the fleet's counts, rates [req/s], utilisation and chip-hours (the fields of
    :meth:`FleetResult.to_dict`, nested ones as ``a.b`` columns)."""
    return _one_row(result.to_dict())


def chip_frame(report: ChipReport) -> pd.DataFrame:
    """One row: a chip design's area [mm2], cost [USD], NRE [USD], schedule [months] and
    derived spec (``spec.*``, base units), nested fields as ``a.b`` columns."""
    return _one_row(report.as_dict())


def study_frame(result: StudyResult) -> pd.DataFrame:
    """One row per option: chips, cost per query/day [USD], USD per million tokens, NPV
    statistics and probability of being best (the ``options`` of ``study --json``)."""
    import pandas as pd

    rows = []
    for option_id, data in result.to_json()["options"].items():
        row: dict[str, Any] = {"option": option_id}
        _flat("", data, row)
        rows.append(row)
    return pd.DataFrame(rows)


def to_frame(result: Any) -> pd.DataFrame:
    """Any main result as a DataFrame: a step prediction, a simulation, a fleet, a chip
    report or a study (each also has ``.to_frame()``)."""
    to_frame_method = getattr(result, "to_frame", None)
    if to_frame_method is None:
        from siliconomics.errors import SiliconomicsError

        raise SiliconomicsError(
            f"to_frame: a {type(result).__name__} has no table form; give a StepPrediction, "
            f"SimResult, FleetResult, ChipReport or StudyResult")
    frame: pd.DataFrame = to_frame_method()
    return frame
