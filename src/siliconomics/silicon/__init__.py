"""Custom accelerator silicon: a chip design -> area, dies per wafer, yield, unit cost,
power, NRE and schedule, and the :class:`~siliconomics.catalog.Accelerator` the performance
model runs. Layers: pure models (``yield_models``, ``wafer``, ``area``, ``power``, ``nre``)
-> the design and its derived spec (``design``) -> one orchestrator (``chip.evaluate``)."""
