"""Board power of an accelerator running a workload, its clock throttling at the power
limit, energy per token, and a design's TDP.

The power drawn at clock fraction c (c = 1: full boost clock) is

    P(c) = P_idle + P_awake·c^γ + e_byte·B₀·c + e_flop·F₀·c^(1+γ)

with F₀ [FLOP/s] and B₀ [B/s] the workload's compute rate and memory traffic at full
clock. P_awake (clock tree, leakage at operating voltage, uncore) and the per-FLOP energy
scale as c^γ because voltage falls with the clock (dynamic energy ∝ V²). When P(1)
exceeds the TDP the clock drops until P(c) = TDP, as GPUs do (the H100 runs 8192³ bf16
matrix products at 1352 of 1980 MHz at its 700 W limit), and the work rates fall by c.

Transfer to other chips (coefficients in ``silicon/data/power_model.yaml``, fitted on
``shared/groundtruth/h100_power.json`` by :mod:`siliconomics.silicon.power_fit`):

- e_flop scales with the node's ``energy_per_op_rel_n7`` and with the dtype;
- e_byte scales with the memory kind's energy per bit (HBM2/2e/3/3e, LPDDR5, GDDR6, SRAM);
- P_idle is the chip's published idle power, else a fraction of its TDP;
- P_awake is a fraction of (TDP − P_idle).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from siliconomics.catalog.accelerator import DTYPES, Accelerator, Dtype
from siliconomics.catalog.process_nodes import process_node
from siliconomics.errors import SiliconomicsError, UnknownIdError
from siliconomics.registry import unknown_id_message
from siliconomics.silicon import defaults

PICO = 1e-12


@dataclass(frozen=True)
class PowerCoefficients:
    """Fitted and sourced coefficients of the power model."""

    e_flop_bf16_pj_ref: float
    ref_energy_rel_n7: float
    e_byte_pj_ref: float
    ref_memory_kind: str
    clock_exponent: float
    awake_frac: float
    idle_frac_tdp: float
    dtype_energy_rel: dict[str, float]


@cache
def coefficients() -> PowerCoefficients:
    p = defaults.POWER_MODEL_PATH

    def n(*k: str) -> float:
        return defaults.num(*k, path=p)

    return PowerCoefficients(
        e_flop_bf16_pj_ref=n("fitted", "e_flop_bf16_pj"),
        ref_energy_rel_n7=n("reference_energy_rel_n7"),
        e_byte_pj_ref=n("fitted", "e_byte_pj"),
        ref_memory_kind=str(defaults._entry(p, "reference_memory_kind").value),
        clock_exponent=n("fitted", "clock_exponent"),
        awake_frac=n("fitted", "awake_frac"),
        idle_frac_tdp=n("idle_frac_tdp"),
        dtype_energy_rel={
            d: n("dtype_energy_rel", d) for d in defaults.names("dtype_energy_rel", path=p)
        },
    )


# --- pure functions -------------------------------------------------------------------
def energy_per_flop_j(
    energy_rel_n7: float, dtype: str, c: PowerCoefficients | None = None
) -> float:
    """Matrix energy per FLOP at full clock [J] on a node (``energy_per_op_rel_n7``) for a
    dtype: e_ref · (rel_node / rel_ref) · rel_dtype."""
    k = c or coefficients()
    rel = k.dtype_energy_rel.get(dtype, 1.0)
    return k.e_flop_bf16_pj_ref * PICO * energy_rel_n7 / k.ref_energy_rel_n7 * rel


def energy_per_byte_j(memory_kind: str, c: PowerCoefficients | None = None) -> float:
    """Energy per byte moved from the weight memory [J]: fitted HBM3 value scaled by the
    kind's energy per bit (``silicon_defaults.yaml`` memory_kinds)."""
    k = c or coefficients()
    kind = _memory_kind(memory_kind)
    ratio = defaults.num("memory_kinds", kind, "energy_pj_per_bit") / defaults.num(
        "memory_kinds", k.ref_memory_kind, "energy_pj_per_bit"
    )
    return k.e_byte_pj_ref * PICO * ratio


def _memory_kind(kind: str) -> str:
    """Map a catalog memory kind ('HBM3', 'HBM2E', 'SRAM', 'LPDDR5X', ...) to a known one.

    Exact names match case-insensitively; 'SRAM' is 'none' (no external memory); a longer
    name maps to the longest known prefix ('LPDDR5X' -> 'LPDDR5', 'HBM3E' -> 'HBM3e'); a
    bare 'HBM' (generation not published, e.g. TPU v6e, Trainium2) is taken as HBM3, the
    reference kind the byte energy was fitted on. Anything else is an unknown kind.
    """
    known = defaults.names("memory_kinds")
    lowered = {k.lower(): k for k in known}
    if kind.lower() in lowered:
        return lowered[kind.lower()]
    if kind.upper() == "SRAM":
        return "none"
    for k in sorted(known, key=len, reverse=True):
        if kind.lower().startswith(k.lower()):
            return k
    if kind.upper().startswith("HBM"):
        return "HBM3"
    raise UnknownIdError(unknown_id_message("memory kind", kind, [*known, "SRAM", "HBM"]))


def power_at_clock_w(
    clock_frac: float, idle_w: float, awake_w: float, e_flop_j: float, flops_s: float,
    e_byte_j: float, bytes_s: float, clock_exponent: float,
) -> float:
    """P(c) = P_idle + P_awake·c^γ + e_byte·B₀·c + e_flop·F₀·c^(1+γ) [W] (module doc)."""
    cg: float = clock_frac**clock_exponent
    memory_w = e_byte_j * bytes_s * clock_frac
    return float(idle_w + awake_w * cg + memory_w + e_flop_j * flops_s * clock_frac * cg)


@dataclass(frozen=True)
class PowerResult:
    """Board power of a workload [W] and where it goes; rates after throttling."""

    power_w: float
    clock_frac: float
    throttled: bool
    idle_w: float
    awake_w: float
    compute_w: float
    memory_w: float
    flops_s: float
    bytes_s: float


def idle_power_w(accel: Accelerator, c: PowerCoefficients | None = None) -> float:
    """Published idle power, else a fraction of TDP (H100: 71 W of 700 W) [W]."""
    k = c or coefficients()
    return accel.idle_power_w if accel.idle_power_w is not None else k.idle_frac_tdp * accel.tdp_w


def workload_power(
    accel: Accelerator, flops_s: float, bytes_s: float, dtype: Dtype | str = "bf16",
    coeffs: PowerCoefficients | None = None,
) -> PowerResult:
    """Power drawn by ``accel`` running a workload with compute rate ``flops_s`` [FLOP/s] and
    weight-memory traffic ``bytes_s`` [B/s], both as they would be at full clock.

    Above the TDP the clock throttles (solved for P(c) = TDP) and both rates drop by c; the
    returned ``flops_s``/``bytes_s`` are the sustained rates and ``1/clock_frac`` the
    slowdown.
    """
    if flops_s < 0 or bytes_s < 0:
        raise SiliconomicsError(
            f"workload_power: flops_s ({flops_s}) and bytes_s ({bytes_s}) must be >= 0"
        )
    k = coeffs or coefficients()
    idle = idle_power_w(accel, k)
    awake = k.awake_frac * max(accel.tdp_w - idle, 0.0)
    native = accel.native_dtype(_DTYPE_BY_NAME[dtype]) if dtype in _DTYPE_BY_NAME else str(dtype)
    e_flop = energy_per_flop_j(process_node(accel.process_node).energy_per_op_rel_n7, native, k)
    e_byte = energy_per_byte_j(accel.memory_kind, k)
    args = (idle, awake, e_flop, flops_s, e_byte, bytes_s, k.clock_exponent)
    clock = 1.0
    if power_at_clock_w(1.0, *args) > accel.tdp_w:
        floor = power_at_clock_w(1e-6, *args)
        from scipy.optimize import brentq  # imported here: ~0.35 s, only when throttling

        clock = 1e-6 if floor >= accel.tdp_w else float(
            brentq(lambda x: power_at_clock_w(x, *args) - accel.tdp_w, 1e-6, 1.0, xtol=1e-9)
        )
    cg = clock**k.clock_exponent
    return PowerResult(
        power_w=power_at_clock_w(clock, *args),
        clock_frac=clock,
        throttled=clock < 1.0,
        idle_w=idle,
        awake_w=awake * cg,
        compute_w=e_flop * flops_s * clock * cg,
        memory_w=e_byte * bytes_s * clock,
        flops_s=flops_s * clock,
        bytes_s=bytes_s * clock,
    )


_DTYPE_BY_NAME: dict[str, Dtype] = {d: d for d in DTYPES}


def energy_per_token_j(power_w: float, tokens_s: float) -> float:
    """Energy per token [J/token] = board power [W] / throughput [tokens/s]."""
    if not tokens_s > 0:
        raise SiliconomicsError(f"energy_per_token_j: tokens_s must be > 0, got {tokens_s}")
    return power_w / tokens_s


def design_tdp_w(
    peak_bf16_flops_s: float, energy_rel_n7: float, c: PowerCoefficients | None = None,
) -> float:
    """TDP [W] of a design whose matrix units, running flat out on bf16, throttle to the
    H100's measured clock fraction at the limit (``tdp_clock_frac``):

        TDP·(1 − f_idle − f_awake·(1 − f_idle)·c^γ) = e_flop·F_peak·c^(1+γ)
    """
    k = c or coefficients()
    cf = defaults.num("tdp_clock_frac", path=defaults.POWER_MODEL_PATH)
    cg = cf**k.clock_exponent
    e_flop = energy_per_flop_j(energy_rel_n7, "bf16", k)
    denominator = 1.0 - k.idle_frac_tdp - k.awake_frac * (1.0 - k.idle_frac_tdp) * cg
    return float(e_flop * peak_bf16_flops_s * cf * cg / denominator)
