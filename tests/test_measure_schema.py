"""The measurement-file schema: the shared ground truth loads; wrong shapes give one line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from siliconomics.errors import CatalogError
from siliconomics.measure import (
    E2eDecodeRow,
    E2ePrefillRow,
    RmsNormRow,
    SiluMulRow,
    catalog_dtype,
    load_measurements,
    parse_measurements,
)


def _minimal() -> dict[str, Any]:
    return {
        "meta": {"device": "cuda", "name": "Test GPU"},
        "models": {"tiny": {"layers": 2, "hidden": 256, "q_heads": 4, "kv_heads": 2,
                            "head_dim": 64, "ffn": 512, "vocab": 1000, "dtype": "bf16",
                            "tied_embeddings": False}},
        "ceilings": {"copy_GBps_rw": 2400.0, "bf16_mm_TFLOPs": 700.0},
        "gemm": [{"name": "a", "M": 1, "K": 64, "N": 64, "dtype": "bf16", "ms": 0.01,
                  "weight_buffers": 4},
                 {"name": "a", "M": 16, "K": 64, "N": 64, "dtype": "bf16", "ms": 0.01,
                  "weight_buffers": 4}],
        "elementwise": [{"op": "rms_norm", "T": 4, "H": 64, "ms": 0.002},
                        {"op": "silu_mul", "T": 4, "F": 224, "ms": 0.002}],
        "e2e": [{"model": "tiny", "phase": "prefill", "B": 1, "S": 64, "ms": 1.0,
                 "mode": "eager"},
                {"model": "tiny", "phase": "decode", "B": 4, "L": 128, "ms": 0.5,
                 "mode": "cuda_graph"}],
    }


def _write(tmp_path: Path, data: Any, name: str = "m.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_shared_groundtruth_loads_with_every_section(groundtruth_path: Path) -> None:
    raw = json.loads(groundtruth_path.read_text())
    m = load_measurements(groundtruth_path)
    # Every row of every list section survives validation (nothing silently dropped).
    for section in ("gemm", "gemm_fp8", "attn_prefill", "attn_decode", "elementwise", "e2e",
                    "sdpa_backends"):
        assert len(getattr(m, section)) == len(raw[section]) > 0, section
    assert m.ceilings is not None and m.ceilings.fp8_mm_TFLOPs is not None
    assert m.ceilings.bf16_mm_TFLOPs == pytest.approx(raw["ceilings"]["bf16_mm_TFLOPs"])
    assert all(row.dtype == "fp8e4m3" for row in m.gemm_fp8)
    # Unions are resolved into their own row types.
    assert {type(r) for r in m.elementwise} == {RmsNormRow, SiluMulRow}
    assert {type(r) for r in m.e2e} == {E2ePrefillRow, E2eDecodeRow}
    # Every e2e row resolves to its architecture; the 8B block says Llama-3-8B's shape.
    for row in m.e2e:
        spec = m.model_of(row)
        assert spec.layers > 0
    spec = m.models["llama3-8b"]
    assert (spec.layers, spec.hidden, spec.kv_heads, spec.ffn) == (32, 4096, 8, 14336)
    assert spec.weights == "bf16"  # weights_dtype defaults to dtype
    # Backend rows that failed keep their error instead of a time.
    assert any(r.error and r.ms is None for r in m.sdpa_backends)


def test_minimal_file_loads_and_only_meta_is_required(tmp_path: Path) -> None:
    m = load_measurements(_write(tmp_path, _minimal()))
    assert len(m.gemm) == 2 and m.gemm[1].M == 16
    only_meta = load_measurements(_write(tmp_path, {"meta": {}}, "meta.json"))
    assert only_meta.gemm == [] and only_meta.ceilings is None and only_meta.models == {}


def test_unknown_keys_are_kept_for_newer_harnesses(tmp_path: Path) -> None:
    data = _minimal()
    data["future_section"] = [1, 2, 3]
    data["gemm"][0]["sm_clock_mhz"] = 1980
    m = load_measurements(_write(tmp_path, data))
    assert m.gemm[0].model_extra == {"sm_clock_mhz": 1980}


def test_weights_dtype_fp8_is_kept_and_maps_to_catalog_fp8(tmp_path: Path) -> None:
    data = _minimal()
    data["models"]["tiny"]["weights_dtype"] = "fp8e4m3"
    spec = load_measurements(_write(tmp_path, data)).models["tiny"]
    assert spec.weights == "fp8e4m3" and spec.dtype == "bf16"
    assert catalog_dtype(spec.weights) == "fp8"


def test_nan_in_a_measurement_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    data = copy.deepcopy(_minimal())
    data["gemm"][0]["ms"] = float("nan")
    path = _write(tmp_path, data, "h100.json")
    with pytest.raises(CatalogError, match=r"h100\.json: not valid JSON \(NaN is not a number"):
        load_measurements(path)


def test_empty_ceilings_block_of_a_failed_run_is_absent(tmp_path: Path) -> None:
    data = _minimal()
    data["ceilings"] = {}
    assert load_measurements(_write(tmp_path, data)).ceilings is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["gemm"][1].pop("M"), "gemm[1].M: field required"),
        (lambda d: d["gemm"][0].__setitem__("ms", 0), "gemm[0].ms: Input should be greater than 0"),
        (lambda d: d["gemm"][0].__setitem__("ms", -1.5), "gemm[0].ms"),
        (lambda d: d["gemm"][0].__setitem__("K", 64.5), "gemm[0].K"),
        (lambda d: d["gemm"][0].__setitem__("K", True), "gemm[0].K"),
        (lambda d: d["elementwise"][0].pop("H"), "elementwise[0].H: field required"),
        (lambda d: d["elementwise"][1].__setitem__("op", "gelu"), "elementwise[1]"),
        (lambda d: d["e2e"][1].pop("L"), "e2e[1].L: field required"),
        (lambda d: d["models"]["tiny"].pop("vocab"), "models.tiny.vocab: field required"),
        (lambda d: d["models"]["tiny"].__setitem__("kv_heads", 3), "models.tiny"),
        (lambda d: d.pop("meta"), "meta: field required"),
        (lambda d: d["ceilings"].pop("copy_GBps_rw"), "ceilings.copy_GBps_rw: field required"),
    ],
)
def test_wrong_shaped_file_gives_one_line_naming_file_section_row_field(
    tmp_path: Path, mutate: Any, expected: str
) -> None:
    data = copy.deepcopy(_minimal())
    mutate(data)
    path = _write(tmp_path, data, "h100.json")
    with pytest.raises(CatalogError) as info:
        load_measurements(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_e2e_model_missing_from_models_is_an_error(tmp_path: Path) -> None:
    data = _minimal()
    data["e2e"][0]["model"] = "llama3-70b"
    with pytest.raises(CatalogError, match=r"e2e\[0\]\.model: 'llama3-70b' is not described"):
        load_measurements(_write(tmp_path, data))
    data.pop("models")
    data["e2e"][0]["model"] = "tiny"
    with pytest.raises(CatalogError, match=r"e2e\[0\].*described: none"):
        load_measurements(_write(tmp_path, data))


def test_missing_and_non_json_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        load_measurements(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  'meta': oops\n}")
    with pytest.raises(CatalogError, match=r"bad\.json:2:3: not valid JSON"):
        load_measurements(bad)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"meta": {"device": "Gr\u00fcn"}}'.encode("latin-1"))
    with pytest.raises(CatalogError, match=r"latin\.json:1: not UTF-8 text"):
        load_measurements(latin)
    with pytest.raises(CatalogError, match="expected a JSON object"):
        load_measurements(_write(tmp_path, [1, 2], "list.json"))


def test_sdpa_row_needs_a_time_or_an_error() -> None:
    data = {"meta": {}, "sdpa_backends": [{"phase": "prefill", "backend": "MATH", "B": 1}]}
    with pytest.raises(CatalogError, match=r"sdpa_backends\[0\].*needs either 'ms' or 'error'"):
        parse_measurements(data, "x.json")
