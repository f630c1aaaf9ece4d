"""Iteration-level simulation of one serving replica with continuous batching.

Each engine iteration (one forward pass) serves every running decode sequence one token
and spends the rest of a token budget on prompt prefill (whole prompts, or chunks with
chunked prefill), as vLLM / Sarathi-Serve schedulers do (Kwon et al., "Efficient Memory
Management for LLM Serving with PagedAttention", SOSP 2023; Agrawal et al., "Taming
Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve", OSDI 2024). The KV cache
is paged in blocks of ``block_tokens``; when a decode step needs a block and none is free,
the most recently admitted sequence is preempted and later recomputed (its prompt and the
tokens it has already produced are prefilled again; nothing is lost).

Speed: between events (an arrival that can be admitted, a completion, a KV block shortage)
the batch is fixed and only its context grows, so the iteration time is
a + b (C0 + n j) for step j (see :mod:`stepmodel`); those stretches are advanced in one
closed-form jump instead of iteration by iteration.

Token conventions: a prefill of p tokens writes p KV entries and yields the first answer
token; each decode step writes one KV entry (the previous token) and yields the next, so an
answer of o tokens takes one prefill and o - 1 decode steps, ending with p + o - 1 KV
entries. A decode step's attention context counts its own token.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from siliconomics.errors import DoesNotFitError, SiliconomicsError
from siliconomics.serving.stepmodel import StepTable, chunk_attention_pairs
from siliconomics.serving.traffic import FloatArray, IntArray, Requests

if TYPE_CHECKING:
    import pandas as pd

MAX_BATCH_LIMIT = 65_536
"""Upper bound on ``max_batch`` [sequences]: far above any engine's setting (vLLM's default
``max_num_seqs`` is 256); the step table grows linearly with it."""
TOKEN_BUDGET_LIMIT = 1_048_576
"""Upper bound on ``token_budget`` [tokens] (vLLM's default 8192), for the same reason."""


class SchedulerConfig(BaseModel):
    """Batching limits of one replica's scheduler.

    Defaults follow vLLM: ``max_batch`` 256 (``max_num_seqs``), ``token_budget`` 8192
    (``max_num_batched_tokens`` for the OpenAI server on data-centre GPUs), KV blocks of
    16 tokens (``block_size``), chunked prefill on (vLLM V1 engine arguments, docs.vllm.ai
    "Engine Arguments" and "Optimization and Tuning", 2025).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    max_batch: int = Field(default=256, gt=0, le=MAX_BATCH_LIMIT,
                           description="Max sequences per iteration.")
    token_budget: int = Field(default=8192, gt=0, le=TOKEN_BUDGET_LIMIT,
                              description="Max tokens per iteration.")
    chunked_prefill: bool = True
    block_tokens: int = Field(default=16, gt=0, description="KV cache block size [tokens].")


@dataclass(frozen=True)
class TtftStop:
    """End a run as soon as ``count`` requests from index ``first_request`` on have had a
    first token more than ``ttft_s`` [s] after arriving: a capacity probe that has seen that
    many knows its TTFT percentile misses the target (:func:`~siliconomics.serving.capacity.
    max_rate_at_slo`) and need not simulate the rest of an overloaded queue."""

    first_request: int
    ttft_s: float
    count: int

    @classmethod
    def for_percentile(cls, n_requests: int, first_request: int, percentile: float,
                       ttft_s: float) -> TtftStop:
        """The stop that proves ``np.percentile(ttft[first_request:], percentile) > ttft_s``:
        with N = n_requests - first_request values and h = (N - 1) percentile / 100, NumPy's
        linear percentile is at least the sorted value at floor(h); one more value above the
        target than that needs covers floor(h) being one lower in floating point."""
        n = n_requests - first_request
        index = max(math.floor((n - 1) * percentile / 100.0) - 1, 0)
        return cls(first_request, ttft_s, max(n - index, 1))


@dataclass(frozen=True)
class SimResult:
    """Per-request timings [s] and totals of one replica's run.

    ``first_token_s``, ``finish_s``, ``admit_s`` are absolute times [s] (same clock as
    ``requests.arrival_s``); ``preemptions`` per request [count]; ``prefill_tokens``
    computed including recomputation [tokens]; ``produced_tokens`` answer tokens each request
    received [tokens]; ``decode_tokens`` tokens decode steps produced and
    ``prefill_output_tokens`` tokens prefills produced (first tokens, and the next token
    after each recompute) [tokens];
    ``busy_s`` time the replica spent in iterations [s]; ``step_error_frac`` the step-time
    surrogate's largest error found (see :mod:`stepmodel`); ``stopped``: the run ended early
    at its :class:`TtftStop` (requests not yet served then have NaN times, totals count
    what ran).
    """

    requests: Requests
    first_token_s: FloatArray
    finish_s: FloatArray
    admit_s: FloatArray
    produced_tokens: IntArray
    preemptions: IntArray
    iterations: int
    prefill_tokens: int
    decode_tokens: int
    prefill_output_tokens: int
    busy_s: float
    step_error_frac: float
    stopped: bool = False

    @property
    def ttft_s(self) -> FloatArray:
        """Time to first token [s]."""
        return self.first_token_s - self.requests.arrival_s

    @property
    def e2e_s(self) -> FloatArray:
        """End-to-end latency [s]."""
        return self.finish_s - self.requests.arrival_s

    @property
    def queue_s(self) -> FloatArray:
        """Wait from arrival to first admission into the batch [s]."""
        return self.admit_s - self.requests.arrival_s

    @property
    def tpot_s(self) -> FloatArray:
        """Time per output token after the first [s/token] (NaN for 1-token answers)."""
        extra = self.requests.output_tokens - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(extra > 0, (self.finish_s - self.first_token_s) / extra, np.nan)

    @property
    def makespan_s(self) -> float:
        """From the first arrival to the last completion [s]."""
        return float(self.finish_s.max() - self.requests.arrival_s.min())

    @property
    def output_tokens(self) -> int:
        """Answer tokens produced [tokens]."""
        return int(self.produced_tokens.sum())

    def to_frame(self) -> pd.DataFrame:
        """This result as a pandas DataFrame, one row per request
        (:func:`siliconomics.frames.sim_frame`)."""
        from siliconomics.frames import sim_frame

        return sim_frame(self)


def required_table_tokens(requests: Requests, config: SchedulerConfig) -> int:
    """Largest iteration size the scheduler can produce [tokens] for these requests."""
    longest = int((requests.input_tokens + requests.output_tokens).max())
    prefill = config.token_budget if config.chunked_prefill else max(config.token_budget, longest)
    return prefill + min(config.max_batch, len(requests))  # never more sequences than requests


def check_fits(requests: Requests, kv_capacity_tokens: int, config: SchedulerConfig) -> None:
    """Raise :class:`DoesNotFitError` when the replica's KV cache cannot hold the longest
    request (what :func:`simulate` checks first; callers check before tabulating a step
    table for a replica that cannot run)."""
    _fits(requests, kv_capacity_tokens // config.block_tokens, config.block_tokens,
          kv_capacity_tokens)


def _fits(requests: Requests, capacity_blocks: int, block: int, kv_capacity_tokens: int) -> None:
    longest = int((requests.input_tokens + requests.output_tokens).max())
    need = -(-longest // block) + 1
    if need > capacity_blocks:
        raise DoesNotFitError(
            f"a request of {longest} tokens needs {need} KV blocks of {block} tokens but the "
            f"replica holds {capacity_blocks} ({kv_capacity_tokens} tokens after weights); "
            f"use more chips (tp) or a smaller kv dtype")


Core = Literal["compiled", "python"]
"""Which scheduler loop runs: ``compiled`` (numba, :mod:`compiled`, the default) or
``python`` (the readable reference :class:`_Engine`); both give identical results."""
DEFAULT_CORE: Core = "compiled"


def simulate(requests: Requests, table: StepTable, kv_capacity_tokens: int,
             config: SchedulerConfig | None = None, *, prefilled: bool = False,
             core: Core = DEFAULT_CORE, stop: TtftStop | None = None) -> SimResult:
    """Run one replica over ``requests`` until every request completes (or, with ``stop``,
    until its condition holds: ``SimResult.stopped``).

    ``prefilled`` (decode pool of a disaggregated deployment): requests arrive with their
    prompt's KV already transferred and their first token produced; the replica only decodes.
    ``core`` picks the loop (see :data:`Core`).
    Deterministic: the same inputs give the same result (no randomness inside).
    """
    cfg = config or SchedulerConfig()
    if table.max_tokens < required_table_tokens(requests, cfg):
        raise ValueError("step table too small for this scheduler config (internal error)")
    block = cfg.block_tokens
    cap = kv_capacity_tokens // block
    _fits(requests, cap, block, kv_capacity_tokens)
    runner = _CORES.get(core)
    if runner is None:
        raise SiliconomicsError(f"simulator core must be one of {sorted(_CORES)}, got {core!r}")
    return runner(requests, table, cap, cfg, prefilled, stop)


def _run_python(requests: Requests, table: StepTable, cap_blocks: int, cfg: SchedulerConfig,
                prefilled: bool, stop: TtftStop | None) -> SimResult:
    return _Engine(requests, table, cap_blocks, cfg, prefilled, stop).run()


def _run_compiled(requests: Requests, table: StepTable, cap_blocks: int, cfg: SchedulerConfig,
                  prefilled: bool, stop: TtftStop | None) -> SimResult:
    from siliconomics.serving import compiled  # numba is imported only when this core runs

    first, finish, admit, produced, preempt, totals, busy, stopped = compiled.run(
        requests.arrival_s, requests.input_tokens, requests.output_tokens, table.arrays,
        cfg.block_tokens, cap_blocks, cfg.token_budget, cfg.max_batch, cfg.chunked_prefill,
        prefilled, stop)
    if prefilled:
        first = np.asarray(requests.arrival_s, dtype=np.float64).copy()
    iterations, prefill_tokens, decode_tokens, prefill_output = totals
    return SimResult(requests, first, finish, admit, produced, preempt, iterations,
                     prefill_tokens, decode_tokens, prefill_output, busy, table.max_rel_error,
                     stopped)


_CORES: dict[str, Callable[[Requests, StepTable, int, SchedulerConfig, bool, TtftStop | None],
                           SimResult]] = {
    "compiled": _run_compiled,
    "python": _run_python,
}


class _Engine:
    """Mutable state of one run. Sequences are ids into per-request lists."""

    def __init__(self, requests: Requests, table: StepTable, cap_blocks: int,
                 cfg: SchedulerConfig, prefilled: bool, stop: TtftStop | None = None) -> None:
        self.stop = stop
        self.req = requests
        self.table = table
        self.cap = cap_blocks
        self.cfg = cfg
        self.prefilled = prefilled
        n = len(requests)
        self.arr: list[float] = requests.arrival_s.tolist()
        self.pin: list[int] = requests.input_tokens.tolist()
        self.pout: list[int] = requests.output_tokens.tolist()
        nan = math.nan
        self.first = [nan] * n
        self.finish = [nan] * n
        self.admit = [nan] * n
        self.gen = [1 if prefilled else 0] * n  # tokens produced when (re)admitted
        self.preempt = [0] * n
        self.epoch = [0] * n
        self.out_count = [0] * n

    def run(self) -> SimResult:
        """The scheduler loop (one function: local variables keep it fast)."""
        cfg, tb = self.cfg, self.table
        arr, pin, pout, gen = self.arr, self.pin, self.pout, self.gen
        first, finish, admit, epoch = self.first, self.finish, self.admit, self.epoch
        out_count = self.out_count
        first_tokens = 0  # tokens produced by prefills (first tokens and after recompute)
        base, extra, per_pair, per_ctx = tb.lists()
        B, cap, budget, max_batch = cfg.block_tokens, self.cap, cfg.token_budget, cfg.max_batch
        chunked, prefilled = cfg.chunked_prefill, self.prefilled
        n_req = len(arr)
        stop = self.stop
        stop_from, stop_ttft, stop_count = ((stop.first_request, stop.ttft_s, stop.count)
                                            if stop is not None else (0, 0.0, 0))
        late = 0  # first tokens later than stop_ttft, from stop_from on
        stopped = False

        now = 0.0
        G = 0  # global decode-step counter: a running sequence advances one token per step
        nxt = 0  # next request (arrival order) never admitted
        waiting_pre: deque[int] = deque()  # preempted, readmitted first
        prefilling: deque[list[int]] = deque()  # [rid, remaining, position, total]
        running: dict[int, int] = {}  # decoding rid -> finish step (admission order)
        phase: dict[int, int] = {}  # rid -> (ctx - G) mod B, invariant while decoding
        heap: list[tuple[int, int, int]] = []  # (finish step, rid, epoch)
        hist = [0] * B  # decoding sequences per phase
        used = 0  # KV blocks in use
        n_dec = 0
        ctx_sum = 0  # KV tokens of decoding sequences
        done = 0
        iterations = 0
        prefill_tok_total = 0
        decode_tok_total = 0
        busy = 0.0

        def blocks_between(g0: int, g1: int) -> int:
            """New KV blocks decode steps g0 .. g1 - 1 need (a step needs one per sequence
            whose cache is a whole number of blocks)."""
            steps = g1 - g0
            if steps <= 0:
                return 0
            total = (steps // B) * n_dec
            for g in range(g0 + (steps // B) * B, g1):
                total += hist[(-g) % B]
            return total

        def leave(rid: int, fin: int) -> int:
            """Remove a decoding sequence; returns its KV tokens."""
            nonlocal n_dec, ctx_sum, used
            produced = pout[rid] - (fin - G)
            ctx = pin[rid] + produced - 1
            del running[rid]
            hist[phase.pop(rid)] -= 1
            n_dec -= 1
            ctx_sum -= ctx
            used -= -(-ctx // B)
            return produced

        def join(rid: int, produced: int, ctx: int) -> None:
            nonlocal n_dec, ctx_sum, done, used
            if produced >= pout[rid]:
                finish[rid] = now
                out_count[rid] = produced
                used -= -(-ctx // B)
                done += 1
                return
            fin = G + pout[rid] - produced
            running[rid] = fin
            ph = (ctx - G) % B
            phase[rid] = ph
            hist[ph] += 1
            n_dec += 1
            ctx_sum += ctx
            heapq.heappush(heap, (fin, rid, epoch[rid]))

        while done < n_req:
            # ---- admit prefilled arrivals (decode pool) straight into the decode set
            if prefilled and not waiting_pre:
                while n_dec + len(prefilling) < max_batch and n_dec < budget:
                    if not (nxt < n_req and arr[nxt] <= now):
                        break
                    rid = nxt
                    ctx = pin[rid]
                    blocks = -(-ctx // B)
                    if used + blocks + n_dec + 1 > cap:
                        break
                    nxt += 1
                    admit[rid] = now
                    used += blocks
                    join(rid, 1, ctx)

            # ---- blocks for this step's decode tokens; preempt the newest if short
            need = hist[(-G) % B]
            while used + need > cap and n_dec > 0:
                victim = next(reversed(running))
                fin = running[victim]
                ph = phase[victim]
                produced = leave(victim, fin)
                if (ph + G) % B == 0:
                    need -= 1
                epoch[victim] += 1
                gen[victim] = produced
                self.preempt[victim] += 1
                waiting_pre.appendleft(victim)
            used += need

            # ---- prefill: continue chunks, then admit waiting requests
            p_tok = 0
            pairs = 0
            left = budget - n_dec
            completed_prefill: list[tuple[int, int]] = []
            for item in prefilling:
                if left <= 0:
                    break
                rid, rem, pos, tot = item
                c = min(rem, left) if chunked else rem
                pairs += chunk_attention_pairs(c, pos)
                p_tok += c
                left -= c
                item[1] = rem - c
                item[2] = pos + c
            while prefilling and prefilling[0][1] == 0:
                rid, _, _, tot = prefilling.popleft()
                completed_prefill.append((rid, tot))
            while left > 0 and n_dec + len(prefilling) + len(completed_prefill) < max_batch:
                if waiting_pre:
                    rid = waiting_pre[0]
                elif not prefilled and nxt < n_req and arr[nxt] <= now:
                    rid = nxt
                else:
                    break
                tot = pin[rid] + gen[rid]
                blocks = -(-tot // B)
                if used + blocks > cap:
                    break
                if not chunked and tot > left and p_tok > 0:
                    break
                if waiting_pre:
                    waiting_pre.popleft()
                else:
                    nxt += 1
                if admit[rid] != admit[rid]:
                    admit[rid] = now
                used += blocks
                c = min(tot, left) if chunked else tot
                pairs += chunk_attention_pairs(c, 0)
                p_tok += c
                left -= c
                if c == tot:
                    completed_prefill.append((rid, tot))
                else:
                    prefilling.append([rid, tot - c, c, tot])

            if p_tok == 0 and n_dec == 0:
                # idle: wait for the next arrival
                if nxt >= n_req:
                    raise RuntimeError("serving simulation stalled (internal error)")
                now = max(now, arr[nxt])
                continue

            # ---- how many identical pure-decode steps can run before the next event
            k = 1
            if p_tok == 0:
                a = base[n_dec] + extra[n_dec]
                b = per_ctx[n_dec]
                s0 = ctx_sum + n_dec
                while heap and heap[0][2] != epoch[heap[0][1]]:
                    heapq.heappop(heap)
                k = heap[0][0] - G
                blocked = bool(waiting_pre) or (nxt < n_req and arr[nxt] <= now)
                if not blocked and nxt < n_req and n_dec < max_batch and n_dec < budget:
                    gap = arr[nxt] - now
                    k = _steps_to_reach(a, b, s0, n_dec, gap, k)
                free = cap - used
                new_blocks = blocks_between(G + 1, G + k)
                if new_blocks > free:
                    lo, hi, lo_blocks = 1, k, 0  # largest k whose later steps fit
                    while lo < hi:
                        mid = (lo + hi + 1) // 2
                        mid_blocks = blocks_between(G + 1, G + mid)
                        if mid_blocks <= free:
                            lo, lo_blocks = mid, mid_blocks
                        else:
                            hi = mid - 1
                    k, new_blocks = lo, lo_blocks
                dt = k * a + b * (k * s0 + n_dec * k * (k - 1) / 2.0)
                used += new_blocks
            else:
                dt = (base[p_tok + n_dec] + extra[n_dec] + per_pair[p_tok + n_dec] * pairs
                      + per_ctx[p_tok + n_dec] * (ctx_sum + n_dec))

            now += dt
            busy += dt
            iterations += k
            prefill_tok_total += p_tok
            decode_tok_total += n_dec * k
            G += k
            ctx_sum += n_dec * k
            # ---- completions, then finished prefills join the decode set
            while heap and heap[0][0] <= G:
                fin, rid, ep = heapq.heappop(heap)
                if ep != epoch[rid]:
                    continue
                out_count[rid] = leave(rid, fin)
                finish[rid] = now
                done += 1
            for rid, tot in completed_prefill:
                if first[rid] != first[rid]:
                    first[rid] = now
                    if stop_count > 0 and rid >= stop_from and now - arr[rid] > stop_ttft:
                        late += 1
                first_tokens += 1
                join(rid, gen[rid] + 1, tot)
            if stop_count > 0 and late >= stop_count:
                stopped = True
                break

        first_arr = np.asarray(first)
        if prefilled:
            first_arr = np.asarray(self.req.arrival_s, dtype=np.float64).copy()
        return SimResult(
            requests=self.req,
            first_token_s=first_arr,
            finish_s=np.asarray(finish),
            admit_s=np.asarray(admit),
            produced_tokens=np.asarray(out_count, dtype=np.int64),
            preemptions=np.asarray(self.preempt, dtype=np.int64),
            iterations=iterations,
            prefill_tokens=prefill_tok_total,
            decode_tokens=decode_tok_total,
            prefill_output_tokens=first_tokens,
            busy_s=busy,
            step_error_frac=self.table.max_rel_error,
            stopped=stopped,
        )


def _steps_to_reach(a: float, b: float, s0: float, n: int, gap: float, limit: int) -> int:
    """Smallest k in [1, ``limit``] with T(k) = k a + b (k s0 + n k (k - 1) / 2) >= gap
    [steps]; ``limit`` when even T(limit) < gap (the next event comes first)."""
    if gap <= 0:
        return 1

    def total(k: int) -> float:
        return k * a + b * (k * s0 + n * k * (k - 1) / 2.0)

    if limit <= 1 or total(limit) < gap:
        return max(limit, 1)

    qa = 0.5 * b * n
    qb = a + b * s0 - qa
    root = (-qb + math.sqrt(qb * qb + 4.0 * qa * gap)) / (2.0 * qa) if qa > 0 else gap / qb
    k = max(math.ceil(root), 1)
    while k > 1 and total(k - 1) >= gap:
        k -= 1
    while total(k) < gap:
        k += 1
    return min(k, limit)
