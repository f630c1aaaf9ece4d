"""A build option whose design is found by the design search (``design: {search: SPACE}``):
parsed at load, searched once at resolve, the found design used as if its file were given;
bad search inputs are one-line errors naming the file and field (exit 2 from the CLI)."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from economics_toy import FLOPS, toy_dict
from siliconomics.cli.main import main
from siliconomics.economics.custom_chip import resolve_space, searched_design
from siliconomics.economics.resolve import resolve
from siliconomics.economics.scenario import SearchObjective, scenario_from_dict
from siliconomics.errors import SiliconomicsError
from siliconomics.explore.run import OBJECTIVES
from siliconomics.explore.space import SPACES_DIR

SPACE = "gpt35-dense-2023"
SEARCH = {"search": SPACE, "objective": "cost_per_million_tokens", "budget": 64, "seed": 3}


def searched(design: Any) -> dict[str, Any]:
    d = toy_dict()
    asic = d["options"][2]
    asic["design"] = design
    asic["capacity"] = copy.deepcopy(FLOPS)
    asic["params"] = {k: asic["params"][k] for k in ("p_first_pass", "p_respin_success")}
    return d


def test_objectives_are_the_searchs() -> None:
    assert set(get_args(SearchObjective)) == set(OBJECTIVES)


def test_build_option_uses_the_searched_design() -> None:
    t0 = time.perf_counter()
    first = resolve(scenario_from_dict(searched(SEARCH), where="toy.yaml"))
    elapsed = time.perf_counter() - t0
    info = {i.id: i for i in first.options}["asic"]
    assert info.silicon is not None
    assert info.hardware.startswith(f"{SPACE}-c")
    assert info.silicon["design"] == info.hardware
    assert info.silicon["die_area_mm2"] > 0
    assert "found by design search" in info.silicon["found_by"]
    assert "budget 64, seed 3" in info.silicon["found_by"]
    assert "found by design search" in first.strategy.ranges["asic.unit_cost_usd"].source
    # the found design as a plain file gives the same strategy inputs
    plain = resolve(scenario_from_dict(searched(info.silicon["path"]), where="toy.yaml"))
    assert plain.strategy.ranges["asic.nre_usd"].range == \
        first.strategy.ranges["asic.nre_usd"].range
    # same seed: same design, searched afresh (not the per-process cache)
    searched_design.cache_clear()
    again = resolve(scenario_from_dict(searched(dict(SEARCH)), where="toy.yaml"))
    assert {i.id: i for i in again.options}["asic"].silicon["die_area_mm2"] == \
        info.silicon["die_area_mm2"]
    print(f"one resolve with a search: {elapsed:.1f} s")


def test_space_paths_resolve_against_the_scenario_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text((SPACES_DIR / f"{SPACE}.yaml").read_text())
    assert resolve_space("mine.yaml", "s", tmp_path) == (tmp_path / "mine.yaml").resolve()
    assert resolve_space(SPACE, "s", tmp_path) == (SPACES_DIR / f"{SPACE}.yaml").resolve()


@pytest.mark.parametrize(("design", "match"), [
    ({"search": SPACE, "budgt": 64}, r"design.*unknown field 'budgt'. Did you mean 'budget'"),
    ({"search": SPACE, "budget": 0}, r"design.*budget.*greater than or equal to 16"),
    ({"search": SPACE, "objective": "speed"}, r"design.*objective"),
])
def test_bad_search_fields_fail_at_parse(design: dict[str, Any], match: str) -> None:
    with pytest.raises(SiliconomicsError, match=match):
        scenario_from_dict(searched(design), where="toy.yaml")


def test_missing_space_file_names_file_and_field() -> None:
    spec = scenario_from_dict(searched({"search": "nowhere/space.yaml"}), where="toy.yaml")
    with pytest.raises(SiliconomicsError,
                       match=r"^toy.yaml: options\[2\] \(asic\).design.search: design space "
                             r"file nowhere/space.yaml not found"):
        resolve(spec)


@pytest.mark.parametrize(("design", "needle"), [
    ({"search": SPACE, "budgt": 64}, "budgt"),
    ({"search": SPACE, "budget": 0}, "budget"),
    ({"search": "nowhere/space.yaml"}, "design.search"),
])
def test_cli_study_exits_2_with_one_line(tmp_path: Path, design: dict[str, Any], needle: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(searched(design)))
    assert main(["study", str(path), "--draws", "10", "--no-report"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {path}") and needle in err
