"""The compiled simulator core against the Python reference: identical results.

Both cores run on the same seeded workloads (light load, at the SLO capacity, saturated with
recompute preemption, disaggregated pools, whole-prompt prefill, random scheduler settings)
and every per-request time and every total must be bit-for-bit equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving_doubles import LinearStep
from siliconomics.errors import SiliconomicsError
from siliconomics.serving.capacity import max_rate_at_slo
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.metrics import slo_latencies
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import (
    SchedulerConfig,
    SimResult,
    TtftStop,
    required_table_tokens,
    simulate,
)
from siliconomics.serving.stepmodel import tabulate
from siliconomics.serving.traffic import (
    AZURE_CONV_INPUT,
    AZURE_CONV_OUTPUT,
    LengthDist,
    Requests,
    Traffic,
    synthetic_requests,
)

pytestmark = pytest.mark.usefixtures("compiled_core")

LLAMA_8XH100 = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
TRAFFIC = Traffic(daily_users=1e6, queries_per_user_per_day=10)


def assert_identical(a: SimResult, b: SimResult) -> None:
    for name in ("first_token_s", "finish_s", "admit_s", "produced_tokens", "preemptions"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    for name in ("iterations", "prefill_tokens", "decode_tokens", "prefill_output_tokens",
                 "busy_s", "step_error_frac"):
        assert getattr(a, name) == getattr(b, name), name


def both(dep: Deployment, req: Requests) -> tuple[SimResult, SimResult]:
    step = dep.step_model()
    return (run_replica(dep, req, step, core="compiled"),
            run_replica(dep, req, step, core="python"))


def azure(rate: float, n: int, seed: int) -> Requests:
    return synthetic_requests(rate, n, AZURE_CONV_INPUT, AZURE_CONV_OUTPUT,
                              np.random.default_rng(seed))


def test_light_load_identical() -> None:
    fast, ref = both(LLAMA_8XH100, azure(2.0, 1500, 1))
    assert_identical(fast, ref)
    assert fast.preemptions.sum() == 0


def test_capacity_at_slo_identical() -> None:
    # The whole bisection (every probe, the rate found, its latencies) through both cores.
    kw = {"seed": 3, "n_requests": 1000}
    fast = max_rate_at_slo(LLAMA_8XH100, TRAFFIC, Slo(), core="compiled", **kw)
    ref = max_rate_at_slo(LLAMA_8XH100, TRAFFIC, Slo(), core="python", **kw)
    assert fast.checks == ref.checks
    assert (fast.rate_per_s, fast.ttft_s, fast.tpot_s) == (ref.rate_per_s, ref.ttft_s, ref.tpot_s)
    assert len(fast.checks) > 5 and not all(c.meets for c in fast.checks)


def test_saturated_with_preemption_identical() -> None:
    # 70B fp8 on two H100s leaves little KV cache: a large batch at an overload preempts.
    dep = Deployment(model="llama3-70b", hardware="h100-sxm", tp=2,
                     scheduler=SchedulerConfig(max_batch=1024))
    fast, ref = both(dep, azure(30.0, 1500, 2))
    assert_identical(fast, ref)
    assert fast.preemptions.sum() > 0


def test_disaggregated_identical() -> None:
    dep = LLAMA_8XH100.model_copy(update={"mode": "disaggregated", "prefill_instances": 1,
                                          "decode_instances": 3})
    fast, ref = both(dep, azure(12.0, 1500, 4))
    assert_identical(fast, ref)


@settings(max_examples=25, deadline=None)
@given(kv_tokens=st.integers(4_000, 60_000), seed=st.integers(0, 2**32 - 1),
       chunked=st.booleans(), prefilled=st.booleans(), block=st.sampled_from([1, 8, 16, 32]),
       max_batch=st.integers(1, 300), budget=st.integers(256, 8192),
       rate=st.floats(1.0, 200.0))
def test_random_workloads_identical(kv_tokens: int, seed: int, chunked: bool, prefilled: bool,
                                    block: int, max_batch: int, budget: int,
                                    rate: float) -> None:
    step = LinearStep(kv_capacity_tokens=kv_tokens)
    lengths = LengthDist(kind="lognormal", median=300, sigma=0.8, max_tokens=1500)
    req = synthetic_requests(rate, 300, lengths, lengths, np.random.default_rng(seed))
    cfg = SchedulerConfig(max_batch=max_batch, token_budget=budget, chunked_prefill=chunked,
                          block_tokens=block)
    table = tabulate(step, required_table_tokens(req, cfg))
    fast = simulate(req, table, kv_tokens, cfg, prefilled=prefilled, core="compiled")
    ref = simulate(req, table, kv_tokens, cfg, prefilled=prefilled, core="python")
    assert_identical(fast, ref)
    assert np.array_equal(fast.produced_tokens, req.output_tokens)


def test_unknown_core_is_refused() -> None:
    req = azure(1.0, 5, 0)
    step = LinearStep()
    table = tabulate(step, required_table_tokens(req, SchedulerConfig()))
    with pytest.raises(SiliconomicsError, match="core must be one of"):
        simulate(req, table, step.kv_capacity_tokens, core="rust")  # type: ignore[arg-type]


def test_ttft_stop_identical_and_proves_the_miss() -> None:
    """A run ended at its TTFT stop: both cores stop at the same iteration with the same
    partial times, and the whole run's TTFT percentile does miss the target (the stop is a
    proof, not a guess)."""
    dep = LLAMA_8XH100
    req = azure(40.0, 2000, 5)  # overloaded: the queue grows
    slo = Slo()
    stop = TtftStop.for_percentile(len(req), 200, slo.percentile, slo.ttft_s)
    step = dep.step_model()
    fast = run_replica(dep, req, step, core="compiled", stop=stop)
    ref = run_replica(dep, req, step, core="python", stop=stop)
    assert fast.stopped and ref.stopped
    assert_identical(fast, ref)
    assert np.isnan(fast.finish_s).sum() > len(req) // 2  # most of the run was skipped
    full = run_replica(dep, req, step)
    assert not full.stopped
    ttft, _ = slo_latencies(full, slo.percentile, 0.1)
    assert ttft > slo.ttft_s
    assert np.sum(full.ttft_s[200:] > slo.ttft_s) >= stop.count


def test_ttft_stop_never_ends_a_run_that_meets_the_target() -> None:
    req = azure(2.0, 1500, 1)
    stop = TtftStop.for_percentile(len(req), 150, 99.0, Slo().ttft_s)
    fast, ref = (run_replica(LLAMA_8XH100, req, core=c, stop=stop) for c in ("compiled", "python"))
    assert not fast.stopped and not ref.stopped
    assert_identical(fast, ref)
    assert_identical(fast, run_replica(LLAMA_8XH100, req))


@pytest.mark.parametrize("core", ["compiled", "python"])
def test_capacity_with_early_stops_finds_the_same_rate(core: str) -> None:
    """Failing probes ended at their TTFT stop: the same passes and fails, so the same rate
    and the same latencies at it; only the failed probes' latencies are not measured."""
    kw = {"seed": 3, "n_requests": 1000, "core": core}
    full = max_rate_at_slo(LLAMA_8XH100, TRAFFIC, Slo(), **kw)  # type: ignore[arg-type]
    fast = max_rate_at_slo(LLAMA_8XH100, TRAFFIC, Slo(), stop_early=True,
                           **kw)  # type: ignore[arg-type]
    assert (fast.rate_per_s, fast.ttft_s, fast.tpot_s, fast.step_error_frac) == (
        full.rate_per_s, full.ttft_s, full.tpot_s, full.step_error_frac)
    assert [(c.rate_per_s, c.meets) for c in fast.checks] == [
        (c.rate_per_s, c.meets) for c in full.checks]
    assert [c for c in fast.checks if c.meets] == [c for c in full.checks if c.meets]
    assert any(c.ttft_s == np.inf for c in fast.checks)  # some probe did stop early
