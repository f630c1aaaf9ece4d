"""Benchmark: vectorised silicon design evaluations (area + unit cost + derived peak) per
second. Run: ``python benchmarks/bench_silicon.py [N]``."""

from __future__ import annotations

import sys
import time

from siliconomics.silicon.vectorised import evaluate_arrays, node_arrays, random_designs


def main(n: int = 1_000_000) -> float:
    params = random_designs(n, seed=1)
    nodes = node_arrays((["N7", "N5", "N4", "N3"] * (n // 4 + 1))[:n])
    evaluate_arrays(**{k: v[:1000] for k, v in params.items()},
                    nodes=type(nodes)(*(a[:1000] for a in nodes.__dict__.values())))  # warm-up
    start = time.perf_counter()
    out = evaluate_arrays(**params, nodes=nodes)
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    print(f"{n:,} designs in {elapsed:.3f} s: {rate:,.0f} design evaluations/s "
          f"(mean die {float(out.die_area_mm2.mean()):.0f} mm2)")
    return rate


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
