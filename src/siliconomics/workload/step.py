"""Build the operator list of one forward step of a model on one chip of a replica.

A step processes ``tokens`` new tokens in total: prefill chunks (``PrefillShape``: sequences
of ``q_len`` new tokens after ``past_len`` cached ones) and/or decode tokens
(``DecodeShape``: one per sequence over its cached context). Projections see all the
tokens at once; attention is split into its prefill and decode parts. Operators are per chip
(heads, FFN and experts divided by the parallel degrees) and grouped in blocks that repeat
(``layers / pp`` identical layers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from siliconomics.catalog.model_arch import ModelArch
from siliconomics.workload.dtypes import Dtypes
from siliconomics.workload.operators import (
    AttentionDecode,
    AttentionPrefill,
    Collective,
    Elementwise,
    Gemm,
    GemmPrecision,
    Num,
    Operator,
)
from siliconomics.workload.parallel import Parallelism
from siliconomics.workload.stacks import ExecMode, StackProfile


@dataclass(frozen=True, slots=True)
class PrefillShape:
    """``batch`` sequences each adding ``q_len`` tokens after ``past_len`` cached tokens."""

    batch: Num
    q_len: Num
    past_len: Num = 0.0


@dataclass(frozen=True, slots=True)
class DecodeShape:
    """``seqs`` sequences adding one token each; ``context_tokens`` keys attended in total."""

    seqs: Num
    context_tokens: Num


@dataclass(frozen=True, slots=True)
class Block:
    """Operators in launch order, repeated ``repeat`` times (e.g. identical layers)."""

    ops: tuple[Operator, ...]
    repeat: int


@dataclass(frozen=True, slots=True)
class Step:
    """One forward step on one chip."""

    blocks: tuple[Block, ...]
    mode: ExecMode
    tokens: Num
    stages: int = 1
    handoff_bytes: Num = 0.0

    @property
    def kernels(self) -> int:
        return sum(len(b.ops) * b.repeat for b in self.blocks)

    def operators(self) -> list[tuple[Operator, int]]:
        return [(op, b.repeat) for b in self.blocks for op in b.ops]


@dataclass(slots=True)
class _Ctx:
    arch: ModelArch
    tokens: Num
    prefill: PrefillShape | None
    decode: DecodeShape | None
    dtypes: Dtypes
    par: Parallelism
    stack: StackProfile
    ops: list[Operator] = field(default_factory=list)

    @property
    def a(self) -> float:
        return self.dtypes.act_bytes

    def gemm(self, name: str, m: Num, n: float, k: float, *, groups: Num = 1.0,
             quantized: bool = True) -> None:
        precision: GemmPrecision = self.dtypes.gemm_precision if quantized else "bf16"
        w_bytes = self.dtypes.weight_bytes if quantized else self.a
        if quantized and precision != "bf16" and not self.stack.fused:
            # Unfused stacks cast the activations to 8 bits in a kernel of their own.
            self.elementwise(f"{name}.cast", m * k * groups * (self.a + 1.0))
        a_bytes = 1.0 if precision in ("fp8", "int8") else (0.5 if precision == "fp4" else self.a)
        self.ops.append(Gemm(name, m, float(n), float(k), precision, a_bytes, w_bytes, self.a, groups))

    def elementwise(self, name: str, moved: Num, row_len: float = 0.0, strided: bool = False) -> None:
        self.ops.append(Elementwise(name, moved, row_len, strided))

    def all_reduce(self, name: str, width: float) -> None:
        if self.par.tp > 1:
            self.ops.append(Collective(name, "all_reduce", self.tokens * width * self.a, self.par.tp))


def _norm(ctx: _Ctx, name: str) -> None:
    h = float(ctx.arch.hidden)
    if ctx.stack.fused:
        # residual add + RMSNorm (+ activation quantisation) in one kernel
        ctx.elementwise(f"{name}.add_norm", 4.0 * ctx.tokens * h * ctx.a, row_len=h)
    else:
        ctx.elementwise(name, 2.0 * ctx.tokens * h * ctx.a, row_len=h)


def _rope_unfused(ctx: _Ctx, name: str, heads: float, head_dim: float) -> None:
    """Interleaved rotary embedding as the measured eager model runs it: two cos/sin
    gathers, six pointwise products/sums on half-width views, one stack."""
    full = ctx.tokens * heads * head_dim * ctx.a
    positions = ctx.tokens if ctx.decode is None else 1.0
    for part in ("cos", "sin"):
        ctx.elementwise(f"{name}.{part}", 2.0 * positions * head_dim / 2.0 * ctx.a)
    for i in range(4):
        ctx.elementwise(f"{name}.mul{i}", full, strided=True)  # read half + write half
    for i in range(2):
        ctx.elementwise(f"{name}.addsub{i}", 1.5 * full)  # read two halves + write half
    ctx.elementwise(f"{name}.stack", 2.0 * full)


def _attention_core(ctx: _Ctx, q_heads: float, kv_heads: float, hd_qk: float, hd_v: float,
                    kv_token_bytes: float, decode_flops_per_key: float) -> None:
    """The attention kernel(s) of a layer: prefill part and decode part."""
    if ctx.prefill is not None:
        p = ctx.prefill
        ctx.ops.append(AttentionPrefill("attention.prefill", p.batch, p.q_len, p.past_len,
                                        q_heads, kv_heads, hd_qk, hd_v, True, ctx.a))
    if ctx.decode is not None:
        d = ctx.decode
        ctx.ops.append(AttentionDecode("attention.decode", d.context_tokens * kv_token_bytes,
                                       d.context_tokens * decode_flops_per_key))


def _gqa_attention(ctx: _Ctx) -> None:
    arch, tp = ctx.arch, ctx.par.tp
    hd = float(arch.head_dim)
    hq = arch.q_heads / tp
    hkv = max(arch.kv_heads / tp, 1.0)
    h = float(arch.hidden)
    kvb = ctx.dtypes.kv_bytes
    ctx.gemm("qkv", ctx.tokens, (hq + 2 * hkv) * hd, h)
    if ctx.stack.fused:
        ctx.elementwise("rope_kv_write", ctx.tokens * ((hq + 2 * hkv) * hd * ctx.a
                                                       + hq * hd * ctx.a + 2 * hkv * hd * kvb))
    else:
        _rope_unfused(ctx, "rope.q", hq, hd)
        _rope_unfused(ctx, "rope.k", hkv, hd)
        for part in ("k", "v"):
            ctx.elementwise(f"kv_write.{part}", ctx.tokens * hkv * hd * (ctx.a + kvb),
                            strided=part == "v")
    _attention_core(ctx, hq, hkv, hd, hd, 2.0 * hkv * hd * kvb, 2.0 * hq * 2.0 * hd)
    if not ctx.stack.fused and ctx.prefill is not None:
        ctx.elementwise("attn_out.transpose", 2.0 * ctx.tokens * hq * hd * ctx.a, strided=True)
    ctx.gemm("o", ctx.tokens, h, hq * hd)
    if not ctx.stack.fused:
        ctx.elementwise("residual.attn", 3.0 * ctx.tokens * h * ctx.a)
    ctx.all_reduce("all_reduce.attn", h)


def _mla_attention(ctx: _Ctx) -> None:
    """Multi-head latent attention (DeepSeek-V2/V3). Prefill expands the latent KV per head;
    decode absorbs the up-projections and attends over the compressed latent cache."""
    arch, tp = ctx.arch, ctx.par.tp
    m = arch.mla
    assert m is not None
    h = float(arch.hidden)
    hq = arch.q_heads / tp
    qk_head = float(m.qk_nope_head_dim + m.qk_rope_head_dim)
    latent = float(m.kv_lora_rank + m.qk_rope_head_dim)
    kvb = ctx.dtypes.kv_bytes
    if m.q_lora_rank > 0:
        ctx.gemm("q_a", ctx.tokens, m.q_lora_rank, h)
        ctx.elementwise("q_a.norm", 2.0 * ctx.tokens * m.q_lora_rank * ctx.a, row_len=m.q_lora_rank)
        ctx.gemm("q_b", ctx.tokens, hq * qk_head, m.q_lora_rank)
    else:
        ctx.gemm("q", ctx.tokens, hq * qk_head, h)
    ctx.gemm("kv_a", ctx.tokens, latent, h)
    ctx.elementwise("kv_a.norm_rope_write", ctx.tokens * latent * (2.0 * ctx.a + kvb), row_len=latent)
    if ctx.prefill is not None:
        p = ctx.prefill
        kv_tokens = p.batch * (p.past_len + p.q_len)
        ctx.gemm("kv_b", kv_tokens, hq * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank)
        ctx.ops.append(AttentionPrefill("attention.prefill", p.batch, p.q_len, p.past_len, hq, hq,
                                        qk_head, float(m.v_head_dim), True, ctx.a))
    if ctx.decode is not None:
        d = ctx.decode
        ctx.gemm("q_absorb", d.seqs, m.kv_lora_rank, m.qk_nope_head_dim, groups=hq)
        ctx.ops.append(AttentionDecode(
            "attention.decode", d.context_tokens * latent * kvb,
            d.context_tokens * 2.0 * hq * (latent + m.kv_lora_rank)))
        ctx.gemm("v_absorb", d.seqs, m.v_head_dim, m.kv_lora_rank, groups=hq)
    ctx.gemm("o", ctx.tokens, h, hq * m.v_head_dim)
    if not ctx.stack.fused:
        ctx.elementwise("residual.attn", 3.0 * ctx.tokens * h * ctx.a)
    ctx.all_reduce("all_reduce.attn", h)


def _mlp(ctx: _Ctx, name: str, tokens: Num, ffn: float, *, groups: Num = 1.0) -> None:
    h = float(ctx.arch.hidden)
    gated = ctx.arch.ffn_kind == "gated"
    width = 2.0 * ffn if gated else ffn
    ctx.gemm(f"{name}.gate_up" if gated else f"{name}.up", tokens, width, h, groups=groups)
    act = tokens * ffn * ctx.a * groups
    if ctx.stack.fused:
        ctx.elementwise(f"{name}.act", 3.0 * act if gated else 2.0 * act)
    elif gated:
        # silu(gate_up[:, :F]) * gate_up[:, F:]: both kernels read half-width slices
        ctx.elementwise(f"{name}.silu", 2.0 * act, strided=True)
        ctx.elementwise(f"{name}.mul", 3.0 * act, strided=True)
    else:
        ctx.elementwise(f"{name}.gelu", 2.0 * act)
    ctx.gemm(f"{name}.down", tokens, h, ffn, groups=groups)


def _dense_ffn(ctx: _Ctx, ffn: int) -> None:
    _mlp(ctx, "mlp", ctx.tokens, ffn / ctx.par.tp)
    if not ctx.stack.fused:
        ctx.elementwise("residual.mlp", 3.0 * ctx.tokens * ctx.arch.hidden * ctx.a)
    ctx.all_reduce("all_reduce.mlp", float(ctx.arch.hidden))


def experts_touched_frac(tokens: Num, experts: int, top_k: int) -> Num:
    """Expected fraction of experts that receive at least one of ``tokens`` tokens when each
    token picks ``top_k`` of ``experts`` uniformly: 1 - (1 - k/E)^tokens."""
    return 1.0 - (1.0 - top_k / experts) ** np.asarray(tokens, dtype=float)


def _moe_ffn(ctx: _Ctx) -> None:
    """Router, routed experts as grouped GEMMs, shared experts, and (with ep > 1) the
    all-to-all dispatch and combine. Routing is assumed balanced across experts."""
    moe = ctx.arch.moe
    assert moe is not None
    h = float(ctx.arch.hidden)
    par = ctx.par
    ctx.gemm("router", ctx.tokens, moe.experts, h, quantized=False)
    ctx.elementwise("router.topk", ctx.tokens * moe.experts * 4.0 * 2.0)
    local_experts = moe.experts / par.ep
    split = par.tp if par.ep == 1 else 1
    slots = ctx.tokens * moe.experts_per_token * local_experts / moe.experts
    touched = np.maximum(local_experts * experts_touched_frac(ctx.tokens, moe.experts,
                                                              moe.experts_per_token), 1.0)
    if par.ep > 1:
        ctx.ops.append(Collective("moe.dispatch", "all_to_all",
                                  ctx.tokens * moe.experts_per_token * h * ctx.a / par.ep, par.ep))
    _mlp(ctx, "experts", slots / touched, moe.expert_ffn / split, groups=touched)
    if par.ep > 1:
        ctx.ops.append(Collective("moe.combine", "all_to_all",
                                  ctx.tokens * moe.experts_per_token * h * ctx.a / par.ep, par.ep))
    if moe.shared_experts > 0:
        _mlp(ctx, "shared_expert", ctx.tokens, moe.shared_experts * moe.expert_ffn / par.tp)
    ctx.elementwise("experts.combine", ctx.tokens * h * ctx.a * (moe.experts_per_token + 2.0))
    if not ctx.stack.fused:
        ctx.elementwise("residual.mlp", 3.0 * ctx.tokens * h * ctx.a)
    ctx.all_reduce("all_reduce.mlp", h)


def _layer(ctx: _Ctx, moe_layer: bool) -> tuple[Operator, ...]:
    """One decoder layer. Fused stacks end each layer with the next layer's input norm fused
    with the residual add (the first layer's norm runs before the layers), so every layer of a
    kind is the same kernel sequence."""
    ctx.ops = []
    if not ctx.stack.fused:
        _norm(ctx, "norm.attn")
    if ctx.arch.mla is not None:
        _mla_attention(ctx)
    else:
        _gqa_attention(ctx)
    _norm(ctx, "norm.mlp")
    if moe_layer:
        _moe_ffn(ctx)
    else:
        _dense_ffn(ctx, ctx.arch.ffn)
    if ctx.stack.fused:
        _norm(ctx, "norm.next")
    return tuple(ctx.ops)


def build_step(
    arch: ModelArch, *, tokens: Num, prefill: PrefillShape | None, decode: DecodeShape | None,
    logits_rows: Num, dtypes: Dtypes, parallel: Parallelism, stack: StackProfile, mode: ExecMode,
) -> Step:
    """Operators of one forward step on one chip (the most loaded pipeline stage).

    ``logits_rows``: rows that go through the LM head (last prompt token of each sequence
    finishing prefill, every decode sequence).
    """
    ctx = _Ctx(arch, tokens, prefill, decode, dtypes, parallel, stack)
    h = float(arch.hidden)
    ctx.ops = []
    ctx.elementwise("embedding", 2.0 * tokens * h * ctx.a)
    if stack.fused:
        ctx.elementwise("norm.first", 2.0 * tokens * h * ctx.a, row_len=h)
    pre = tuple(ctx.ops)
    layers_per_stage = -(-arch.layers // parallel.pp)
    dense_layers = arch.moe.dense_layers if arch.moe is not None else arch.layers
    dense_here = min(dense_layers, layers_per_stage)
    moe_here = layers_per_stage - dense_here
    blocks: list[Block] = [Block(pre, 1)]
    if dense_here > 0:
        blocks.append(Block(_layer(ctx, False), dense_here))
    if moe_here > 0:
        blocks.append(Block(_layer(ctx, True), moe_here))
    ctx.ops = []
    ctx.tokens = logits_rows
    if not stack.fused:
        ctx.elementwise("norm.final", 2.0 * logits_rows * h * ctx.a, row_len=h)
    vocab_split = arch.vocab / parallel.tp
    ctx.gemm("lm_head", logits_rows, vocab_split, h, quantized=stack.quantized_lm_head)
    blocks.append(Block(tuple(ctx.ops), 1))
    return Step(tuple(blocks), mode, tokens, parallel.pp, tokens * h * ctx.a)
