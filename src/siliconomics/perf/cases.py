"""Turn a measurement file into cases the model predicts: one step per measured row.

Micro-benchmark rows become one-kernel steps replayed as CUDA graphs (as they were
measured); ``e2e`` rows become whole-model steps of the ``eager-pytorch`` stack, the plain
PyTorch model the harness runs, with the architecture from the file's ``models`` block.
The ``sdpa_backends`` section compares attention backends against each other and is not a
prediction target (the model predicts the default backend, which ``attn_*`` measure).
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.catalog.model_arch import ModelArch
from siliconomics.measure.schema import (
    E2ePrefillRow,
    Measurements,
    ModelSpec,
    RmsNormRow,
)
from siliconomics.workload.dtypes import Dtypes, normalise
from siliconomics.workload.operators import (
    AttentionDecode,
    AttentionPrefill,
    Elementwise,
    Gemm,
    Operator,
)
from siliconomics.workload.parallel import Parallelism
from siliconomics.workload.stacks import STACKS, ExecMode
from siliconomics.workload.step import Block, DecodeShape, PrefillShape, Step, build_step

SECTIONS = ("ceilings", "gemm", "gemm_fp8", "attn_prefill", "attn_decode", "elementwise", "e2e")
BF16 = 2.0


@dataclass(frozen=True, slots=True)
class Case:
    """One measured row and the step that predicts it."""

    section: str
    name: str
    measured_s: float
    step: Step


def _graph(*ops: Operator) -> Step:
    return Step((Block(tuple(ops), 1),), "replay", 1.0)


def model_arch(name: str, spec: ModelSpec) -> ModelArch:
    """The architecture of an ``e2e`` model block."""
    return ModelArch(
        id=name, name=name, source="measurement file 'models' block", layers=spec.layers,
        hidden=spec.hidden, q_heads=spec.q_heads, kv_heads=spec.kv_heads, head_dim=spec.head_dim,
        ffn=spec.ffn, ffn_kind="gated", vocab=spec.vocab, tied_embeddings=spec.tied_embeddings,
    )


def _gemm(m: int, n: int, k: int, fp8: bool) -> Gemm:
    if fp8:
        return Gemm("gemm", float(m), float(n), float(k), "fp8", 1.0, 1.0, BF16)
    return Gemm("gemm", float(m), float(n), float(k), "bf16", BF16, BF16, BF16)


def build_cases(data: Measurements) -> list[Case]:
    """Every predictable row of ``data`` as a :class:`Case`."""
    cases: list[Case] = []
    if data.ceilings is not None:
        c = data.ceilings
        size = 8192
        flops = 2.0 * size**3
        cases.append(Case("ceilings", "bf16_mm_8192", flops / (c.bf16_mm_TFLOPs * 1e12),
                          _graph(_gemm(size, size, size, False))))
        if c.fp8_mm_TFLOPs is not None:
            cases.append(Case("ceilings", "fp8_mm_8192", flops / (c.fp8_mm_TFLOPs * 1e12),
                              _graph(_gemm(size, size, size, True))))
        copy_bytes = 2.0 * 2**30 * BF16  # 2 GiB read + 2 GiB written
        cases.append(Case("ceilings", "copy_2GiB", copy_bytes / (c.copy_GBps_rw * 1e9),
                          _graph(Elementwise("copy", copy_bytes))))
    for section, rows, fp8 in (("gemm", data.gemm, False), ("gemm_fp8", data.gemm_fp8, True)):
        for r in rows:
            cases.append(Case(section, f"{r.name} M={r.M} K={r.K} N={r.N}", r.ms * 1e-3,
                              _graph(_gemm(r.M, r.N, r.K, fp8))))
    for p in data.attn_prefill:
        op = AttentionPrefill("attn", float(p.B), float(p.S), 0.0, float(p.hq), float(p.hkv),
                              float(p.hd), float(p.hd), p.causal, BF16)
        cases.append(Case("attn_prefill", f"B={p.B} S={p.S} hq={p.hq} hkv={p.hkv} hd={p.hd}",
                          p.ms * 1e-3, _graph(op)))
    for d in data.attn_decode:
        kv = 2.0 * d.B * d.L * d.hkv * d.hd * BF16
        flops = 4.0 * d.B * d.hq * d.L * d.hd
        cases.append(Case("attn_decode", f"B={d.B} L={d.L} hq={d.hq} hkv={d.hkv} hd={d.hd}",
                          d.ms * 1e-3, _graph(AttentionDecode("attn", kv, flops))))
    for e in data.elementwise:
        if isinstance(e, RmsNormRow):
            norm = Elementwise("rms_norm", 2.0 * e.T * e.H * BF16, row_len=float(e.H))
            cases.append(Case("elementwise", f"rms_norm T={e.T} H={e.H}", e.ms * 1e-3, _graph(norm)))
        else:
            act = float(e.T * e.F) * BF16
            cases.append(Case("elementwise", f"silu_mul T={e.T} F={e.F}", e.ms * 1e-3,
                              _graph(Elementwise("silu", 2.0 * act, strided=True),
                                     Elementwise("mul", 3.0 * act, strided=True))))
    stack = STACKS["eager-pytorch"]
    for row in data.e2e:
        spec = data.model_of(row)
        arch = model_arch(row.model, spec)
        dtypes = Dtypes(normalise(spec.weights, "weights_dtype"), normalise(spec.dtype, "dtype"),
                        normalise(spec.dtype, "dtype"))
        mode: ExecMode = "eager" if row.mode == "eager" else "graph"
        b = float(row.B)
        if isinstance(row, E2ePrefillRow):
            s = float(row.S)
            step = build_step(arch, tokens=b * s, prefill=PrefillShape(b, s, 0.0), decode=None,
                              logits_rows=b, dtypes=dtypes, parallel=Parallelism(), stack=stack,
                              mode=mode)
            name = f"{row.model} prefill B={row.B} S={row.S} {row.mode}"
        else:
            length = float(row.L)
            step = build_step(arch, tokens=b, prefill=None, decode=DecodeShape(b, b * length),
                              logits_rows=b, dtypes=dtypes, parallel=Parallelism(), stack=stack,
                              mode=mode)
            name = f"{row.model} decode B={row.B} L={row.L} {row.mode}"
        cases.append(Case("e2e", name, row.ms * 1e-3, step))
    return cases
