"""Design-search speed: stage 1 (vectorised screen) and stage 2 (serving at the SLO per design).

    python benchmarks/bench_explore.py                  # stage 1 on 2**20 designs (+ NSGA-II,
                                                        # front), stage 2 on 100
    python benchmarks/bench_explore.py --stage2 20 --ray  # also time stage 2 on a local Ray

Targets (issue 11): stage 1 screens >= 1 million designs in < 10 s; stage 2 evaluates 100
candidates in < 60 s locally; the local/Ray ratio is printed. Not a test: numbers depend on
the machine and its load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from siliconomics.explore.evaluate import CandidateTask, design_document, evaluate_candidate, write_design
from siliconomics.explore.executors import get_executor
from siliconomics.explore.run import NSGA_TRIALS, pick_candidates, screen_chunked, stage1_front
from siliconomics.explore.sample import nsga2_points, sobol_points
from siliconomics.explore.screen import design_row
from siliconomics.explore.space import SPACES_DIR, load_space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designs", type=int, default=1 << 20)
    parser.add_argument("--stage2", type=int, default=100)
    parser.add_argument("--nsga-trials", type=int, default=NSGA_TRIALS)
    parser.add_argument("--ray", action="store_true", help="also run stage 2 on a local Ray")
    parser.add_argument("--space", default=str(SPACES_DIR / "gpt35-dense-2023.yaml"))
    args = parser.parse_args()
    space = load_space(args.space)

    screen_chunked(space, sobol_points(1024, 0))  # warm caches (catalog, node tables)
    start = time.perf_counter()
    u = sobol_points(args.designs, 0)
    result = screen_chunked(space, u)
    stage1_s = time.perf_counter() - start
    print(f"stage 1: {args.designs:,} designs in {stage1_s:.2f} s "
          f"({args.designs / stage1_s / 1e6:.2f} M designs/s), {int(result.feasible.sum()):,} feasible")
    start = time.perf_counter()
    front = stage1_front(result)
    front_s = time.perf_counter() - start
    print(f"stage 1 front: {len(front)} designs on the Pareto front of {len(result.designs):,} "
          f"in {front_s:.2f} s")
    if args.nsga_trials > 0:
        start = time.perf_counter()
        nsga2_points(space, args.nsga_trials, 0, initial=u[front])
        nsga_s = time.perf_counter() - start
        print(f"stage 1 NSGA-II: {args.nsga_trials} designs proposed and screened in {nsga_s:.2f} s")

    if args.stage2 <= 0:
        return
    out = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    tasks = []
    for rank, i in enumerate(pick_candidates(space, result, args.stage2, front)):
        doc = design_document(space, design_row(space, result.designs, i), f"bench-{rank:03d}")
        tasks.append(CandidateTask(space, str(write_design(doc, out)),
                                   int(result.chips_per_replica[i]), 0, 600))
    evaluate_candidate(tasks[0])  # compile/load the simulator once in this process
    timings = {}
    outcomes = {}
    kinds = ["local", "ray"] if args.ray else ["local"]
    for kind in kinds:
        executor = get_executor(kind)
        if kind == "ray":
            executor.map(evaluate_candidate, tasks[:2])  # start Ray and its workers first
        start = time.perf_counter()
        outcomes[kind] = executor.map(evaluate_candidate, tasks)
        timings[kind] = time.perf_counter() - start
        ok = sum(r.ok for r in outcomes[kind])
        per = timings[kind] / len(tasks)
        print(f"stage 2 ({kind}): {len(tasks)} candidates in {timings[kind]:.1f} s "
              f"({per:.2f} s per design, {ok} meet the SLO)")
    if args.ray:
        same = [r.cost_per_million_tokens for r in outcomes["local"]] == [
            r.cost_per_million_tokens for r in outcomes["ray"]]
        print(f"local / ray time ratio: {timings['local'] / timings['ray']:.2f} (same results: {same})")
    best = min(r.cost_per_million_tokens for r in outcomes["local"])
    print(f"best stage-2 cost: {best:.4f} USD per million output tokens"
          if np.isfinite(best) else "no candidate met the SLO")


if __name__ == "__main__":
    main()
