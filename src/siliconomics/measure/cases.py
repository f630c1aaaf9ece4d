"""What is measured: the cases of every section, full size (a GPU) or smoke size (a CPU).

The full cases are those of ``shared/tools/gpu_groundtruth.py`` (Llama-3 8B and 70B
projection shapes at tensor parallelism 1, their attention and elementwise shapes, and the
two end-to-end models), so a file written here is comparable row by row with the shared
ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GemmShape:
    """``y = x @ W.T``: W has N rows (output features) of K (input features)."""

    name: str
    K: int
    N: int


@dataclass(frozen=True)
class AttnCase:
    """B sequences; S (prefill) or L (decode) tokens; hq query heads over hkv KV heads."""

    B: int
    tokens: int
    hq: int
    hkv: int


@dataclass(frozen=True)
class E2eModel:
    """A Llama-style decoder run end to end (random weights), and its cases."""

    tag: str
    layers: int
    hidden: int
    q_heads: int
    kv_heads: int
    ffn: int
    vocab: int
    prefill: tuple[tuple[int, int], ...]  # (B, S)
    decode: tuple[tuple[int, int], ...]  # (B, L)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.q_heads

    def spec(self) -> dict[str, object]:
        """The ``models`` entry describing this model in the measurement file."""
        return {"layers": self.layers, "hidden": self.hidden, "q_heads": self.q_heads,
                "kv_heads": self.kv_heads, "head_dim": self.head_dim, "ffn": self.ffn,
                "vocab": self.vocab, "dtype": "bf16", "tied_embeddings": False}


@dataclass(frozen=True)
class Plan:
    """Every case of one run."""

    smoke: bool
    copy_elements: int
    mm_size: int
    gemm_shapes: tuple[GemmShape, ...]
    gemm_m: tuple[int, ...]
    fp8_gemm_m: tuple[int, ...]
    head_dim: int
    attn_prefill: tuple[AttnCase, ...]
    attn_decode: tuple[AttnCase, ...]
    elementwise_t: tuple[int, ...]
    elementwise_hf: tuple[tuple[int, int], ...]  # (H, F)
    e2e: tuple[E2eModel, ...] = field(default=())


LLAMA_SHAPES = (
    GemmShape("8b.qkv", 4096, 6144), GemmShape("8b.o", 4096, 4096),
    GemmShape("8b.gate_up", 4096, 28672), GemmShape("8b.down", 14336, 4096),
    GemmShape("8b.lm_head", 4096, 128256), GemmShape("70b.qkv", 8192, 10240),
    GemmShape("70b.o", 8192, 8192), GemmShape("70b.gate_up", 8192, 57344),
    GemmShape("70b.down", 28672, 8192),
)

_DECODE_BL = ((1, 512), (1, 2048), (1, 8192), (1, 32768), (8, 2048), (8, 8192), (32, 2048),
              (32, 8192), (128, 1024), (128, 4096), (256, 2048))

FULL = Plan(
    smoke=False,
    copy_elements=2**30,  # bf16: 2 GiB read + 2 GiB written
    mm_size=8192,
    gemm_shapes=LLAMA_SHAPES,
    gemm_m=(1, 16, 64, 256, 1024, 4096, 16384),
    fp8_gemm_m=(16, 64, 256, 1024, 4096, 16384),
    head_dim=128,
    attn_prefill=tuple(AttnCase(*c) for c in ((1, 512, 32, 8), (1, 2048, 32, 8),
                                              (1, 8192, 32, 8), (8, 2048, 32, 8),
                                              (1, 8192, 64, 8), (4, 4096, 64, 8))),
    attn_decode=(*(AttnCase(B, L, 32, 8) for B, L in _DECODE_BL), AttnCase(16, 4096, 64, 8)),
    elementwise_t=(1, 64, 1024, 16384),
    elementwise_hf=((4096, 14336), (8192, 28672)),
    e2e=(
        E2eModel("llama3-8b", 32, 4096, 32, 8, 14336, 128256,
                 prefill=((1, 128), (1, 512), (1, 2048), (1, 8192), (8, 1024), (32, 512)),
                 decode=((1, 1024), (1, 4096), (8, 1024), (8, 4096), (32, 1024), (32, 4096),
                         (64, 2048), (128, 1024), (128, 2048), (256, 1024))),
        E2eModel("llama3-70b-8layers", 8, 8192, 64, 8, 28672, 128256,
                 prefill=((1, 512), (1, 2048), (4, 2048)),
                 decode=((1, 2048), (16, 2048), (64, 2048), (128, 1024))),
    ),
)

SMOKE = Plan(
    smoke=True,
    copy_elements=2**22,
    mm_size=256,
    gemm_shapes=tuple(GemmShape(s.name, s.K // 16, s.N // 16) for s in LLAMA_SHAPES[:3]),
    gemm_m=(1, 16, 64),
    fp8_gemm_m=(),
    head_dim=128,
    attn_prefill=(AttnCase(1, 128, 4, 2),),
    attn_decode=(AttnCase(2, 256, 4, 2),),
    elementwise_t=(4, 64),
    elementwise_hf=((64, 224),),
    e2e=(E2eModel("tiny", 2, 256, 4, 2, 512, 1000, prefill=((1, 64), (2, 32)),
                  decode=((1, 64), (4, 128))),),
)
