"""Run one replica of a deployment over a request stream: aggregated or disaggregated.

Disaggregated (Patel et al., "Splitwise", ISCA 2024; Zhong et al., "DistServe", OSDI 2024):
prefill instances compute prompts and the first token; the prompt's KV cache,
kv_bytes_per_token x prompt tokens [B], then travels to a decode instance at the link
bandwidth of the sending instance's chips; decode instances only decode. Requests are
routed round-robin within each pool (uniform routing).
"""

from __future__ import annotations

import numpy as np

from siliconomics.serving.deployment import Deployment, step_table
from siliconomics.serving.sim import (
    DEFAULT_CORE,
    Core,
    SchedulerConfig,
    SimResult,
    TtftStop,
    check_fits,
    required_table_tokens,
    simulate,
)
from siliconomics.serving.stepmodel import StepModel
from siliconomics.serving.traffic import Requests


def run_replica(deployment: Deployment, requests: Requests,
                step: StepModel | None = None, *, core: Core = DEFAULT_CORE,
                stop: TtftStop | None = None) -> SimResult:
    """Simulate one replica of ``deployment`` serving ``requests`` (``core``: see
    :data:`~siliconomics.serving.sim.Core`; ``stop``: end early, aggregated mode only, see
    :class:`~siliconomics.serving.sim.TtftStop`)."""
    step = step or deployment.step_model()
    cfg = deployment.scheduler
    if deployment.mode == "aggregated":
        check_fits(requests, step.kv_capacity_tokens, cfg)  # before tabulating (~0.1 s)
        table = step_table(step, required_table_tokens(requests, cfg))
        return simulate(requests, table, step.kv_capacity_tokens, cfg, core=core, stop=stop)
    link = deployment.kv_link_bytes_s(step.chips)
    return simulate_disaggregated(requests, step, cfg, deployment.prefill_instances,
                                  deployment.decode_instances, link, core=core)


def kv_transfer_s(kv_bytes_per_token: float, prompt_tokens: np.ndarray,
                  link_bytes_s: float) -> np.ndarray:
    """KV cache transfer time [s] = kv_bytes_per_token [B/token] x prompt [tokens] / link [B/s]."""
    return np.asarray(kv_bytes_per_token * prompt_tokens / link_bytes_s, dtype=np.float64)


def simulate_disaggregated(requests: Requests, step: StepModel, config: SchedulerConfig,
                           prefill_instances: int, decode_instances: int,
                           link_bytes_s: float, *, core: Core = DEFAULT_CORE) -> SimResult:
    """Prefill pool, KV transfer, decode pool; per-request times of the whole path."""
    n = len(requests)
    ones = np.ones(n, dtype=np.int64)
    prefill_only = Requests(requests.arrival_s, requests.input_tokens, ones)
    table = step_table(step, required_table_tokens(requests, config))
    first = np.full(n, np.nan)
    admit = np.full(n, np.nan)
    preempt = np.zeros(n, dtype=np.int64)
    iterations = prefill_tok = decode_tok = prefill_out = 0
    busy = 0.0
    for i in range(prefill_instances):
        idx = np.arange(i, n, prefill_instances)
        if len(idx) == 0:
            continue
        r = simulate(prefill_only.subset(idx), table, step.kv_capacity_tokens, config, core=core)
        first[idx], admit[idx] = r.first_token_s, r.admit_s
        preempt[idx] += r.preemptions
        iterations += r.iterations
        prefill_tok += r.prefill_tokens
        prefill_out += r.prefill_output_tokens
        busy += r.busy_s
    ready = first + kv_transfer_s(step.kv_bytes_per_token, requests.input_tokens, link_bytes_s)
    finish = first.copy()  # 1-token answers finish with their first token
    produced = ones.copy()
    multi = np.flatnonzero(requests.output_tokens > 1)
    order = multi[np.argsort(ready[multi], kind="stable")]
    for j in range(decode_instances):
        idx = order[j::decode_instances]
        if len(idx) == 0:
            continue
        sub = Requests(ready[idx], requests.input_tokens[idx], requests.output_tokens[idx])
        r = simulate(sub, table, step.kv_capacity_tokens, config, prefilled=True, core=core)
        finish[idx] = r.finish_s
        produced[idx] = r.produced_tokens
        preempt[idx] += r.preemptions
        iterations += r.iterations
        prefill_tok += r.prefill_tokens
        decode_tok += r.decode_tokens
        prefill_out += r.prefill_output_tokens
        busy += r.busy_s
    return SimResult(requests, first, finish, admit, produced, preempt, iterations, prefill_tok,
                     decode_tok, prefill_out, busy, table.max_rel_error)


def offline_throughput_tokens_s(result: SimResult) -> float:
    """Output tokens per second of an offline run [tokens/s]: all output / makespan."""
    return result.output_tokens / result.makespan_s
