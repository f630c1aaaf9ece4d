"""Design spaces: parsing, one-line errors for bad input, constraints that empty a space."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from siliconomics.errors import SiliconomicsError
from siliconomics.explore.run import stage1
from siliconomics.explore.screen import emptying_constraint
from siliconomics.explore.space import SPACES_DIR, load_space, parse_space

SPACE_FILES = sorted(SPACES_DIR.glob("*.yaml"))
GPT35 = SPACES_DIR / "gpt35-dense-2023.yaml"


def raw(path: Path = GPT35) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", SPACE_FILES, ids=lambda p: p.stem)
def test_shipped_spaces_load_and_have_feasible_designs(path: Path) -> None:
    space = load_space(path)
    result, _ = stage1(space, 2048, seed=0, optuna_trials=0)
    assert result.feasible.sum() > 0
    ok = result.feasible
    assert np.all(result.die_area_mm2[ok] <= space.constraints.max_die_area_mm2)
    assert np.all(result.tdp_w[ok] <= space.constraints.max_tdp_w)
    assert np.all(np.isfinite(result.cost_per_million_tokens[ok]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["parameters"].update(clock_mhzz=d["parameters"].pop("clock_mhz")),
         "clock_mhz"),  # unknown field: the closest valid name is given
        (lambda d: d["constraints"].update(max_tdp=5), "max_tdp_w"),
        (lambda d: d["parameters"].update(process_node={"choices": []}), "process_node"),
        (lambda d: d["parameters"].update(process_node={"choices": ["N9"]}), "N9"),
        (lambda d: d["parameters"].update(clock_mhz={"low": 2000, "high": 800}),
         "must be >= low"),
        (lambda d: d["constraints"].update(available_by="2010-01-01"), "available_by"),
        (lambda d: d["constraints"].update(max_memory_devices=0), "max_memory_devices"),
    ],
)
def test_bad_spaces_are_one_line_errors_naming_the_field(change: Any, message: str) -> None:
    data = copy.deepcopy(raw())
    change(data)
    with pytest.raises(SiliconomicsError, match=message) as info:
        parse_space(data, "space.yaml")
    assert "\n" not in str(info.value)
    assert "space.yaml" in str(info.value)


def test_contradictory_constraint_is_named() -> None:
    data = raw()
    data["constraints"]["max_tdp_w"] = 5.0  # no chip serving GPT-3 at the SLO draws 5 W
    space = parse_space(data, "space.yaml")
    result, _ = stage1(space, 1024, seed=0, optuna_trials=0)
    assert not result.feasible.any()
    assert emptying_constraint(result) == "max_tdp_w"


def test_budget_zero_is_refused() -> None:
    with pytest.raises(SiliconomicsError, match="budget=0 must be >= 1"):
        stage1(load_space(GPT35), 0, seed=0, optuna_trials=0)


def test_same_seed_same_screen_other_seed_other_designs() -> None:
    space = load_space(GPT35)
    a, _ = stage1(space, 512, seed=3, optuna_trials=16)
    b, _ = stage1(space, 512, seed=3, optuna_trials=16)
    c, _ = stage1(space, 512, seed=4, optuna_trials=0)
    np.testing.assert_array_equal(a.cost_per_million_tokens, b.cost_per_million_tokens)
    assert not np.array_equal(a.designs.clock_mhz[:512], c.designs.clock_mhz)
