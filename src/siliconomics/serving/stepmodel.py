"""The performance layer as the simulator sees it, and a fast tabulated form of it.

The simulator needs one number per engine iteration: its time for the iteration's mix of
prefill tokens and decode sequences. :class:`StepModel` is the contract
(``siliconomics.perf.iteration.IterationModel`` satisfies it). Calling it once per
iteration from Python is too slow for >= 1e5 simulated requests per second, so
:func:`tabulate` evaluates it once, vectorised, on every total token count
n = prefill_tokens + decode_seqs the scheduler can produce, and keeps, per n,

    t(p, P, d, C) ~= base[n] + decode_extra[d] + per_pair[n] * P + per_ctx[n] * C,  n = p + d

(P prefill attention pairs, C decode context tokens; base[n] is n prefill tokens with no
attention, decode_extra[d] what d decode sequences with no context add over d prefill
tokens, e.g. a decode-attention kernel's fixed cost). A pure-decode iteration, the one the
simulator fast-forwards through, is then exactly linear in C. That is exact when the model is a sum
of per-operator times whose attention parts are linear in P and C (a roofline with fixed
max() branches per n); :attr:`StepTable.max_rel_error` is the largest error found on a
random sample of realistic mixes, reported with every result so a non-separable model is
visible rather than silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siliconomics.errors import SiliconomicsError


class StepModel(Protocol):
    """Time of one engine iteration on one replica (see ``perf.iteration.IterationModel``)."""

    @property
    def chips(self) -> int: ...

    @property
    def kv_bytes_per_token(self) -> float: ...

    @property
    def kv_capacity_tokens(self) -> int: ...

    def time_s(self, prefill_tokens: ArrayLike, prefill_attention_pairs: ArrayLike,
               decode_seqs: ArrayLike, decode_context_tokens: ArrayLike) -> ArrayLike: ...


def chunk_attention_pairs(chunk_tokens: int, start_pos: int) -> int:
    """Query-key pairs of a causal prefill chunk [pairs]: c p + c (c + 1) / 2.

    A chunk of c tokens at positions p .. p + c - 1 attends, token by token, to p + 1 ..
    p + c keys (itself included).
    """
    return chunk_tokens * start_pos + chunk_tokens * (chunk_tokens + 1) // 2


@dataclass(frozen=True, eq=False)
class StepTable:
    """Per-n coefficients of the iteration time (n = tokens in the iteration), as float64
    arrays (four numbers per n: a list of Python floats would take ~4x the memory).

    ``base_s[n]`` [s], ``decode_extra_s[d]`` [s], ``per_pair_s[n]`` [s/pair],
    ``per_ctx_s[n]`` [s/token];
    ``max_rel_error`` of the surrogate against the model on a random sample [fraction].
    """

    base_s: NDArray[np.float64]
    decode_extra_s: NDArray[np.float64]
    per_pair_s: NDArray[np.float64]
    per_ctx_s: NDArray[np.float64]
    max_rel_error: float

    @property
    def max_tokens(self) -> int:
        return len(self.base_s) - 1

    def time_s(self, prefill_tokens: int, pairs: float, decode_seqs: int, ctx: float) -> float:
        """Surrogate iteration time [s]."""
        n = prefill_tokens + decode_seqs
        return float(self.base_s[n] + self.decode_extra_s[decode_seqs]
                     + self.per_pair_s[n] * pairs + self.per_ctx_s[n] * ctx)

    @property
    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                              NDArray[np.float64]]:
        """(base_s, decode_extra_s, per_pair_s, per_ctx_s) (the compiled core's input)."""
        return (self.base_s, self.decode_extra_s, self.per_pair_s, self.per_ctx_s)

    def lists(self) -> tuple[list[float], list[float], list[float], list[float]]:
        """The four columns as lists of Python floats (the reference Python loop indexes
        them one number at a time, which is faster on lists; built per run, not kept)."""
        return (self.base_s.tolist(), self.decode_extra_s.tolist(), self.per_pair_s.tolist(),
                self.per_ctx_s.tolist())

    def decode_base_s(self, decode_seqs: int) -> float:
        """Time of a pure-decode iteration at zero context [s]."""
        return float(self.base_s[decode_seqs] + self.decode_extra_s[decode_seqs])


def _eval(model: StepModel, p: NDArray[np.float64], pairs: NDArray[np.float64],
          d: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.asarray(model.time_s(p, pairs, d, c), dtype=np.float64)
    return np.broadcast_to(out, p.shape).astype(np.float64)


def tabulate(model: StepModel, max_tokens: int, typical_context: int = 2048,
             check_samples: int = 256, seed: int = 0) -> StepTable:
    """Tabulate ``model`` for 0 .. ``max_tokens`` tokens per iteration (see module doc).

    The slopes are secants between two realistic loads around ``typical_context`` [tokens]
    of context per sequence, not derivatives at 0, so a roofline kink between them is
    averaged over the range the simulator actually visits.
    """
    if max_tokens < 1:
        raise SiliconomicsError(f"step table: max_tokens must be >= 1, got {max_tokens}")
    n = np.arange(max_tokens + 1, dtype=np.float64)
    zero = np.zeros_like(n)
    n1 = np.maximum(n, 1.0)
    # Prefill: secant between a chunk at position 0 and the same chunk after
    # ``typical_context`` cached tokens; base[n] is its intercept (exact for the first case).
    pairs_lo = n * (n + 1.0) / 2.0
    pairs_hi = pairs_lo + n1 * typical_context
    t_lo = _eval(model, n, pairs_lo, zero, zero)
    t_hi = _eval(model, n, pairs_hi, zero, zero)
    per_pair = (t_hi - t_lo) / (pairs_hi - pairs_lo)
    base = t_lo - per_pair * pairs_lo
    # Decode: secant between short and long contexts per sequence (a model may treat a
    # zero context specially, so 0 is not used as an anchor).
    ctx_lo = n1 * (typical_context / 8.0)
    ctx_hi = n1 * (2.0 * typical_context)
    d_lo = _eval(model, zero, zero, n, ctx_lo)
    d_hi = _eval(model, zero, zero, n, ctx_hi)
    per_ctx = (d_hi - d_lo) / (ctx_hi - ctx_lo)
    dec_base = d_lo - per_ctx * ctx_lo
    if not (np.all(np.isfinite(t_lo)) and np.all(t_lo[1:] > 0) and np.all(d_lo[1:] > 0)):
        raise SiliconomicsError("step model returned a non-positive or non-finite iteration "
                                "time; check the performance model inputs")
    extra = dec_base - base
    b, e, pp, pc = (np.ascontiguousarray(c, dtype=np.float64)
                    for c in (base, extra, per_pair, per_ctx))
    error = _check(model, StepTable(b, e, pp, pc, 0.0), max_tokens, typical_context,
                   check_samples, seed)
    return StepTable(b, e, pp, pc, error)


def _check(model: StepModel, table: StepTable, max_tokens: int, typical_context: int,
           samples: int, seed: int) -> float:
    """Largest relative error of the surrogate on random realistic mixes [fraction]."""
    rng = np.random.default_rng(seed)
    total = rng.integers(1, max_tokens + 1, samples)
    decode = np.minimum(rng.integers(0, max_tokens + 1, samples), total)
    prefill = total - decode
    start = rng.integers(0, 2 * typical_context, samples)
    pairs = prefill * start + prefill * (prefill + 1) / 2.0
    ctx = decode * rng.uniform(64.0, 4.0 * typical_context, samples)
    exact = _eval(model, prefill.astype(np.float64), pairs.astype(np.float64),
                  decode.astype(np.float64), ctx)
    approx = (table.base_s[total] + table.decode_extra_s[decode]
              + table.per_pair_s[total] * pairs + table.per_ctx_s[total] * ctx)
    return float(np.max(np.abs(approx - exact) / exact))
