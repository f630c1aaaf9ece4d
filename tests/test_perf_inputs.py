"""Issue 8/10 bad inputs of the performance commands: one line, exit 2, or a one-line warning."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from siliconomics.perf.calibration import DEFAULT_CALIBRATION_PATH


def _measurements(tmp_path: Path, groundtruth: Path, **meta: object) -> Path:
    data = json.loads(groundtruth.read_text())
    data["meta"].update(meta)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    return path


def test_calibrate_refuses_cpu_smoke_data(cli, tmp_path: Path, groundtruth_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _measurements(tmp_path, groundtruth_path, smoke=True, device="cpu")
    for command in ("calibrate", "validate"):
        extra = ("-o", str(tmp_path / "c.yaml")) if command == "calibrate" else ()
        result = cli(command, str(path), "--hardware", "h100-sxm", *extra)
        assert result.code == 2, result.err
        assert "smoke" in result.err and "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_calibrate_refuses_another_chips_measurements(cli, tmp_path: Path, groundtruth_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _measurements(tmp_path, groundtruth_path)
    result = cli("calibrate", str(path), "--hardware", "a100-sxm-80gb", "-o", str(tmp_path / "c.yaml"))
    assert result.code == 2
    assert "meta.sms = 132" in result.err and "a100-sxm-80gb" in result.err


def test_ceilings_only_is_an_error_not_zero_percent(cli, tmp_path: Path, groundtruth_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(groundtruth_path.read_text())
    only = {"meta": data["meta"], "ceilings": data["ceilings"]}
    path = tmp_path / "ceilings.json"
    path.write_text(json.dumps(only))
    for command in ("calibrate", "validate"):
        extra = ("-o", str(tmp_path / "c.yaml")) if command == "calibrate" else ()
        result = cli(command, str(path), "--hardware", "h100-sxm", *extra)
        assert result.code == 2 and "only the 'ceilings'" in result.err, result.err
        assert "0.0%" not in result.out


def test_calibrate_output_into_a_folder_fails_before_fitting(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, groundtruth_path: Path) -> None:
    result = cli("calibrate", str(groundtruth_path), "--hardware", "h100-sxm", "-o", str(tmp_path))
    assert result.code == 2 and "is a folder" in result.err
    missing = cli("calibrate", str(groundtruth_path), "--hardware", "h100-sxm", "-o",
                  str(tmp_path / "nope" / "c.yaml"))
    assert missing.code == 2 and "does not exist" in missing.err


def test_predict_warns_when_tp_leaves_the_nvlink_domain(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("predict", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "16",
                 "--context", "1024", "--json")
    assert result.code == 0
    lines = [line for line in result.err.splitlines() if "warning" in line]
    assert len(lines) == 1 and "scale-up" in lines[0] and "16" in lines[0]
    quiet = cli("predict", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
                "--context", "1024", "--json")
    assert "warning" not in quiet.err


def test_a_calibration_at_its_fit_bounds_is_warned_about(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_CALIBRATION_PATH.read_text())
    data["kernel"]["gemm_bandwidth_frac"] = 0.3  # the fit's lower bound
    data["kernel"]["tile_operand_cost"] = 200.0  # the fit's upper bound
    path = tmp_path / "smoke-fit.yaml"
    path.write_text(yaml.safe_dump(data))
    result = cli("predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "512",
                 "--calibration", str(path), "--json")
    assert result.code == 0
    assert "warning: calibration" in result.err and "gemm_bandwidth_frac" in result.err
    clean = cli("predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "512",
                "--calibration", str(DEFAULT_CALIBRATION_PATH), "--json")
    assert "warning" not in clean.err


def test_stack_flag_errors_and_effect(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wrong = cli("predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "512",
                "--stack", "vllm-rocm")
    assert wrong.code == 2 and "vllm-rocm" in wrong.err and "NVIDIA" in wrong.err
    bad = dict(yaml.safe_load((DEFAULT_CALIBRATION_PATH.parent / "stacks" / "vllm-rocm.yaml")
                              .read_text()), attention_frac=1.5)
    path = tmp_path / "my-stack.yaml"
    path.write_text(yaml.safe_dump(bad))
    over = cli("predict", "--model", "llama3-8b", "--hardware", "mi300x", "--context", "512",
               "--stack", str(path))
    assert over.code == 2 and "my-stack.yaml" in over.err and "attention_frac" in over.err
    ref = cli("predict", "--model", "llama3-70b", "--hardware", "mi300x", "--context", "2048",
              "--batch", "128", "--dtype", "fp8", "--stack", "production", "--json").json()
    amd = cli("predict", "--model", "llama3-70b", "--hardware", "mi300x", "--context", "2048",
              "--batch", "128", "--dtype", "fp8", "--json").json()
    assert amd["stack"] == "vllm-rocm" and amd["step_s"] > ref["step_s"]


def test_serve_takes_stack_and_calibration(cli) -> None:  # type: ignore[no-untyped-def]
    args = ("serve", "--model", "llama3-8b", "--hardware", "mi300x", "--offline", "--requests",
            "200", "--input-tokens", "256", "--output-tokens", "64", "--json")
    auto = cli(*args).json()
    ref = cli(*args, "--stack", "production", "--calibration", str(DEFAULT_CALIBRATION_PATH)).json()
    assert auto["deployment"]["stack"]["id"] == "vllm-rocm"
    assert ref["deployment"]["stack"]["id"] == "production"
    assert auto["throughput"]["output_tokens_s"] < ref["throughput"]["output_tokens_s"]
    wrong = cli(*args, "--stack", "tensorrt-llm")
    assert wrong.code == 2 and "tensorrt-llm" in wrong.err


def test_fleet_takes_stack_from_the_scenario_or_the_flag(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scen = tmp_path / "s.yaml"
    scen.write_text("traffic: {daily_users: 1.0e5, queries_per_user_per_day: 10}\n"
                    "deployment: {model: llama3-8b, hardware: mi300x, tp: 1, stack: vllm-rocm}\n"
                    "slo: {ttft_s: 2.0, tpot_s: 0.1}\n")
    amd = cli("fleet", "--scenario", str(scen), "--json")
    assert amd.code == 0, amd.err
    assert amd.json()["deployment"]["stack"] == "vllm-rocm"
    ref = cli("fleet", "--scenario", str(scen), "--stack", "production", "--json").json()
    assert ref["deployment"]["stack"]["id"] == "production"
    assert ref["replica_capacity_per_s"] >= amd.json()["replica_capacity_per_s"]
    wrong = cli("fleet", "--scenario", str(scen), "--stack", "tensorrt-llm", "--json")
    assert wrong.code == 2 and "not defined for chip 'mi300x'" in wrong.err


def test_a_calibration_of_another_chip_is_named_in_a_warning(cli) -> None:  # type: ignore[no-untyped-def]
    args = ("predict", "--model", "llama3-8b", "--context", "512", "--calibration",
            str(DEFAULT_CALIBRATION_PATH), "--json")
    other = cli(*args, "--hardware", "mi300x")
    assert other.code == 0
    (line,) = [ln for ln in other.err.splitlines() if "fitted_hardware" in ln]
    assert str(DEFAULT_CALIBRATION_PATH) in line and "'h100-sxm'" in line and "mi300x" in line
    same = cli(*args, "--hardware", "h100-sxm")
    assert "fitted_hardware" not in same.err
