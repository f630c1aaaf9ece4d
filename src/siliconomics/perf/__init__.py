"""Performance layer: the time of a prefill or decode step of a model on an accelerator.

Roofline bounds from the chip's spec, times an efficiency that is a fitted function of the
operator's shape (tile and wave quantisation, achieved bandwidth, kernel floors, launch gaps),
with few, physically named parameters stored in a :class:`~siliconomics.perf.calibration.Calibration`.
"""
