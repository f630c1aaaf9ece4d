"""What a person sees: tables that never cut an id or a number (at 80 columns and through a
pipe), ``--json`` on every list/show command, help text that keeps its units."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import click
import pytest
import typer

from conftest import REPO
from siliconomics import catalog
from siliconomics.cli import common

DESIGN = "src/siliconomics/catalog/data/designs/sram-lpu.yaml"
RAW_FLOAT = re.compile(r"\d{7,}\.\d")  # 85899345920.0: a base-unit float leaking out


@pytest.fixture
def cli80(cli, monkeypatch):  # type: ignore[no-untyped-def]
    """The in-process CLI on an 80-column console, from the repository root."""
    monkeypatch.setattr(common.console, "width", 80)
    monkeypatch.chdir(REPO)
    return cli


def _lines_fit(out: str, width: int = 80) -> None:
    too_long = [line for line in out.splitlines() if len(line) > width]
    assert not too_long, too_long


def test_hardware_list_shows_every_id_whole_at_80_columns(cli80) -> None:  # type: ignore[no-untyped-def]
    res = cli80("hardware", "list")
    assert res.code == 0, res.err
    assert "…" not in res.out
    _lines_fit(res.out)
    first_cells = {line.split()[0] for line in res.out.splitlines() if line.strip()}
    assert set(catalog.hardware_ids()) <= first_cells
    h100 = next(line for line in res.out.splitlines() if line.startswith("h100-sxm "))
    assert h100.split()[1:5] == ["989", "1,979", "85.9", "3.35"]  # bf16, fp8, GB, TB/s


def test_hardware_list_through_a_pipe_keeps_ids() -> None:
    """``siliconomics hardware list | cat``: no terminal, Rich's default 80 columns."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(REPO / "src")
    run = subprocess.run([sys.executable, "-m", "siliconomics.cli", "hardware", "list"],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "…" not in run.stdout
    _lines_fit(run.stdout)
    for hw_id in catalog.hardware_ids():
        assert re.search(rf"^{re.escape(hw_id)}\s", run.stdout, re.MULTILINE), hw_id


@pytest.mark.parametrize("args", [("models", "list"), ("hardware", "show", "h100-sxm"),
                                  ("hardware", "list", "--sources"),
                                  ("hardware", "show", DESIGN),
                                  ("chip", "compare", "h100-sxm", "tpu-v7-ironwood", DESIGN),
                                  ("chip", "show", DESIGN), ("models", "show", "deepseek-v3"),
                                  ("chip", "list"), ("chip", "show", "inference-asic-v5e-like")])
def test_tables_never_cut_ids_or_numbers(cli80, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    res = cli80(*args)
    assert res.code == 0, res.err
    assert "…" not in res.out
    assert not RAW_FLOAT.search(res.out), RAW_FLOAT.search(res.out)


def test_hardware_show_gives_units_and_sources(cli80) -> None:  # type: ignore[no-untyped-def]
    res = cli80("hardware", "show", "h100-sxm")
    rows = {line.split()[0]: line for line in res.out.splitlines() if line.strip()}
    assert re.search(r"memory_bytes\s+85\.9\s+GB\s+NVIDIA H100", rows["memory_bytes"])
    assert re.search(r"\s1,830\s+MHz\s", rows["clock_hz"])
    assert re.search(r"\s30,000\s+USD\s", rows["price_usd"])
    assert "(25,000-40,000)" in res.out  # the range, wrapped under its central value
    sourced = catalog.hardware("h100-sxm").sources
    assert len(sourced) > 15


def test_hardware_list_sources_has_a_source_per_value(cli80) -> None:  # type: ignore[no-untyped-def]
    res = cli80("hardware", "list", "--sources")
    assert res.code == 0, res.err
    for hw_id in catalog.hardware_ids():
        tdp = next(line for line in res.out.splitlines()
                   if line.startswith(f"{hw_id} ") and " tdp_w " in line)
        assert len(tdp.split()) >= 5, tdp  # id, field, value, unit, then the source


def _json_ids(data: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("id", "ref") and isinstance(value, str):
                found.add(value)
            found |= _json_ids(value)
    elif isinstance(data, list):
        for value in data:
            found |= _json_ids(value)
    return found


@pytest.mark.parametrize(("args", "ids"), [
    (("hardware", "list"), set(catalog.hardware_ids())),
    (("models", "list"), set(catalog.model_ids())),
    (("hardware", "show", "mi300x"), {"mi300x"}),
    (("hardware", "show", DESIGN), {"sram-lpu"}),
    (("models", "show", "mixtral-8x7b"), {"mixtral-8x7b"}),
    (("chip", "show", DESIGN), {"sram-lpu"}),
    (("chip", "compare", "h100-sxm", DESIGN), {"h100-sxm", DESIGN}),
    (("chip", "list"), {p.stem for p in (catalog.DATA_DIR / "designs").glob("*.yaml")}),
])
def test_json_on_every_list_and_show_command(cli80, args: tuple[str, ...],  # type: ignore[no-untyped-def]
                                             ids: set[str]) -> None:
    res = cli80(*args, "--json")
    assert res.code == 0, res.err
    assert ids <= _json_ids(res.json())


def test_every_list_and_show_command_has_json() -> None:
    names = [path for path, _ in _commands() if path[-1] in ("list", "show", "compare")]
    assert len(names) >= 6
    for path, command in _commands():
        if path[-1] in ("list", "show", "compare"):
            assert "--json" in {o for p in command.params for o in p.opts}, path


def _commands(group: click.Command | None = None,
              path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    from siliconomics.cli.main import app

    group = group or typer.main.get_command(app)
    subcommands = getattr(group, "commands", None)
    if subcommands is None:
        yield path, group
        return
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


UNIT = re.compile(r"\[[^\]\s]{1,20}\]")  # [s], [req/s], [TFLOP/s]


def test_help_keeps_units_in_brackets(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rich markup reads ``[s]`` as a style tag and dropped it ("Poisson arrivals .")."""
    monkeypatch.setenv("COLUMNS", "200")
    checked = 0
    for path, command in _commands():
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        units = [u for t in texts for u in UNIT.findall(t)]
        if not units:
            continue
        res = cli(*path, "--help")
        assert res.code == 0, (path, res.err)
        flat = " ".join(res.out.split())
        for unit in units:
            assert unit in flat, (path, unit)
            checked += 1
    assert checked >= 5
    assert "Poisson arrivals [req/s]." in " ".join(cli("serve", "--help").out.split())


def test_serve_takes_ep_and_predicts_default_dtype(cli) -> None:  # type: ignore[no-untyped-def]
    """``serve`` has ``--ep`` like ``predict``, and the same default weight dtype."""
    import inspect

    from siliconomics.cli import perf_cmds, serving_cmds

    serve_default = inspect.signature(serving_cmds.serve).parameters["dtype"].default
    predict_default = inspect.signature(perf_cmds.predict).parameters["dtype"].default
    assert serve_default == predict_default == "bf16"
    res = cli("serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "2",
              "--ep", "2", "--offline", "--requests", "40", "--input-tokens", "200",
              "--output-tokens", "20", "--json")
    assert res.code == 0, res.err
    dep = res.json()["deployment"]
    assert (dep["ep"], dep["weight_dtype"]) == (2, "bf16")
    bad = cli("serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--ep", "0",
              "--offline")
    assert bad.code == 2 and "--ep" in bad.err


def test_fleet_scenario_ids() -> None:
    from siliconomics.errors import UnknownIdError
    from siliconomics.resolve import fleet_scenario_ids, resolve_fleet_scenario
    from siliconomics.serving.fleet import load_fleet_scenario

    assert fleet_scenario_ids()
    for fleet_id in fleet_scenario_ids():
        scenario = load_fleet_scenario(resolve_fleet_scenario(fleet_id))
        assert scenario.traffic.queries_per_day > 0
    with pytest.raises(UnknownIdError, match=r"study scenario.*siliconomics fleet --scenario chatgpt-2023"):
        resolve_fleet_scenario("chatgpt-2023")
    with pytest.raises(UnknownIdError, match="Did you mean 'chat-llama3-70b-h100'"):
        resolve_fleet_scenario("chat-llama3")


def test_errors_and_warnings_keep_brackets(cli) -> None:  # type: ignore[no-untyped-def]
    """Errors print through a console with markup off: a message with ``[s]`` survives."""
    res = cli("hardware", "show", "[s]-chip")
    assert res.code == 2
    assert "'[s]-chip'" in res.err


def test_fleet_takes_a_study_scenario_id(cli) -> None:  # type: ignore[no-untyped-def]
    """``fleet --scenario semianalysis-2023``: the fleets the study sizes with the serving
    layer, one per option (the same sizing, through the fleet cache)."""
    res = cli("fleet", "--scenario", "semianalysis-2023", "--json")
    assert res.code == 0, res.err
    data = res.json()
    fleet = data["fleets"]["rent-a100-served"]
    assert fleet["chips_at_peak"] == fleet["replicas"] * fleet["chips_per_replica"] > 0
    assert 0 < fleet["utilisation_frac"] <= 1
    mixed = cli("fleet", "--scenario", "semianalysis-2023", "--seed", "3")
    assert mixed.code == 2 and "--seed" in mixed.err


def _entry(*args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """The ``siliconomics`` entry point in a new process (``before``: Python run first)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = str(REPO / "src")
    code = (f"{before}\nimport sys\nsys.argv = ['siliconomics', *{list(args)!r}]\n"
            "from siliconomics.cli.main import entry\nentry()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_exit_without_teardown_keeps_output_exit_code_and_exit_handlers() -> None:
    """The command ends without the interpreter's teardown (cli.main): everything printed
    arrives, the exit code is the command's, and exit handlers still run."""
    handler = "import atexit, sys\natexit.register(lambda: print('handler ran', file=sys.stderr))"
    ok = _entry("hardware", "list", before=handler)
    assert ok.returncode == 0, ok.stderr
    assert "handler ran" in ok.stderr
    for hw_id in catalog.hardware_ids():
        assert re.search(rf"^{re.escape(hw_id)}\s", ok.stdout, re.MULTILINE), hw_id
    bad = _entry("hardware", "show", "no-such-chip", before=handler)
    assert bad.returncode == 2
    assert "error:" in bad.stderr and "handler ran" in bad.stderr


def test_exit_with_a_thread_still_running_waits_for_it() -> None:
    """A non-daemon thread still running at the end: the normal exit, which joins it."""
    thread = ("import threading, time, sys\n"
              "threading.Thread(target=lambda: (time.sleep(0.5), "
              "print('thread done', file=sys.stderr))).start()")
    run = _entry("hardware", "list", before=thread)
    assert run.returncode == 0, run.stderr
    assert "thread done" in run.stderr
