"""Issue 8's bad inputs at the input boundary, one named test each: exit 2, one line naming
the file or flag, the rule and the value, no traceback; a warning where the input is legal
but risky. (Scenario/study inputs are tested with the economics layer, calibration inputs
with the perf layer.)"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from siliconomics import catalog
from siliconomics.catalog.index import DATA_DIR
from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.workload.params import parameter_counts

Cli = Callable[..., Any]


def _clean_error(res: Any, *needles: str) -> str:
    """Exit 2, one line on stderr holding every needle, nothing on stdout, no traceback."""
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err and res.out == ""
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def _hardware(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load((DATA_DIR / "hardware" / "h100-sxm.yaml").read_text())
    data.update(changes)
    path = tmp_path / "my-chip.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# --- hardware files ------------------------------------------------------------------------------


def test_hardware_file_not_utf8(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes((DATA_DIR / "hardware" / "h100-sxm.yaml").read_bytes() + b"# caf\xe9\n")
    _clean_error(cli("hardware", "show", str(path)), str(path), "not UTF-8 text", "0xe9")


def test_hardware_file_of_50_mb_refused_at_once(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(b"id: x\n")
        handle.truncate(50 * 2**20)
    started = time.perf_counter()
    res = cli("hardware", "show", str(path))
    assert time.perf_counter() - started < 5.0
    _clean_error(res, str(path), "50.0 MiB", "5.0 MiB limit")


def test_hardware_negative_price(cli: Cli, tmp_path: Path) -> None:
    path = _hardware(tmp_path, price_usd={"value": -25000, "source": "typo"})
    _clean_error(cli("hardware", "show", str(path)), str(path), "field 'price_usd'", "-25000")


def test_hardware_scaleup_domain_of_zero(cli: Cli, tmp_path: Path) -> None:
    path = _hardware(tmp_path, scaleup_domain_chips={"value": 0, "source": "typo"})
    _clean_error(cli("serve", "--model", "llama3-8b", "--hardware", str(path), "--offline",
                     "--requests", "5"),
                 str(path), "field 'scaleup_domain_chips'", "got 0")


def test_hardware_unknown_key_names_closest(cli: Cli, tmp_path: Path) -> None:
    path = _hardware(tmp_path, tdp_watts={"value": 700, "source": "x"})
    _clean_error(cli("hardware", "show", str(path)), "unknown key 'tdp_watts'",
                 "did you mean 'tdp_w'?")


def test_hardware_yaml_syntax_error_gives_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nname: [unclosed\nvendor: y\n")
    line = _clean_error(cli("hardware", "show", str(path)), "not valid YAML")
    assert f"{path}:" in line


# --- Hugging Face config.json -------------------------------------------------------------------

LLAMA = {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
         "num_key_value_heads": 8, "num_hidden_layers": 32, "intermediate_size": 14336,
         "vocab_size": 128256}


def _hf(tmp_path: Path, **changes: Any) -> Path:
    folder = tmp_path / "my-model"
    folder.mkdir(exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps({**LLAMA, **changes}))
    return path


def test_hf_config_zero_attention_heads(cli: Cli, tmp_path: Path) -> None:
    path = _hf(tmp_path, num_attention_heads=0)
    _clean_error(cli("models", "show", str(path)), str(path), "field 'num_attention_heads'",
                 "must be >= 1", "got 0")


def test_hf_config_hidden_size_null(cli: Cli, tmp_path: Path) -> None:
    path = _hf(tmp_path, hidden_size=None)
    _clean_error(cli("models", "show", str(path)), str(path), "field 'hidden_size'",
                 "whole number", "got None")


def test_hf_config_hidden_size_not_a_number(cli: Cli, tmp_path: Path) -> None:
    path = _hf(tmp_path, hidden_size="8192x")
    _clean_error(cli("models", "show", str(path)), "field 'hidden_size'", "'8192x'")


def test_hf_config_mamba_refused_with_supported_list(cli: Cli, tmp_path: Path) -> None:
    path = _hf(tmp_path, model_type="mamba")
    _clean_error(cli("models", "show", str(path)), str(path), "'mamba' is not supported",
                 "llama", "qwen2_moe", "decoder-only transformers")


def test_hf_config_not_utf8(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"model_type": "llama", "name": "\xff"}')
    _clean_error(cli("models", "show", str(path)), "not UTF-8 text")


def test_hf_qwen_moe_shared_expert_matches_published_counts(tmp_path: Path) -> None:
    # Qwen/Qwen1.5-MoE-A2.7B config.json values; its model card: "14.3B parameters in total
    # and 2.7B activated parameters during runtime". Without the shared expert the counts
    # were 13.5B / 1.9B. Tolerance 1%: the card rounds to one decimal.
    config = {
        "model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632,
        "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
        "num_experts": 60, "num_experts_per_tok": 4, "num_hidden_layers": 24,
        "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 151936,
        "tie_word_embeddings": False, "max_position_embeddings": 8192,
        "decoder_sparse_step": 1, "mlp_only_layers": [], "norm_topk_prob": False,
    }
    path = tmp_path / "qwen1.5-moe-a2.7b.json"
    path.write_text(json.dumps(config))
    counts = parameter_counts(catalog.model(str(path)))
    assert counts.total / 1e9 == pytest.approx(14.3, rel=0.01)
    assert counts.active / 1e9 == pytest.approx(2.7, rel=0.01)


def test_hf_qwen_moe_dense_layers_from_sparse_step(tmp_path: Path) -> None:
    config = {"model_type": "qwen2_moe", "hidden_size": 64, "intermediate_size": 128,
              "moe_intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 2,
              "num_hidden_layers": 6, "num_attention_heads": 4, "vocab_size": 100,
              "decoder_sparse_step": 2, "mlp_only_layers": [1]}
    path = tmp_path / "q.json"
    path.write_text(json.dumps(config))
    arch = catalog.model(str(path))
    # sparse layers: (i + 1) % 2 == 0 -> 1, 3, 5; layer 1 is dense-only -> 2 sparse, 4 dense
    assert arch.moe is not None and arch.moe.dense_layers == 4 and arch.moe.shared_experts == 0


# --- chip designs -------------------------------------------------------------------------------


def _design(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load((DATA_DIR / "designs" / "inference-asic-v5e-like.yaml").read_text())
    data.update(changes)
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_chip_design_clock_of_1e9_mhz(cli: Cli, tmp_path: Path) -> None:
    path = _design(tmp_path, clock_mhz=1e9)
    _clean_error(cli("chip", "show", str(path)), str(path), "field 'clock_mhz'",
                 "less than or equal to 10000", "1000000000")


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("clock_mhz", 0, "greater than or equal to 1"),
    ("tdp_w", 1e9, "less than or equal to 100000"),
    ("clock_mhz", "fast", "valid number"),
])
def test_chip_design_absurd_values(tmp_path: Path, field: str, value: Any, rule: str) -> None:
    from siliconomics.silicon.design import load_design

    path = _design(tmp_path, **{field: value})
    with pytest.raises(CatalogError, match=f"field '{field}': .*{rule}"):
        load_design(path)


# --- traces -------------------------------------------------------------------------------------

SERVE = ("serve", "--model", "llama3-8b", "--hardware", "h100-sxm")


def test_trace_not_utf8(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,\xff\n")
    _clean_error(cli(*SERVE, "--trace", str(path)), f"trace {path}:2: not UTF-8 text")


def test_trace_all_zero_output_tokens_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,0\n0.5,100,0\n")
    _clean_error(cli(*SERVE, "--trace", str(path)), str(path), "GeneratedTokens",
                 "every request has 0 output tokens")


def test_trace_some_zero_output_tokens_warns_and_never_prints_nan(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"{i * 0.2},100,{0 if i % 2 else 1}\n" for i in range(20))
    path = tmp_path / "t.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n" + rows)
    res = cli(*SERVE, "--trace", str(path))
    assert res.code == 0, res.err
    assert "10 of 20 requests have 0 output tokens" in res.err
    assert "TPOT is undefined" in res.err
    assert "nan" not in res.out.lower()
    assert "n/a" in res.out and "(TTFT only)" in res.out
    data = cli(*SERVE, "--trace", str(path), "--json").json()
    assert data["latency"]["tpot_s"]["p99"] is None


# --- size knobs, seeds, output paths ------------------------------------------------------------


def test_serve_requests_100_million_refused_at_once(cli: Cli) -> None:
    started = time.perf_counter()
    res = cli(*SERVE, "--rate", "5", "--requests", "100000000")
    assert time.perf_counter() - started < 5.0
    _clean_error(res, "--requests 100,000,000", "limit of 1,000,000")


def test_trace_generate_100_million_refused_at_once(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    res = cli("trace", "generate", "-o", str(out), "--requests", "100000000")
    _clean_error(res, "--requests 100,000,000", "limit of 10,000,000")
    assert not out.exists()


def test_request_limits_are_in_the_option_help(cli: Cli) -> None:
    assert "1,000,000" in " ".join(cli(*SERVE[:1], "--help").out.split())
    assert "10,000,000" in " ".join(cli("trace", "generate", "--help").out.split())


def test_serve_seed_minus_one(cli: Cli) -> None:
    _clean_error(cli(*SERVE, "--rate", "5", "--requests", "10", "--seed", "-1"),
                 "--seed", ">= 0", "-1")


def test_trace_generate_into_a_folder_refused_before_work(cli: Cli, tmp_path: Path) -> None:
    _clean_error(cli("trace", "generate", "-o", str(tmp_path)), str(tmp_path), "is a folder")


def test_serve_plot_into_missing_folder(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "nope" / "p.png"
    _clean_error(cli(*SERVE, "--offline", "--requests", "5", "--plot", str(target)),
                 "--plot", "does not exist")


# --- fleet scenario files -----------------------------------------------------------------------

FLEET = ("traffic: {daily_users: 5, queries_per_user_per_day: 1}\n"
         "deployment: {model: llama3-8b, hardware: h100-sxm}\n")


def test_fleet_scenario_not_utf8(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(FLEET.encode() + b"# \xe9t\xe9\n")
    _clean_error(cli("fleet", "--scenario", str(path)), f"fleet scenario {path}:3: not UTF-8")


def test_fleet_scenario_misspelled_serving_key(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("servng:\n" + "".join("  " + ln + "\n" for ln in FLEET.splitlines()))
    _clean_error(cli("fleet", "--scenario", str(path)), "unknown key 'servng'",
                 "did you mean 'serving'?")


def test_fleet_scenario_misspelled_nested_key(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(FLEET.replace("daily_users", "daily_user"))
    _clean_error(cli("fleet", "--scenario", str(path)), "unknown key 'traffic.daily_user'",
                 "did you mean 'daily_users'?")


# --- measure ------------------------------------------------------------------------------------


class _NoCuda:
    __version__ = "2.13.0+cpu"

    class cuda:  # mirrors torch.cuda
        @staticmethod
        def is_available() -> bool:
            return False

    class version:  # mirrors torch.version
        cuda = None


def test_measure_without_gpu_points_to_smoke(cli: Cli, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from siliconomics.measure import harness

    monkeypatch.setattr(harness, "import_torch", lambda: _NoCuda)
    started = time.perf_counter()
    res = cli("measure", "-o", str(tmp_path / "m.json"))
    assert time.perf_counter() - started < 5.0
    _clean_error(res, "no GPU found", "--smoke")
    assert not (tmp_path / "m.json").exists()


def test_choose_device_smoke_is_cpu() -> None:
    from siliconomics.measure.harness import choose_device

    assert choose_device(_NoCuda, smoke=True) == "cpu"
    with pytest.raises(SiliconomicsError, match="built without CUDA"):
        choose_device(_NoCuda, smoke=False)


def test_capacity_requests_limit(cli: Cli) -> None:
    _clean_error(cli("capacity", "--model", "llama3-8b", "--hardware", "h100-sxm",
                     "--requests", "1000000"), "--requests 1,000,000", "limit of 100,000")


def test_accelerator_built_in_python_refuses_a_negative_price() -> None:
    from siliconomics.catalog.sourced import Range

    accel = catalog.hardware("h100-sxm")
    with pytest.raises(ValueError, match="price must be > 0"):
        accel.model_validate({**accel.model_dump(), "price_usd": Range.point(-1.0)})


@pytest.mark.parametrize("args", [
    ("study", "{path}", "--no-report"),
    ("predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--calibration", "{path}"),
])
def test_study_scenario_and_calibration_not_utf8(cli: Cli, tmp_path: Path,
                                                 args: tuple[str, ...]) -> None:
    # both read through the input boundary (catalog.sourced.read_yaml -> inputs.load_yaml)
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    _clean_error(cli(*(a.format(path=path) for a in args)), f"{path}:1: not UTF-8 text",
                 "0xe9")
