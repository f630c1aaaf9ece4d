"""Speed and memory of the strategy engine (plain script, not collected by pytest).

Targets: parsing a scenario is instant (no serving, no silicon); 10,000 Monte Carlo draws of
the full strategy comparison of chatgpt-2023 under 10 s (issue 5/9); 1,000,000 draws sampled
block by block with flat memory (issue 13: < 10 s and < 400 MB peak; ``--million``);
``siliconomics study`` end to end under 60 s (issue 9; it includes sizing each fleet with
the serving layer's simulator) and under 5 s (issue 13), in a new process with the fleet
cache in memory (everything simulated) and on disk (a second run simulates nothing). Times
are wall and CPU: on a shared machine wall time includes waiting for a core.

    python benchmarks/bench_economics.py [--million]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

from siliconomics.economics.montecarlo import run_monte_carlo
from siliconomics.economics.scenario import load_scenario
from siliconomics.economics.study import as_scenario


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    print(f"{label}: {time.perf_counter() - w:.2f} s wall, {time.process_time() - c:.2f} s CPU")
    return out, time.process_time() - c


def main() -> int:
    spec, _ = _timed("Parse chatgpt-2023 (pure parse)", lambda: load_scenario("chatgpt-2023"))
    s, _ = _timed("Resolve: accelerators, designs, serving fleets and response surfaces (cold)",
                  lambda: as_scenario(spec))
    run_monte_carlo(s.strategy, draws=100, seed=0)  # warm up
    r, mc_s = _timed(f"Monte Carlo 10,000 draws x {len(s.options)} options x "
                     f"{s.strategy.horizon_quarters} quarters",
                     lambda: run_monte_carlo(s.strategy, draws=10_000, seed=0))
    ok = mc_s < 10
    if "--million" in sys.argv:
        _timed("Monte Carlo 1,000,000 draws",
               lambda: run_monte_carlo(s.strategy, draws=1_000_000, seed=0))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Peak resident memory of this process: {peak_mb:.0f} MB")
    study_s = _study_new_process("siliconomics study end to end (new process, fleet cache "
                                 "in memory: everything simulated)", {})
    with tempfile.TemporaryDirectory() as cache:
        disk = {"SILICONOMICS_FLEET_CACHE": "disk", "SILICONOMICS_CACHE_DIR": cache}
        _study_new_process("siliconomics study, new process, fleet cache on disk (first run: "
                           "fills it)", disk)
        _study_new_process("siliconomics study, new process, fleet cache on disk (second run: "
                           "no simulation)", disk)
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
