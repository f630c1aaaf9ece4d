"""Capacity per chip from the serving layer: queries/s one chip carries at the latency SLO.

Used by scenarios whose option says ``capacity: {method: serving, ...}``. Kept apart so the
economics layer works (with the ``flops`` and ``explicit`` methods) before and without it.
"""

from __future__ import annotations

from typing import Any

from siliconomics.economics.defaults import SourcedRange
from siliconomics.errors import SiliconomicsError


def serving_capacity_qps(cfg: dict[str, Any], hardware_id: str, model_id: str,
                         traffic: dict[str, SourcedRange], where: str) -> SourcedRange:
    """Queries/s per chip at the SLO, from the serving layer's capacity search."""
    raise SiliconomicsError(
        f"{where}.capacity.method: 'serving' is not available in this installation; "
        "use 'flops' or 'explicit'"
    )
