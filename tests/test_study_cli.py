"""``siliconomics study``: the README's main job, its JSON keys, the report, bad input."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import yaml

from conftest import REPO
from siliconomics.economics.scenario import SCENARIO_DIR

OPTION_KEYS = {"cost_per_query_usd", "cost_per_day_usd", "chips", "npv_mean_usd", "prob_best"}


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
    strat = data["strategy"]
    assert strat["recommended"] in data["options"]
    assert abs(sum(strat["prob_best"].values()) - 1) < 1e-9
    assert {"break_even", "tornado", "draws", "seed"} <= set(strat)
    assert (tmp_path / "report.html").exists() and (tmp_path / "options.csv").exists()
    assert elapsed < 60  # end to end, the budget


def test_study_text_and_other_scenarios(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("study", "semianalysis-2023", "--draws", "500", "--out", str(tmp_path))
    assert res.code == 0, res.err
    assert "Recommended" in res.out and "Reproduction" in res.out
    res = cli("study", "google-tpu-partner", "--draws", "500", "--json", "--no-report")
    assert res.code == 0
    assert res.json()["savings_usd_per_year"]["usd_per_year"] != 0


def _bad(tmp_path: Path, mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((SCENARIO_DIR / "chatgpt-2023.yaml").read_text())
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_bad_scenarios_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "option type": lambda d: d["options"][1].update(type="lease"),
        "must be >= 0": lambda d: d["options"][4]["params"].update(
            nre_usd={"value": -1.0, "source": "test value"}),
        "source": lambda d: d["traffic"].update(daily_users={"value": 5}),
    }
    for expected, mutate in cases.items():
        res = cli("study", _bad(tmp_path, mutate), "--draws", "10", "--no-report")
        assert res.code == 2, (expected, res.err)
        assert expected in res.err and "bad.yaml" in res.err
        assert "Traceback" not in res.err
    res = cli("study", "chatgpt-2042", "--no-report")
    assert res.code == 2 and "chatgpt-2023" in res.err


def test_horizon_shorter_than_schedule_warns_on_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _bad(tmp_path, lambda d: d.update(horizon_years={"value": 1, "source": "test"}))
    res = cli("study", path, "--draws", "50", "--no-report")
    assert res.code == 0
    assert "warning" in res.err and "never arrives" in res.err
