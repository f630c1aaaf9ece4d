"""``siliconomics study``: the README's main job, its JSON keys, the report and CSVs, and bad
input (issues 8 and 9): one line naming file and field, exit 2, no traceback."""

from __future__ import annotations

import os
import re
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from economics_toy import toy_dict
from siliconomics.economics.scenario import SCENARIO_DIR

OPTION_KEYS = {"cost_per_query_usd", "levelised_usd_per_query", "cost_per_day_usd", "chips",
               "npv_mean_usd", "prob_best", "fleet_by_vintage"}


def _readme_main_command() -> list[str]:
    text = (REPO / "README.md").read_text()
    first = re.findall(r"```bash\n(.+?)\n```", text)[0]
    part = first.split("&&")[-1].strip()
    args = shlex.split(part)
    assert args[0] == "siliconomics"
    return args[1:]


def test_readme_main_job_runs_with_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = _readme_main_command()
    assert args[0] == "study"
    t0 = time.perf_counter()
    res = cli(*args, "--json", "--out", str(tmp_path))
    elapsed = time.perf_counter() - t0
    assert res.code == 0, res.err
    data = res.json()
    assert data["scenario"] == "chatgpt-2023"
    assert len(data["options"]) >= 5
    for option in data["options"].values():
        assert set(option) >= OPTION_KEYS
        assert option["cost_per_query_usd"] > 0 and option["chips"] > 0
        assert option["levelised_usd_per_query"] > 0
    strat = data["strategy"]
    assert strat["recommended"] in data["options"]
    assert abs(sum(strat["prob_best"].values()) - 1) < 1e-9
    assert {"break_even", "break_even_by_option", "tornado", "draws", "seed"} <= set(strat)
    assert len(strat["break_even_by_option"]) == 3
    for name in ("report.html", "options.csv", "fleet_by_vintage.csv", "levelised.csv",
                 "break_even.csv"):
        assert (tmp_path / name).stat().st_size > 50, name
    assert elapsed < 60  # end to end, the budget


def test_study_text_and_other_scenarios(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("study", "semianalysis-2023", "--draws", "500", "--out", str(tmp_path))
    assert res.code == 0, res.err
    assert "Recommended" in res.out and "Reproduction" in res.out


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _chatgpt() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SCENARIO_DIR / "chatgpt-2023.yaml").read_text())
    return data


def _bad_cases() -> dict[str, Any]:
    def roadmap_without_price(d: dict[str, Any]) -> None:
        d["options"][0]["roadmap"].append({"hardware": "h100-sxm", "available": "2024-01"})

    def cap_zero(d: dict[str, Any]) -> None:
        d["options"][0]["shortfall"] = "unserved"
        d["options"][0]["roadmap"][0]["supply_cap_chips_per_quarter"] = {
            "value": 0, "source": "test value"}

    return {
        "option type 'lease'": lambda d: d["options"][1].update(type="lease"),
        "must be >= 0": lambda d: d["options"][2]["params"].update(
            nre_usd={"value": -1.0, "source": "test value"}),
        "source": lambda d: d["traffic"].update(daily_users={"value": 5}),
        "unknown field 'servng'. Did you mean 'serving'?": lambda d: d.update(servng={}),
        "economics.pue: must be >= 1": lambda d: d.update(
            economics={"pue": {"value": 0, "source": "test value"}}),
        "service_life_years': must be > 0": lambda d: d.update(
            fleet={"service_life_years": {"value": -3, "source": "test value"}}),
        "roadmap[1].price_usd": roadmap_without_price,
        "supply_cap_chips_per_quarter: 0 for every generation": cap_zero,
    }


def test_bad_scenarios_exit_2_naming_file_and_field(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for expected, mutate in _bad_cases().items():
        data = toy_dict()
        mutate(data)
        res = cli("study", _write(tmp_path, data), "--draws", "10", "--no-report")
        assert res.code == 2, (expected, res.err)
        assert expected in res.err and "bad.yaml" in res.err, (expected, res.err)
        assert "Traceback" not in res.err and len(res.err.strip().splitlines()) == 1
    res = cli("study", "chatgpt-2042", "--no-report")
    assert res.code == 2 and "chatgpt-2023" in res.err


def test_custom_supply_cap_zero_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _chatgpt()
    data["options"][2]["params"]["supply_cap_chips_per_quarter"] = {"value": 0, "source": "x" * 4}
    res = cli("study", _write(tmp_path, data), "--draws", "10", "--no-report")
    assert res.code == 2 and "supply_cap_chips_per_quarter: 0 means" in res.err


def test_study_flags_checked_before_work(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("study", "--seed", "-1", "--no-report")
    assert res.code == 2 and "--seed: must be >= 0, got -1" in res.err
    res = cli("study", "--draws", "1000000000", "--no-report")
    assert res.code == 2 and "--draws: must be between 1 and 5,000,000" in res.err
    res = cli("study", "--workers", "0", "--no-report")
    assert res.code == 2 and "--workers: must be between 1 and 64, got 0" in res.err
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    t0 = time.perf_counter()
    res = cli("study", "--out", str(a_file))
    assert res.code == 2 and "is a file, not a folder" in res.err
    assert time.perf_counter() - t0 < 2.0  # refused before the study runs


def test_scenario_dated_2023_warns_about_a_later_price(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = toy_dict()
    data["options"][1]["roadmap"][0]["cloud_usd_per_hour"] = {
        "value": 2.49, "as_of": 2025, "source": "test value dated 2025"}
    res = cli("study", _write(tmp_path, data), "--draws", "50", "--no-report")
    assert res.code == 0, res.err
    assert "dated 2023 but uses rent.a100-sxm-80gb.cloud_usd_per_hour as of 2025" in res.err


def test_horizon_shorter_than_schedule_warns_on_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = toy_dict(horizon_years={"value": 1, "source": "test: one year"})
    res = cli("study", _write(tmp_path, data), "--draws", "50", "--no-report")
    assert res.code == 0, res.err
    assert "warning" in res.err and "never arrives" in res.err


def test_the_command_process_keeps_freed_arrays_instead_of_page_faulting_them_again() -> None:
    """entry() tunes glibc's malloc for the command's process: freeing and re-allocating
    ~1 MB NumPy temporaries (what the performance model does thousands of times in a study)
    must not page-fault them in afresh each time."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc malloc tuning is Linux-only")
    code = ("import resource, sys, numpy as np\n"
            "from siliconomics.cli.main import _keep_freed_memory\n"
            "if sys.argv[1] == 'tuned':\n    _keep_freed_memory()\n"
            "m = np.arange(8449.0)\n"
            "for _ in range(3):\n    (m / np.arange(1.0, 19.0)[:, None]).min(axis=0)\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "for _ in range(200):\n"
            "    a = m / np.arange(1.0, 19.0)[:, None]; b = np.ceil(a); c = a * b; d = c + a\n"
            "    del a, b, c, d\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("MALLOC_MMAP_THRESHOLD_", None)
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    faults = {mode: int(subprocess.run([sys.executable, "-c", code, mode], env=env, check=True,
                                       capture_output=True, text=True).stdout)
              for mode in ("default", "tuned")}
    assert faults["tuned"] * 20 < faults["default"], faults
