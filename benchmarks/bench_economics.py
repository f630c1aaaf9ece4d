"""Speed and memory of the strategy engine (plain script, not collected by pytest).

Targets: parsing a scenario is instant (no serving, no silicon); 10,000 Monte Carlo draws of
the full strategy comparison of chatgpt-2023 under 10 s (issue 5/9); 1,000,000 draws sampled
block by block with flat memory (issue 13: < 10 s and < 400 MB peak; ``--million``);
``siliconomics study`` end to end under 60 s (issue 9; it includes sizing each fleet with
the serving layer's simulator) and under 5 s (issue 13), in a new process with the fleet
cache in memory (everything simulated) and on disk (a second run simulates nothing). Times
are wall and CPU: on a shared machine wall time includes waiting for a core, and CPU time
sums over threads.

Memory of the million draws is reported three ways, each labelled: the peak resident set of
the whole process (imports, resolving the scenario with its serving simulations, and the
Monte Carlo), the resident set after resolving (the baseline the Monte Carlo starts from)
and the Monte Carlo's own increment (its peak minus that baseline; Linux resets the peak
with ``/proc/self/clear_refs``). The Monte Carlo runs its blocks on threads of this process,
so there are no child processes to add (the study runs below come after it); any that ran
are reported. The process keeps freed memory as the ``siliconomics`` command's does.

``--split`` prints where one thread's time goes per block of 1,024 draws (CPU time of this
thread, median and minimum over 60 evaluations of ``EVALUATED_TOGETHER`` blocks, as the
Monte Carlo evaluates them): sampling the ranges and events, the option kernel (each
option's fleet, costs, rental, present values and sums over draws, draw by draw), and the
rest: the options' inputs in Python and NumPy (prices, capacities, a custom programme's
cost inputs) and the blocks' bookkeeping.

    python benchmarks/bench_economics.py [--million] [--split]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from siliconomics.cli.main import _keep_freed_memory
from siliconomics.economics.montecarlo import run_monte_carlo
from siliconomics.economics.scenario import load_scenario
from siliconomics.economics.study import as_scenario

STATUS = Path("/proc/self/status")


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    return out, wall, cpu


def _status_mb(field: str) -> float | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process [MB], None off Linux."""
    if not STATUS.exists():
        return None
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def _reset_peak() -> bool:
    """Start a new peak-RSS window (Linux >= 4.0); False when the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _million(s) -> bool:  # type: ignore[no-untyped-def]
    """1,000,000 draws on threads: wall, CPU, and memory three ways (module doc)."""
    baseline_mb = _status_mb("VmRSS")
    windowed = _reset_peak()
    _, wall, _ = _timed(f"Monte Carlo 1,000,000 draws (threads on {os.cpu_count()} cores; "
                        "target < 10 s wall)",
                        lambda: run_monte_carlo(s.strategy, draws=1_000_000, seed=0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Peak resident memory of this process, whole run (imports + resolve + Monte "
          f"Carlo): {peak_mb:.0f} MB (target < 400 MB)")
    mc_peak_mb = _status_mb("VmHWM") if windowed else None
    if baseline_mb is not None and mc_peak_mb is not None:
        print(f"Resident memory after resolve (baseline): {baseline_mb:.0f} MB; peak during "
              f"the Monte Carlo: {mc_peak_mb:.0f} MB; the Monte Carlo's own increment: "
              f"{mc_peak_mb - baseline_mb:.0f} MB")
    print("Child processes so far: " + (f"largest peak {children_mb:.0f} MB"
                                        if children_mb else "none (blocks run on threads)"))
    return wall < 10 and peak_mb < 400


def _split(s) -> None:  # type: ignore[no-untyped-def]
    """Per-part CPU time of one thread per block (module doc), by timing the functions
    ``run_blocks`` calls: sampling (``sample_inputs``, ``sample_events``) and the option kernel
    (``option_kernel``); the options' inputs are the rest."""
    import numpy as np

    from siliconomics.economics import montecarlo, option_compiled

    spent: dict[str, float] = {}

    def timed(module, name: str, part: str) -> None:  # type: ignore[no-untyped-def]
        fn = getattr(module, name)

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + time.thread_time() - t0
        setattr(module, name, wrapper)

    saved = {(m, n): getattr(m, n) for m, n in (
        (montecarlo, "sample_inputs"), (montecarlo, "sample_events"),
        (option_compiled, "option_kernel"))}
    for (module, name), part in zip(saved, ("sampling", "sampling", "option kernel"),
                                    strict=True):
        timed(module, name, part)
    together = montecarlo.EVALUATED_TOGETHER
    try:
        rows = []
        for b in range(63):
            spent.clear()
            t0 = time.thread_time()
            montecarlo.run_blocks(montecarlo.Blocks(s.strategy, 0, b * together,
                                                    (montecarlo.BLOCK,) * together))
            total = time.thread_time() - t0
            rows.append({part: v / together for part, v in
                         ({**spent, "inputs, rest": total - sum(spent.values()),
                           "total": total}).items()})
        rows = rows[3:]  # the first evaluations load the compiled kernels
    finally:
        for (module, name), fn in saved.items():
            setattr(module, name, fn)
    print(f"Per block of {montecarlo.BLOCK:,} draws, one thread, CPU ms (median / min of "
          f"{len(rows)} evaluations of {together} blocks):")
    for part in ("sampling", "option kernel", "inputs, rest", "total"):
        v = [r[part] * 1e3 for r in rows]
        print(f"  {part:15s} {np.median(v):6.1f} / {min(v):6.1f}")


def main() -> int:
    _keep_freed_memory()  # as the `siliconomics` command's process (cli/main.py)
    spec, _, _ = _timed("Parse chatgpt-2023 (pure parse)", lambda: load_scenario("chatgpt-2023"))
    s, _, _ = _timed("Resolve: accelerators, designs, serving fleets and response surfaces "
                     "(cold)", lambda: as_scenario(spec))
    run_monte_carlo(s.strategy, draws=100, seed=0)  # warm up
    r, _, mc_cpu = _timed(f"Monte Carlo 10,000 draws x {len(s.options)} options x "
                          f"{s.strategy.horizon_quarters} quarters (threads on "
                          f"{os.cpu_count()} cores)",
                          lambda: run_monte_carlo(s.strategy, draws=10_000, seed=0))
    ok = mc_cpu < 10
    if "--split" in sys.argv:
        _split(s)
    if "--million" in sys.argv:
        ok = _million(s) and ok
    study_s = _study_new_process("siliconomics study end to end (new process, fleet cache "
                                 "in memory: everything simulated)",
                                 {"SILICONOMICS_FLEET_CACHE": "memory"})
    with tempfile.TemporaryDirectory() as cache:
        disk = {"SILICONOMICS_FLEET_CACHE": "disk", "SILICONOMICS_CACHE_DIR": cache}
        _study_new_process("siliconomics study, new process, fleet cache on disk (the "
                           "command's default; first run: fills it)", disk)
        _study_new_process("siliconomics study, new process, fleet cache on disk (the "
                           "command's default; second run: no simulation)", disk)
    print(f"recommended: {r.recommended}")
    return 0 if ok and study_s < 60 else 1


def _study_new_process(label: str, env: dict[str, str]) -> float:
    """Run ``siliconomics study`` in a new process; print and return its wall time [s]
    (issue 9 bound 60 s; issue 13 target 5 s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        cmd = "from siliconomics.cli.main import entry; entry()"
        subprocess.run([sys.executable, "-c", cmd, "study", "--out", out], check=True,
                       capture_output=True, env={**os.environ, **env})
        wall_s = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{label}: {wall_s:.2f} s wall, {cpu_s:.2f} s CPU (issue 13 target < 5 s)")
    return wall_s


if __name__ == "__main__":
    raise SystemExit(main())
