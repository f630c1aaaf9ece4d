"""Model architectures: the shapes the workload layer turns into operators.

Covers dense decoders (GPT-3 style with a plain GELU MLP, Llama style with a gated SwiGLU
MLP and grouped-query attention), mixture-of-experts (Mixtral; DeepSeek-V3 with shared
experts and leading dense layers) and multi-head latent attention (DeepSeek-V3).
A Hugging Face ``config.json`` on disk loads into the same type (no network).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError
from siliconomics.inputs import load_json, parse_model
from siliconomics.registry import Registry

FfnKind = Literal["gated", "plain"]

MAX_DIM = 2**31 - 1
"""Largest size or count in a model shape (int32, what the frameworks store; the largest real
ones are vocabularies of ~256k and context windows of 10 M tokens)."""


class MoESpec(BaseModel):
    """Mixture-of-experts feed-forward layers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    experts: int = Field(gt=1, le=MAX_DIM, description="Routed experts per MoE layer.")
    experts_per_token: int = Field(gt=0, le=MAX_DIM, description="Routed experts each token visits (top-k).")
    expert_ffn: int = Field(gt=0, le=MAX_DIM, description="Intermediate size of one expert.")
    shared_experts: int = Field(ge=0, le=MAX_DIM, default=0, description="Experts every token visits.")
    dense_layers: int = Field(ge=0, le=MAX_DIM, default=0, description="Leading layers with a dense FFN.")

    @model_validator(mode="after")
    def _top_k(self) -> MoESpec:
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) must be <= experts ({self.experts})"
            )
        return self


class MLASpec(BaseModel):
    """Multi-head latent attention (DeepSeek-V2/V3): a compressed KV cache."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q_lora_rank: int = Field(ge=0, le=MAX_DIM, description="Query down-projection rank (0 = none).")
    kv_lora_rank: int = Field(gt=0, le=MAX_DIM, description="Latent KV dimension cached per token.")
    qk_nope_head_dim: int = Field(gt=0, le=MAX_DIM)
    qk_rope_head_dim: int = Field(gt=0, le=MAX_DIM)
    v_head_dim: int = Field(gt=0, le=MAX_DIM)


class ModelArch(BaseModel):
    """A decoder-only transformer's shape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = ""
    source: str = Field(min_length=3, description="Where the shape comes from.")
    layers: int = Field(gt=0, le=MAX_DIM)
    hidden: int = Field(gt=0, le=MAX_DIM)
    q_heads: int = Field(gt=0, le=MAX_DIM)
    kv_heads: int = Field(gt=0, le=MAX_DIM)
    head_dim: int = Field(gt=0, le=MAX_DIM)
    ffn: int = Field(gt=0, le=MAX_DIM, description="Dense FFN intermediate size.")
    ffn_kind: FfnKind = "gated"
    vocab: int = Field(gt=0, le=MAX_DIM)
    tied_embeddings: bool = False
    max_context: int = Field(gt=0, le=MAX_DIM, default=8192)
    learned_positions: int = Field(
        ge=0, default=0, description="Learned absolute position embeddings (GPT-3: 2048)."
    )
    moe: MoESpec | None = None
    mla: MLASpec | None = None
    published_total_params: float | None = Field(default=None, gt=0)
    published_active_params: float | None = Field(default=None, gt=0)
    published_active_counts_embedding: bool = Field(
        default=True,
        description="Whether the publisher's active count includes the input-embedding table "
        "(a lookup, not a matrix product). DeepSeek's does not; Mistral's and Meta's do.",
    )

    @model_validator(mode="after")
    def _heads(self) -> ModelArch:
        if self.q_heads % self.kv_heads != 0:
            raise ValueError(
                f"q_heads ({self.q_heads}) must be a multiple of kv_heads ({self.kv_heads})"
            )
        if self.moe is not None and self.moe.dense_layers > self.layers:
            raise ValueError("moe.dense_layers must be <= layers")
        return self

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def gqa_group(self) -> int:
        """Query heads per key/value head."""
        return self.q_heads // self.kv_heads


def load_model_file(path: Path) -> ModelArch:
    """Load a model YAML from the catalog, or a Hugging Face ``config.json``."""
    if path.suffix == ".json":
        return load_hf_config(path)
    data = read_yaml(path, what="model file")
    return parse_model(ModelArch, data, where=path)


# --- Hugging Face config.json ------------------------------------------------------------------


class _Cfg:
    """A parsed ``config.json`` with typed getters whose errors name the file and the key."""

    def __init__(self, data: dict[str, Any], path: Path) -> None:
        self.data = data
        self.path = path

    def fail(self, message: str) -> CatalogError:
        return CatalogError(f"Hugging Face config {self.path}: {message}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def whole(self, *keys: str, default: int | None = None, minimum: int = 1,
              maximum: int = MAX_DIM) -> int:
        """The first present key among ``keys`` as a whole number >= ``minimum``."""
        for key in keys:
            if key in self.data and (self.data[key] is not None or default is None):
                return self._checked(key, self.data[key], minimum, maximum)
        if default is not None:
            return default
        raise self.fail(f"missing '{keys[0]}' (a whole number >= {minimum})")

    def _checked(self, key: str, raw: Any, minimum: int, maximum: int) -> int:
        ok = isinstance(raw, int | float) and not isinstance(raw, bool)
        if not ok or not math.isfinite(raw) or raw != int(raw):
            raise self.fail(f"field '{key}': must be a whole number >= {minimum}, got {raw!r}")
        if not minimum <= raw <= maximum:
            raise self.fail(f"field '{key}': must be >= {minimum} and <= {maximum:,}, got {raw!r}")
        return int(raw)

    def flag(self, key: str, default: bool) -> bool:
        raw = self.data.get(key, default)
        if not isinstance(raw, bool):
            raise self.fail(f"field '{key}': must be true or false, got {raw!r}")
        return raw


def _gpt_style(cfg: _Cfg) -> dict[str, Any]:
    """GPT-2 / GPT-NeoX / OPT: multi-head attention, a plain (GELU/ReLU) MLP."""
    hidden = cfg.whole("n_embd", "hidden_size")
    heads = cfg.whole("n_head", "num_attention_heads")
    _divides(cfg, hidden, heads)
    positions = cfg.whole("n_positions", "max_position_embeddings", default=2048)
    learned = cfg.data.get("model_type") in ("gpt2", "opt")
    return dict(
        layers=cfg.whole("n_layer", "num_hidden_layers"), hidden=hidden, q_heads=heads,
        kv_heads=heads, head_dim=hidden // heads,
        ffn=cfg.whole("n_inner", "intermediate_size", "ffn_dim", default=4 * hidden),
        ffn_kind="plain", vocab=cfg.whole("vocab_size"),
        tied_embeddings=cfg.flag("tie_word_embeddings", True),
        learned_positions=positions if learned else 0, max_context=positions,
    )


def _divides(cfg: _Cfg, hidden: int, heads: int) -> None:
    if hidden % heads:
        raise cfg.fail(f"hidden size {hidden} is not a multiple of the {heads} attention "
                       f"heads, and no head_dim is given")


def _llama_style(cfg: _Cfg, head_check: bool = True) -> dict[str, Any]:
    """Llama / Mistral / Qwen2 / Qwen3: grouped-query attention, a gated (SwiGLU) MLP."""
    hidden = cfg.whole("hidden_size")
    heads = cfg.whole("num_attention_heads")
    if head_check and not cfg.has("head_dim"):
        _divides(cfg, hidden, heads)
    return dict(
        layers=cfg.whole("num_hidden_layers"), hidden=hidden, q_heads=heads,
        kv_heads=cfg.whole("num_key_value_heads", default=heads),
        head_dim=cfg.whole("head_dim") if cfg.has("head_dim") else hidden // heads,
        ffn=cfg.whole("intermediate_size"), ffn_kind="gated", vocab=cfg.whole("vocab_size"),
        tied_embeddings=cfg.flag("tie_word_embeddings", False),
        max_context=cfg.whole("max_position_embeddings", default=8192),
    )


def _mixtral(cfg: _Cfg) -> dict[str, Any]:
    fields = _llama_style(cfg)
    fields["moe"] = MoESpec(experts=cfg.whole("num_local_experts", minimum=2),
                            experts_per_token=cfg.whole("num_experts_per_tok"),
                            expert_ffn=cfg.whole("intermediate_size"))
    return fields


def _qwen_moe(cfg: _Cfg) -> dict[str, Any]:
    """Qwen1.5/Qwen2/Qwen3-MoE: routed experts of ``moe_intermediate_size``, a shared expert of
    ``shared_expert_intermediate_size`` (modelled as that many routed-expert widths, exact in
    parameters and FLOPs), dense layers from ``decoder_sparse_step`` and ``mlp_only_layers``."""
    fields = _llama_style(cfg)
    expert_ffn = cfg.whole("moe_intermediate_size")
    shared_ffn = cfg.whole("shared_expert_intermediate_size", default=0, minimum=0)
    if shared_ffn % expert_ffn:
        raise cfg.fail(f"field 'shared_expert_intermediate_size': {shared_ffn} must be a "
                       f"multiple of moe_intermediate_size ({expert_ffn})")
    layers = fields["layers"]
    step = cfg.whole("decoder_sparse_step", default=1)
    dense_only = cfg.data.get("mlp_only_layers") or []
    if not isinstance(dense_only, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in dense_only
    ):
        raise cfg.fail(f"field 'mlp_only_layers': must be a list of layer indexes, got "
                       f"{dense_only!r}")
    sparse = sum(1 for i in range(layers) if (i + 1) % step == 0 and i not in dense_only)
    if sparse == 0:
        raise cfg.fail("no layer is a mixture-of-experts layer (decoder_sparse_step / "
                       "mlp_only_layers); load it as a dense model")
    fields["moe"] = MoESpec(experts=cfg.whole("num_experts", minimum=2),
                            experts_per_token=cfg.whole("num_experts_per_tok"),
                            expert_ffn=expert_ffn, shared_experts=shared_ffn // expert_ffn,
                            dense_layers=layers - sparse)
    return fields


def _deepseek(cfg: _Cfg) -> dict[str, Any]:
    """DeepSeek-V2/V3: multi-head latent attention, shared + routed experts, leading dense
    layers."""
    fields = _llama_style(cfg, head_check=False)
    fields["moe"] = MoESpec(experts=cfg.whole("n_routed_experts", minimum=2),
                            experts_per_token=cfg.whole("num_experts_per_tok"),
                            expert_ffn=cfg.whole("moe_intermediate_size"),
                            shared_experts=cfg.whole("n_shared_experts", default=0, minimum=0),
                            dense_layers=cfg.whole("first_k_dense_replace", default=0, minimum=0))
    nope, rope = cfg.whole("qk_nope_head_dim"), cfg.whole("qk_rope_head_dim")
    fields["mla"] = MLASpec(q_lora_rank=cfg.whole("q_lora_rank", default=0, minimum=0),
                            kv_lora_rank=cfg.whole("kv_lora_rank"), qk_nope_head_dim=nope,
                            qk_rope_head_dim=rope, v_head_dim=cfg.whole("v_head_dim"))
    fields["head_dim"] = nope + rope
    return fields


HfReader = Callable[[_Cfg], dict[str, Any]]
HF_READERS: Registry[HfReader] = Registry("Hugging Face model_type", {
    "llama": _llama_style, "mistral": _llama_style, "qwen2": _llama_style,
    "qwen3": _llama_style, "mixtral": _mixtral, "qwen2_moe": _qwen_moe,
    "qwen3_moe": _qwen_moe, "deepseek_v2": _deepseek, "deepseek_v3": _deepseek,
    "gpt2": _gpt_style, "gpt_neox": _gpt_style, "opt": _gpt_style,
})
"""Hugging Face ``model_type`` -> reader of its config into :class:`ModelArch` fields. Only
decoder-only transformers are modelled; anything else (``mamba``, ``rwkv``, encoders) is
refused with this list rather than read as a Llama-style transformer."""


def load_hf_config(path: Path) -> ModelArch:
    """Read a Hugging Face ``config.json`` (one of :data:`HF_READERS`' model types) into a
    :class:`ModelArch`. Reads the file only; nothing is downloaded. Every key is checked
    (whole numbers >= 1 where a size is meant); errors name the file and the key."""
    cfg = _Cfg(load_json(path, what="Hugging Face config"), path)
    model_type = cfg.data.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise cfg.fail(f"field 'model_type': missing or not text (got {model_type!r}); "
                       f"supported: {', '.join(sorted(HF_READERS))}")
    if model_type not in HF_READERS:
        raise cfg.fail(f"field 'model_type': '{model_type}' is not supported; siliconomics "
                       f"models decoder-only transformers of the types "
                       f"{', '.join(sorted(HF_READERS))}")
    reader = HF_READERS[model_type]
    where = f"Hugging Face config {path}"
    name = path.parent.name if path.name == "config.json" else path.stem
    try:
        fields = reader(cfg)
        fields.update(id=name or "model", name=name, source=f"Hugging Face config {path}")
        return ModelArch(**fields)
    except ValidationError as exc:
        raise CatalogError(validation_message(where, exc)) from None
