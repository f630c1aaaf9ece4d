"""Independent simulations through an executor: the same fleets, capacities and searches as
in-process, whatever runs them (here: worker processes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from serving_doubles import LinearStep
from siliconomics.serving.capacity import candidate_deployments, search_deployments
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import FleetJob, size_fleet, size_fleets
from siliconomics.serving.fleet_cache import FLEETS
from siliconomics.serving.traffic import Traffic

pytestmark = pytest.mark.usefixtures("compiled_core")

DEP = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
TRAFFIC = Traffic(daily_users=3e6, queries_per_user_per_day=10)
SMALL = {"capacity_seeds": 2, "sample_replicas": 2, "n_requests": 500}


class Processes:
    """Worker processes behind the executor interface (``map`` in item order)."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool
        self.calls = 0

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], *,
            description: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        self.calls += 1
        out = list(self.pool.map(fn, items))
        if progress is not None:
            progress(len(out), len(items))
        return out


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        yield Processes(pool)


def test_fleet_same_in_process_and_in_workers(processes: Processes) -> None:
    serial = size_fleet(TRAFFIC, DEP, seed=2, cache=False, **SMALL)  # type: ignore[arg-type]
    parallel = size_fleet(TRAFFIC, DEP, seed=2, cache=False, executor=processes,
                          **SMALL)  # type: ignore[arg-type]
    assert parallel == serial
    assert processes.calls == 2  # capacity seeds, then sampled replicas


def test_explicit_step_model_travels_to_the_workers(processes: Processes) -> None:
    step = LinearStep()
    kw: dict[str, Any] = {"seed": 4, "step": step, **SMALL}
    assert size_fleet(TRAFFIC, DEP, executor=processes, **kw) == size_fleet(TRAFFIC, DEP, **kw)


def test_many_fleets_in_order_cached_and_independent_of_the_executor(
        processes: Processes) -> None:
    jobs = [FleetJob(TRAFFIC, DEP.model_copy(update={"tp": tp}), Slo(), seed=1, **SMALL)
            for tp in (4, 8)]
    jobs.append(FleetJob(TRAFFIC.model_copy(update={"daily_users": 6e6}), DEP, seed=1, **SMALL))
    FLEETS.clear()
    parallel = size_fleets(jobs, executor=processes)
    assert [f.deployment.tp for f in parallel] == [4, 8, 8]
    assert parallel[2].replicas > parallel[1].replicas  # twice the users
    calls = processes.calls
    assert size_fleets(jobs, executor=processes) == parallel and processes.calls == calls
    assert size_fleets(jobs, cache=False) == parallel  # in-process, no cache


def test_search_same_in_process_and_in_workers(processes: Processes) -> None:
    cands = candidate_deployments(DEP, tps=(1, 8), max_batches=(128,), token_budgets=(8192,),
                                  modes=("aggregated",))
    kw: dict[str, Any] = {"seed": 0, "n_requests": 400}
    serial = search_deployments(cands, TRAFFIC, **kw)
    parallel = search_deployments(cands, TRAFFIC, executor=processes, **kw)
    assert parallel == serial
    assert sorted(r.deployment.tp for r in serial.results) == [1, 8]


def test_explore_executors_give_the_same_fleet() -> None:
    # The executors the design search uses (siliconomics.explore.executors) plug in as is.
    from siliconomics.explore.executors import get_executor

    kw: dict[str, Any] = {"seed": 6, "cache": False, **SMALL}
    in_process = size_fleet(TRAFFIC, DEP, **kw)
    assert size_fleet(TRAFFIC, DEP, executor=get_executor("serial"), **kw) == in_process
    assert size_fleet(TRAFFIC, DEP, executor=get_executor("local", max_workers=2),
                      **kw) == in_process


def test_step_table_does_not_depend_on_what_ran_before() -> None:
    # A larger table tabulated earlier in the process used to serve smaller needs, so the
    # checked surrogate error in every result (step_error_frac) depended on the process's
    # history and a worker's result differed from the parent's.
    from siliconomics.serving.deployment import TABLE_SIZE_STEP, step_table
    from siliconomics.serving.stepmodel import tabulate

    step = DEP.model_copy(update={"tp": 4}).step_model()
    big = step_table(step, 40_000)
    small = step_table(step, 8_400)
    size = -(-8_400 // TABLE_SIZE_STEP) * TABLE_SIZE_STEP
    assert small is not big and small.max_tokens == size >= 8_400
    assert small.max_rel_error == tabulate(step, size).max_rel_error
    assert step_table(step, 8_300) is small  # nearby needs share a table
