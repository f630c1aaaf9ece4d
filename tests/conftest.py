"""Shared fixtures: paths to the shared ground truth and a CLI runner."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# the siliconomics command keeps sized fleets on disk: tests (and the commands they start)
# use a throw-away directory, not the user's ~/.cache
if "SILICONOMICS_CACHE_DIR" not in os.environ:
    os.environ["SILICONOMICS_CACHE_DIR"] = tempfile.mkdtemp(prefix="siliconomics-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SILICONOMICS_CACHE_DIR"], True)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GROUNDTRUTH = SHARED / "groundtruth" / "h100.json"
POWER = SHARED / "groundtruth" / "h100_power.json"
TRACES = SHARED / "traces"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``siliconomics ARGS`` in-process; returns exit code, stdout, stderr."""
    from siliconomics.cli.main import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def power_path() -> Path:
    if not POWER.exists():
        pytest.skip(f"shared power ground truth not found at {POWER}")
    return POWER


@pytest.fixture
def groundtruth_path() -> Path:
    if not GROUNDTRUTH.exists():
        pytest.skip(f"shared ground truth not found at {GROUNDTRUTH}")
    return GROUNDTRUTH


@pytest.fixture(scope="session")
def compiled_core() -> None:
    """Compile the numba simulator core (or load it from numba's disk cache) once per test
    session, so no single test's time includes it."""
    from siliconomics.serving.compiled import warm_up

    warm_up()
