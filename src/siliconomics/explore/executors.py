"""Where many independent evaluations run: in-process, on local cores, or on a Ray cluster.

Every executor has one method, :meth:`Executor.map`, which applies a picklable function to a
list of picklable items and returns the results **in the order of the items**. Results do
not depend on the executor: the function receives everything it needs (including any seed)
in its item, so serial, local and Ray runs of the same search give the same numbers.

- ``serial``: a plain loop in this process (debugging, tiny runs, nested use).
- ``local`` (default): :class:`concurrent.futures.ProcessPoolExecutor` over this machine's
  cores.
- ``threads``: :class:`concurrent.futures.ThreadPoolExecutor` in this process, for work that
  releases the GIL (NumPy on large arrays, numba ``nogil`` kernels): no worker start-up, no
  copies of the inputs, and the memory is this one process's (the strategy Monte Carlo).
- ``ray``: one Ray task per item (``pip install "siliconomics[ray]"``). With no address Ray
  starts on this machine; with ``address="ray://host:10001"`` or ``"auto"`` it joins a cluster.

Executors are registered by name in :data:`EXECUTORS`; an unknown name is an error listing
the valid ones.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from siliconomics.errors import SiliconomicsError

T = TypeVar("T")
R = TypeVar("R")

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished item (in completion order)."""


class Executor(Protocol):
    """Runs ``fn`` over ``items``; results in item order."""

    @property
    def name(self) -> str:
        """The registry name (``serial``, ``local``, ``ray``)."""
        ...

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        description: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        """``[fn(item) for item in items]``, possibly in parallel; order preserved."""
        ...


def _check_workers(max_workers: int | None) -> int | None:
    if max_workers is not None and max_workers < 1:
        raise SiliconomicsError(f"executor max_workers={max_workers} must be >= 1 (or omitted for all cores)")
    return max_workers


@dataclass(frozen=True)
class SerialExecutor:
    """A plain loop in this process."""

    name: str = "serial"

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        description: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        results: list[R] = []
        for item in items:
            results.append(fn(item))
            if progress is not None:
                progress(len(results), len(items))
        return results


class _PoolExecutor:
    """A ``concurrent.futures`` pool over this machine's cores (``max_workers=None`` = all);
    results in the order of the items whatever order they finish in."""

    max_workers: int | None
    pool: ClassVar[type[ProcessPoolExecutor] | type[ThreadPoolExecutor]]

    def workers(self, n_items: int) -> int:
        """Workers actually started for ``n_items`` items [count]."""
        cores = self.max_workers or os.cpu_count() or 1
        return max(1, min(cores, n_items))

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        description: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        if not items:
            return []
        n_workers = self.workers(len(items))
        if n_workers == 1:
            return SerialExecutor().map(fn, items, progress=progress)
        results: list[R | None] = [None] * len(items)
        with self.pool(max_workers=n_workers) as pool:
            futures = {pool.submit(fn, item): index for index, item in enumerate(items)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(items))
        return results  # type: ignore[return-value]


@dataclass(frozen=True)
class LocalExecutor(_PoolExecutor):
    """Processes on this machine; ``max_workers=None`` = all cores."""

    max_workers: int | None = None
    name: str = "local"
    pool: ClassVar[type[ProcessPoolExecutor]] = ProcessPoolExecutor


@dataclass(frozen=True)
class ThreadExecutor(_PoolExecutor):
    """Threads in this process; ``max_workers=None`` = all cores. Useful only when ``fn``
    spends its time outside the GIL."""

    max_workers: int | None = None
    name: str = "threads"
    pool: ClassVar[type[ThreadPoolExecutor]] = ThreadPoolExecutor


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise SiliconomicsError(
            'executor "ray" needs Ray, which is not installed: pip install "siliconomics[ray]"'
        ) from exc
    return ray


RAY_START_ATTEMPTS = 3
"""Ray gives a starting node a fixed 30 s to register; on a loaded machine that can pass, so a
local start is tried this many times."""


def start_ray(ray: Any, kwargs: dict[str, Any], *, where: str) -> None:
    """``ray.init(**kwargs)``, retried when the node times out during start-up."""
    for attempt in range(1, RAY_START_ATTEMPTS + 1):
        try:
            ray.init(**kwargs)
            return
        except Exception as exc:  # Ray raises a bare Exception for a start-up timeout
            if "timed out during startup" in str(exc) and attempt < RAY_START_ATTEMPTS:
                ray.shutdown()
                continue
            raise SiliconomicsError(f"executor ray: could not start or join {where}: {exc}") from exc


def _package_dir() -> str:
    import siliconomics

    return str(Path(siliconomics.__file__).resolve().parent)


def _pythonpath_for_workers() -> str:
    """This package's parent folder first, then the current PYTHONPATH made absolute."""
    parts = [str(Path(_package_dir()).parent)]
    parts += [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys(parts))


@dataclass(frozen=True)
class RayExecutor:
    """One Ray task per item. ``address=None`` starts (or reuses) a Ray runtime on this machine;
    otherwise it is passed to ``ray.init`` (``"auto"``, ``"ray://head:10001"``)."""

    address: str | None = None
    max_workers: int | None = None
    name: str = "ray"

    def _ensure_started(self) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address is not None:
                kwargs["address"] = self.address
                # Ship this package to the cluster's workers (they may not have it installed).
                kwargs["runtime_env"] = {"py_modules": [_package_dir()]}
            else:
                # Local workers import siliconomics from where this process found it, also when
                # it runs from a source tree on a relative PYTHONPATH.
                kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": _pythonpath_for_workers()}}
                if self.max_workers is not None:
                    kwargs["num_cpus"] = self.max_workers
            start_ray(ray, kwargs, where=self.address or "a local runtime")
        return ray

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        description: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        if not items:
            return []
        ray = self._ensure_started()
        remote_fn = ray.remote(fn)
        refs = [remote_fn.remote(item) for item in items]
        index_of = {ref: index for index, ref in enumerate(refs)}
        results: list[R | None] = [None] * len(items)
        pending = list(refs)
        done = 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                results[index_of[ref]] = ray.get(ref)
                done += 1
                if progress is not None:
                    progress(done, len(items))
        return results  # type: ignore[return-value]


def _serial(max_workers: int | None, address: str | None) -> Executor:
    return SerialExecutor()


def _local(max_workers: int | None, address: str | None) -> Executor:
    return LocalExecutor(max_workers=max_workers)


def _threads(max_workers: int | None, address: str | None) -> Executor:
    return ThreadExecutor(max_workers=max_workers)


def _ray(max_workers: int | None, address: str | None) -> Executor:
    _import_ray()
    return RayExecutor(address=address, max_workers=max_workers)


EXECUTORS: dict[str, Callable[[int | None, str | None], Executor]] = {
    "serial": _serial,
    "local": _local,
    "threads": _threads,
    "ray": _ray,
}
"""Executor name → factory ``(max_workers, address) -> Executor``."""


def get_executor(
    kind: str = "local", *, max_workers: int | None = None, address: str | None = None
) -> Executor:
    """The executor called ``kind`` (``serial``, ``local``, ``threads`` or ``ray``).

    ``max_workers``: processes (local), threads (threads) or CPUs of a locally started Ray
    (ray); ``None`` = all cores. ``address``: a Ray cluster to join; only meaningful for ``ray``.
    """
    factory = EXECUTORS.get(kind)
    if factory is None:
        close = difflib.get_close_matches(kind, list(EXECUTORS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SiliconomicsError(f"executor {kind!r} is not known{hint}; valid: {', '.join(EXECUTORS)}")
    if address is not None and kind != "ray":
        raise SiliconomicsError(f"executor address={address!r} is only used by executor 'ray', not {kind!r}")
    return factory(_check_workers(max_workers), address)
