"""A simple, explicit step-time model for testing the simulator's invariants.

time = a + b (prefill_tokens + decode_seqs) + c prefill_attention_pairs
       + d decode_context_tokens   [s]
Not a performance model: its purpose is that closed forms are exact for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class LinearStep:
    a_s: float = 0.02
    b_s: float = 2e-6
    c_s: float = 1e-11
    d_s: float = 5e-9
    chips: int = 8
    kv_bytes_per_token: float = 163_840.0
    kv_capacity_tokens: int = 400_000

    def time_s(self, prefill_tokens: ArrayLike, prefill_attention_pairs: ArrayLike,
               decode_seqs: ArrayLike, decode_context_tokens: ArrayLike) -> ArrayLike:
        p = np.asarray(prefill_tokens, dtype=np.float64)
        return (self.a_s + self.b_s * (p + np.asarray(decode_seqs))
                + self.c_s * np.asarray(prefill_attention_pairs)
                + self.d_s * np.asarray(decode_context_tokens))
