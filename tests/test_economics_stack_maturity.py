"""A custom chip's software-stack maturity range (issue 10 item 4): the fleet is sized at the
immature, central and mature ends and the capacity range spans them, so the Monte Carlo and
the tornado carry the software risk. Small scenario: llama3-8b on one design chip."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from economics_toy import FLOPS, leaf, toy_dict
from siliconomics.economics.resolve import resolve
from siliconomics.economics.scenario import scenario_from_dict
from siliconomics.errors import SiliconomicsError

MATURITY = {"low": 0.2, "central": 0.6, "high": 1.0, "source": "(assumption) test range"}


def _dict(**custom: Any) -> dict[str, Any]:
    d = toy_dict(model="llama3-8b")
    d["traffic"]["daily_users"] = leaf(1e5)
    d["traffic"]["input_tokens_per_query"] = leaf(300)
    d["traffic"]["output_tokens_per_query"] = leaf(200)
    d["options"] = [o for o in d["options"] if o["id"] == "buy"]
    d["options"][0]["roadmap"][0]["capacity"] = copy.deepcopy(FLOPS)
    d["options"].append({
        "id": "asic", "type": "build_asic", "bridge": "buy",
        "design": "inference-asic-hbm3-96gb",
        "capacity": {"method": "serving", "weight_dtype": "int8", "kv_dtype": "int8",
                     "tp": [1]},
        "params": {"p_first_pass": leaf(0.5), "p_respin_success": leaf(0.8)}} | custom)
    return d


@pytest.fixture(scope="module")
def matured() -> Any:
    return resolve(scenario_from_dict(_dict(stack="inhouse", stack_maturity=MATURITY),
                                      where="m.yaml"))


def test_range_spans_immature_to_mature(matured: Any) -> None:
    cap = matured.strategy.ranges["asic.capacity_qps_per_chip"]
    mature = resolve(scenario_from_dict(_dict(stack="inhouse@1"), where="x.yaml"))
    at_mature = mature.strategy.ranges["asic.capacity_qps_per_chip"]
    assert cap.range.low < cap.central < cap.range.high
    assert cap.range.low < 0.8 * at_mature.central  # the immature end costs capacity
    assert cap.range.high == pytest.approx(at_mature.range.high, rel=1e-9)
    assert "maturity 0.2 (low)" in cap.source and "(assumption) test range" in cap.source


def test_tornado_swings_on_maturity(matured: Any) -> None:
    from siliconomics.economics.study import run_study

    res = run_study(matured, draws=64, seed=1)
    bars = [b for b in res.tornado if b.name == "asic.capacity_qps_per_chip"]
    assert bars and bars[0].swing_usd > 0


@pytest.mark.parametrize(("custom", "field"), [
    ({"stack": "inhouse", "stack_maturity": {"low": 0.0, "high": 1.0, "source": "(assumption) x"}},
     "stack_maturity"),
    ({"stack_maturity": MATURITY}, "stack_maturity"),
    ({"stack": "production", "stack_maturity": MATURITY}, "stack_maturity"),
])
def test_bad_maturity_exits_2(tmp_path: Path, custom: dict[str, Any], field: str,
                              cli: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_dict(**custom)))
    res = cli("study", str(path), "--draws", "16", "--no-report")
    assert res.code == 2, res.err
    msg = res.err.strip()
    assert "\n" not in msg and str(path) in msg and field in msg, msg
    with pytest.raises(SiliconomicsError):
        resolve(scenario_from_dict(_dict(**custom), where=str(path)))


def test_fleets_sized_in_worker_processes_give_the_same_scenario(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """resolve(executor=...) sizes every serving fleet and response surface in worker
    processes first (the maturity ends, the central chip, a merchant GPU); the scenario is
    the same numbers as resolved in order in this process, and this process then simulates
    nothing itself."""
    from siliconomics.economics import capacity as capacity_module
    from siliconomics.explore.executors import LocalExecutor
    from siliconomics.serving import capacity as serving_capacity
    from siliconomics.serving.fleet_cache import FLEETS

    d = _dict(stack="inhouse", stack_maturity=MATURITY)
    d["options"][0]["roadmap"][0]["capacity"] = {"method": "serving", "tp": [1]}
    d["options"][0]["roadmap"][0]["hardware"] = "h100-sxm"
    spec = scenario_from_dict(d, where="m.yaml")

    def fresh() -> None:
        FLEETS.clear()
        capacity_module._fleet.cache_clear()

    fresh()
    serial = resolve(spec)
    fresh()
    calls: list[int] = []
    real = serving_capacity.run_replica

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(serving_capacity, "run_replica", counted)
    parallel = resolve(spec, executor=LocalExecutor(max_workers=2))
    assert calls == []  # everything came from the workers through the fleet cache
    assert parallel.strategy.ranges.keys() == serial.strategy.ranges.keys()
    for k, v in serial.strategy.ranges.items():
        assert parallel.strategy.ranges[k].range == v.range, k
        assert parallel.strategy.ranges[k].source == v.source, k
    assert parallel.options == serial.options
