"""The study's own tables as CSV (the report writes its tables; these are the strategy
engine's: fleet by vintage over time, levelised vs steady-state cost, break-even per custom
option). Column units are in the names.

A table is a list of rows (mappings from column name to value); :func:`write_table` writes
one as CSV with the csv module, in the format pandas' ``DataFrame(rows).to_csv(index=False)``
gives, without importing pandas (a quarter of a second of every ``siliconomics study``).
"""

from __future__ import annotations

import csv
import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from siliconomics.economics.study import StudyResult
from siliconomics.errors import SiliconomicsError

Table = list[dict[str, Any]]
"""Rows of a table, each a mapping from column name to value (a missing key: no value)."""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _column_cells(values: Sequence[Any]) -> list[str]:
    """One column's values as CSV cells, typed as pandas types a column built from rows:
    all numbers -> integers if all are integers and none is missing, else floats (an integer
    as ``3.0``); all booleans -> ``True``/``False``; anything else -> ``str``. A missing
    value (None, NaN, or no key) is an empty cell."""
    present = [v for v in values if not _missing(v)]
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)
                  for v in present)
    if present and numeric:
        if len(present) == len(values) and all(isinstance(v, numbers.Integral)
                                               for v in present):
            return [str(int(v)) for v in values]
        return ["" if _missing(v) else repr(float(v)) for v in values]
    return ["" if _missing(v) else str(v) for v in values]


def write_table(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write ``rows`` as CSV: columns in order of first appearance, a header line, one line
    per row (module doc)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [_column_cells([row.get(c) for row in rows]) for c in columns]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(columns)
        out.writerows(zip(*cells, strict=True) if columns else [[] for _ in rows])


def study_tables(r: StudyResult) -> dict[str, Table]:
    """``fleet_by_vintage`` (option, generation, quarter start date, mean chips installed;
    ``rented`` for rented chips), ``levelised`` (steady-state and levelised cost per query
    and NPV per option), ``break_even`` (per custom option: demand and horizon)."""
    dates = r.quarter_years
    rows = []
    for opt, gens in r.strategy.fleet_by_vintage.items():
        for gen, chips in gens.items():
            rows += [{"option": opt, "generation": gen, "quarter": q, "year": dates[q],
                      "chips_mean": float(c)} for q, c in enumerate(chips)]
    summary = r.strategy.summary()
    lev = [{"option": k,
            "steady_state_usd_per_query": r.unit_costs[k].cost_per_query_usd,
            "levelised_usd_per_query_central": r.levelised_central_usd_per_query[k],
            "levelised_usd_per_query_mean": summary[k]["levelised_usd_per_query_mean"],
            "levelised_usd_per_query_p05": summary[k]["levelised_usd_per_query_p05"],
            "levelised_usd_per_query_p95": summary[k]["levelised_usd_per_query_p95"],
            "npv_central_usd": r.deterministic_npv_usd[k],
            "npv_mean_usd": summary[k]["npv_mean_usd"], "prob_best": summary[k]["prob_best"],
            "unserved_queries_mean": summary[k]["unserved_queries_total"]}
           for k in r.strategy.option_ids]
    be = [{"custom_option": b.custom_option, "versus": b.merchant_option,
           "break_even_queries_per_day": b.queries_per_day, "demand_multiple": b.scale,
           "searched_low_queries_per_day": b.searched[0],
           "searched_high_queries_per_day": b.searched[1],
           "break_even_horizon_years": b.horizon_years,
           "horizon_searched_years": b.horizon_searched_years,
           "npv_gap_today_usd": b.npv_gap_at_today_usd} for b in r.break_even_by_option]
    return {"fleet_by_vintage": rows, "levelised": lev, "break_even": be}


def write_csvs(r: StudyResult, out_dir: Path) -> list[Path]:
    """Write :func:`study_tables` as ``<name>.csv`` into ``out_dir``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiliconomicsError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None
    paths = []
    for name, table in study_tables(r).items():
        path = out_dir / f"{name}.csv"
        write_table(table, path)
        paths.append(path)
    return paths
