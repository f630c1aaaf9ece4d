"""Design-space search: declare a space, screen it vectorised, simulate the best, keep the fronts.

The search only calls the pipeline (silicon → perf → serving → economics) many times; the
executors in :mod:`siliconomics.explore.executors` decide where those calls run.
"""
