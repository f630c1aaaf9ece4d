"""Model architectures: the shapes the workload layer turns into operators.

Covers dense decoders (GPT-3 style with a plain GELU MLP, Llama style with a gated SwiGLU
MLP and grouped-query attention), mixture-of-experts (Mixtral; DeepSeek-V3 with shared
experts and leading dense layers) and multi-head latent attention (DeepSeek-V3).
A Hugging Face ``config.json`` on disk loads into the same type (no network).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError

FfnKind = Literal["gated", "plain"]


class MoESpec(BaseModel):
    """Mixture-of-experts feed-forward layers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    experts: int = Field(gt=1, description="Routed experts per MoE layer.")
    experts_per_token: int = Field(gt=0, description="Routed experts each token visits (top-k).")
    expert_ffn: int = Field(gt=0, description="Intermediate size of one expert.")
    shared_experts: int = Field(ge=0, default=0, description="Experts every token visits.")
    dense_layers: int = Field(ge=0, default=0, description="Leading layers with a dense FFN.")

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

    q_lora_rank: int = Field(ge=0, description="Query down-projection rank (0 = none).")
    kv_lora_rank: int = Field(gt=0, description="Latent KV dimension cached per token.")
    qk_nope_head_dim: int = Field(gt=0)
    qk_rope_head_dim: int = Field(gt=0)
    v_head_dim: int = Field(gt=0)


class ModelArch(BaseModel):
    """A decoder-only transformer's shape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = ""
    source: str = Field(min_length=3, description="Where the shape comes from.")
    layers: int = Field(gt=0)
    hidden: int = Field(gt=0)
    q_heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    ffn: int = Field(gt=0, description="Dense FFN intermediate size.")
    ffn_kind: FfnKind = "gated"
    vocab: int = Field(gt=0)
    tied_embeddings: bool = False
    max_context: int = Field(gt=0, default=8192)
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
    data = read_yaml(path)
    try:
        return ModelArch.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None


def _need(cfg: dict[str, Any], key: str, path: Path) -> Any:
    if key not in cfg:
        raise CatalogError(f"{path}: Hugging Face config is missing '{key}'")
    return cfg[key]


def load_hf_config(path: Path) -> ModelArch:
    """Read a Hugging Face ``config.json`` (Llama, Mistral, Mixtral, Qwen2, DeepSeek-V3, GPT-2
    style) into a :class:`ModelArch`. Reads the file only; nothing is downloaded."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON (line {exc.lineno})") from None
    if not isinstance(cfg, dict):
        raise CatalogError(f"{path}: expected a JSON object")
    model_type = str(cfg.get("model_type", ""))
    if model_type in ("gpt2", "gpt_neox", "opt"):
        hidden = int(cfg.get("n_embd") or cfg.get("hidden_size") or 0)
        heads = int(cfg.get("n_head") or cfg.get("num_attention_heads") or 0)
        layers = int(cfg.get("n_layer") or cfg.get("num_hidden_layers") or 0)
        ffn = int(cfg.get("n_inner") or cfg.get("intermediate_size") or 4 * hidden)
        fields: dict[str, Any] = dict(
            layers=layers, hidden=hidden, q_heads=heads, kv_heads=heads,
            head_dim=hidden // max(heads, 1), ffn=ffn, ffn_kind="plain",
            vocab=int(_need(cfg, "vocab_size", path)),
            tied_embeddings=bool(cfg.get("tie_word_embeddings", True)),
            learned_positions=int(cfg.get("n_positions") or cfg.get("max_position_embeddings") or 0),
            max_context=int(cfg.get("n_positions") or cfg.get("max_position_embeddings") or 2048),
        )
    else:
        hidden = int(_need(cfg, "hidden_size", path))
        heads = int(_need(cfg, "num_attention_heads", path))
        kv_heads = int(cfg.get("num_key_value_heads") or heads)
        fields = dict(
            layers=int(_need(cfg, "num_hidden_layers", path)),
            hidden=hidden,
            q_heads=heads,
            kv_heads=kv_heads,
            head_dim=int(cfg.get("head_dim") or hidden // heads),
            ffn=int(_need(cfg, "intermediate_size", path)),
            ffn_kind="gated",
            vocab=int(_need(cfg, "vocab_size", path)),
            tied_embeddings=bool(cfg.get("tie_word_embeddings", False)),
            max_context=int(cfg.get("max_position_embeddings", 8192)),
        )
        experts = cfg.get("num_local_experts") or cfg.get("n_routed_experts") or cfg.get(
            "num_experts"
        )
        if experts:
            fields["moe"] = MoESpec(
                experts=int(experts),
                experts_per_token=int(_need(cfg, "num_experts_per_tok", path)),
                expert_ffn=int(cfg.get("moe_intermediate_size") or cfg["intermediate_size"]),
                shared_experts=int(cfg.get("n_shared_experts") or 0),
                dense_layers=int(cfg.get("first_k_dense_replace") or 0),
            )
        if cfg.get("kv_lora_rank"):
            fields["mla"] = MLASpec(
                q_lora_rank=int(cfg.get("q_lora_rank") or 0),
                kv_lora_rank=int(cfg["kv_lora_rank"]),
                qk_nope_head_dim=int(_need(cfg, "qk_nope_head_dim", path)),
                qk_rope_head_dim=int(_need(cfg, "qk_rope_head_dim", path)),
                v_head_dim=int(_need(cfg, "v_head_dim", path)),
            )
            fields["head_dim"] = int(cfg["qk_nope_head_dim"]) + int(cfg["qk_rope_head_dim"])
    name = path.parent.name if path.name == "config.json" else path.stem
    try:
        return ModelArch(id=name, name=name, source=f"Hugging Face config {path}", **fields)
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None
