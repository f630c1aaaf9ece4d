"""``siliconomics study``: the main job — cost per query on every option and which to choose."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from siliconomics.cli.common import Column, console, err_console, print_json, print_table, warn


def study(
    scenario: Annotated[str, typer.Argument(help="Scenario id or path to a scenario YAML.")
                        ] = "chatgpt-2023",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html and CSVs.")
                   ] = Path("siliconomics-report"),
    draws: Annotated[int, typer.Option(
        "--draws", help="Monte Carlo draws (1 to 5,000,000; sampled in blocks, so memory "
        "stays flat).")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed >= 0 (same seed, same "
                                      "result).")] = 0,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip the HTML/CSV files.")
                         ] = False,
    workers: Annotated[int, typer.Option(
        "--workers", help="Processes that size the serving fleets in parallel before the "
        "options are resolved (1 to 64; 1: all in this process). The answer is the same; "
        "more than 1 is faster only on idle cores.")] = 1,
) -> None:
    """Cost per query on each option (steady state and levelised), the recommended strategy
    with its probability of being best, break-even demand and horizon per custom option,
    fleets by vintage; writes an HTML report and CSVs."""
    from siliconomics.economics.export import write_csvs
    from siliconomics.economics.montecarlo import MAX_DRAWS
    from siliconomics.economics.scenario import load_scenario
    from siliconomics.economics.study import as_scenario, run_study
    from siliconomics.errors import SiliconomicsError

    if seed < 0:
        raise SiliconomicsError(f"--seed: must be >= 0, got {seed}")
    if not 1 <= draws <= MAX_DRAWS:
        raise SiliconomicsError(f"--draws: must be between 1 and {MAX_DRAWS:,}, got {draws:,}")
    if not 1 <= workers <= 64:
        raise SiliconomicsError(f"--workers: must be between 1 and 64, got {workers}")
    executor = None
    if workers > 1:
        from siliconomics.explore.executors import LocalExecutor

        executor = LocalExecutor(max_workers=workers)
    if not no_report:
        _check_out_folder(out)
    spec = load_scenario(scenario)
    try:
        with err_console.status("Sizing fleets (serving layer) and evaluating designs..."):
            s = as_scenario(spec, executor=executor)
        for w in s.warnings:
            warn(w)
        with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed:,}/"
                      "{task.total:,} draws"), TimeElapsedColumn(), console=err_console,
                      transient=True) as bar:
            task = bar.add_task("mc", total=draws)
            result = run_study(s, draws=draws, seed=seed,
                               progress=lambda k: bar.advance(task, k))
    except KeyboardInterrupt:
        err_console.print("interrupted: no results written")
        raise typer.Exit(130) from None
    report = None
    if not no_report:
        from siliconomics.report.html import write_report

        report = write_report(result, out)
        write_csvs(result, out)
    if as_json:
        data = result.to_json()
        data["report"] = str(report) if report else None
        print_json(data)
        return
    j = result.to_json()
    columns = [Column("option", "id"), Column("chips"), Column("steady state ¢/query"),
               Column("levelised ¢/query"), Column("$/day"), Column("$ per M output tokens"),
               Column("NPV mean $bn"), Column("P(best)")]
    print_table(f"{s.name}: {s.queries_per_day:,.0f} queries/day", columns, [
        (k, f"{v['chips']:,.0f}", f"{v['cost_per_query_usd'] * 100:.3f}",
         f"{v['levelised_usd_per_query'] * 100:.3f}", f"{v['cost_per_day_usd']:,.0f}",
         f"{v['usd_per_m_output_tokens']:.2f}", f"{v['npv_mean_usd'] / 1e9:,.2f}",
         f"{v['prob_best']:.0%}")
        for k, v in j["options"].items()])
    rec = j["strategy"]["recommended"]
    console.print(f"Recommended: {rec}, best in {j['strategy']['prob_best'][rec]:.0%} "
                  f"of {draws:,} draws (seed {seed}).")
    console.print(f"Horizon {j['horizon_years']:g} years ({j['horizon_note']}); steady state = "
                  "today's chip at today's demand, levelised = PV costs / PV queries served.")
    for be in result.break_even_by_option:
        demand = (f"above {be.queries_per_day:,.0f} queries/day ({be.scale:.2g}x today)"
                  if be.queries_per_day is not None else
                  f"at no demand up to {be.searched[1]:,.0f} queries/day")
        horizon = (f"pays back after {be.horizon_years:g} years at today's demand"
                   if be.horizon_years is not None else
                   f"does not pay back within {be.horizon_searched_years:g} years")
        console.print(f"Break-even {be.custom_option} vs {be.merchant_option}: {demand}; "
                      f"{horizon}.")
    if result.reproduction is not None:
        rp = result.reproduction
        console.print(f"Reproduction: {rp.gpus:,.0f} GPUs, {rp.servers:,.0f} servers, "
                      f"${rp.usd_per_day:,.0f}/day, {rp.usd_per_query * 100:.3f} cents/query.")
    if result.own_model is not None and result.reproduction is not None:
        om = result.own_model
        console.print(f"Same traffic on siliconomics's serving model: {om.gpus:,.0f} GPUs "
                      f"({om.gpus / result.reproduction.gpus:.2f}x), utilisation "
                      f"{om.utilisation_frac:.0%}, {om.usd_per_query * 100:.3f} cents/query.")
    if result.savings_usd_per_year is not None:
        sv = result.savings_usd_per_year
        console.print(f"{sv['option']} vs {sv['versus']}: "
                      f"{sv['usd_per_year'] / 1e6:,.0f} M USD per year.")
    if report is not None:
        console.print(f"Report: {report}")


def register(app: typer.Typer) -> None:
    app.command("study")(study)


def _check_out_folder(out: Path) -> None:
    """Refuse an unusable --out before any work: an existing file, or a folder we cannot
    create or write."""
    from siliconomics.errors import SiliconomicsError

    if out.exists() and not out.is_dir():
        raise SiliconomicsError(f"--out {out}: is a file, not a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    import os

    if not os.access(probe, os.W_OK):
        raise SiliconomicsError(f"--out {out}: folder {probe} is not writable")
