"""Smoke run of benchmarks/bench_mlperf.py: its held-out stage on two rows (the full refit
takes a minute and is not a test)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from conftest import REPO


def bench() -> ModuleType:
    path = REPO / "benchmarks" / "bench_mlperf.py"
    spec = importlib.util.spec_from_file_location("bench_mlperf", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_heldout_stage_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    module = bench()
    data = yaml.safe_load(module.HELDOUT_TABLE.read_text())
    data["rows"] = [r for r in data["rows"] if r["round"] == "v5.1"
                    and r["benchmark"] == "llama2-70b" and r["hardware"] in ("h200-sxm", "mi325x")]
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(module, "HELDOUT_TABLE", small)
    assert module.heldout(target=0.10)
    out = capsys.readouterr().out
    assert "8x mi325x llama2-70b" in out and "held-out ratio MAPE" in out
    assert not module.heldout(target=1e-9)  # the target is enforced
