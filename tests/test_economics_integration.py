"""Economics wired to the serving, performance and silicon layers: capacity per chip and
utilisation from the serving layer's fleet sizing, custom chips from the silicon model, and
SemiAnalysis's traffic priced on siliconomics's own model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from siliconomics.catalog.sourced import Range
from siliconomics.economics.capacity import parse_serving_setup, tp_candidates
from siliconomics.economics.custom_chip import DESIGN_DIR
from siliconomics.economics.scenario import SCENARIO_DIR, load_scenario, replace_ranges
from siliconomics.economics.study import option_unit_cost, run_study
from siliconomics.errors import CatalogError, UnknownIdError
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import load_design

GPU_OPTIONS = ("buy-a100", "buy-h100", "rent-a100", "rent-h100")
CUSTOM_OPTIONS = ("build-asic", "acquire-chip-co", "partner-design")


@pytest.fixture(scope="module")
def chatgpt() -> Any:
    return load_scenario("chatgpt-2023")


def test_gpu_options_are_sized_by_the_serving_layer(chatgpt: Any) -> None:
    infos = {o.id: o for o in chatgpt.options}
    for oid in GPU_OPTIONS + CUSTOM_OPTIONS:
        info = infos[oid]
        assert info.capacity_method == "serving", oid
        f = info.serving
        assert f is not None and f["chips_at_peak"] == f["replicas"] * f["chips_per_replica"]
        # the economics' chips at today's demand are exactly the serving layer's fleet
        uc = option_unit_cost(chatgpt, oid)
        assert uc.chips == pytest.approx(f["chips_at_peak"], rel=1e-9), oid
        assert uc.utilisation_frac == pytest.approx(f["utilisation_frac"], rel=1e-9)
        # a fleet sized for the peak hour with headroom is busy < 1 / (peak/mean) on average
        assert 0 < f["utilisation_frac"] < 1 / 1.5
        # the chosen TP is the one with the fewest chips among those tried
        ok = [t["chips"] for t in f["tp_tried"] if t["chips"] is not None]
        assert f["chips_at_peak"] == min(ok)
    # same chip, same fleet: buying and renting differ in price only
    assert infos["buy-h100"].serving == infos["rent-h100"].serving


def test_cost_per_query_follows_the_served_capacity(chatgpt: Any) -> None:
    c = chatgpt.strategy.ranges
    base = option_unit_cost(chatgpt, "buy-h100")
    cap = c["buy-h100.capacity_qps_per_chip"].central
    double = option_unit_cost(chatgpt, "buy-h100", {"buy-h100.capacity_qps_per_chip": 2 * cap})
    assert double.chips == pytest.approx(base.chips / 2, rel=1e-12)
    assert double.cost_per_query_usd == pytest.approx(base.cost_per_query_usd / 2, rel=1e-12)
    # the sampled range is centred on the modelled capacity
    f = next(o.serving for o in chatgpt.options if o.id == "buy-h100")
    assert cap == pytest.approx(f["replica_capacity_per_s"] / f["chips_per_replica"], rel=1e-12)


def test_custom_chip_inputs_come_from_the_silicon_model(chatgpt: Any) -> None:
    rep = evaluate(load_design(DESIGN_DIR / "inference-asic-v5e-like.yaml"))
    c = chatgpt.strategy.ranges
    unit = c["build-asic.unit_cost_usd"].range
    assert unit.central == pytest.approx(rep.unit_cost_usd + rep.board_usd, rel=1e-12)
    assert unit.low < unit.central < unit.high
    nre = c["build-asic.nre_usd"].range
    assert nre.central == pytest.approx(rep.nre.total_usd - rep.nre.expected_respin_usd)
    sched = c["build-asic.schedule_months"].range
    assert sched.central == pytest.approx(rep.schedule.months_to_volume
                                          - rep.schedule.expected_respin_months)
    assert c["build-asic.tdp_w"].central == pytest.approx(rep.tdp_w)
    assert c["build-asic.respin_delay_months"].central == pytest.approx(
        rep.schedule.respin_delay_months)
    # an acquired team's next chip: half the NRE (the scenario's nre_scale central 0.5)
    assert c["acquire-chip-co.nre_usd"].central == pytest.approx(0.5 * nre.central)
    # the scale factors are folded in, not left as unused inputs
    assert not any(k.endswith(("_scale",)) for k in c)
    assert "build-asic.perf_ratio" not in c
    info = next(o for o in chatgpt.options if o.id == "build-asic")
    assert info.hardware == "inference-asic-v5e-like" and info.silicon is not None


def test_tp_candidates_hold_the_weights_within_the_domain() -> None:
    # GPT-3 175B in int8 is 175 GB: 2 x 80 GB is too small, 4 fits; the HGX domain is 8
    assert tp_candidates("gpt3-175b", "a100-sxm-80gb", "int8") == [4, 8]
    # 16 GB chips: 16 x 16 GB holds it; 64 does not divide the 96 heads, 128 neither
    design = str(DESIGN_DIR / "inference-asic-v5e-like.yaml")
    assert tp_candidates("gpt3-175b", design, "int8") == [16, 32]


def test_semianalysis_traffic_on_siliconomics_model() -> None:
    r = run_study("semianalysis-2023", draws=200, seed=0)
    assert r.reproduction is not None and r.own_model is not None
    om, rp = r.own_model, r.reproduction
    assert om.capacity_method == "serving" and rp.capacity_method == "flops"
    for v in (om.gpus, om.servers, om.usd_per_day, om.usd_per_query, om.utilisation_frac,
              om.capacity_qps_per_chip):
        assert math.isfinite(v) and v > 0
    # it is computed, not copied: the GPU count differs from the published assumption's
    assert abs(om.gpus / rp.gpus - 1) > 0.01
    # same $1/GPU-hour: cost per query is proportional to the GPUs
    assert om.usd_per_query / rp.usd_per_query == pytest.approx(om.gpus / rp.gpus, rel=1e-9)
    j = r.to_json()["own_model"]
    assert j["gpus_vs_published_frac"] == pytest.approx(om.gpus / rp.gpus)


def _write(tmp_path: Path, mutate: Any, name: str = "chatgpt-2023") -> Path:
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _opt(data: dict[str, Any], oid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in data["options"] if o["id"] == oid)
    return found


def test_bad_design_and_serving_inputs_name_file_and_field(tmp_path: Path) -> None:
    p = _write(tmp_path, lambda d: _opt(d, "build-asic").update(design="inference-asci"))
    with pytest.raises(UnknownIdError, match=r"bad.yaml.*build-asic.*design.*inference-asic"):
        load_scenario(p)
    p = _write(tmp_path, lambda d: _opt(d, "buy-h100").update(design="inference-asic-v5e-like"))
    with pytest.raises(CatalogError, match=r"buy-h100\)\.design: only build_asic"):
        load_scenario(p)
    p = _write(tmp_path, lambda d: _opt(d, "buy-h100")["capacity"].update(tp=[0]))
    with pytest.raises(CatalogError, match=r"buy-h100\)\.capacity\.tp: expected a list"):
        load_scenario(p)
    p = _write(tmp_path, lambda d: d["serving"].update(peak_to_mean={"value": 3, "source": "x" * 3}))
    with pytest.raises(CatalogError, match=r"serving\.peak_to_mean: must be in \[1, 2\)"):
        load_scenario(p)
    # a flops option needs the scenario's utilisation assumption
    def flops(d: dict[str, Any]) -> None:
        _opt(d, "buy-a100")["capacity"] = {"method": "flops", "dtype": "int8", "mfu_frac": {
            "value": 0.2, "source": "test value"}}
    with pytest.raises(CatalogError, match=r"traffic: missing utilisation_frac.*buy-a100"):
        load_scenario(_write(tmp_path, flops))


def test_bad_serving_block_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = _write(tmp_path, lambda d: d["serving"].update(n_request=10))
    res = cli("study", str(p), "--no-report", "--draws", "10")
    assert res.code == 2
    assert "serving: unknown field(s) n_request" in res.err and "Traceback" not in res.err
    with pytest.raises(CatalogError, match="slo: missing 'source'"):
        parse_serving_setup({"slo": {"ttft_s": 1.0}}, "x: serving")


def test_capacity_scale_widens_the_sampled_range(chatgpt: Any) -> None:
    c = chatgpt.strategy.ranges["rent-a100.capacity_qps_per_chip"].range
    scale = chatgpt.serving_setup.capacity_scale.range
    assert c.low / c.central == pytest.approx(scale.low) and c.high / c.central == pytest.approx(
        scale.high)
    # collapsing it gives the modelled value back in the cost per query
    s2 = replace_ranges(chatgpt, {"rent-a100.capacity_qps_per_chip": Range.point(c.central)})
    assert option_unit_cost(s2, "rent-a100").chips == option_unit_cost(chatgpt, "rent-a100").chips
