"""How one call is timed: device time of back-to-back calls, median of repeated replays.

On a CUDA device the calls are captured once in a CUDA graph (R calls, rotating through
``n_bufs`` weight or KV buffers so nothing stays in L2) and the graph is replayed; the time
of one call is replay time / R and the result is the median over replays. This removes
launch gaps, which the performance model accounts for separately. On the CPU (``--smoke``)
the calls are timed with a wall clock; those numbers only check the harness itself.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

Step = Callable[..., Any]
"""One call of the operation under test, given the index of the buffer to use."""

MAX_GRAPH_CALLS = 2000
"""Upper bound on calls captured in one graph (memory of the captured graph)."""


def n_buffers(bytes_per_buffer: int, l2_bytes: int, max_buffers: int = 64) -> int:
    """Buffers to rotate through so their total exceeds 4x the L2 cache.

    ``ceil(4 * l2_bytes / bytes_per_buffer)`` clipped to [1, ``max_buffers``]: with more than
    four L2's worth of distinct weights between two uses of the same buffer, no call finds its
    operands in cache, as in a real model whose layers each read their own weights.
    """
    needed = -(-4 * l2_bytes // max(bytes_per_buffer, 1))
    return int(min(max_buffers, max(1, needed)))


def graph_calls(estimate_ms: float, n_bufs: int, target_ms: float) -> int:
    """Calls per captured graph: about ``target_ms`` of work, a multiple of ``n_bufs``.

    A multiple of the buffer count keeps every buffer used equally often.
    """
    calls = int(min(max(target_ms / max(estimate_ms, 1e-3), n_bufs, 1), MAX_GRAPH_CALLS))
    if calls >= n_bufs:
        calls = max(n_bufs, (calls // n_bufs) * n_bufs)
    return calls


def time_cpu(step: Step, n_bufs: int, replays: int = 3) -> float:
    """Median wall time of one call [ms] on the CPU, after one warm-up pass."""
    passes = max(n_bufs, 2)
    for i in range(passes):
        step(i % n_bufs)
    samples = []
    for _ in range(replays):
        start = time.perf_counter()
        for i in range(passes):
            step(i % n_bufs)
        samples.append((time.perf_counter() - start) * 1e3 / passes)
    return statistics.median(samples)


def time_cuda(torch: Any, step: Step, n_bufs: int, target_ms: float, replays: int) -> float:
    """Median device time of one call [ms] from replays of a CUDA graph of back-to-back calls."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as graph capture requires
        for i in range(3):
            step(i % n_bufs)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for i in range(n_bufs):
        step(i % n_bufs)
    end.record()
    torch.cuda.synchronize()
    calls = graph_calls(start.elapsed_time(end) / n_bufs, n_bufs, target_ms)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(calls):
            step(i % n_bufs)
    graph.replay()
    torch.cuda.synchronize()
    samples = []
    for _ in range(replays):
        start.record()
        graph.replay()
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end) / calls)
    del graph
    return float(statistics.median(samples))


def time_calls(
    torch: Any, device: str, step: Step, n_bufs: int, target_ms: float = 30.0, replays: int = 7
) -> float:
    """Time of one call of ``step`` [ms] on ``device`` ('cuda' or 'cpu')."""
    if device == "cuda":
        return time_cuda(torch, step, n_bufs, target_ms, replays)
    return time_cpu(step, n_bufs)
