"""Where the serving layer's independent simulations run: the executor it accepts.

Capacity seeds, sampled replicas, deployment candidates and whole fleets are independent
given their inputs (each carries its own seed), so they can run in any order and place.
The serving functions take an optional ``executor``: any object with the ``map`` of
``siliconomics.explore.executors`` (serial, local processes, Ray), declared here as a
protocol so that serving does not depend on the search package. None runs the items in
this process, in order. Results never depend on the executor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int], None]


class MapExecutor(Protocol):
    """``map(fn, items)`` = ``[fn(item) for item in items]``, possibly in parallel, results
    in item order; ``progress(done, total)`` after each item."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], *,
            description: str | None = None,
            progress: Progress | None = None) -> list[Any]: ...


def run_map(executor: MapExecutor | None, fn: Callable[[T], R], items: Sequence[T],
            description: str, progress: Progress | None = None) -> list[R]:
    """``fn`` over ``items`` through ``executor`` (a plain in-process loop when None)."""
    if executor is not None:
        return executor.map(fn, items, description=description, progress=progress)
    out: list[R] = []
    for item in items:
        out.append(fn(item))
        if progress is not None:
            progress(len(out), len(items))
    return out
