"""The simulator's scheduler loop compiled with numba: same semantics as :mod:`sim`.

:func:`siliconomics.serving.sim.simulate` runs this core by default; the Python loop in
:mod:`sim` stays as the readable reference, and the tests run both on the same seeded
workloads and require identical results (every float operation is done in the same order
on the same IEEE doubles, and numba does not reorder or fuse them without ``fastmath``).

Per-request state lives in NumPy arrays instead of Python lists and dicts:

* ``running`` (decoding sequences in admission order, the newest preempted first) is a
  doubly linked list over request ids (``nxt``/``prv``, ``tail``);
* the preempted queue (readmitted newest first) is a stack;
* sequences in chunked prefill are a ring buffer of at most ``max_batch`` entries;
* the completion heap holds (finish step, request id, epoch) in three arrays and grows by
  doubling; stale entries (a preempted sequence's old finish) are skipped as in :mod:`sim`.

``cache=True`` keeps the machine code on disk (numba's ``__pycache__`` next to this file,
or the user cache directory when that is read-only), so only the first run on a machine
pays the compilation (a few seconds).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from siliconomics.serving.traffic import FloatArray, IntArray

if TYPE_CHECKING:
    from siliconomics.serving.sim import TtftStop

STALLED = 1
"""Status returned by the kernel when no request can ever be admitted (internal error)."""
STOPPED = 2
"""Status returned by the kernel when the run ended at its TTFT stop (``sim.TtftStop``)."""

# indices of the integer totals returned by the kernel
_ITERATIONS, _PREFILL_TOKENS, _DECODE_TOKENS, _PREFILL_OUTPUT, _STATUS = range(5)


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _blocks_between(hist: Any, block: int, n_dec: int, g0: int, g1: int) -> int:
    """New KV blocks decode steps g0 .. g1 - 1 need (see ``sim.blocks_between``)."""
    steps = g1 - g0
    if steps <= 0:
        return 0
    total = (steps // block) * n_dec
    g = g0 + (steps // block) * block
    if g == g1:
        return total
    phase = (-g) % block  # then one less per step, wrapping, instead of a modulo per step
    for _ in range(g1 - g):
        total += hist[phase]
        phase = phase - 1 if phase > 0 else block - 1
    return total


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _steps_to_reach(a: float, b: float, s0: int, n: int, gap: float, limit: int) -> int:
    """Smallest k in [1, ``limit``] with k a + b (k s0 + n k (k - 1) / 2) >= gap
    (``sim._steps_to_reach``, same arithmetic)."""
    if gap <= 0:
        return 1
    if limit <= 1 or limit * a + b * (limit * s0 + n * limit * (limit - 1) / 2.0) < gap:
        return max(limit, 1)
    qa = 0.5 * b * n
    qb = a + b * s0 - qa
    root = (-qb + math.sqrt(qb * qb + 4.0 * qa * gap)) / (2.0 * qa) if qa > 0 else gap / qb
    k = max(math.ceil(root), 1)
    while k > 1 and (k - 1) * a + b * ((k - 1) * s0 + n * (k - 1) * (k - 2) / 2.0) >= gap:
        k -= 1
    while k * a + b * (k * s0 + n * k * (k - 1) / 2.0) < gap:
        k += 1
    return min(k, limit)


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _heap_push(hf: Any, hr: Any, he: Any, size: int, fin: int, rid: int, ep: int) -> int:
    """Push (fin, rid, ep) on the min-heap ordered by (fin, rid); returns the new size."""
    i = size
    hf[i], hr[i], he[i] = fin, rid, ep
    while i > 0:
        parent = (i - 1) >> 1
        if hf[parent] < hf[i] or (hf[parent] == hf[i] and hr[parent] <= hr[i]):
            break
        hf[i], hf[parent] = hf[parent], hf[i]
        hr[i], hr[parent] = hr[parent], hr[i]
        he[i], he[parent] = he[parent], he[i]
        i = parent
    return size + 1


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _heap_pop(hf: Any, hr: Any, he: Any, size: int) -> int:
    """Remove the heap's top; returns the new size."""
    size -= 1
    hf[0], hr[0], he[0] = hf[size], hr[size], he[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        right = left + 1
        if right < size and (hf[right] < hf[left] or (hf[right] == hf[left]
                                                      and hr[right] < hr[left])):
            child = right
        if hf[i] < hf[child] or (hf[i] == hf[child] and hr[i] <= hr[child]):
            break
        hf[i], hf[child] = hf[child], hf[i]
        hr[i], hr[child] = hr[child], hr[i]
        he[i], he[child] = he[child], he[i]
        i = child
    return size


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _heap_grow(values: Any) -> Any:
    """``values`` with twice the room (the heap outgrew its arrays)."""
    out = np.zeros(2 * values.shape[0], dtype=values.dtype)
    out[: values.shape[0]] = values
    return out


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _append(nxt_l: Any, prv_l: Any, tail: int, rid: int) -> int:
    """Append ``rid`` to the running list; returns the new tail."""
    prv_l[rid] = tail
    nxt_l[rid] = -1
    if tail >= 0:
        nxt_l[tail] = rid
    return rid


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _unlink(nxt_l: Any, prv_l: Any, tail: int, rid: int) -> int:
    """Remove ``rid`` from the running list; returns the new tail."""
    before = prv_l[rid]
    after = nxt_l[rid]
    if before >= 0:
        nxt_l[before] = after
    if after >= 0:
        prv_l[after] = before
        return tail
    return int(before)


@njit(cache=True)  # type: ignore[untyped-decorator,unused-ignore]
def _run(arr: Any, pin: Any, pout: Any, base: Any, extra: Any, per_pair: Any, per_ctx: Any,
         block: int, cap: int, budget: int, max_batch: int, chunked: bool,
         prefilled: bool, stop_from: int, stop_ttft: float, stop_count: int) -> Any:
    """The scheduler loop of ``sim._Engine.run`` over arrays (see the module doc); with
    ``stop_count`` > 0 it ends once that many requests from ``stop_from`` on had their first
    token more than ``stop_ttft`` after arriving (``sim.TtftStop``)."""
    n_req = arr.shape[0]
    nan = np.nan
    first = np.full(n_req, nan)
    finish = np.full(n_req, nan)
    admit = np.full(n_req, nan)
    gen = np.full(n_req, 1 if prefilled else 0, dtype=np.int64)
    preempt = np.zeros(n_req, dtype=np.int64)
    epoch = np.zeros(n_req, dtype=np.int64)
    out_count = np.zeros(n_req, dtype=np.int64)
    fin_step = np.zeros(n_req, dtype=np.int64)  # finish step of a decoding sequence
    phase = np.zeros(n_req, dtype=np.int64)  # (ctx - G) mod B while decoding
    nxt_l = np.full(n_req, -1, dtype=np.int64)  # running list, admission order
    prv_l = np.full(n_req, -1, dtype=np.int64)
    tail = -1
    waiting = np.zeros(n_req, dtype=np.int64)  # preempted, newest on top
    n_wait = 0
    ring = min(max_batch, n_req) + 1
    pf_rid = np.zeros(ring, dtype=np.int64)  # chunked prefill in progress, FIFO
    pf_rem = np.zeros(ring, dtype=np.int64)
    pf_pos = np.zeros(ring, dtype=np.int64)
    pf_tot = np.zeros(ring, dtype=np.int64)
    pf_head = 0
    n_pf = 0
    cp_rid = np.zeros(ring, dtype=np.int64)  # prefills completed this iteration
    cp_tot = np.zeros(ring, dtype=np.int64)
    hf = np.zeros(n_req + 16, dtype=np.int64)  # completion heap: finish step,
    hr = np.zeros(n_req + 16, dtype=np.int64)  # request id,
    he = np.zeros(n_req + 16, dtype=np.int64)  # epoch when pushed
    n_heap = 0
    hist = np.zeros(block, dtype=np.int64)

    B = block
    now = 0.0
    G = 0
    nxt = 0
    used = 0
    n_dec = 0
    ctx_sum = 0
    done = 0
    iterations = 0
    prefill_tok_total = 0
    decode_tok_total = 0
    first_tokens = 0
    busy = 0.0
    status = 0
    late = 0

    while done < n_req:
        # ---- admit prefilled arrivals (decode pool) straight into the decode set
        if prefilled and n_wait == 0:
            while n_dec + n_pf < max_batch and n_dec < budget:
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
                # join(rid, 1, ctx)
                if pout[rid] <= 1:
                    finish[rid] = now
                    out_count[rid] = 1
                    used -= -(-ctx // B)
                    done += 1
                else:
                    fin = G + pout[rid] - 1
                    fin_step[rid] = fin
                    tail = _append(nxt_l, prv_l, tail, rid)
                    ph = (ctx - G) % B
                    phase[rid] = ph
                    hist[ph] += 1
                    n_dec += 1
                    ctx_sum += ctx
                    if n_heap == hf.shape[0]:
                        hf, hr, he = _heap_grow(hf), _heap_grow(hr), _heap_grow(he)
                    n_heap = _heap_push(hf, hr, he, n_heap, fin, rid, epoch[rid])

        # ---- blocks for this step's decode tokens; preempt the newest if short
        need = hist[(-G) % B]
        while used + need > cap and n_dec > 0:
            victim = tail
            fin = fin_step[victim]
            ph = phase[victim]
            # leave(victim, fin)
            produced = pout[victim] - (fin - G)
            ctx = pin[victim] + produced - 1
            tail = _unlink(nxt_l, prv_l, tail, victim)
            hist[ph] -= 1
            n_dec -= 1
            ctx_sum -= ctx
            used -= -(-ctx // B)
            if (ph + G) % B == 0:
                need -= 1
            epoch[victim] += 1
            gen[victim] = produced
            preempt[victim] += 1
            waiting[n_wait] = victim
            n_wait += 1
        used += need

        # ---- prefill: continue chunks, then admit waiting requests
        p_tok = 0
        pairs = 0
        left = budget - n_dec
        n_cp = 0
        for j in range(n_pf):
            if left <= 0:
                break
            slot = (pf_head + j) % ring
            rem = pf_rem[slot]
            pos = pf_pos[slot]
            c = min(rem, left) if chunked else rem
            pairs += c * pos + c * (c + 1) // 2
            p_tok += c
            left -= c
            pf_rem[slot] = rem - c
            pf_pos[slot] = pos + c
        while n_pf > 0 and pf_rem[pf_head] == 0:
            cp_rid[n_cp] = pf_rid[pf_head]
            cp_tot[n_cp] = pf_tot[pf_head]
            n_cp += 1
            pf_head = (pf_head + 1) % ring
            n_pf -= 1
        while left > 0 and n_dec + n_pf + n_cp < max_batch:
            if n_wait > 0:
                rid = waiting[n_wait - 1]
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
            if n_wait > 0:
                n_wait -= 1
            else:
                nxt += 1
            if admit[rid] != admit[rid]:
                admit[rid] = now
            used += blocks
            c = min(tot, left) if chunked else tot
            pairs += c * (c + 1) // 2
            p_tok += c
            left -= c
            if c == tot:
                cp_rid[n_cp] = rid
                cp_tot[n_cp] = tot
                n_cp += 1
            else:
                slot = (pf_head + n_pf) % ring
                pf_rid[slot] = rid
                pf_rem[slot] = tot - c
                pf_pos[slot] = c
                pf_tot[slot] = tot
                n_pf += 1

        if p_tok == 0 and n_dec == 0:
            # idle: wait for the next arrival
            if nxt >= n_req:
                status = STALLED
                break
            now = max(now, arr[nxt])
            continue

        # ---- how many identical pure-decode steps can run before the next event
        k = 1
        if p_tok == 0:
            a = base[n_dec] + extra[n_dec]
            b = per_ctx[n_dec]
            s0 = ctx_sum + n_dec
            while n_heap > 0 and he[0] != epoch[hr[0]]:
                n_heap = _heap_pop(hf, hr, he, n_heap)
            k = hf[0] - G
            blocked = n_wait > 0 or (nxt < n_req and arr[nxt] <= now)
            if not blocked and nxt < n_req and n_dec < max_batch and n_dec < budget:
                gap = arr[nxt] - now
                k = _steps_to_reach(a, b, s0, n_dec, gap, k)
            free = cap - used
            new_blocks = _blocks_between(hist, B, n_dec, G + 1, G + k)
            if new_blocks > free:
                lo = 1  # largest k whose later steps fit
                hi = k
                lo_blocks = 0
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    mid_blocks = _blocks_between(hist, B, n_dec, G + 1, G + mid)
                    if mid_blocks <= free:
                        lo = mid
                        lo_blocks = mid_blocks
                    else:
                        hi = mid - 1
                k = lo
                new_blocks = lo_blocks
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
        while n_heap > 0 and hf[0] <= G:
            fin = hf[0]
            rid = hr[0]
            ep = he[0]
            n_heap = _heap_pop(hf, hr, he, n_heap)
            if ep != epoch[rid]:
                continue
            # leave(rid, fin)
            produced = pout[rid] - (fin - G)
            ctx = pin[rid] + produced - 1
            tail = _unlink(nxt_l, prv_l, tail, rid)
            hist[phase[rid]] -= 1
            n_dec -= 1
            ctx_sum -= ctx
            used -= -(-ctx // B)
            out_count[rid] = produced
            finish[rid] = now
            done += 1
        for j in range(n_cp):
            rid = cp_rid[j]
            tot = cp_tot[j]
            if first[rid] != first[rid]:
                first[rid] = now
                if stop_count > 0 and rid >= stop_from and now - arr[rid] > stop_ttft:
                    late += 1
            first_tokens += 1
            # join(rid, gen[rid] + 1, tot)
            produced = gen[rid] + 1
            if produced >= pout[rid]:
                finish[rid] = now
                out_count[rid] = produced
                used -= -(-tot // B)
                done += 1
                continue
            fin = G + pout[rid] - produced
            fin_step[rid] = fin
            tail = _append(nxt_l, prv_l, tail, rid)
            ph = (tot - G) % B
            phase[rid] = ph
            hist[ph] += 1
            n_dec += 1
            ctx_sum += tot
            if n_heap == hf.shape[0]:
                hf, hr, he = _heap_grow(hf), _heap_grow(hr), _heap_grow(he)
            n_heap = _heap_push(hf, hr, he, n_heap, fin, rid, epoch[rid])
        if stop_count > 0 and late >= stop_count:
            status = STOPPED
            break

    totals = np.zeros(5, dtype=np.int64)
    totals[_ITERATIONS] = iterations
    totals[_PREFILL_TOKENS] = prefill_tok_total
    totals[_DECODE_TOKENS] = decode_tok_total
    totals[_PREFILL_OUTPUT] = first_tokens
    totals[_STATUS] = status
    return first, finish, admit, out_count, preempt, totals, busy


def run(arrival_s: FloatArray, input_tokens: IntArray, output_tokens: IntArray,
        table_arrays: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
        block_tokens: int, cap_blocks: int, token_budget: int, max_batch: int,
        chunked_prefill: bool, prefilled: bool, stop: TtftStop | None = None
        ) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, IntArray, list[int], float,
                   bool]:
    """Run the compiled loop; returns (first, finish, admit, produced, preemptions,
    [iterations, prefill tokens, decode tokens, prefill output tokens], busy [s], stopped
    at ``stop``).

    Raises RuntimeError when the loop stalls (an internal error, as in :mod:`sim`).
    """
    base, extra, per_pair, per_ctx = table_arrays
    stop_from, stop_ttft, stop_count = ((stop.first_request, stop.ttft_s, stop.count)
                                        if stop is not None else (0, 0.0, 0))
    first, finish, admit, produced, preempt, totals, busy = _run(
        np.ascontiguousarray(arrival_s, dtype=np.float64),
        np.ascontiguousarray(input_tokens, dtype=np.int64),
        np.ascontiguousarray(output_tokens, dtype=np.int64),
        base, extra, per_pair, per_ctx, block_tokens, cap_blocks, token_budget, max_batch,
        chunked_prefill, prefilled, int(stop_from), float(stop_ttft), int(stop_count))
    if totals[_STATUS] == STALLED:
        raise RuntimeError("serving simulation stalled (internal error)")
    return (first, finish, admit, produced, preempt,
            [int(totals[i]) for i in (_ITERATIONS, _PREFILL_TOKENS, _DECODE_TOKENS,
                                      _PREFILL_OUTPUT)], float(busy),
            bool(totals[_STATUS] == STOPPED))


def warm_up() -> None:
    """Compile the core (or load it from numba's disk cache) with a tiny run, so that the
    first real simulation's timing does not include it."""
    zeros = np.zeros(4, dtype=np.float64)
    ones = np.ones(4, dtype=np.float64)
    run(np.zeros(2), np.ones(2, dtype=np.int64), np.full(2, 2, dtype=np.int64),
        (ones, zeros, zeros, zeros), 16, 8, 2, 2, True, False)
