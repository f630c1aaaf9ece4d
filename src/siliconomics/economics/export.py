"""The study's own tables as CSV (the report writes its tables; these are the strategy
engine's: fleet by vintage over time, levelised vs steady-state cost, break-even per custom
option). Column units are in the names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from siliconomics.economics.study import StudyResult
from siliconomics.errors import SiliconomicsError


def study_tables(r: StudyResult) -> dict[str, pd.DataFrame]:
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
    return {"fleet_by_vintage": pd.DataFrame(rows), "levelised": pd.DataFrame(lev),
            "break_even": pd.DataFrame(be)}


def write_csvs(r: StudyResult, out_dir: Path) -> list[Path]:
    """Write :func:`study_tables` as ``<name>.csv`` into ``out_dir``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiliconomicsError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None
    paths = []
    for name, df in study_tables(r).items():
        path = out_dir / f"{name}.csv"
        df.to_csv(path, index=False)
        paths.append(path)
    return paths
