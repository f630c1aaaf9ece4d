"""Collective communication among the chips of a replica.

Ring all-reduce moves 2 (n-1)/n of the message each way over each chip's link in 2 (n-1)
steps (Patarasuk & Yuan, "Bandwidth optimal all-reduce algorithms", JPDC 2009); all-to-all
sends (n-1)/n of it; a pipeline hand-off sends the whole activation once. Chips inside one
scale-up domain (NVLink, ICI, Infinity Fabric) use its bandwidth; beyond it, the scale-out NIC.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


def link_bandwidth_bytes_s(ranks: int, scaleup_bytes_s: float, scaleup_domain: int,
                           scaleout_bytes_s: float) -> float:
    """Per-direction bandwidth a collective among ``ranks`` chips runs at [B/s]."""
    if ranks <= scaleup_domain and scaleup_bytes_s > 0:
        return scaleup_bytes_s
    if scaleout_bytes_s > 0:
        return scaleout_bytes_s
    return max(scaleup_bytes_s, 1e9)


def all_reduce_time_s(message_bytes: ArrayLike, ranks: int, bandwidth_bytes_s: float,
                      efficiency_frac: float, latency_s: float) -> F64:
    """Ring all-reduce of ``message_bytes`` per chip [s]."""
    msg = np.asarray(message_bytes, dtype=float)
    if ranks <= 1:
        return np.zeros_like(msg)
    volume = 2.0 * (ranks - 1) / ranks * msg
    return np.asarray(volume / (bandwidth_bytes_s * efficiency_frac) + 2.0 * (ranks - 1) * latency_s)


def all_to_all_time_s(message_bytes: ArrayLike, ranks: int, bandwidth_bytes_s: float,
                      efficiency_frac: float, latency_s: float) -> F64:
    """All-to-all where each chip holds ``message_bytes`` to scatter evenly [s]."""
    msg = np.asarray(message_bytes, dtype=float)
    if ranks <= 1:
        return np.zeros_like(msg)
    volume = (ranks - 1) / ranks * msg
    return np.asarray(volume / (bandwidth_bytes_s * efficiency_frac) + latency_s)


def send_time_s(message_bytes: ArrayLike, bandwidth_bytes_s: float, efficiency_frac: float,
                latency_s: float) -> F64:
    """Point-to-point hand-off of ``message_bytes`` (pipeline stage boundary) [s]."""
    msg = np.asarray(message_bytes, dtype=float)
    return np.asarray(msg / (bandwidth_bytes_s * efficiency_frac) + latency_s)
