"""Serving benchmarks (plain script, not collected by pytest).

1. Simulated requests per second of wall time: Llama-3-70B on 8x H100 (tp 8, fp8), Azure
   conversation-shaped lengths, Poisson arrivals at several rates.
2. Sizing a day of ChatGPT-scale traffic (13 M daily users x 15 queries; SemiAnalysis
   2023-02-09 assumptions, shared/research/economics-sources.md s.1) end to end.
3. MLPerf-style comparison: Llama-2-70B on 8x H100 at TTFT p99 2 s / TPOT p99 0.2 s
   (MLPerf Inference v4.1+ server scenario latency limits), OpenOrca-like lengths.

Run: python benchmarks/bench_serving.py
"""

from __future__ import annotations

import time

import numpy as np

from siliconomics.serving.capacity import max_rate_at_slo
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import size_fleet
from siliconomics.serving.replica import run_replica
from siliconomics.serving.traffic import (
    AZURE_CONV_INPUT,
    AZURE_CONV_OUTPUT,
    LengthDist,
    Traffic,
    offline_requests,
    synthetic_requests,
)


def sim_speed() -> None:
    dep = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
    step = dep.step_model()
    run_replica(dep, synthetic_requests(5.0, 100, AZURE_CONV_INPUT, AZURE_CONV_OUTPUT,
                                        np.random.default_rng(0)), step)  # tabulate once
    for rate in (5.0, 20.0, 40.0):
        req = synthetic_requests(rate, 200_000, AZURE_CONV_INPUT, AZURE_CONV_OUTPUT,
                                 np.random.default_rng(1))
        t0 = time.perf_counter()
        res = run_replica(dep, req, step)
        wall = time.perf_counter() - t0
        print(f"sim speed llama3-70b 8xH100 rate {rate:>5.1f}/s: {len(req):,} requests in "
              f"{wall:.2f} s = {len(req) / wall:,.0f} req/s wall; p99 TTFT "
              f"{np.percentile(res.ttft_s, 99):.3f} s, preemptions {res.preemptions.sum()}")


def chatgpt_day() -> None:
    traffic = Traffic(daily_users=13e6, queries_per_user_per_day=15, peak_to_mean=1.5)
    dep = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
    t0 = time.perf_counter()
    fleet = size_fleet(traffic, dep, Slo(), seed=0)
    wall = time.perf_counter() - t0
    print(f"ChatGPT-scale day (195 M queries, llama3-70b stand-in): {fleet.replicas:,} replicas "
          f"({fleet.replicas_low:,}-{fleet.replicas_high:,}), {fleet.chips:,} H100, "
          f"utilisation {fleet.utilisation_frac:.1%}, sized in {wall:.1f} s")


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


if __name__ == "__main__":
    sim_speed()
    chatgpt_day()
    mlperf_like()
