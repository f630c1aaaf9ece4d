"""A plain PyTorch Llama-style decoder with random weights, as the ``e2e`` cases run it.

Per layer: RMSNorm, fused QKV projection, interleaved rotary embedding, KV-cache write,
scaled-dot-product attention (GQA), output projection, residual; RMSNorm, fused gate/up
projection, SiLU x up, down projection, residual. Then a final RMSNorm and the LM head on
the last position only. Kernel for kernel this is the model of ``gpu_groundtruth.py``, so the
two harnesses time the same work.
"""

from __future__ import annotations

from typing import Any

from siliconomics.measure.cases import E2eModel

ROPE_THETA = 500_000.0
"""Rotary base of Llama 3 (Meta Llama 3 model card / config.json ``rope_theta``)."""
NORM_EPS = 1e-5


class LlamaDecoder:
    """Weights, rotary tables and the forward pass of one :class:`E2eModel`."""

    def __init__(self, torch: Any, model: E2eModel, max_tokens: int, device: str) -> None:
        self.torch = torch
        self.m = model
        bf16 = torch.bfloat16
        opts = {"dtype": bf16, "device": device}

        def rand(*shape: int) -> Any:
            return torch.randn(*shape, **opts) * 0.02

        hd = model.head_dim
        qkv_rows = (model.q_heads + 2 * model.kv_heads) * hd
        self.embed = rand(model.vocab, model.hidden)
        self.lm_head = rand(model.vocab, model.hidden)
        self.final_norm = torch.ones(model.hidden, **opts)
        self.layers = [
            {"n1": torch.ones(model.hidden, **opts), "qkv": rand(qkv_rows, model.hidden),
             "o": rand(model.hidden, model.hidden), "n2": torch.ones(model.hidden, **opts),
             "gu": rand(2 * model.ffn, model.hidden), "down": rand(model.hidden, model.ffn)}
            for _ in range(model.layers)
        ]
        inv_freq = 1.0 / (ROPE_THETA ** (torch.arange(0, hd, 2, device=device).float() / hd))
        angles = torch.outer(torch.arange(max_tokens, device=device).float(), inv_freq)
        self.cos, self.sin = angles.cos().to(bf16), angles.sin().to(bf16)

    def new_cache(self, batch: int, tokens: int, device: str, random: bool) -> list[Any]:
        """Per layer (K, V) caches of shape (B, hkv, tokens, hd)."""
        make = self.torch.randn if random else self.torch.zeros
        shape = (batch, self.m.kv_heads, tokens, self.m.head_dim)
        return [(make(*shape, dtype=self.torch.bfloat16, device=device),
                 make(*shape, dtype=self.torch.bfloat16, device=device))
                for _ in range(self.m.layers)]

    def _rope(self, x: Any, pos: Any) -> Any:
        cos, sin = self.cos[pos][None, None], self.sin[pos][None, None]
        even, odd = x[..., ::2], x[..., 1::2]
        return self.torch.stack((even * cos - odd * sin, even * sin + odd * cos), -1).flatten(-2)

    def forward(self, ids: Any, pos: Any, caches: list[Any], cache_len: int) -> Any:
        """Logits of the last position; ids (B, S), pos (S,); decode attends cache[:cache_len]."""
        fn = self.torch.nn.functional
        m = self.m
        batch, seq = ids.shape
        hd = m.head_dim
        x = self.embed[ids]
        for layer, (k_cache, v_cache) in zip(self.layers, caches, strict=True):
            h = fn.rms_norm(x, (m.hidden,), layer["n1"], NORM_EPS)
            q, k, v = (h @ layer["qkv"].t()).split(
                [m.q_heads * hd, m.kv_heads * hd, m.kv_heads * hd], -1)
            q = self._rope(q.view(batch, seq, m.q_heads, hd).transpose(1, 2), pos)
            k = self._rope(k.view(batch, seq, m.kv_heads, hd).transpose(1, 2), pos)
            v = v.view(batch, seq, m.kv_heads, hd).transpose(1, 2)
            k_cache.index_copy_(2, pos, k)
            v_cache.index_copy_(2, pos, v)
            if seq > 1:
                att = fn.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            else:
                att = fn.scaled_dot_product_attention(
                    q, k_cache[:, :, :cache_len], v_cache[:, :, :cache_len], enable_gqa=True)
            x = x + att.transpose(1, 2).reshape(batch, seq, m.hidden) @ layer["o"].t()
            h = fn.rms_norm(x, (m.hidden,), layer["n2"], NORM_EPS)
            gate_up = h @ layer["gu"].t()
            x = x + (fn.silu(gate_up[..., : m.ffn]) * gate_up[..., m.ffn :]) @ layer["down"].t()
        last = fn.rms_norm(x[:, -1], (m.hidden,), self.final_norm, NORM_EPS)
        return last @ self.lm_head.t()
