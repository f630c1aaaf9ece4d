"""The serving commands and trace files: JSON output, and one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import TRACES
from siliconomics.errors import SiliconomicsError
from siliconomics.serving.traffic import (
    AZURE_ATTRIBUTION,
    Traffic,
    gamma_arrivals,
    load_trace,
    poisson_arrivals,
)

SYNTHETIC = (Path(__file__).resolve().parents[1] / "src" / "siliconomics" / "serving" / "data"
             / "synthetic_trace.jsonl")


def test_shipped_synthetic_trace_loads() -> None:
    req = load_trace(SYNTHETIC)
    assert len(req) == 500 and req.arrival_s[0] == 0.0
    assert 3.0 < req.rate_per_s < 5.0  # generated at 4 req/s


def test_azure_trace_reads_with_attribution() -> None:
    path = TRACES / "azure2023_conv.csv"
    if not path.exists():
        pytest.skip("shared Azure trace not present")
    req = load_trace(path, limit=2000)
    assert len(req) == 2000 and req.attribution == AZURE_ATTRIBUTION
    # README summary: ~5.4 requests/s, prompt median 1020 over the whole hour.
    assert 2.0 < req.rate_per_s < 12.0
    assert 500 < np.median(req.input_tokens) < 2000


def test_gamma_arrivals_have_the_requested_burstiness() -> None:
    rng = np.random.default_rng(0)
    gaps = np.diff(gamma_arrivals(10.0, 200_000, 3.0, rng))
    assert gaps.mean() == pytest.approx(0.1, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.05)
    poisson = np.diff(poisson_arrivals(10.0, 200_000, rng))
    assert poisson.std() / poisson.mean() == pytest.approx(1.0, rel=0.02)


def test_traffic_diurnal_profile_keeps_the_daily_total() -> None:
    t = Traffic(daily_users=13e6, queries_per_user_per_day=15, peak_to_mean=1.6)
    hourly = t.hourly_rates_per_s()
    assert hourly.mean() * 86_400 == pytest.approx(195e6)
    assert t.peak_rate_per_s == pytest.approx(1.6 * t.mean_rate_per_s)


@pytest.mark.parametrize(("content", "match"), [
    ("TIMESTAMP,ContextTokens\n1.0,5\n", r"missing column\(s\) GeneratedTokens"),
    ("TIMESTAMP,ContextTokens,GeneratedTokens\n1.0,5,3\n2.0,-4,3\n",
     r"row 3, column ContextTokens: negative length"),
    ("TIMESTAMP,ContextTokens,GeneratedTokens\n1.0,abc,3\n", r"row 2, column ContextTokens"),
])
def test_bad_csv_trace_errors_name_file_row_column(tmp_path: Path, content: str,
                                                   match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(SiliconomicsError, match=match) as info:
        load_trace(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_bad_jsonl_trace(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"arrival_time_s": 0, "input_tokens": 3, "output_tokens": 2}\n'
                    '{"arrival_time_s": 1, "input_tokens": 3}\n')
    with pytest.raises(SiliconomicsError, match=r"row 2: missing field\(s\) output_tokens"):
        load_trace(path)


def test_cli_bad_trace_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n1.0,-5,3\n")
    res = cli("serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
              "--trace", str(path), "--json")
    assert res.code == 2 and "negative length" in res.err and res.out == ""


def test_cli_trace_generate_roundtrip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t.jsonl"
    res = cli("trace", "generate", "-o", str(out), "--requests", "300", "--rate", "8",
              "--arrival", "gamma", "--cv", "2", "--json")
    assert res.code == 0
    assert json.loads(res.out)["requests"] == 300
    assert len(load_trace(out)) == 300


# ---- with the real performance model (skipped until perf.iteration is available)

def _perf_available() -> bool:
    try:
        import siliconomics.perf.iteration  # noqa: F401
    except ImportError:
        return False
    return True


needs_perf = pytest.mark.skipif(not _perf_available(), reason="perf.iteration not available")


@needs_perf
def test_cli_offline_json(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
              "--dtype", "fp8", "--offline", "--requests", "2000", "--input-tokens", "1000",
              "--output-tokens", "1000", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["chips"] == 8 and data["requests"] == 2000
    tput = data["throughput"]["output_tokens_s"]
    # 2000 x 1000 tokens over the makespan; H100 x8 serves thousands of tokens/s.
    assert 1_000 < tput < 100_000
    assert data["throughput"]["output_tokens_s_per_chip"] == pytest.approx(tput / 8)


@needs_perf
def test_cli_rate_json_with_plot(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "cdf.png"
    res = cli("serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
              "--rate", "3", "--requests", "500", "--json", "--plot", str(png))
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["latency"]["ttft_s"]["p99"] >= data["latency"]["ttft_s"]["p50"] > 0
    assert png.stat().st_size > 1000


@needs_perf
def test_cli_model_that_does_not_fit_exits_2(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("serve", "--model", "llama3-405b", "--hardware", "h100-sxm", "--tp", "1",
              "--dtype", "bf16", "--rate", "1", "--json")
    assert res.code == 2 and res.out == ""
    assert "error" in res.err and len(res.err.strip().splitlines()) == 1


@needs_perf
def test_cli_unreachable_slo_shows_best_latency(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("capacity", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
              "--slo-tpot-s", "0.0001", "--requests", "300", "--json")
    assert res.code == 2 and res.out == ""
    assert "SLO not reachable" in res.err and "TPOT is" in res.err


@needs_perf
def test_cli_fleet_scenario(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scen = tmp_path / "s.yaml"
    scen.write_text("traffic: {daily_users: 1.0e6, queries_per_user_per_day: 10}\n"
                    "deployment: {model: llama3-70b, hardware: h100-sxm, tp: 8}\n"
                    "slo: {ttft_s: 2.0, tpot_s: 0.1}\n")
    res = cli("fleet", "--scenario", str(scen), "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["chips"] == 8 * data["replicas"] and data["replicas"] >= 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("traffic: {daily_users: -5, queries_per_user_per_day: 10}\n"
                   "deployment: {model: llama3-70b, hardware: h100-sxm, tp: 8}\n")
    res = cli("fleet", "--scenario", str(bad), "--json")
    assert res.code == 2 and "daily_users" in res.err and str(bad) in res.err
