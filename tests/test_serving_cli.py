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


# ---- bad input found by hand in the review pass: each was a traceback (exit 1) before

@pytest.mark.parametrize(("content", "match"), [
    (b"\xff\xfe\x00not text", r"not UTF-8 text"),
    (b"TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,5\n1,1e30,5\n",
     r"row 3, column ContextTokens: length '1e30' exceeds"),
])
def test_unreadable_or_absurd_csv_trace(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SiliconomicsError, match=match):
        load_trace(path)


@pytest.mark.parametrize("time", ['"inf"', "NaN", "Infinity"])
def test_jsonl_trace_with_non_finite_time(tmp_path: Path, time: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f'{{"arrival_time_s": {time}, "input_tokens": 5, "output_tokens": 3}}\n')
    # NaN/Infinity literals are not JSON numbers; a quoted "inf" parses, then is not finite
    with pytest.raises(SiliconomicsError,
                       match=r"row 1(, column arrival_time_s: time .* not finite|: not valid JSON)"):
        load_trace(path)


def test_requests_refuse_non_finite_arrivals() -> None:
    from siliconomics.serving.traffic import Requests

    with pytest.raises(SiliconomicsError, match="finite"):
        Requests(np.array([0.0, np.inf]), np.array([5, 5]), np.array([3, 3]))


BASE = ("--model", "llama3-8b", "--hardware", "h100-sxm")


@pytest.mark.parametrize(("args", "match"), [
    (("serve", *BASE, "--rate", "1", "--requests", "0"), "--requests must be a whole number >= 1"),
    (("serve", *BASE, "--rate", "1", "--tp", "0"), "--tp must be a whole number >= 1"),
    (("serve", *BASE, "--offline", "--input-tokens", "-3"), "--input-tokens must be"),
    (("serve", *BASE, "--rate", "1", "--slo-ttft-s", "0"), "--slo-ttft-s must be a finite"),
    (("serve", *BASE, "--rate", "1", "--plot", "/no/such/dir/x.png"), "folder /no/such/dir"),
    (("capacity", *BASE, "--slo-tpot-s", "-1"), "--slo-tpot-s must be a finite number > 0"),
    (("capacity", *BASE, "--max-batch", "0"), "--max-batch must be a whole number >= 1"),
    (("serve", *BASE, "--offline", "--max-batch", "100000000"),
     "option '--max-batch': Input should be less than or equal to 65536"),
    (("serve", *BASE, "--rate", "1e-300", "--requests", "10"), "beyond 1e+09 s"),
    (("trace", "generate", "-o", "/no/such/dir/t.jsonl"), "does not exist"),
    (("trace", "generate", "-o", "t.jsonl", "--requests", "0"), "--requests must be"),
])
def test_cli_bad_options_exit_2_with_one_line(cli, args: tuple[str, ...],  # type: ignore[no-untyped-def]
                                              match: str) -> None:
    res = cli(*args)
    assert res.code == 2, res.err
    assert match in res.err and len(res.err.strip().splitlines()) == 1 and res.out == ""


@pytest.mark.parametrize(("content", "match"), [
    ("traffic: {daily_users: 5, queries_per_user_per_day: 1}\n"
     "deployment: {model: llama3-8b, hardware: h100-sxm}\nheadroom_frac: abc\n",
     "field 'headroom_frac'"),
    ("traffic: {daily_users: 5, queries_per_user_per_day: 1}\n"
     "deployment: {model: llama3-8b, hardware: h100-sxm}\nseed: abc\n", "field 'seed'"),
    ("traffic: {daily_users: 5, queries_per_user_per_day: 1}\n"
     "deployment: {model: llama3-8b, hardware: h100-sxm}\nheadroom_frac: -1\n",
     "field 'headroom_frac'"),
    ("serving: 5\n", "field 'serving' must be a mapping"),
    ("traffic: 5\ndeployment: {model: llama3-8b, hardware: h100-sxm}\n", "field 'traffic'"),
    ("traffic: {daily_users: .inf, queries_per_user_per_day: 1}\n"
     "deployment: {model: llama3-8b, hardware: h100-sxm}\n", "traffic.daily_users"),
    ("deployment: {model: llama3-8b, hardware: h100-sxm}\n", "field 'traffic': required but missing"),
    ("traffic: {daily_users: 5, queries_per_user_per_day: 1}\n"
     "deployment: {model: llama3-8b, hardware: h100-sxm}\nextra: 1\n", "unknown key 'extra'"),
])
def test_cli_bad_fleet_scenarios_exit_2(cli, tmp_path: Path, content: str,  # type: ignore[no-untyped-def]
                                        match: str) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(content)
    res = cli("fleet", "--scenario", str(scen), "--json")
    assert res.code == 2, res.err
    assert match in res.err and str(scen) in res.err and res.out == ""


@pytest.mark.parametrize(("arrival", "cv"), [("poisson", 1.0), ("gamma", 2.5)])
def test_request_draws_at_a_rate_are_the_requests_drawn_at_that_rate(arrival: str,
                                                                     cv: float) -> None:
    """A capacity search draws once and scales the gaps per probe: bit for bit the stream
    drawn directly at each rate (NumPy draws exponential and gamma gaps as scale x the
    standard draw), arrivals first, then prompt and answer lengths."""
    traffic = Traffic(daily_users=1e6, queries_per_user_per_day=10, arrival=arrival,
                      arrival_cv=cv)
    draws = traffic.draws(3000, np.random.default_rng(7))
    for rate in (0.37, 4.0, 123.456):
        rng = np.random.default_rng(7)
        if arrival == "poisson":
            times = np.cumsum(rng.exponential(1.0 / rate, 3000))
        else:
            shape = 1.0 / cv**2
            times = np.cumsum(rng.gamma(shape, 1.0 / (rate * shape), 3000))
        inp = traffic.input_tokens.sample(3000, rng)
        out = traffic.output_tokens.sample(3000, rng)
        for req in (draws.at_rate(rate), traffic.sample(rate, 3000, np.random.default_rng(7))):
            assert np.array_equal(req.arrival_s, times - times[0])
            assert np.array_equal(req.input_tokens, inp)
            assert np.array_equal(req.output_tokens, out)
