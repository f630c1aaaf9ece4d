"""Summaries of a simulated run: throughput, latency percentiles, Little's law check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from siliconomics.serving.sim import SimResult
from siliconomics.serving.traffic import FloatArray


@dataclass(frozen=True)
class Percentiles:
    """Mean, p50, p90, p99 of a latency [s]."""

    mean: float
    p50: float
    p90: float
    p99: float

    @classmethod
    def of(cls, values: FloatArray) -> Percentiles:
        v = values[np.isfinite(values)]
        if len(v) == 0:
            return cls(float("nan"), float("nan"), float("nan"), float("nan"))
        p50, p90, p99 = np.percentile(v, [50, 90, 99])
        return cls(float(v.mean()), float(p50), float(p90), float(p99))


@dataclass(frozen=True)
class ServingMetrics:
    """Throughput [tokens/s, requests/s] over the measured window and latency percentiles
    [s] of the requests in it (the first ``warmup_frac`` of arrivals are left out)."""

    requests: int
    window_s: float
    requests_s: float
    output_tokens_s: float
    input_tokens_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    queue_s: Percentiles
    preemptions: int
    step_error_frac: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(result: SimResult, warmup_frac: float = 0.0) -> ServingMetrics:
    """Metrics of a run, leaving out the first ``warmup_frac`` of requests (by arrival).

    Throughput counts every token produced between the first arrival and the last
    completion (the measured window), so it equals the offered load below saturation and
    the service rate above it.
    """
    n = len(result.requests)
    start = int(n * warmup_frac)
    keep = slice(start, n)
    window = result.makespan_s
    out = float(result.produced_tokens.sum())
    inp = float(result.requests.input_tokens.sum())
    return ServingMetrics(
        requests=n - start,
        window_s=window,
        requests_s=n / window if window > 0 else float("inf"),
        output_tokens_s=out / window if window > 0 else float("inf"),
        input_tokens_s=inp / window if window > 0 else float("inf"),
        ttft_s=Percentiles.of(result.ttft_s[keep]),
        tpot_s=Percentiles.of(result.tpot_s[keep]),
        e2e_s=Percentiles.of(result.e2e_s[keep]),
        queue_s=Percentiles.of(result.queue_s[keep]),
        preemptions=int(result.preemptions.sum()),
        step_error_frac=result.step_error_frac,
    )


def latency_percentile(values: FloatArray, q: float) -> float:
    """The q-th percentile of the finite values [s] (NaN when none)."""
    v = values[np.isfinite(values)]
    return float(np.percentile(v, q)) if len(v) else float("nan")


def slo_latencies(result: SimResult, percentile: float,
                  warmup_frac: float = 0.0) -> tuple[float, float]:
    """(TTFT [s], TPOT [s/token]) at ``percentile`` over the requests after the first
    ``warmup_frac`` of arrivals."""
    start = int(len(result.requests) * warmup_frac)
    return (latency_percentile(result.ttft_s[start:], percentile),
            latency_percentile(result.tpot_s[start:], percentile))


def time_average_in_system(arrival_s: FloatArray, finish_s: FloatArray, t0: float,
                           t1: float) -> float:
    """Mean number of requests in the system over [t0, t1] [requests]: the integral of
    N(t) = arrivals(<= t) - departures(<= t), computed from the event times."""
    times = np.concatenate([arrival_s, finish_s])
    steps = np.concatenate([np.ones(len(arrival_s)), -np.ones(len(finish_s))])
    order = np.argsort(times, kind="stable")
    times, steps = times[order], steps[order]
    count = np.cumsum(steps)
    inside = (times > t0) & (times < t1)
    n0 = float(count[times <= t0][-1]) if np.any(times <= t0) else 0.0
    edges = np.concatenate([[t0], times[inside], [t1]])
    levels = np.concatenate([[n0], count[inside]])
    return float(np.sum(levels * np.diff(edges)) / (t1 - t0))
