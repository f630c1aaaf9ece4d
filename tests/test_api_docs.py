"""Examples are tests: the code blocks of ``docs/api.md`` run, in order, as one notebook;
and the top-level API is what the docs say it is."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO

DOC = REPO / "docs" / "api.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.+?)\n```", DOC.read_text(), flags=re.DOTALL)


def test_api_doc_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _blocks()
    assert len(blocks) >= 4
    namespace: dict[str, object] = {"__name__": "api_doc"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"{DOC}:block{i + 1}", "exec"), namespace)
        except Exception as exc:  # name the block that failed
            raise AssertionError(f"docs/api.md block {i + 1} failed: {exc!r}\n{block}") from exc
    out = capsys.readouterr().out
    assert "tp=3 must divide the 64 attention heads of llama3-70b" in out
    assert "NVIDIA H100" in out


def test_every_export_resolves_and_has_a_docstring() -> None:
    import siliconomics

    required = {"predict_step", "run_replica", "simulate", "size_fleet", "load_hardware",
                "load_model", "evaluate_design", "run_study", "to_frame"}
    assert required <= set(siliconomics.__all__)
    assert sorted(siliconomics.__all__) == sorted(siliconomics._EXPORTS)
    for name in siliconomics.__all__:
        value = getattr(siliconomics, name)
        assert (value.__doc__ or "").strip(), f"siliconomics.{name} has no docstring"
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = siliconomics.nonexistent  # type: ignore[attr-defined]


def test_import_siliconomics_stays_light() -> None:
    """The top-level import loads none of the heavy layers (they load on first use)."""
    code = ("import sys, siliconomics; heavy = [m for m in ('numpy', 'pandas', 'scipy', "
            "'pydantic', 'siliconomics.perf') if m in sys.modules]; print(heavy)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "src")}, timeout=60, check=True)
    assert run.stdout.strip() == "[]", run.stdout


def test_results_become_frames() -> None:
    import numpy as np

    import siliconomics as sx

    pred = sx.predict_step("llama3-8b", "h100-sxm", phase="prefill",
                           batch=np.array([1, 2]), prompt=np.array([[512], [1024]]))
    frame = sx.to_frame(pred)
    assert len(frame) == 4 and np.isfinite(frame["step_s"]).all()
    assert set(frame["model"]) == {"llama3-8b"}
    with pytest.raises(sx.SiliconomicsError, match="no table form"):
        sx.to_frame(42)


def test_no_cli_flags_in_errors_raised_outside_the_cli() -> None:
    """Errors from the library speak of parameters (``tp=3``), not flags (``--tp``); a
    message may still quote a whole command (``siliconomics measure --smoke``)."""
    offenders = []
    for path in (REPO / "src" / "siliconomics").rglob("*.py"):
        if "cli" in path.relative_to(REPO / "src" / "siliconomics").parts[:1]:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            quotes_a_command = "siliconomics " in code or "subprocess" in code or "``" in code
            if re.search(r"[\"'(]--[a-z]", code) and not quotes_a_command:
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
