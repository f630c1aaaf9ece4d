"""Contract test over every accelerator in the catalog (scikit-learn ``test_common`` style)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from siliconomics import catalog
from siliconomics.catalog.accelerator import load_accelerator_file
from siliconomics.catalog.sourced import Range
from siliconomics.errors import CatalogError, UnknownIdError

REQUIRED_IDS = {
    "h100-sxm", "a100-sxm-80gb", "h200-sxm", "b200", "gb200", "mi300x", "mi325x", "tpu-v5e",
    "tpu-v5p", "tpu-v6e", "tpu-v7-ironwood", "gaudi3", "trainium2", "maia-100", "mtia-v2",
    "groq-lpu",
}
IDS = catalog.hardware_ids()
HW_DIR = catalog.DATA_DIR / "hardware"
DOC = Path(__file__).resolve().parents[1] / "docs" / "catalog.md"


def _leaves(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every sourced leaf (a mapping with a value or a range) of a catalog YAML."""
    if isinstance(node, dict):
        if "value" in node or "low" in node:
            return [(path, node)]
        found = []
        for key, child in node.items():
            found += _leaves(child, f"{path}.{key}" if path else str(key))
        return found
    return []


def test_every_required_id_is_present() -> None:
    assert set(IDS) >= REQUIRED_IDS


@pytest.mark.parametrize("hw_id", IDS)
def test_loads_with_finite_positive_numbers(hw_id: str) -> None:
    chip = catalog.hardware(hw_id)
    assert chip.id == hw_id
    for value in (chip.memory_bytes, chip.memory_bandwidth_bytes_s, chip.tdp_w,
                  *chip.peak_flops_s.values()):
        assert math.isfinite(value) and value > 0
    assert chip.compute_units > 0
    for optional in (chip.clock_hz, chip.die_area_mm2, chip.transistors, chip.idle_power_w):
        assert optional is None or (math.isfinite(optional) and optional > 0)
    for value in (chip.sram_bytes, chip.scaleup_bandwidth_bytes_s,
                  chip.scaleout_bandwidth_bytes_s):
        assert math.isfinite(value) and value >= 0
    # Peaks in a sane band: 10 TFLOP/s .. 20 PFLOP/s per chip (dense; catches a unit slip).
    assert all(1e13 <= f <= 2e16 for f in chip.peak_flops_s.values())
    # A narrower format is never slower than bf16 on the same chip.
    bf16 = chip.peak("bf16")
    assert all(chip.peak_flops_s[d] >= bf16 for d in ("fp8", "int8", "fp4")
               if d in chip.peak_flops_s)


@pytest.mark.parametrize("hw_id", IDS)
def test_every_field_and_leaf_has_a_source(hw_id: str) -> None:
    chip = catalog.hardware(hw_id)
    assert chip.sources and all(len(s.strip()) >= 3 for s in chip.sources.values())
    data = yaml.safe_load((HW_DIR / f"{hw_id}.yaml").read_text())
    leaves = _leaves(data)
    assert leaves
    for path, leaf in leaves:
        assert isinstance(leaf.get("source"), str) and leaf["source"].strip(), path
    for name in ("peak_flops_s.bf16", "memory_bytes", "memory_bandwidth_bytes_s", "tdp_w",
                 "compute_units"):
        if name == "peak_flops_s.bf16" and "bf16" not in chip.peak_flops_s:
            continue
        assert name in chip.sources


@pytest.mark.parametrize("hw_id", IDS)
def test_ranges_are_ordered(hw_id: str) -> None:
    chip = catalog.hardware(hw_id)
    for rng in (chip.price_usd, chip.cloud_usd_per_hour):
        if rng is not None:
            assert isinstance(rng, Range) and 0 < rng.low <= rng.central <= rng.high


@pytest.mark.parametrize("hw_id", IDS)
def test_deleting_a_source_is_rejected_naming_field_and_file(hw_id: str, tmp_path: Path) -> None:
    data = yaml.safe_load((HW_DIR / f"{hw_id}.yaml").read_text())
    del data["memory_bandwidth_tb_s"]["source"]
    path = tmp_path / f"{hw_id}.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError) as info:
        load_accelerator_file(path)
    message = str(info.value)
    assert str(path) in message and "memory_bandwidth_tb_s.source" in message
    assert "\n" not in message


@pytest.mark.parametrize("bad", [0, -3.35])
@pytest.mark.parametrize("hw_id", IDS)
def test_non_positive_bandwidth_is_rejected_naming_the_field(
    hw_id: str, bad: float, tmp_path: Path
) -> None:
    data = yaml.safe_load((HW_DIR / f"{hw_id}.yaml").read_text())
    data["memory_bandwidth_tb_s"] = {"value": bad, "source": "test"}
    path = tmp_path / f"{hw_id}.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError, match=r"field 'memory_bandwidth_tb_s': must be between"):
        load_accelerator_file(path)


def test_unknown_id_lists_valid_ids_and_closest() -> None:
    with pytest.raises(UnknownIdError) as info:
        catalog.hardware("h100-sxn")
    message = str(info.value)
    assert "Did you mean 'h100-sxm'" in message
    assert all(i in message for i in REQUIRED_IDS)


def test_reference_values_a100() -> None:
    # NVIDIA A100 80GB datasheet / whitepaper figures, exact (they are copied, not derived).
    chip = catalog.hardware("a100-sxm-80gb")
    assert chip.memory_bandwidth_bytes_s == pytest.approx(2.039e12)
    assert chip.memory_bytes == 80 * 2**30
    assert chip.peak_flops_s["bf16"] == pytest.approx(312e12)
    assert chip.peak_flops_s["int8"] == pytest.approx(624e12)
    assert chip.compute_units == 108 and chip.clock_hz == pytest.approx(1.41e9)


def test_groq_memory_is_its_230_mb_sram() -> None:
    chip = catalog.hardware("groq-lpu")
    assert chip.memory_bytes == pytest.approx(230e6, rel=1e-3)
    assert chip.memory_kind == "SRAM" and chip.memory_bandwidth_bytes_s == pytest.approx(80e12)


def test_doc_table_agrees_with_the_yaml() -> None:
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 8 and re.fullmatch(r"`[a-z0-9.-]+`", cells[0]):
            rows[cells[0].strip("`")] = cells
    assert set(rows) == set(IDS)
    for hw_id, cells in rows.items():
        chip = catalog.hardware(hw_id)
        expected = _doc_row(chip)
        assert cells[: len(expected)] == expected, hw_id


def _fmt(value: float | None, scale: float, digits: int) -> str:
    return "-" if value is None else f"{value / scale:,.{digits}f}"


def _doc_row(chip: Any) -> list[str]:
    """The catalog.md row for a chip (same formatting as the hand-written table)."""
    price = chip.price_usd.central if chip.price_usd else None
    cloud = chip.cloud_usd_per_hour.central if chip.cloud_usd_per_hour else None
    return [f"`{chip.id}`", _fmt(chip.peak_flops_s.get("bf16") or chip.peak("bf16"), 1e12, 0),
            _fmt(chip.peak_flops_s.get("fp8"), 1e12, 0), _fmt(chip.memory_bytes, 2**30, 1),
            _fmt(chip.memory_bandwidth_bytes_s, 1e12, 2), _fmt(chip.tdp_w, 1, 0),
            _fmt(price, 1e3, 1), _fmt(cloud, 1, 2)]


def test_cli_hardware_list(cli: Callable[..., Any]) -> None:
    result = cli("hardware", "list", "--json")
    assert result.code == 0
    assert {c["id"] for c in result.json()["hardware"]} == set(IDS)
    text = cli("hardware", "list")
    assert text.code == 0 and "mi300x" in text.out


def test_cli_hardware_show_json(cli: Callable[..., Any]) -> None:
    result = cli("hardware", "show", "h100-sxm", "--json")
    assert result.code == 0
    data = result.json()
    assert data["compute_units"] == 132 and data["memory_bandwidth_bytes_s"] == 3.35e12
    assert data["sources"]["tdp_w"]


def test_cli_hardware_show_user_yaml(cli: Callable[..., Any], tmp_path: Path) -> None:
    data = yaml.safe_load((HW_DIR / "h100-sxm.yaml").read_text())
    data["id"] = "my-h100"
    data["tdp_w"] = {"value": 500, "source": "our power-capped fleet"}
    path = tmp_path / "my-h100.yml"
    path.write_text(yaml.safe_dump(data))
    result = cli("hardware", "show", str(path), "--json")
    assert result.code == 0, result.err
    assert result.json()["id"] == "my-h100" and result.json()["tdp_w"] == 500


def test_cli_unknown_id_exits_2_with_one_line(cli: Callable[..., Any]) -> None:
    result = cli("hardware", "show", "mi300")
    assert result.code == 2
    assert "Did you mean" in result.err and "mi300x" in result.err
    assert result.err.strip().count("\n") == 0


# --- bad user files found by hand in the review pass (each was a traceback or accepted) ---
@pytest.mark.parametrize(("field", "value", "match"), [
    ("memory_bandwidth_tb_s", float("inf"), r"memory_bandwidth_tb_s\.value': must be a finite"),
    ("memory_bandwidth_tb_s", float("nan"), r"memory_bandwidth_tb_s\.value': must be a finite"),
    ("memory_bandwidth_tb_s", "fast", r"'memory_bandwidth_tb_s': expected a number, got 'fast'"),
    ("compute_units", 13.7, r"'compute_units': must be a whole number, got 13\.7"),
    ("process_node", "N99", r"'process_node': unknown process node 'N99'"),
])
def test_bad_user_hardware_file_one_line_error(
    cli: Callable[..., Any], tmp_path: Path, field: str, value: Any, match: str
) -> None:
    data = yaml.safe_load((HW_DIR / "h100-sxm.yaml").read_text())
    data[field] = {"value": value, "source": "test"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError, match=match) as info:
        load_accelerator_file(path)
    assert str(path) in str(info.value)
    result = cli("hardware", "show", str(path))
    assert result.code == 2 and result.out == "" and result.err.strip().count("\n") == 0


def test_unpublished_process_node_is_accepted() -> None:
    # TPUs and Trainium2 do not publish their node (economics-sources.md s.2d).
    assert catalog.hardware("tpu-v5e").process_node == "unpublished"
