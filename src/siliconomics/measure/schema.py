"""The measurement-file format: timings of inference building blocks on one real chip.

A measurement file (``siliconomics measure -o FILE``, or ``shared/groundtruth/h100.json`` from
``shared/tools/gpu_groundtruth.py``) is JSON with a required ``meta`` block and optional
sections. Every time is ``ms``: the median device time of one call [ms]. Sections:

============== ===================================================================
``models``     architectures the ``e2e`` rows ran (name -> :class:`ModelSpec`)
``ceilings``   large-copy bandwidth [GB/s, read + write] and 8192^3 matmul [TFLOP/s]
``gemm``       ``y = x @ W.T`` with x: M x K, W: N x K, bf16, weights rotated > 4x L2
``gemm_fp8``   the same with e4m3 inputs, tensor-wise scales, bf16 output
``attn_*``     causal prefill flash attention; one-token GQA decode over L cached tokens
``elementwise`` ``rms_norm`` over T x H; ``silu_mul`` over T x 2F -> T x F
``e2e``        whole-model prefill (B x S, eager) or decode step (B sequences, L cached)
============== ===================================================================

Unknown keys are kept (files from newer harnesses still load); a row missing a required
field, a non-positive or non-finite time, or an ``e2e`` row naming a model absent from
``models`` is an error naming the file, the section, the row and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from siliconomics.catalog.accelerator import Dtype
from siliconomics.errors import CatalogError
from siliconomics.inputs import DATA_MAX_BYTES, load_json

Count = Annotated[int, Field(gt=0, strict=True)]
"""A positive integer count or size (JSON integer; ``true`` or ``4.0`` are refused)."""
Ms = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A measured time [ms]: finite and > 0."""
Rate = Annotated[float, Field(gt=0, allow_inf_nan=False)]

MeasuredDtype = Literal["fp32", "tf32", "bf16", "fp16", "fp8e4m3", "fp8e5m2", "int8", "fp4", "int4"]
"""Tensor dtypes as the harness names them (PyTorch spelling of the fp8 variants)."""

_CATALOG_DTYPE: dict[str, Dtype] = {
    "fp32": "fp32", "tf32": "tf32", "bf16": "bf16", "fp16": "fp16", "fp8e4m3": "fp8",
    "fp8e5m2": "fp8", "int8": "int8", "fp4": "fp4", "int4": "int4",
}


def catalog_dtype(measured: MeasuredDtype) -> Dtype:
    """The catalog dtype (whose peak applies) for a measured tensor dtype: fp8e4m3 -> fp8."""
    return _CATALOG_DTYPE[measured]


class _Section(BaseModel):
    """Base of every block: frozen, extra keys kept for newer harness versions."""

    model_config = ConfigDict(frozen=True, extra="allow")


class Meta(_Section):
    """Where and how the file was measured. Free-form; these keys are the usual ones."""

    device: str | None = None
    name: str | None = None
    torch: str | None = None
    smoke: bool = False
    sms: int | None = Field(default=None, description="Streaming multiprocessors reported.")
    l2: int | None = Field(default=None, description="Last-level cache [B].")
    total_mem: int | None = Field(default=None, description="Device memory [B].")
    elapsed_s: float | None = Field(default=None, ge=0, description="Wall time of the run [s].")


class ModelSpec(_Section):
    """A Llama-style decoder as run by the ``e2e`` cases (dense, GQA, SwiGLU)."""

    layers: Count
    hidden: Count
    q_heads: Count
    kv_heads: Count
    head_dim: Count
    ffn: Count = Field(description="Intermediate size F of the gated MLP.")
    vocab: Count
    dtype: MeasuredDtype = Field(description="Activations and KV cache.")
    weights_dtype: MeasuredDtype | None = Field(
        default=None, description="Weights (projections); defaults to ``dtype``."
    )
    tied_embeddings: bool

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if self.q_heads % self.kv_heads:
            raise ValueError(
                f"q_heads ({self.q_heads}) must be a multiple of kv_heads ({self.kv_heads})"
            )
        if self.weights_dtype is None:
            object.__setattr__(self, "weights_dtype", self.dtype)
        return self

    @property
    def weights(self) -> MeasuredDtype:
        """The weights' dtype (``weights_dtype``, which defaults to ``dtype``)."""
        return self.weights_dtype or self.dtype


class Ceilings(_Section):
    """Achievable ceilings: copy bandwidth [GB/s counting read + write], matmul [TFLOP/s]."""

    copy_GBps_rw: Rate
    bf16_mm_TFLOPs: Rate
    fp8_mm_TFLOPs: Rate | None = None


class GemmRow(_Section):
    """``y = x @ W.T``; x: M x K, W: N x K; W rotated through ``weight_buffers`` copies."""

    name: str
    M: Count
    K: Count
    N: Count
    dtype: MeasuredDtype = "bf16"
    ms: Ms
    weight_buffers: Count | None = None


class Fp8GemmRow(GemmRow):
    """A ``gemm_fp8`` row: e4m3 inputs, tensor-wise scales, bf16 output."""

    dtype: MeasuredDtype = "fp8e4m3"


class _Heads(_Section):
    hq: Count
    hkv: Count
    hd: Count

    @model_validator(mode="after")
    def _gqa(self) -> _Heads:
        if self.hq % self.hkv:
            raise ValueError(f"hq ({self.hq}) must be a multiple of hkv ({self.hkv})")
        return self


class AttnPrefillRow(_Heads):
    """Flash attention over B sequences of S tokens."""

    B: Count
    S: Count
    causal: bool = True
    ms: Ms


class AttnDecodeRow(_Heads):
    """One query token per sequence over L cached tokens; KV rotated through ``kv_buffers``."""

    B: Count
    L: Count
    ms: Ms
    kv_buffers: Count | None = None


class RmsNormRow(_Section):
    op: Literal["rms_norm"]
    T: Count
    H: Count
    ms: Ms


class SiluMulRow(_Section):
    op: Literal["silu_mul"]
    T: Count
    F: Count
    ms: Ms


ElementwiseRow = Annotated[RmsNormRow | SiluMulRow, Discriminator("op")]


class E2ePrefillRow(_Section):
    """Whole-model forward over B x S prompt tokens, logits for the last token only."""

    model: str
    phase: Literal["prefill"]
    B: Count
    S: Count
    ms: Ms
    mode: str = "eager"


class E2eDecodeRow(_Section):
    """One decode step of B sequences, each attending over L cached tokens."""

    model: str
    phase: Literal["decode"]
    B: Count
    L: Count
    ms: Ms
    mode: str = "cuda_graph"


E2eRow = Annotated[E2ePrefillRow | E2eDecodeRow, Discriminator("phase")]


class SdpaBackendRow(_Section):
    """One attention backend tried on one case: a time, or the error it raised."""

    phase: str
    backend: str
    B: Count | None = None
    S: Count | None = None
    ms: Ms | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _ms_or_error(self) -> SdpaBackendRow:
        if self.ms is None and self.error is None:
            raise ValueError("needs either 'ms' or 'error'")
        return self


def _empty_is_absent(value: Any) -> Any:
    return None if value == {} else value


class Measurements(_Section):
    """One measurement file, validated. Only ``meta`` is required."""

    meta: Meta
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    ceilings: Ceilings | None = None
    ceilings_first: Ceilings | None = None
    gemm: list[GemmRow] = Field(default_factory=list)
    gemm_fp8: list[Fp8GemmRow] = Field(default_factory=list)
    attn_prefill: list[AttnPrefillRow] = Field(default_factory=list)
    attn_decode: list[AttnDecodeRow] = Field(default_factory=list)
    elementwise: list[ElementwiseRow] = Field(default_factory=list)
    e2e: list[E2eRow] = Field(default_factory=list)
    sdpa_backends: list[SdpaBackendRow] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    @field_validator("ceilings", "ceilings_first", mode="before")
    @classmethod
    def _no_ceilings(cls, value: Any) -> Any:
        # The harness starts with an empty block and fills it; a run that failed first stays {}.
        return _empty_is_absent(value)

    def model_of(self, row: E2ePrefillRow | E2eDecodeRow) -> ModelSpec:
        """The architecture an ``e2e`` row ran (checked to exist at load time)."""
        return self.models[row.model]


def _unresolved_e2e(data: Measurements) -> str | None:
    for index, row in enumerate(data.e2e):
        if row.model not in data.models:
            known = ", ".join(sorted(data.models)) or "none"
            return (f"e2e[{index}].model: '{row.model}' is not described in 'models' "
                    f"(described: {known}); add its layers, hidden, heads, ffn, vocab, dtype")
    return None


def _location(loc: tuple[int | str, ...]) -> str:
    """``('gemm', 3, 'M')`` -> ``gemm[3].M``; union tags (``rms_norm``) are dropped."""
    text = ""
    tags = {"rms_norm", "silu_mul", "prefill", "decode"}
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif i > 0 and part in tags and isinstance(loc[i - 1], int):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    err = errors[0]
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "field required"
    received = err.get("input")
    shown = "" if isinstance(received, dict | list) or err["type"] == "missing" else (
        f" (got {received!r})")
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{_location(tuple(err['loc']))}: {msg}{shown}{more}"


def parse_measurements(data: Any, source: str = "<measurements>") -> Measurements:
    """Validate already-parsed JSON; errors are one :class:`CatalogError` line naming ``source``."""
    if not isinstance(data, dict):
        raise CatalogError(
            f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
    try:
        result = Measurements.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{source}: {_first_error(exc)}") from None
    problem = _unresolved_e2e(result)
    if problem:
        raise CatalogError(f"{source}: {problem}")
    return result


def load_measurements(path: Path) -> Measurements:
    """Read and validate a measurement file (JSON) through the input boundary
    (:func:`siliconomics.inputs.load_json`: UTF-8, at most
    :data:`~siliconomics.inputs.DATA_MAX_BYTES`, NaN refused).

    Raises :class:`CatalogError` with one line such as
    ``h100.json: gemm[3].M: field required`` for a missing file, a file that is not
    JSON, or a wrong-shaped one.
    """
    data = load_json(path, what="measurement file", max_bytes=DATA_MAX_BYTES, expect="any")
    return parse_measurements(data, str(path))
