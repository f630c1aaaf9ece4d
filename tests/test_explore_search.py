"""The two-stage search: constraints hold on what it returns, it beats the shipped example
designs on its objective, and the CLI writes designs the rest of the tool reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siliconomics.catalog.index import DATA_DIR
from siliconomics.errors import SiliconomicsError
from siliconomics.explore.constraints import check_design, violations
from siliconomics.explore.evaluate import (
    CandidateTask,
    design_document,
    evaluate_candidate,
)
from siliconomics.explore.run import ExploreResult, explore, pick_candidates, stage1
from siliconomics.explore.screen import design_row
from siliconomics.explore.space import SPACES_DIR, DesignSpace, load_space
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import ChipDesign

GPT35 = SPACES_DIR / "gpt35-dense-2023.yaml"
EXAMPLES = ("inference-asic-v5e-like", "training-reticle-hbm", "sram-lpu")


@pytest.fixture(scope="module")
def space() -> DesignSpace:
    return load_space(GPT35)


@pytest.fixture(scope="module")
def found(space: DesignSpace, tmp_path_factory: pytest.TempPathFactory) -> ExploreResult:
    out = tmp_path_factory.mktemp("explore")
    return explore(space, budget=4096, seed=0, candidates=6, optuna_trials=32, n_requests=400,
                   out_dir=out)


def _report(doc: dict[str, Any]) -> Any:
    return evaluate(ChipDesign.model_validate(doc), doc["id"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_every_candidate_satisfies_every_constraint(space: DesignSpace, seed: int) -> None:
    # Property: whatever the seed, the designs stage 1 hands to stage 2 (the only designs that
    # can reach a front) pass every constraint when the full silicon model re-evaluates them.
    result, _ = stage1(space, 256, seed=seed, optuna_trials=0)
    for i in pick_candidates(space, result, 4):
        doc = design_document(space, design_row(space, result.designs, i), f"c{i}")
        assert violations(space, _report(doc)) == []


def test_front_designs_satisfy_every_constraint(found: ExploreResult) -> None:
    on_front = {i for front in found.fronts.values() for i in front}
    assert on_front
    for i in on_front:
        design = yaml.safe_load(Path(found.candidates[i].design_path).read_text())
        assert violations(found.space, _report(design)) == []
        assert found.candidates[i].tpot_s <= found.space.workload.slo.tpot_s


def test_one_parameter_past_a_constraint_is_refused_with_the_field(found: ExploreResult) -> None:
    best = yaml.safe_load(Path(found.best_result("cost_per_million_tokens").design_path).read_text())
    best["memory"]["devices"] = found.space.constraints.max_memory_devices + 1
    with pytest.raises(SiliconomicsError, match=r"max_memory_devices: memory.devices 9 exceeds 8"):
        check_design(found.space, _report(best), "best.yaml")
    hot = dict(best, memory=dict(best["memory"], devices=2), clock_mhz=9000)
    with pytest.raises(SiliconomicsError, match=r"max_tdp_w: .*fields clock_mhz") as info:
        check_design(found.space, _report(hot), "hot.yaml")
    assert "\n" not in str(info.value)


def _example(space: DesignSpace, design_id: str, chips: int) -> Any:
    path = DATA_DIR / "designs" / f"{design_id}.yaml"
    return evaluate_candidate(CandidateTask(space, str(path), chips, 0, 400))


def test_searched_optimum_beats_every_shipped_example_design(found: ExploreResult) -> None:
    # The search's best cost per million tokens at the SLO is at least as good as each shipped
    # example design's on the same workload (an example that cannot meet the SLO counts as inf).
    best = found.best_result("cost_per_million_tokens")
    for design_id in EXAMPLES:
        other = _example(found.space, design_id, 1)
        assert best.cost_per_million_tokens <= other.cost_per_million_tokens, design_id


def test_cost_per_million_tokens_carries_the_unit_cost_range(found: ExploreResult) -> None:
    # Stage 2 prices each design at its unit cost's central, low and high cases (the silicon
    # model's cost ranges and its area model's held-out error); only the chip price moves, so
    # the cost per Mtok range is the central cost scaled by each case's TCO per chip-hour.
    from siliconomics.economics.tco import owned_tco
    from siliconomics.silicon.chip import evaluate
    from siliconomics.silicon.design import load_design

    best = found.best_result("cost_per_million_tokens")
    assert best.cost_per_million_tokens_low < best.cost_per_million_tokens
    assert best.cost_per_million_tokens < best.cost_per_million_tokens_high
    report = evaluate(load_design(Path(best.design_path)))
    unit, board = report.unit_cost_range_usd, report.board_usd
    per_hour = {case: owned_tco(getattr(unit, case) + board, report.tdp_w).total_usd_per_hour
                for case in ("low", "central", "high")}
    assert best.cost_per_million_tokens_high / best.cost_per_million_tokens == pytest.approx(
        per_hour["high"] / per_hour["central"], rel=1e-9)
    assert best.cost_per_million_tokens_low / best.cost_per_million_tokens == pytest.approx(
        per_hour["low"] / per_hour["central"], rel=1e-9)


def test_found_design_holds_gpt3_on_fewer_chips_than_the_v5e_like(found: ExploreResult) -> None:
    # Issue 11: the v5e-like design (16 GB HBM) needs tp32 for GPT-3 175B; the searched design
    # holds weights and KV cache on fewer chips per replica.
    v5e = _example(found.space, "inference-asic-v5e-like", 1)
    best = found.best_result("cost_per_million_tokens")
    assert best.chips_per_replica < v5e.chips_per_replica


def test_cli_explore_writes_designs_that_chip_show_reads(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    res = cli("explore", str(GPT35), "-o", str(out), "--budget", "512", "--candidates", "2",
              "--optuna-trials", "0", "--nsga-trials", "64", "--executor", "serial", "--json")
    assert res.code == 0, res.err
    data = res.json()
    assert data["screened"] == 512 + 64 and len(data["candidates"]) == 2
    assert data["stage1_front"] >= 1
    assert (out / "index.html").read_text().count("<img") == 3
    for c in data["candidates"]:
        assert c["cost_per_million_tokens_low"] <= c["cost_per_million_tokens"]
        assert c["cost_per_million_tokens"] <= c["cost_per_million_tokens_high"]
    best = out / "best-cost_per_million_tokens.yaml"
    shown = cli("chip", "show", str(best), "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["die_area_mm2"] <= 858


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "0"], "--budget 0: must be >= 1"),
        (["--executor", "rey"], "did you mean 'ray'"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(
    cli: Callable[..., Any], tmp_path: Path, args: list[str], message: str
) -> None:
    res = cli("explore", str(GPT35), "-o", str(tmp_path / "o"), *args)
    assert res.code == 2
    assert message in res.err and res.err.strip().count("\n") == 0


def test_cli_space_errors_exit_2(cli: Callable[..., Any], tmp_path: Path) -> None:
    data = yaml.safe_load(GPT35.read_text())
    data["constraints"]["max_tdp_w"] = 5.0
    path = tmp_path / "tight.yaml"
    path.write_text(yaml.safe_dump(data))
    res = cli("explore", str(path), "-o", str(tmp_path / "o"), "--budget", "256",
              "--optuna-trials", "0", "--executor", "serial")
    assert res.code == 2
    assert "constraint 'max_tdp_w' empties it" in res.err and res.err.strip().count("\n") == 0
    data["parameters"]["sram"] = data["parameters"].pop("sram_mb")
    path.write_text(yaml.safe_dump(data))
    res = cli("explore", str(path), "-o", str(tmp_path / "o"))
    assert res.code == 2 and "sram_mb" in res.err and res.err.strip().count("\n") == 0


def test_a_worker_without_the_design_file_evaluates_the_same(found: ExploreResult) -> None:
    # On a Ray cluster the driver's candidates/ folder is not on the workers: the task carries
    # the design and the worker writes it locally; the numbers do not change.
    best = found.best_result("cost_per_million_tokens")
    document = yaml.safe_load(Path(best.design_path).read_text())
    task = CandidateTask(found.space, "/nonexistent/on/this/worker.yaml", best.chips_per_replica,
                         found.seed, 400, document)
    remote = evaluate_candidate(task)
    assert remote.cost_per_million_tokens == pytest.approx(best.cost_per_million_tokens, rel=1e-12)
    assert remote.design_path == "/nonexistent/on/this/worker.yaml"
