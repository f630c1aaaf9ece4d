"""Parameter counts of a model architecture (total, and active per token for MoE).

Counts the matrices of embeddings, attention (GQA or MLA), dense or expert FFNs, router and
norms. Biases are ignored (Llama, Mixtral and DeepSeek have none; GPT-3's are < 0.1 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.catalog.model_arch import ModelArch


@dataclass(frozen=True, slots=True)
class ParameterCounts:
    """Parameters [count]: everything stored, and what one token's forward pass touches.

    ``active`` includes the input-embedding table (``input_embedding``), which a token only
    looks up one row of; some publishers (DeepSeek) leave it out of their active count.
    """

    total: float
    active: float
    input_embedding: float
    embedding: float
    attention_per_layer: float
    dense_ffn_per_layer: float
    expert_ffn: float


def attention_params(arch: ModelArch) -> float:
    """Weights of one attention block [count]."""
    h = arch.hidden
    if arch.mla is not None:
        m = arch.mla
        qk_head = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank > 0:
            q = h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * arch.q_heads * qk_head
        else:
            q = h * arch.q_heads * qk_head
        kv_down = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
        kv_up = m.kv_lora_rank * arch.q_heads * (m.qk_nope_head_dim + m.v_head_dim)
        out = arch.q_heads * m.v_head_dim * h
        return float(q + kv_down + kv_up + out)
    qkv = h * (arch.q_heads + 2 * arch.kv_heads) * arch.head_dim
    out = arch.q_heads * arch.head_dim * h
    return float(qkv + out)


def ffn_params(hidden: int, intermediate: int, gated: bool) -> float:
    """Weights of one MLP [count]: gate+up+down when gated (SwiGLU), up+down otherwise."""
    return float((3 if gated else 2) * hidden * intermediate)


def parameter_counts(arch: ModelArch) -> ParameterCounts:
    """Total and active parameter counts of ``arch``."""
    h = arch.hidden
    gated = arch.ffn_kind == "gated"
    embedding = float(arch.vocab * h * (1 if arch.tied_embeddings else 2) + arch.learned_positions * h)
    input_embedding = float(arch.vocab * h)
    norms_per_layer = 2.0 * h
    attn = attention_params(arch)
    dense_ffn = ffn_params(h, arch.ffn, gated)
    if arch.moe is None:
        per_layer = attn + dense_ffn + norms_per_layer
        total = embedding + arch.layers * per_layer + h
        return ParameterCounts(total, total, input_embedding, embedding, attn, dense_ffn, 0.0)
    moe = arch.moe
    expert = ffn_params(h, moe.expert_ffn, gated)
    router = float(h * moe.experts)
    moe_layers = arch.layers - moe.dense_layers
    stored_moe = (moe.experts + moe.shared_experts) * expert + router
    active_moe = (moe.experts_per_token + moe.shared_experts) * expert + router
    base = embedding + arch.layers * (attn + norms_per_layer) + h + moe.dense_layers * dense_ffn
    total = base + moe_layers * stored_moe
    active = base + moe_layers * active_moe
    return ParameterCounts(total, active, input_embedding, embedding, attn, dense_ffn, expert)
