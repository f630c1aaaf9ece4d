"""One contract over every member of every catalog and registry (scikit-learn
``test_common`` style): each member loads, rejects an out-of-range value with a
:class:`SiliconomicsError`, and gives finite, positive results through its main function.

Members are read from the catalogs and registries at collection time, so an accelerator,
model, node, design, scenario, stack, option type, capacity method, yield model or sampler
added later is checked without editing this file.
"""

from __future__ import annotations

import copy
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from siliconomics import catalog
from siliconomics.catalog import process_nodes
from siliconomics.catalog.model_arch import ModelArch
from siliconomics.catalog.sourced import Range
from siliconomics.economics.distributions import SAMPLERS
from siliconomics.economics.resolve import CAPACITY_METHODS, Scenario
from siliconomics.economics.scenario import load_scenario
from siliconomics.economics.strategy import OPTION_CLASSES
from siliconomics.economics.study import as_scenario, option_unit_cost
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.predict import predict_step
from siliconomics.perf.stacks import STACK_DIR, Stack, load_stack, shipped_stacks
from siliconomics.resolve import resolve_accelerator
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import load_design
from siliconomics.silicon.yield_models import YIELD_MODELS
from siliconomics.workload.params import parameter_counts

DATA = catalog.DATA_DIR
DESIGNS = sorted((DATA / "designs").glob("*.yaml"))
SCENARIOS = sorted((DATA / "scenarios").glob("*.yaml"))


def _finite_positive(*values: Any) -> None:
    for value in values:
        arr = np.asarray(value, dtype=float)
        assert arr.size and np.all(np.isfinite(arr)) and np.all(arr > 0), value


def _mutated(src: Path, dst: Path, edit: Any) -> Path:
    data = yaml.safe_load(src.read_text())
    edit(data)
    dst.write_text(yaml.safe_dump(data, sort_keys=False))
    return dst


def _set_number(entry: Any, value: float) -> Any:
    """A sourced value ``{value: ...}`` / ``{low, central, high}`` or a bare number, set to
    ``value`` everywhere it holds a number."""
    if isinstance(entry, dict):
        return entry | {k: value for k in ("value", "low", "central", "high") if k in entry}
    return value


# ---------------------------------------------------------------- hardware


#: A small Llama-shaped model (about 40 M parameters) that fits even an SRAM-only chip.
TINY = ModelArch(id="tiny-llama", source="contract test: a small Llama-style shape", layers=4,
                 hidden=512, q_heads=8, kv_heads=8, head_dim=64, ffn=1408, vocab=32000)


@pytest.mark.parametrize("hw_id", catalog.hardware_ids())
def test_hardware_contract(hw_id: str, tmp_path: Path) -> None:
    chip = catalog.hardware(hw_id)
    assert chip.id == hw_id
    pred = predict_step(TINY, chip, phase="decode", batch=8, context=256)
    _finite_positive(pred.step_s, pred.tokens_per_s)
    for field in ("memory_gib", "tdp_w", "memory_bandwidth_tb_s"):
        bad = _mutated(DATA / "hardware" / f"{hw_id}.yaml", tmp_path / f"{field}.yaml",
                       lambda d, f=field: d.__setitem__(f, _set_number(d[f], -1.0)))
        with pytest.raises(SiliconomicsError, match=field):
            resolve_accelerator(bad)


# ---------------------------------------------------------------- models


@pytest.mark.parametrize("model_id", catalog.model_ids())
def test_model_contract(model_id: str, tmp_path: Path) -> None:
    arch = catalog.model(model_id)
    counts = parameter_counts(arch)
    _finite_positive(counts.total, counts.active)
    # bf16 weights over 8-chip tensor-parallel groups, in as many pipeline stages as needed
    pp = math.ceil(counts.total * 2 / (8 * 60e9))
    pred = predict_step(arch, "h100-sxm", phase="prefill", batch=1, prompt=256, tp=8, pp=pp)
    _finite_positive(pred.step_s, pred.flops)
    bad = _mutated(DATA / "models" / f"{model_id}.yaml", tmp_path / "bad.yaml",
                   lambda d: d.__setitem__("layers", 0))
    with pytest.raises(SiliconomicsError, match="layers"):
        catalog.model(bad)


# ---------------------------------------------------------------- process nodes


@pytest.mark.parametrize("node", process_nodes.node_names())
def test_process_node_contract(node: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    design = load_design(DATA / "designs" / "inference-asic-v5e-like.yaml")
    # On an old node the same logic no longer fits one reticle (N16: 869 mm2): let the
    # chiplet packaging split it, as a designer would, so every node gives a chip.
    packaging = design.packaging.model_copy(update={"dies": "auto"})
    report = evaluate(design.model_copy(update={"process_node": node, "packaging": packaging}),
                      source=f"node {node}")
    _finite_positive(report.unit_cost_usd, report.die_area_mm2, report.tdp_w,
                     report.nre.total_usd)
    bad_dir = tmp_path / "data"
    bad_dir.mkdir()

    def edit(d: dict[str, Any]) -> None:
        entry = d["nodes"][node]
        entry["energy_per_op_rel_n7"] = _set_number(entry["energy_per_op_rel_n7"], -1.0)

    _mutated(DATA / "process_nodes.yaml", bad_dir / "process_nodes.yaml", edit)
    monkeypatch.setattr(process_nodes, "DATA_DIR", bad_dir)
    process_nodes._nodes.cache_clear()
    try:
        with pytest.raises(SiliconomicsError, match="energy_per_op_rel_n7"):
            process_nodes.process_node(node)
    finally:
        monkeypatch.undo()
        process_nodes._nodes.cache_clear()


# ---------------------------------------------------------------- chip designs


@pytest.mark.parametrize("path", DESIGNS, ids=[p.stem for p in DESIGNS])
def test_design_contract(path: Path, tmp_path: Path) -> None:
    report = evaluate(load_design(path), source=str(path))
    _finite_positive(report.unit_cost_usd, report.die_area_mm2, report.tdp_w,
                     report.nre.total_usd, *report.accelerator.peak_flops_s.values())
    assert resolve_accelerator(path).peak_flops_s == report.accelerator.peak_flops_s
    bad = _mutated(path, tmp_path / "bad.yaml", lambda d: d.__setitem__("clock_mhz", -1))
    with pytest.raises(SiliconomicsError, match="clock_mhz"):
        load_design(bad)


# ---------------------------------------------------------------- software stacks


STACK_IDS = list(shipped_stacks())


def _chip_for(stack: Stack) -> str:
    """A catalog chip the stack runs on (an H100 for a stack that runs anywhere)."""
    if stack.runs_on("NVIDIA"):
        return "h100-sxm"
    return next(i for i in catalog.hardware_ids() if stack.runs_on(catalog.hardware(i).vendor))


@pytest.mark.parametrize("stack_id", STACK_IDS)
def test_stack_contract(stack_id: str, tmp_path: Path) -> None:
    stack = shipped_stacks()[stack_id]
    pred = predict_step(TINY, _chip_for(stack), phase="decode", batch=np.array([1, 32]),
                        context=2048, stack=stack)
    _finite_positive(pred.step_s, pred.kernels)
    bad = _mutated(STACK_DIR / f"{stack_id}.yaml", tmp_path / f"{stack_id}.yaml",
                   lambda d: d.__setitem__("matmul_bf16_frac", -1.0))
    with pytest.raises(SiliconomicsError, match="matmul_bf16_frac"):
        load_stack(bad)


# ---------------------------------------------------------------- yield models


@pytest.mark.parametrize("name", list(YIELD_MODELS))
def test_yield_model_contract(name: str) -> None:
    model = YIELD_MODELS[name]
    areas = np.array([50.0, 200.0, 800.0])
    y = np.asarray(model(areas, 0.1))
    _finite_positive(y)
    assert np.all(y <= 1.0) and np.all(np.diff(y) < 0)  # in (0, 1], falling with area
    for area, d0 in ((-5.0, 0.1), (100.0, -0.1), (math.nan, 0.1)):
        with pytest.raises(SiliconomicsError):
            model(area, d0)


# ---------------------------------------------------------------- samplers


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sampler_contract(name: str) -> None:
    sampler = SAMPLERS[name]
    r = Range(low=2.0, central=3.0, high=5.0)
    draws = sampler(np.random.default_rng(0), r, 2000)
    _finite_positive(draws)
    assert draws.shape == (2000,) and draws.min() >= 2.0 and draws.max() <= 5.0
    again = sampler(np.random.default_rng(0), r, 2000)
    assert np.array_equal(draws, again)  # same seed, same draws
    with pytest.raises(SiliconomicsError):
        sampler(np.random.default_rng(0), r, -1)


# ---------------------------------------------------------------- scenarios and their registries


@cache
def _scenario(path: Path) -> Scenario:
    return as_scenario(path)


@cache
def _raw(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def _unit_cost_positive(path: Path, option_id: str) -> None:
    uc = option_unit_cost(_scenario(path), option_id)
    _finite_positive(uc.cost_per_query_usd, uc.cost_per_day_usd, uc.chips)


def _cheapest_scenario_with(predicate: Any) -> tuple[Path, dict[str, Any]]:
    """The shipped scenario (fewest serving-sized generations first) with an option matching
    ``predicate``, and that option."""
    def cost(path: Path) -> int:
        return path.read_text().count("method: serving")

    for path in sorted(SCENARIOS, key=cost):
        for option in _raw(path)["options"]:
            if predicate(option):
                return path, option
    raise AssertionError("no shipped scenario exercises this member: add one to "
                         "catalog/data/scenarios or an example here")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_contract(path: Path, tmp_path: Path) -> None:
    s = _scenario(path)
    assert s.options
    for option in s.options:
        _unit_cost_positive(path, option.id)
    bad = _mutated(path, tmp_path / path.name, lambda d: d["traffic"].__setitem__(
        "daily_users", _set_number(d["traffic"]["daily_users"], -1.0)))
    with pytest.raises(SiliconomicsError, match="daily_users"):
        load_scenario(str(bad))


def _first_number_key(params: dict[str, Any]) -> str | None:
    for key, entry in params.items():
        if isinstance(entry, int | float) or (isinstance(entry, dict) and (
                "value" in entry or "central" in entry)):
            return key
    return None


def _numbers_of(option: dict[str, Any]) -> dict[str, Any]:
    """Where an option's own numbers live: ``params`` (custom chips) or its first roadmap
    generation (merchant options)."""
    return option.get("params") or option["roadmap"][0]


@pytest.mark.parametrize("option_type", list(OPTION_CLASSES))
def test_option_type_contract(option_type: str, tmp_path: Path) -> None:
    path, raw_option = _cheapest_scenario_with(lambda o: o.get("type") == option_type)
    _unit_cost_positive(path, raw_option["id"])
    key = _first_number_key(_numbers_of(raw_option))
    assert key is not None, f"{option_type}: no numeric param to mutate in {path}"

    def edit(d: dict[str, Any]) -> None:
        numbers = _numbers_of(next(o for o in d["options"] if o["id"] == raw_option["id"]))
        numbers[key] = _set_number(numbers[key], -1.0)

    bad = _mutated(path, tmp_path / path.name, edit)
    with pytest.raises(SiliconomicsError, match=key):
        load_scenario(str(bad))


#: A capacity block for methods no shipped scenario uses yet (on google-tpu-partner's
#: current-tpu generation).
CAPACITY_EXAMPLES: dict[str, dict[str, Any]] = {
    "explicit": {"method": "explicit", "queries_per_s_per_chip": {
        "value": 2.0, "source": "contract test example"}},
}


def _capacity_of(option: dict[str, Any]) -> dict[str, Any]:
    holder = option["roadmap"][0] if "roadmap" in option else option
    block: dict[str, Any] = holder.setdefault("capacity", {"method": "serving"})
    return block


@pytest.mark.parametrize("method", list(CAPACITY_METHODS))
def test_capacity_method_contract(method: str, tmp_path: Path) -> None:
    try:
        path, raw_option = _cheapest_scenario_with(
            lambda o: _capacity_of(copy.deepcopy(o)).get("method") == method)
        block = copy.deepcopy(_capacity_of(copy.deepcopy(raw_option)))
    except AssertionError:
        assert method in CAPACITY_EXAMPLES, f"capacity method {method}: no example"
        base = DATA / "scenarios" / "google-tpu-partner.yaml"
        path, block = base, CAPACITY_EXAMPLES[method]
        raw_option = {"id": "current-tpu"}
        def example(d: dict[str, Any]) -> None:
            gen = next(o for o in d["options"] if o["id"] == "current-tpu")["roadmap"][0]
            gen["capacity"] = block
            d["traffic"]["utilisation_frac"] = {"value": 0.5, "source": "contract test example"}

        path = _mutated(base, tmp_path / base.name, example)
    _unit_cost_positive(path, raw_option["id"])
    key = _first_number_key({k: v for k, v in block.items() if k != "method"})

    def edit(d: dict[str, Any]) -> None:
        opt = next(o for o in d["options"] if o["id"] == raw_option["id"])
        if key is not None:
            _capacity_of(opt)[key] = _set_number(_capacity_of(opt)[key], -1.0)
        else:  # the serving method's numbers live in the scenario's serving block
            d["serving"]["headroom_frac"] = _set_number(d["serving"]["headroom_frac"], -1.0)

    bad = _mutated(path, tmp_path / f"bad-{path.name}", edit)
    with pytest.raises(SiliconomicsError, match=f"{key or 'headroom_frac'}"):
        load_scenario(str(bad))
