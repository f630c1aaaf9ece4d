"""Chip designs: derived spec, H100 unit cost, example designs, CLI and bad input."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from siliconomics.catalog.index import DATA_DIR
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import ChipDesign, load_design
from siliconomics.silicon.vectorised import evaluate_arrays, node_arrays, random_designs

DESIGNS = sorted((DATA_DIR / "designs").glob("*.yaml"))

# GH100 as a design, from the NVIDIA H100 whitepaper (2022): 144 SMs of which 132 enabled,
# 2048 dense bf16 MACs/clk per SM, 1830 MHz boost, 6 HBM3 stacks with 5 enabled (80 GB,
# 3.35 TB/s), 60 MB L2 (62.9 MB), NVLink4 18 x2 lanes at 100 Gb/s, PCIe 5 x16, CoWoS-S.
H100_DESIGN: dict[str, Any] = {
    "type": "chip-design", "id": "h100-like", "name": "H100 as a design", "kind": "gpu",
    "process_node": "4N", "clock_mhz": 1830,
    "compute": {"units": 144, "enabled_units": 132,
                "macs_per_cycle": {"bf16": 2048, "fp8": 4096}, "vector_lanes": 320,
                "local_sram_kib": 512},
    "sram": {"mb": 62.9},
    "memory": {"kind": "HBM3", "devices": 6, "enabled_devices": 5,
               "capacity_gib_per_device": 16, "bandwidth_gb_s_per_device": 670},
    "scaleup": {"lanes": 36, "gbps_per_lane": 100, "domain_chips": 8},
    "host": {"lanes": 16, "gbps_per_lane": 32},
    "packaging": {"kind": "cowos-s"}, "tdp_w": 700,
}


def write(tmp_path: Path, data: dict[str, Any], name: str = "chip.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in changes.items():
        if "__" in key:
            group, field = key.split("__")
            out[group] = dict(out[group]) | {field: value}
        else:
            out[key] = value
    return out


def test_h100_unit_cost_in_published_range(tmp_path: Path) -> None:
    # economics-sources.md s.2e: H100 BOM $3,320 (Raymond James), Epoch $4.3k central with
    # 90 % CI $2.5-7.9k; brief: within $2.5k-7.9k, central about $3.3k-4.3k.
    r = evaluate(load_design(write(tmp_path, H100_DESIGN)), "h100")
    assert 2_500 <= r.unit_cost_usd <= 7_900
    assert 3_300 <= r.unit_cost_usd <= 4_300
    parts = r.cost
    assert float(parts.memory_usd) > float(parts.silicon_usd)  # HBM dominates, as in the BOMs
    total = (float(parts.silicon_usd) + float(parts.memory_usd) + float(parts.packaging_usd)
             + float(parts.assembly_loss_usd) + float(parts.test_usd))
    assert total == pytest.approx(r.unit_cost_usd, rel=1e-12)
    assert r.unit_cost_range_usd.low < r.unit_cost_usd < r.unit_cost_range_usd.high
    assert r.die_area_mm2 == pytest.approx(814, rel=0.10)


def test_design_runs_through_resolve_accelerator(tmp_path: Path) -> None:
    from siliconomics.resolve import resolve_accelerator

    path = write(tmp_path, H100_DESIGN)
    acc = resolve_accelerator(str(path))
    assert acc.peak_flops_s["bf16"] == 132 * 2048 * 2 * 1830e6
    assert acc.memory_bytes == 80 * 2**30
    assert acc.memory_bandwidth_bytes_s == pytest.approx(3.35e12)
    assert acc.compute_units == 132
    assert "derived from design" in acc.sources["peak_flops_s.bf16"]
    assert acc.process_node == "4N" and acc.die_area_mm2 and acc.tdp_w == 700


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 512), st.integers(1, 65536), st.floats(100, 3000), st.integers(0, 100))
def test_peak_is_exactly_units_macs_2_clock(units: int, macs: int, clock_mhz: float,
                                            spare_pct: int) -> None:
    enabled = max(1, units - units * spare_pct // 1000)
    d = ChipDesign.model_validate(with_(
        H100_DESIGN, clock_mhz=clock_mhz,
        compute={"units": units, "enabled_units": enabled, "macs_per_cycle": {"bf16": macs}}))
    assert d.peak_flops_s()["bf16"] == enabled * macs * 2 * (clock_mhz * 1e6)


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_example_designs_evaluate(path: Path) -> None:
    r = evaluate(load_design(path), str(path))
    values = [r.die_area_mm2, r.unit_cost_usd, r.nre.total_usd, r.schedule.months_to_volume,
              r.tdp_w, *r.accelerator.peak_flops_s.values()]
    assert all(math.isfinite(v) and v > 0 for v in values)
    assert r.die_area_mm2 <= 858
    assert 24 <= r.schedule.months_to_volume <= 72
    assert 1e8 <= r.nre.total_usd <= 3e9  # IBS-scale full-chip NRE (economics-sources.md s.3a)


def test_three_example_designs_shipped() -> None:
    kinds = {load_design(p).memory.kind for p in DESIGNS}
    assert len(DESIGNS) >= 3 and "none" in kinds and any(k.startswith("HBM") for k in kinds)


def test_overrides_replace_defaults(tmp_path: Path) -> None:
    base = evaluate(load_design(write(tmp_path, H100_DESIGN)), "h100")
    cheap = evaluate(load_design(write(tmp_path, with_(
        H100_DESIGN, cost={"wafer_price_usd": 1000.0, "memory_usd_per_gb": 1.0},
        nre={"sw_engineer_years": 0.0, "respin_probability": 0.0},
        schedule={"frontend_months": 6.0}), "b.yaml")), "b")
    assert cheap.unit_cost_usd < base.unit_cost_usd
    assert cheap.nre.sw_labour_usd == 0 and cheap.nre.expected_respin_usd == 0
    assert cheap.schedule.months_to_volume < base.schedule.months_to_volume


def test_chiplets_split_over_reticle(tmp_path: Path) -> None:
    big = with_(H100_DESIGN, compute=dict(H100_DESIGN["compute"]) | {"units": 288,
                "enabled_units": 264}, packaging={"kind": "cowos-l", "dies": "auto"})
    r = evaluate(load_design(write(tmp_path, big)), "big")
    assert r.dies == 2 and r.die_area_mm2 <= 858 and r.warnings


# --- CLI ----------------------------------------------------------------------------------
def test_chip_show_json(cli: Callable[..., Any], tmp_path: Path) -> None:
    res = cli("chip", "show", str(write(tmp_path, H100_DESIGN)), "--json")
    assert res.code == 0, res.err
    data = res.json()
    assert data["die_area_mm2"] == pytest.approx(814, rel=0.1)
    band = data["die_area_range_mm2"]
    assert band["low"] < band["central"] == data["die_area_mm2"] < band["high"]
    assert 3_300 <= data["unit_cost_usd"] <= 4_300
    assert {"matrix_mm2", "global_sram_mm2", "memory_phy_mm2"} <= set(data["area_breakdown_mm2"])
    assert {"good_die_usd", "memory_usd", "packaging_usd", "test_usd"} <= set(
        data["cost_breakdown_usd"])
    assert data["nre_usd"]["total_usd"] > 0 and data["schedule_months"]["months_to_volume"] > 0


def test_unit_cost_range_carries_the_area_models_held_out_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The low and high unit costs price the die at the ends of the area model's error on dies
    # it was not fitted to (area_model.yaml held_out_error_frac); the report shows that band.
    from dataclasses import replace

    from siliconomics.catalog.sourced import Range
    from siliconomics.silicon import area as area_model

    design = load_design(write(tmp_path, H100_DESIGN))
    r = evaluate(design, "h100")
    c = area_model.coefficients()
    band = r.die_area_range_mm2
    assert band.central == r.die_area_mm2
    assert band.low == pytest.approx(r.die_area_mm2 / (1 + c.held_out_error_frac.high))
    assert band.high == pytest.approx(r.die_area_mm2 / (1 + c.held_out_error_frac.low))
    exact = replace(c, held_out_error_frac=Range.point(0.0))
    monkeypatch.setattr(area_model, "coefficients", lambda: exact)
    without = evaluate(design, "h100")
    assert without.unit_cost_usd == r.unit_cost_usd  # the central case is unchanged
    assert r.unit_cost_range_usd.low < without.unit_cost_range_usd.low
    assert r.unit_cost_range_usd.high > without.unit_cost_range_usd.high
    assert without.die_area_range_mm2.low == without.die_area_range_mm2.high == r.die_area_mm2


def test_chip_show_table_and_compare(cli: Callable[..., Any]) -> None:
    res = cli("chip", "show", str(DESIGNS[0]))
    assert res.code == 0 and "Unit cost" in res.out
    res = cli("chip", "compare", str(DESIGNS[0]), "h100-sxm", "--json")
    assert res.code == 0, res.err
    rows = res.json()["chips"]
    assert rows[0]["unit_cost_usd"] > 0 and rows[1]["price_usd"] == 30_000


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        ({"compute__units": 400, "packaging": {"kind": "organic"}, "memory": {
            "kind": "LPDDR5", "devices": 16}}, "packaging", "reticle"),
        ({"compute__units": 400, "compute__enabled_units": 380}, "packaging", "858"),
        ({"process_node": "N9"}, "process_node", "Valid"),
        ({"compute__units": 0, "compute__enabled_units": None}, "compute.units", "greater than 0"),
        ({"memory": {"kind": "none"}, "sram": {"mb": 100, "bandwidth_tb_s": 20},
          "scaleup": None}, "memory", "llama3-8b"),
        # review pass: an infinite clock was accepted and gave a null TDP
        ({"clock_mhz": float("inf")}, "clock_mhz", "finite"),
        ({"compute__macs_per_cycle": {"bf16": float("nan")}}, "compute", "nan"),
    ],
    ids=["over-reticle-organic", "over-reticle-monolithic", "unknown-node", "zero-units",
         "memory-too-small", "infinite-clock", "nan-macs"],
)
def test_bad_designs_exit_2_with_one_line(cli: Callable[..., Any], tmp_path: Path,
                                          change: dict[str, Any], field: str,
                                          needle: str) -> None:
    data = with_(H100_DESIGN, **change)
    data = {k: v for k, v in data.items() if v is not None}
    data["compute"] = {k: v for k, v in data["compute"].items() if v is not None}
    path = write(tmp_path, data)
    res = cli("chip", "show", str(path))
    assert res.code == 2
    msg = " ".join(res.err.split())
    assert str(path.name) in msg and field in msg and needle in msg
    assert "Traceback" not in res.err


# --- vectorised ---------------------------------------------------------------------------
def test_vectorised_matches_scalar_and_is_fast(tmp_path: Path) -> None:
    scalar = evaluate(load_design(write(tmp_path, with_(H100_DESIGN, memory={
        "kind": "HBM3", "devices": 6, "capacity_gib_per_device": 16}))), "h")
    one = evaluate_arrays(
        units=np.array([144.0]), enabled_units=np.array([132.0]),
        macs_bf16_per_unit=np.array([2048.0]), vector_lanes_per_unit=np.array([320.0]),
        local_sram_bytes_per_unit=np.array([512 * 1024.0]), global_sram_bytes=np.array([62.9e6]),
        clock_hz=np.array([1830e6]), hbm_stacks=np.array([6.0]), hbm_gib_per_stack=np.array([16.0]),
        serdes_lanes=np.array([36.0]), nodes=node_arrays(["4N"]), kind="gpu")
    assert one.die_area_mm2[0] == pytest.approx(scalar.die_area_mm2, rel=1e-9)
    assert one.unit_cost_usd[0] == pytest.approx(scalar.unit_cost_usd, rel=1e-9)
    assert one.peak_bf16_flops_s[0] == scalar.accelerator.peak_flops_s["bf16"]
    n = 100_000
    params = random_designs(n, seed=3)
    nodes = node_arrays((["N7", "N5", "N3", "4N"] * n)[:n])
    start = time.perf_counter()
    out = evaluate_arrays(**params, nodes=nodes)
    rate = n / (time.perf_counter() - start)
    assert np.all(np.isfinite(out.unit_cost_usd)) and np.all(out.die_area_mm2 > 0)
    assert rate > 100_000  # benchmarks/bench_silicon.py measures ~1.4M/s on this machine


def test_chip_show_of_a_catalog_id_says_what_to_use(cli: Callable[..., Any]) -> None:
    res = cli("chip", "show", "h100-sxm")
    assert res.code == 2 and res.out == ""
    assert "catalog chip" in res.err and "hardware show h100-sxm" in res.err


def test_chip_compare_shows_no_bf16_peak_for_a_chip_without_bf16(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    # review pass: an fp8-only design showed its fp8 rate in the bf16 column
    data = yaml.safe_load((DATA_DIR / "designs" / "inference-asic-v5e-like.yaml").read_text())
    data["compute"]["macs_per_cycle"] = {"fp8": 32768}
    path = write(tmp_path, data)
    res = cli("chip", "compare", str(path), "groq-lpu", "--json")
    assert res.code == 0, res.err
    rows = res.json()["chips"]
    assert rows[0]["bf16_tflops"] is None
    assert rows[1]["bf16_tflops"] == pytest.approx(188.0)  # Groq's fp16 peak (docs/catalog.md)
