"""Speed of the economics layer (plain script, not collected by pytest).

Targets (issue 5): 10,000 Monte Carlo draws of the full strategy comparison of the default
scenario in under 10 s; ``siliconomics study`` end to end under 60 s (it includes sizing each
GPU and custom-chip fleet with the serving layer's simulator).

    python benchmarks/bench_economics.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from siliconomics.economics.montecarlo import run_monte_carlo
from siliconomics.economics.scenario import load_scenario


def main() -> int:
    t0 = time.perf_counter()
    s = load_scenario("chatgpt-2023")
    load_s = time.perf_counter() - t0
    sized = sum(len(o.serving["tp_tried"]) for o in s.options if o.serving)
    print(f"Scenario load with serving-layer fleet sizing (cold, {sized} fleets incl. repeats "
          f"served from the cache): {load_s:.2f} s")
    run_monte_carlo(s.strategy, draws=100, seed=0)  # warm up
    t0 = time.perf_counter()
    r = run_monte_carlo(s.strategy, draws=10_000, seed=0)
    mc_s = time.perf_counter() - t0
    print(f"Monte Carlo: 10,000 draws x {len(r.option_ids)} options x "
          f"{s.strategy.horizon_quarters} quarters in {mc_s:.3f} s (target < 10 s)")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        cmd = "from siliconomics.cli.main import entry; entry()"
        subprocess.run([sys.executable, "-c", cmd, "study", "--out", out],
                       check=True, capture_output=True)
        study_s = time.perf_counter() - t0
    print(f"siliconomics study end to end (new process): {study_s:.2f} s (target < 60 s)")
    return 0 if mc_s < 10 and study_s < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
