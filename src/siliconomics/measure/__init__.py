"""Measurements of a real chip: the ground-truth file format and the harness that writes it.

The harness (:mod:`siliconomics.measure.harness`) needs PyTorch, an optional extra; the
schema here does not, so any installation can read a measurement file.
"""

from siliconomics.measure.schema import (
    AttnDecodeRow,
    AttnPrefillRow,
    Ceilings,
    E2eDecodeRow,
    E2ePrefillRow,
    Fp8GemmRow,
    GemmRow,
    Measurements,
    Meta,
    ModelSpec,
    RmsNormRow,
    SdpaBackendRow,
    SiluMulRow,
    catalog_dtype,
    load_measurements,
    parse_measurements,
)

__all__ = [
    "AttnDecodeRow",
    "AttnPrefillRow",
    "Ceilings",
    "E2eDecodeRow",
    "E2ePrefillRow",
    "Fp8GemmRow",
    "GemmRow",
    "Measurements",
    "Meta",
    "ModelSpec",
    "RmsNormRow",
    "SdpaBackendRow",
    "SiluMulRow",
    "catalog_dtype",
    "load_measurements",
    "parse_measurements",
]
