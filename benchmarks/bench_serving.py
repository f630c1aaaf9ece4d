"""Serving benchmarks (plain script, not collected by pytest; tests/test_bench_serving.py runs
a small version of it).

1. Simulated requests per second of wall time (and of CPU time: this machine is shared), the
   compiled core against the Python reference in the same run, on the same requests, at
   three loads labelled by where they sit against the SLO capacity: light (25% of it), at
   it, and saturated (2x). Llama-3-70B on 8x H100 (tp 8, fp8), Poisson arrivals, prompt and
   answer lengths resampled from the Azure LLM inference trace 2023, conversation
   (/work/shared/traces/azure2023_conv.csv; Patel et al., "Splitwise", ISCA 2024, CC BY 4.0).
   Both cores must give identical results (checked on every row).
2. Sizing a day of ChatGPT-scale traffic (13 M daily users x 15 queries; SemiAnalysis
   2023-02-09 assumptions, shared/research/economics-sources.md s.1), fleet cache off, step
   model already built; and the same sizing answered from the fleet cache.
3. MLPerf-style comparison: Llama-2-70B on 8x H100 at TTFT p99 2 s / TPOT p99 0.2 s
   (MLPerf Inference v4.1+ server scenario latency limits), OpenOrca-like lengths.

Run: python benchmarks/bench_serving.py [--requests N] [--repeats R]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siliconomics.serving.capacity import CapacityResult, max_rate_at_slo
from siliconomics.serving.compiled import warm_up
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import size_fleet
from siliconomics.serving.metrics import slo_latencies
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import Core, SimResult
from siliconomics.serving.stepmodel import StepModel
from siliconomics.serving.traffic import (
    LengthDist,
    Requests,
    Traffic,
    load_trace,
    offline_requests,
)

TRACE = Path(__file__).resolve().parents[1].parent / "shared" / "traces" / "azure2023_conv.csv"
LLAMA3_70B_8XH100 = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
LOADS = (("light load (0.25x SLO capacity)", 0.25), ("at the SLO capacity", 1.0),
         ("saturated (2x SLO capacity)", 2.0))


def azure_traffic(trace: Path = TRACE) -> Traffic:
    """Traffic whose prompt and answer lengths are resampled from the trace's requests."""
    reqs = load_trace(trace)
    return Traffic(daily_users=1.0, queries_per_user_per_day=1.0,
                   input_tokens=LengthDist(kind="empirical", values=tuple(
                       int(v) for v in reqs.input_tokens)),
                   output_tokens=LengthDist(kind="empirical", values=tuple(
                       int(v) for v in reqs.output_tokens)))


@dataclass(frozen=True)
class SpeedRow:
    """One load: simulated requests per wall second [requests/s] of each core, their ratio,
    the same per CPU second, the run's SLO-percentile latencies [s] and whether both cores
    gave identical results."""

    label: str
    rate_per_s: float
    requests: int
    compiled_req_s: float
    python_req_s: float
    compiled_cpu_req_s: float
    python_cpu_req_s: float
    ttft_p99_s: float
    tpot_p99_s: float
    preemptions: int
    identical: bool

    @property
    def ratio(self) -> float:
        return self.compiled_req_s / self.python_req_s


def _timed(dep: Deployment, req: Requests, step: StepModel, core: Core,
           repeats: int) -> tuple[SimResult, float, float]:
    """Best wall and best CPU time [s] over ``repeats`` runs."""
    wall = cpu = float("inf")
    result = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run_replica(dep, req, step, core=core)
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    assert result is not None
    return result, wall, max(cpu, 1e-9)


def _identical(a: SimResult, b: SimResult) -> bool:
    arrays = ("first_token_s", "finish_s", "admit_s", "produced_tokens", "preemptions")
    totals = ("iterations", "prefill_tokens", "decode_tokens", "busy_s")
    return (all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for f in arrays)
            and all(getattr(a, f) == getattr(b, f) for f in totals))


def sim_speed(n_requests: int = 100_000, repeats: int = 3, seed: int = 1,
              trace: Path = TRACE) -> tuple[CapacityResult, list[SpeedRow]]:
    """The SLO capacity of the benchmark deployment and one :class:`SpeedRow` per load."""
    dep = LLAMA3_70B_8XH100
    step = dep.step_model()
    traffic = azure_traffic(trace)
    warm_up()
    slo = Slo()
    cap = max_rate_at_slo(dep, traffic, slo, seed=0, step=step)
    rows = []
    for label, factor in LOADS:
        rate = cap.rate_per_s * factor
        req = traffic.sample(rate, n_requests, np.random.default_rng(seed))
        fast, fast_wall, fast_cpu = _timed(dep, req, step, "compiled", repeats)
        ref, ref_wall, ref_cpu = _timed(dep, req, step, "python", repeats)
        ttft, tpot = slo_latencies(fast, slo.percentile, warmup_frac=0.1)
        n = len(req)
        rows.append(SpeedRow(label, rate, n, n / fast_wall, n / ref_wall, n / fast_cpu,
                             n / ref_cpu, ttft, tpot, int(fast.preemptions.sum()),
                             _identical(fast, ref)))
    return cap, rows


def print_speed(cap: CapacityResult, rows: list[SpeedRow]) -> None:
    print(f"Simulation speed, {LLAMA3_70B_8XH100.label()}, Azure conversation lengths; SLO "
          f"capacity {cap.rate_per_s:.2f} req/s at p{cap.slo.percentile:g} TTFT <= "
          f"{cap.slo.ttft_s:g} s, TPOT <= {cap.slo.tpot_s:g} s")
    print("| load | rate [req/s] | requests | compiled [req/s wall] | Python [req/s wall] | "
          "ratio | compiled [req/CPU-s] | Python [req/CPU-s] | p99 TTFT [s] | p99 TPOT [s] | "
          "preemptions | identical |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r.label} | {r.rate_per_s:.2f} | {r.requests:,} | {r.compiled_req_s:,.0f} | "
              f"{r.python_req_s:,.0f} | {r.ratio:.1f}x | {r.compiled_cpu_req_s:,.0f} | "
              f"{r.python_cpu_req_s:,.0f} | {r.ttft_p99_s:.3f} | {r.tpot_p99_s:.4f} | "
              f"{r.preemptions} | {'yes' if r.identical else 'NO'} |")


def chatgpt_day(repeats: int = 3) -> None:
    traffic = Traffic(daily_users=13e6, queries_per_user_per_day=15, peak_to_mean=1.5)
    dep = LLAMA3_70B_8XH100
    dep.step_model()  # the performance layer's part, built once per process
    size_fleet(traffic, dep, Slo(), seed=0, cache=False)  # step table tabulated once
    wall = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fleet = size_fleet(traffic, dep, Slo(), seed=0, cache=False)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    size_fleet(traffic, dep, Slo(), seed=0)  # fills the fleet cache
    t0 = time.perf_counter()
    size_fleet(traffic, dep, Slo(), seed=0)
    hit = time.perf_counter() - t0
    print(f"ChatGPT-scale day (195 M queries, llama3-70b stand-in): {fleet.replicas:,} replicas "
          f"({fleet.replicas_low:,}-{fleet.replicas_high:,}), {fleet.chips:,} H100, "
          f"utilisation {fleet.utilisation_frac:.1%}; sized in {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"(fleet cache off, best of {repeats}); from the fleet cache in {hit * 1e6:.0f} us")


def mlperf_like() -> None:
    dep = Deployment(model="llama2-70b", hardware="h100-sxm", tp=8)
    # MLPerf Llama-2-70B uses OpenOrca: mean input ~ 294, mean output ~ 294 tokens
    # (MLCommons inference/language/llama2-70b README, dataset statistics).
    traffic = Traffic(daily_users=1, queries_per_user_per_day=1,
                      input_tokens=LengthDist(kind="lognormal", median=200, sigma=0.9,
                                              max_tokens=1024),
                      output_tokens=LengthDist(kind="lognormal", median=200, sigma=0.9,
                                               max_tokens=1024))
    cap = max_rate_at_slo(dep, traffic, Slo(ttft_s=2.0, tpot_s=0.2), seed=0, n_requests=4000)
    off = run_replica(dep, offline_requests(4000, 294, 294))
    print(f"MLPerf-like llama2-70b 8xH100: server {cap.output_tokens_s:,.0f} output tokens/s "
          f"at the SLO ({cap.rate_per_s:.1f} req/s); offline {off.output_tokens / off.makespan_s:,.0f} "
          f"output tokens/s; step-model surrogate error {cap.step_error_frac:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print_speed(*sim_speed(args.requests, args.repeats))
    chatgpt_day(args.repeats)
    mlperf_like()


if __name__ == "__main__":
    main()
