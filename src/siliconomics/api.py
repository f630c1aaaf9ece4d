"""The Python entry points that take what a person names (ids, paths) and return typed
results; :mod:`siliconomics` exports them (and the layer functions) at the top level.

Every function raises :class:`~siliconomics.errors.SiliconomicsError` for a bad input, with
a message naming the parameter or file, the rule and the value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.model_arch import ModelArch
from siliconomics.resolve import resolve_accelerator, resolve_model

if TYPE_CHECKING:
    from siliconomics.silicon.chip import ChipReport
    from siliconomics.silicon.design import ChipDesign


def load_hardware(ref: Accelerator | str | Path) -> Accelerator:
    """An accelerator in base units (FLOP/s, bytes, bytes/s, W, USD) with a source per value.

    ``ref``: a catalog id (``"h100-sxm"``; ``siliconomics hardware list`` shows them), a path
    to an accelerator YAML in the catalog format, or a path to a chip-design YAML (its
    accelerator is derived by the silicon model).
    """
    return resolve_accelerator(ref)


def load_model(ref: ModelArch | str | Path) -> ModelArch:
    """A model architecture: a catalog id (``"llama3-70b"``), a model YAML or a Hugging Face
    ``config.json``."""
    return resolve_model(ref)


def evaluate_design(design: ChipDesign | str | Path) -> ChipReport:
    """Run the silicon model on a chip design: area [mm2], yield, unit cost [USD], power [W],
    NRE [USD], schedule [months] and the derived accelerator (``report.accelerator``).

    ``design``: a :class:`~siliconomics.silicon.design.ChipDesign`, or the path of a
    chip-design YAML (the shipped ones are in ``siliconomics/catalog/data/designs``), or the
    id of a shipped design (``"inference-asic-v5e-like"``).
    """
    from siliconomics.resolve import design_path
    from siliconomics.silicon.chip import evaluate
    from siliconomics.silicon.design import ChipDesign, load_design

    if isinstance(design, ChipDesign):
        return evaluate(design)
    path = design_path(design)
    return evaluate(load_design(path), source=str(path))
