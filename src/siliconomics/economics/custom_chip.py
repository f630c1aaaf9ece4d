"""A custom-chip option's inputs from the silicon layer: unit cost, TDP, NRE, schedule, respin.

An option of type ``build_asic``, ``acquire`` or ``partner`` may say ``design: <id or
path>`` (an id is a file in ``catalog/data/designs/``). :func:`siliconomics.silicon.chip.
evaluate` then gives the chip's area, unit cost (low/central/high), TDP, NRE and schedule,
and the derived :class:`~siliconomics.catalog.Accelerator` whose capacity the serving layer
measures like a GPU's (:mod:`siliconomics.economics.capacity`).

The silicon model's NRE and months to volume are *expected* values that include a respin
with probability ``p_respin``; the strategy samples the respin itself (``p_first_pass``,
``respin_delay_months``, ``respin_cost_usd``), so the expected respin is taken out::

    nre_usd          = (NRE_total - expected_respin_usd) x nre_scale
    schedule_months  = (months_to_volume - expected_respin_months) x schedule_scale
    respin_cost_usd  = expected_respin_usd / p_respin          (the cost if it happens)
    respin_delay     = the silicon schedule's respin delay [months]
    unit_cost_usd    = (silicon unit cost low/central/high + board) x unit_cost_scale
    tdp_w            = the silicon model's design TDP [W]

``nre_scale``, ``schedule_scale`` and ``unit_cost_scale`` are sourced ranges in the option's
``params`` (default 1): the uncertainty the Monte Carlo samples around the silicon model's
central values (e.g. an acquired team's next chip costs half the NRE). Any derived input
given explicitly in ``params`` overrides the silicon value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from siliconomics.catalog.index import DATA_DIR
from siliconomics.catalog.sourced import Range
from siliconomics.economics.defaults import SourcedRange
from siliconomics.errors import CatalogError, SiliconomicsError, UnknownIdError
from siliconomics.registry import unknown_id_message

DESIGN_DIR = DATA_DIR / "designs"
SCALES = ("nre_scale", "schedule_scale", "unit_cost_scale")


def design_ids() -> list[str]:
    return [p.stem for p in sorted(DESIGN_DIR.glob("*.yaml"))]


def resolve_design(ref: str, where: str, scenario_dir: Path | None = None) -> Path:
    """The design file of ``ref``: a shipped design id, or a path (absolute, or relative to
    the working directory or the scenario's folder)."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        for base in (Path.cwd(), scenario_dir):
            if base is None:
                continue
            path = (base / ref).resolve()
            if path.is_file():
                return path
        raise CatalogError(f"{where}.design: file {ref} not found")
    known = design_ids()
    if ref not in known:
        raise UnknownIdError(f"{where}.design: " + unknown_id_message("chip design", ref, known))
    return (DESIGN_DIR / f"{ref}.yaml").resolve()


SEARCH_CANDIDATES = 3  # designs simulated after screening (explore's stage 2), kept small
SEARCH_REQUESTS = 300  # requests per simulated candidate


def resolve_space(ref: str, where: str, scenario_dir: Path | None = None) -> Path:
    """The design-space file of ``design: {search: ref}``: a path relative to the scenario's
    folder (then the working directory), or a shipped space id."""
    from siliconomics.explore.space import SPACES_DIR

    shipped = sorted(p.stem for p in SPACES_DIR.glob("*.yaml"))
    candidates = [Path(ref)] if Path(ref).is_absolute() else \
        [b / ref for b in (scenario_dir, Path.cwd()) if b is not None]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    stem = Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref
    if stem in shipped:
        return (SPACES_DIR / f"{stem}.yaml").resolve()
    raise CatalogError(f"{where}.design.search: design space file {ref} not found (looked in "
                       f"{scenario_dir or Path.cwd()}; shipped spaces: {', '.join(shipped)})")


@cache
def searched_design(space_path: Path, objective: str, budget: int, seed: int,
                    where: str) -> Path:
    """The best design the search finds (serially, written to a temporary folder), once per
    process and input."""
    import tempfile

    from siliconomics.explore.run import best_design_for
    from siliconomics.explore.space import load_space

    try:
        space = load_space(space_path)
        out = Path(tempfile.mkdtemp(prefix="siliconomics-design-search-"))
        return best_design_for(space, objective, budget=budget, seed=seed,
                               candidates=SEARCH_CANDIDATES, optuna_trials=0,
                               n_requests=SEARCH_REQUESTS, out_dir=out)
    except SiliconomicsError as exc:
        raise type(exc)(f"{where}.design.search: {exc}") from None


@cache
def design_report(path: Path) -> Any:
    """The silicon model's evaluation of a design file (once per path and process)."""
    from siliconomics.silicon.chip import evaluate
    from siliconomics.silicon.design import load_design

    return evaluate(load_design(path), source=str(path))


def _times(r: Range, s: Range) -> Range:
    """Range product, taking low with low and high with high (comonotone)."""
    return Range(low=r.low * s.low, central=r.central * s.central, high=r.high * s.high)


@dataclass(frozen=True)
class DesignInputs:
    """What the silicon layer says about a design, ready for the strategy."""

    design_id: str
    path: str
    params: dict[str, SourcedRange]
    summary: dict[str, Any]


def design_params(ref: str, where: str, scales: dict[str, SourcedRange],
                  scenario_dir: Path | None = None, found_by: str | None = None) -> DesignInputs:
    """Derived strategy inputs of a custom chip (module doc); ``found_by`` says which design
    search found the design file (it goes into every source and the summary)."""
    path = resolve_design(ref, where, scenario_dir)
    try:
        rep = design_report(path)
    except SiliconomicsError as exc:
        raise type(exc)(f"{where}.design: {exc}") from None
    one = SourcedRange(Range.point(1.0), "default")
    sc = {k: scales.get(k, one) for k in SCALES}
    did = rep.design.id
    nre = rep.nre
    sched = rep.schedule
    from siliconomics.silicon import defaults as sd

    p_respin = sd.num("nre", "respin_probability") if rep.design.nre.respin_probability is None \
        else rep.design.nre.respin_probability
    base_nre = nre.total_usd - nre.expected_respin_usd
    base_months = sched.months_to_volume - sched.expected_respin_months
    unit = rep.unit_cost_range_usd
    board = rep.board_usd
    unit_board = Range(low=unit.low + board, central=unit.central + board,
                       high=unit.high + board)
    src = f"silicon model, design {did}" + (f" ({found_by})" if found_by else "")
    params = {
        "nre_usd": SourcedRange(
            _times(Range.point(base_nre), sc["nre_scale"].range),
            f"{src}: NRE ${base_nre / 1e6:,.0f}M without the expected respin x nre_scale "
            f"({sc['nre_scale'].source})"),
        "schedule_months": SourcedRange(
            _times(Range.point(base_months), sc["schedule_scale"].range),
            f"{src}: {base_months:.1f} months to volume without the expected respin x "
            f"schedule_scale ({sc['schedule_scale'].source})"),
        "respin_delay_months": SourcedRange(
            Range.point(sched.respin_delay_months), f"{src}: respin debug + fab + OSAT"),
        "respin_cost_usd": SourcedRange(
            Range.point(nre.expected_respin_usd / p_respin if p_respin > 0 else 0.0),
            f"{src}: expected respin ${nre.expected_respin_usd / 1e6:,.0f}M / p_respin "
            f"{p_respin:g}"),
        "unit_cost_usd": SourcedRange(
            _times(unit_board, sc["unit_cost_scale"].range),
            f"{src}: unit cost low/central/high ${unit.low:,.0f}/${unit.central:,.0f}/"
            f"${unit.high:,.0f} + board ${board:,.0f} x unit_cost_scale "
            f"({sc['unit_cost_scale'].source})"),
        "tdp_w": SourcedRange(Range.point(rep.tdp_w), f"{src}: design TDP"),
    }
    summary = {
        "design": did, "path": str(path), "found_by": found_by,
        "process_node": rep.design.process_node,
        "die_area_mm2": rep.die_area_mm2, "unit_cost_usd": rep.unit_cost_usd,
        "board_usd": board, "tdp_w": rep.tdp_w, "nre_total_usd": nre.total_usd,
        "nre_expected_respin_usd": nre.expected_respin_usd,
        "months_to_volume": sched.months_to_volume,
        "respin_delay_months": sched.respin_delay_months, "p_respin": p_respin,
    }
    return DesignInputs(did, str(path), params, summary)
