"""The catalog: accelerators, model architectures, process nodes and scenarios, as sourced
YAML data, with the loaders that validate it and convert it to base units."""

from siliconomics.catalog.accelerator import DTYPES, Accelerator, Dtype
from siliconomics.catalog.index import DATA_DIR, hardware, hardware_ids, model, model_ids
from siliconomics.catalog.model_arch import MLASpec, ModelArch, MoESpec
from siliconomics.catalog.sourced import Range, Sourced

__all__ = [
    "DATA_DIR",
    "DTYPES",
    "Accelerator",
    "Dtype",
    "MLASpec",
    "MoESpec",
    "ModelArch",
    "Range",
    "Sourced",
    "hardware",
    "hardware_ids",
    "model",
    "model_ids",
]
