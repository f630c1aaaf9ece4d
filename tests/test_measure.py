"""``siliconomics measure``: the smoke run writes a file the schema loads; timing helpers."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from siliconomics.errors import SiliconomicsError
from siliconomics.measure import load_measurements
from siliconomics.measure.cases import FULL, SMOKE
from siliconomics.measure.harness import import_torch, run_measurements
from siliconomics.measure.timing import graph_calls, n_buffers

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def smoke_run() -> tuple[dict[str, Any], list[tuple[str, int, int]]]:
    """One real CPU smoke run (~5-12 s) shared by the tests below: its results and the
    progress calls it made."""
    seen: list[tuple[str, int, int]] = []
    results = run_measurements(smoke=True, progress=lambda *a: seen.append(a))
    return results, seen


def test_smoke_cli_writes_a_file_the_schema_loads(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    smoke_run: tuple[dict[str, Any], list[tuple[str, int, int]]],
) -> None:
    # The CLI runs the shared smoke run's results through its own progress, writing and
    # schema re-reading (the measurement itself is the fixture's real run).
    from siliconomics.measure import harness

    def replay(smoke: bool = False, progress: Any = None, torch: Any = None) -> dict[str, Any]:
        assert smoke is True
        for call in smoke_run[1]:
            progress(*call)
        return smoke_run[0]

    monkeypatch.setattr(harness, "run_measurements", replay)
    out = tmp_path / "tmp" / "x.json"
    result = cli("measure", "--smoke", "-o", str(out))
    assert result.code == 0, result.err
    m = load_measurements(out)
    assert m.meta.smoke is True and m.meta.device == "cpu"
    assert m.errors == []
    assert m.ceilings is not None and m.ceilings_first is not None
    # Every smoke case produced a row: 3 shapes x 3 M, 1 + 1 attention, 2 T x 2 ops, 4 e2e.
    assert len(m.gemm) == len(SMOKE.gemm_shapes) * len(SMOKE.gemm_m)
    assert len(m.attn_prefill) == 1 and len(m.attn_decode) == 1
    assert len(m.elementwise) == 2 * len(SMOKE.elementwise_t)
    assert len(m.e2e) == 4
    # The models block describes the e2e model so validate can predict it.
    spec = m.model_of(m.e2e[0])
    assert (spec.layers, spec.hidden, spec.q_heads, spec.kv_heads, spec.head_dim) == (
        2, 256, 4, 2, 64)
    assert spec.ffn == 512 and spec.vocab == 1000 and spec.tied_embeddings is False
    assert "wrote" in result.out


def test_missing_torch_is_a_one_line_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_torch(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(SiliconomicsError, match=r"pip install 'siliconomics\[measure\]'"):
        import_torch()


def test_missing_torch_exits_2_from_the_cli(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_torch(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    result = cli("measure", "--smoke", "-o", str(tmp_path / "x.json"))
    assert result.code == 2
    assert "needs PyTorch" in result.err and not (tmp_path / "x.json").exists()


def test_progress_callback_sees_every_step_in_order(
    smoke_run: tuple[dict[str, Any], list[tuple[str, int, int]]],
) -> None:
    results, seen = smoke_run
    names = [s[0] for s in seen]
    assert names[0] == "ceilings" and names[-1] == "ceilings again"
    assert [s[1] for s in seen] == list(range(len(seen)))
    assert all(s[2] == len(seen) for s in seen)
    assert "e2e tiny" in names and results["errors"] == []


@pytest.mark.parametrize(
    ("bytes_per_buffer", "l2", "expected"),
    [
        (2 * 4096 * 6144, 50 * 2**20, 5),  # 8b.qkv on H100: h100.json weight_buffers = 5
        (2 * 4096 * 4096, 50 * 2**20, 7),  # 8b.o: h100.json weight_buffers = 7
        (2 * 4096 * 28672, 50 * 2**20, 1),  # 8b.gate_up is already > 4x L2: 1 buffer
        (1, 50 * 2**20, 64),  # tiny buffers capped at 64
    ],
)
def test_buffer_rotation_matches_the_shared_ground_truth(
    bytes_per_buffer: int, l2: int, expected: int
) -> None:
    assert n_buffers(bytes_per_buffer, l2) == expected


def test_graph_calls_is_a_multiple_of_the_buffers_and_bounded() -> None:
    assert graph_calls(0.01, 5, 30.0) % 5 == 0
    assert graph_calls(1e-6, 1, 30.0) == 2000  # capped
    assert graph_calls(100.0, 1, 30.0) == 1  # one long call is enough
    assert graph_calls(100.0, 7, 30.0) == 7  # at least one pass over all buffers


def test_full_plan_has_the_shared_scripts_cases() -> None:
    # gpu_groundtruth.py: 9 shapes x 7 M (63 gemm rows in h100.json), 6 prefill, 12 decode cases.
    assert len(FULL.gemm_shapes) * len(FULL.gemm_m) == 63
    assert len(FULL.attn_prefill) == 6 and len(FULL.attn_decode) == 12
    assert [m.tag for m in FULL.e2e] == ["llama3-8b", "llama3-70b-8layers"]
    assert FULL.e2e[0].spec()["head_dim"] == 128


def test_unwritable_output_is_refused_before_measuring(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    # review pass: the path was only checked after the whole (minutes-long) run
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for target, needle in ((tmp_path, "is a folder"), (blocker / "x.json", "is a file, not a folder")):
        res = cli("measure", "-o", str(target), "--smoke")
        assert res.code == 2 and needle in res.err and "measuring" not in res.err
