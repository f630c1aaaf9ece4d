"""Smoke run of benchmarks/bench_serving.py's speed table (small: the benchmark itself is not
a test): three labelled loads, both cores on the same requests, identical results."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO, TRACES

pytestmark = pytest.mark.usefixtures("compiled_core")


def bench() -> ModuleType:
    path = REPO / "benchmarks" / "bench_serving.py"
    spec = importlib.util.spec_from_file_location("bench_serving", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_speed_table_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    trace = TRACES / "azure2023_conv.csv"
    if not trace.exists():
        pytest.skip(f"shared Azure trace not found at {trace}")
    b = bench()
    cap, rows = b.sim_speed(n_requests=1500, repeats=1, trace=Path(trace))
    assert [r.label for r in rows] == [label for label, _ in b.LOADS]
    assert [r.rate_per_s for r in rows] == pytest.approx([0.25 * cap.rate_per_s,
                                                          cap.rate_per_s, 2 * cap.rate_per_s])
    for r in rows:
        assert r.identical, f"{r.label}: compiled and Python cores differ"
        # speeds only reported here: a 1,500-request run on a shared machine is no timing
        assert r.compiled_req_s > 0 and r.python_req_s > 0 and r.ratio > 0
    assert rows[0].ttft_p99_s < cap.slo.ttft_s < rows[2].ttft_p99_s  # light meets, 2x fails
    b.print_speed(cap, rows)
    assert "at the SLO capacity" in capsys.readouterr().out
