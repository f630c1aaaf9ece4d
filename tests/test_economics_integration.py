"""Economics wired to the serving, performance and silicon layers on chatgpt-2023: capacity
per chip and utilisation from the serving layer's fleet sizing (with the response surface
over token lengths), custom chips from the silicon model, and SemiAnalysis's traffic priced
on siliconomics's own model. Fleets are cached per process, so the scenario is resolved once
here and reused by the CLI and report tests in the same worker."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from siliconomics.catalog.sourced import Range
from siliconomics.economics.capacity import tp_candidates
from siliconomics.economics.custom_chip import DESIGN_DIR
from siliconomics.economics.montecarlo import tornado
from siliconomics.economics.resolve import with_ranges
from siliconomics.economics.scenario import load_scenario
from siliconomics.economics.study import as_scenario, option_unit_cost, run_study
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import load_design

CUSTOM_OPTIONS = ("build-asic", "acquire-chip-co", "partner-design")
DESIGN = "inference-asic-hbm3-96gb"


@pytest.fixture(scope="module")
def chatgpt() -> Any:
    return as_scenario("chatgpt-2023")


def test_loading_is_a_pure_parse() -> None:
    # no serving simulation and no silicon model at load: it is fast and typed
    import time

    t0 = time.perf_counter()
    spec = load_scenario("chatgpt-2023")
    assert time.perf_counter() - t0 < 1.0
    assert spec.as_of == "2023-01" and spec.options[0].type == "buy_gpu"
    with pytest.raises(Exception, match="frozen"):
        spec.id = "x"  # type: ignore[misc]


def test_generations_are_sized_by_the_serving_layer(chatgpt: Any) -> None:
    ranges = chatgpt.strategy.ranges
    buy = chatgpt.strategy.option("buy-gpu")
    for gen in buy.generations:
        f = gen.serving
        assert gen.capacity_method == "serving"
        assert f is not None and f["chips_at_peak"] == f["replicas"] * f["chips_per_replica"]
        assert 0 < f["utilisation_frac"] < 1 / 1.5
        ok = [t["chips"] for t in f["tp_tried"] if t["chips"] is not None]
        assert f["chips_at_peak"] == min(ok)
        cap = ranges[f"{gen.key}.capacity_qps_per_chip"].central
        assert cap == pytest.approx(f["replica_capacity_per_s"] / f["chips_per_replica"])
    # the economics' chips at today's demand are exactly the serving layer's A100 fleet
    a100 = next(g for g in buy.generations if g.label == "a100-sxm-80gb")
    uc = option_unit_cost(chatgpt, "buy-gpu")
    assert a100.serving is not None
    assert uc.chips == pytest.approx(a100.serving["chips_at_peak"], rel=1e-9)


def test_capacity_responds_to_token_lengths(chatgpt: Any) -> None:
    # the response surface: longer answers or prompts carry fewer queries per chip
    for gen in chatgpt.strategy.option("buy-gpu").generations:
        sf = gen.surface
        assert sf.s_per_output_token > 0 and sf.s_per_input_token >= 0
        assert float(sf.ratio(sf.input_tokens0, sf.output_tokens0)) == pytest.approx(1.0)
        assert float(sf.ratio(sf.input_tokens0, 2000.0)) < 1.0


def test_tornado_has_output_tokens_and_daily_users(chatgpt: Any) -> None:
    # issue 9: the sampled ranges of users and answer length must move the NPV
    _, bars = tornado(chatgpt.strategy, "buy-gpu", "partner-design", top=200)
    swing = {b.name: b.swing_usd for b in bars}
    assert swing["traffic.output_tokens_per_query"] > 1e6
    assert swing["traffic.daily_users"] > 1e6


def test_custom_chip_inputs_come_from_the_silicon_model(chatgpt: Any) -> None:
    rep = evaluate(load_design(DESIGN_DIR / f"{DESIGN}.yaml"))
    c = chatgpt.strategy.ranges
    unit = c["build-asic.unit_cost_usd"].range
    assert unit.central == pytest.approx(rep.unit_cost_usd + rep.board_usd, rel=1e-12)
    nre = c["build-asic.nre_usd"].range
    assert nre.central == pytest.approx(rep.nre.total_usd - rep.nre.expected_respin_usd)
    assert c["build-asic.tdp_w"].central == pytest.approx(rep.tdp_w)
    assert c["acquire-chip-co.nre_usd"].central == pytest.approx(0.5 * nre.central)
    assert not any(k.endswith("_scale") for k in c)
    # the design holds the model: GPT-3 175B int8 on 2-4 chips, not 16-32
    assert tp_candidates("gpt3-175b", str(DESIGN_DIR / f"{DESIGN}.yaml"), "int8")[0] <= 4


def test_study_answer_is_finite_and_reproducible(chatgpt: Any) -> None:
    a = run_study(chatgpt, draws=500, seed=7)
    b = run_study(chatgpt, draws=500, seed=7)
    for k in a.strategy.npv_usd:
        np.testing.assert_array_equal(a.strategy.npv_usd[k], b.strategy.npv_usd[k])
        assert math.isfinite(a.levelised_central_usd_per_query[k])
    assert {x.custom_option for x in a.break_even_by_option} == set(CUSTOM_OPTIONS)
    j = a.to_json()
    fleet = j["options"]["buy-gpu"]["fleet_by_vintage"]
    assert set(fleet) >= {"a100-sxm-80gb", "h100-sxm", "b200", "rented"}
    assert len(fleet["h100-sxm"]) == len(j["quarter_years"])


def test_collapsing_capacity_scale_keeps_the_modelled_chips(chatgpt: Any) -> None:
    key = "rent-gpu.a100-sxm-80gb.capacity_qps_per_chip"
    c = chatgpt.strategy.ranges[key].range
    scale = chatgpt.serving_setup.capacity_scale.range
    assert c.low / c.central == pytest.approx(scale.low)
    s2 = with_ranges(chatgpt, {key: Range.point(c.central)})
    assert option_unit_cost(s2, "rent-gpu").chips == option_unit_cost(chatgpt, "rent-gpu").chips


def test_semianalysis_traffic_on_siliconomics_model() -> None:
    r = run_study("semianalysis-2023", draws=200, seed=0)
    assert r.reproduction is not None and r.own_model is not None
    om, rp = r.own_model, r.reproduction
    assert om.capacity_method == "serving" and rp.capacity_method == "flops"
    for v in (om.gpus, om.servers, om.usd_per_day, om.usd_per_query, om.utilisation_frac,
              om.capacity_qps_per_chip):
        assert math.isfinite(v) and v > 0
    assert abs(om.gpus / rp.gpus - 1) > 0.01
    assert om.usd_per_query / rp.usd_per_query == pytest.approx(om.gpus / rp.gpus, rel=1e-9)
