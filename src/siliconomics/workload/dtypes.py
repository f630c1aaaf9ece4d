"""Storage formats of weights, activations and the KV cache, and their sizes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from siliconomics.errors import SiliconomicsError

StorageDtype = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]
STORAGE_DTYPES: tuple[StorageDtype, ...] = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")

BYTES_PER_ELEMENT: dict[str, float] = {
    "fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp8e4m3": 1.0, "int8": 1.0,
    "int4": 0.5, "fp4": 0.5,
}


def bytes_per_element(dtype: str, field: str = "dtype") -> float:
    """Size of one element [B]; an unknown format is a user error naming the field."""
    try:
        return BYTES_PER_ELEMENT[dtype]
    except KeyError:
        raise SiliconomicsError(
            f"{field}: unknown dtype '{dtype}'; allowed: {', '.join(STORAGE_DTYPES)}"
        ) from None


def normalise(dtype: str, field: str = "dtype") -> StorageDtype:
    """Map aliases (``fp8e4m3``) to the canonical storage dtype names."""
    bytes_per_element(dtype, field)
    if dtype == "fp8e4m3":
        return "fp8"
    return dtype  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Dtypes:
    """Storage formats of one deployment."""

    weights: StorageDtype = "bf16"
    activations: StorageDtype = "bf16"
    kv: StorageDtype = "bf16"

    @property
    def weight_bytes(self) -> float:
        return BYTES_PER_ELEMENT[self.weights]

    @property
    def act_bytes(self) -> float:
        return BYTES_PER_ELEMENT[self.activations]

    @property
    def kv_bytes(self) -> float:
        return BYTES_PER_ELEMENT[self.kv]

    @property
    def gemm_precision(self) -> Literal["bf16", "fp8", "int8", "fp4"]:
        """Precision the matrix units run at: W8A8 for fp8/int8 weights, W4A4 for fp4;
        int4 is weight-only quantisation (dequantised to bf16 in the kernel)."""
        if self.weights in ("fp8", "int8", "fp4"):
            return self.weights
        return "bf16"
