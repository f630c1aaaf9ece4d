"""Turn what a user names (a catalog id, a file path, a chip design) into a typed object.

This is the one place that decides what an accelerator reference means, one layer above
the catalog and the silicon model: the catalog knows its own entries and the accelerator
file format; the silicon layer derives an accelerator from a chip design; only this module
knows both. Every command and the Python API resolve through :func:`resolve_accelerator`
once, then pass the :class:`~siliconomics.catalog.Accelerator` on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from siliconomics import catalog
from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.index import DATA_DIR, looks_like_path
from siliconomics.catalog.model_arch import ModelArch
from siliconomics.catalog.sourced import read_yaml
from siliconomics.errors import UnknownIdError
from siliconomics.registry import unknown_id_message

CHIP_DESIGN_TYPE = "chip-design"
"""Top-level ``type`` of a chip-design YAML (an accelerator file has no ``type``)."""


def is_chip_design(ref: str | Path) -> bool:
    """Whether ``ref`` is a path to a chip-design YAML (a catalog id never is)."""
    if isinstance(ref, str) and not looks_like_path(ref):
        return False
    path = Path(ref)
    return path.suffix in (".yaml", ".yml") and read_yaml(path).get("type") == CHIP_DESIGN_TYPE


@cache
def _design_accelerator(path: Path) -> Accelerator:
    from siliconomics.silicon.design import load_design_accelerator

    accelerator: Accelerator = load_design_accelerator(path)
    return accelerator


def resolve_accelerator(ref: Accelerator | str | Path) -> Accelerator:
    """The accelerator named by ``ref``.

    ``ref`` is an :class:`Accelerator` (returned as is), a catalog id (``"h100-sxm"``), a
    path to an accelerator YAML in the catalog format, or a path to a chip-design YAML
    (``type: chip-design``), whose accelerator the silicon model derives. An unknown id or a
    bad file raises :class:`~siliconomics.errors.SiliconomicsError` naming it.
    """
    if isinstance(ref, Accelerator):
        return ref
    if is_chip_design(ref):
        return _design_accelerator(Path(ref).resolve())
    return catalog.hardware(ref)


def resolve_model(ref: ModelArch | str | Path) -> ModelArch:
    """The model architecture named by ``ref``: a :class:`ModelArch` (returned as is), a
    catalog id (``"llama3-70b"``), a model YAML or a Hugging Face ``config.json``."""
    if isinstance(ref, ModelArch):
        return ref
    return catalog.model(ref)


def fleet_scenario_ids() -> list[str]:
    """Ids of the shipped fleet scenarios (``catalog/data/fleets``)."""
    return sorted(p.stem for p in (DATA_DIR / "fleets").glob("*.yaml"))


def study_scenario_ids() -> list[str]:
    """Ids of the shipped study scenarios (``catalog/data/scenarios``)."""
    return sorted(p.stem for p in (DATA_DIR / "scenarios").glob("*.yaml"))


def is_study_scenario(ref: str | Path) -> bool:
    """Whether ``ref`` is the id of a shipped study scenario (``chatgpt-2023``)."""
    return isinstance(ref, str) and not looks_like_path(ref) and ref in study_scenario_ids()


def resolve_fleet_scenario(ref: str | Path) -> Path:
    """The file of a fleet scenario: a shipped id (``chat-llama3-70b-h100``) or a path.

    A study scenario id (``chatgpt-2023``) is refused with a pointer: a study sizes one fleet
    per option itself (``siliconomics study``), a fleet scenario names one deployment."""
    if isinstance(ref, Path) or looks_like_path(ref):
        return Path(ref)
    fleets = fleet_scenario_ids()
    if ref in fleets:
        return DATA_DIR / "fleets" / f"{ref}.yaml"
    if ref in study_scenario_ids():
        raise UnknownIdError(
            f"'{ref}' is a study scenario, not a fleet file (the CLI shows its fleets: "
            f"siliconomics fleet --scenario {ref}); fleet scenarios: {', '.join(fleets)}")
    raise UnknownIdError(unknown_id_message("fleet scenario", ref, fleets))


def shipped_design_paths() -> list[Path]:
    """The chip designs shipped in ``catalog/data/designs``."""
    return sorted((DATA_DIR / "designs").glob("*.yaml"))


def design_path(ref: str | Path) -> Path:
    """The file of a chip design: a shipped design id (``inference-asic-v5e-like``) or a path."""
    if isinstance(ref, Path) or looks_like_path(ref):
        return Path(ref)
    shipped = {p.stem: p for p in shipped_design_paths()}
    if ref not in shipped:
        raise UnknownIdError(unknown_id_message("design id", ref, shipped))
    return shipped[ref]
