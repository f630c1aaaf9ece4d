"""siliconomics: what one AI query costs on a given chip, and which chip strategy to choose.

The pipeline runs one way: a scenario flows through workload -> perf -> serving -> fleet ->
economics -> strategy -> report, fed by the hardware catalog, the silicon model and a
calibration. See ``docs/`` and the package docstrings for each layer.
"""

__version__ = "0.1.0"
