"""Software stacks: which kernels a forward pass launches, and how they are issued.

The same model runs as very different kernel sequences. The measured plain-PyTorch model
(``eager-pytorch``) launches about thirty kernels per layer (separate norms, a rotary
embedding of nine small kernels per tensor, KV-cache copies, residual adds) and issues them
from Python one by one in prefill (CUDA graphs in decode). A production engine (vLLM,
TensorRT-LLM, SGLang; ``production``) fuses the norm with the residual add and the
activation quantisation, rotary with the KV-cache write and SiLU with the gating product,
runs FP8 GEMMs when the weights are FP8, and replays steps as CUDA graphs.
Calibrated kernel efficiencies are shared between stacks; only the kernel list and the
launch mode differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from siliconomics.registry import Registry

ExecMode = Literal["eager", "graph", "replay"]
"""How kernels are issued: one by one from the host (``eager``), as a CUDA graph of
dependent kernels (``graph``), or as back-to-back independent calls as micro-benchmarks
replay them (``replay``: no dependency gap)."""


@dataclass(frozen=True, slots=True)
class StackProfile:
    """A named software stack."""

    name: str
    description: str
    prefill_mode: ExecMode
    decode_mode: ExecMode
    fused: bool
    quantized_lm_head: bool


STACKS: Registry[StackProfile] = Registry(
    "stack",
    {
        "eager-pytorch": StackProfile(
            name="eager-pytorch",
            description="Plain PyTorch Llama-style model as measured by shared/tools/"
            "gpu_groundtruth.py: unfused kernels, eager prefill, CUDA-graph decode.",
            prefill_mode="eager",
            decode_mode="graph",
            fused=False,
            # The harness's FP8 variant runs each projection through torch._scaled_mm; the
            # LM head is a plain bf16 matmul (x @ lm.T) in its forward.
            quantized_lm_head=False,
        ),
        "production": StackProfile(
            name="production",
            description="Serving engine (vLLM / TensorRT-LLM / SGLang style): fused norm+residual"
            "+quantisation, fused rotary+KV write, fused SiLU-and-mul, FP8 GEMMs for FP8 "
            "weights, CUDA graphs for prefill and decode, bf16 LM head.",
            prefill_mode="graph",
            decode_mode="graph",
            fused=True,
            quantized_lm_head=False,
        ),
    },
)

DEFAULT_STACK = "production"
