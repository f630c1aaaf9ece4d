"""Find catalog entries by id, or load a user's own file given by path.

Anywhere an accelerator or model id is accepted, a path to a YAML file works too: an
accelerator file in the catalog format, a model YAML, or a Hugging Face ``config.json``.
A chip design is not catalog data: :func:`siliconomics.resolve.resolve_accelerator`, one
layer up, derives its accelerator through the silicon model (the catalog never imports it).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from siliconomics.catalog.accelerator import Accelerator, load_accelerator_file
from siliconomics.catalog.model_arch import ModelArch, load_model_file
from siliconomics.catalog.sourced import read_yaml
from siliconomics.errors import CatalogError, UnknownIdError
from siliconomics.registry import unknown_id_message

DATA_DIR = Path(str(resources.files("siliconomics.catalog") / "data"))


def looks_like_path(ref: str) -> bool:
    """Whether a reference is a file path rather than a catalog id."""
    return ref.endswith((".yaml", ".yml", ".json")) or "/" in ref or "\\" in ref


@cache
def _ids(folder: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((DATA_DIR / folder).glob("*.yaml"))}


def hardware_ids() -> list[str]:
    """Ids of every accelerator in the shipped catalog."""
    return list(_ids("hardware"))


def model_ids() -> list[str]:
    """Ids of every model architecture in the shipped catalog."""
    return list(_ids("models"))


@cache
def _load_hardware_path(path: Path) -> Accelerator:
    if read_yaml(path).get("type") == "chip-design":
        raise CatalogError(f"{path}: is a chip design, not an accelerator file; resolve it "
                           f"with siliconomics.resolve.resolve_accelerator")
    return load_accelerator_file(path)


def _resolve(ref: str | Path, folder: str, kind: str) -> Path:
    """The file behind a catalog id in ``folder``, or ``ref`` itself when it is a path."""
    if isinstance(ref, Path) or looks_like_path(ref):
        return Path(ref).resolve()
    known = _ids(folder)
    if ref not in known:
        raise UnknownIdError(unknown_id_message(kind, ref, known))
    return known[ref]


def hardware(ref: str | Path) -> Accelerator:
    """An accelerator by catalog id (``h100-sxm``) or by path to an accelerator YAML file.

    Commands and the API call :func:`siliconomics.resolve.resolve_accelerator`, which also
    accepts chip designs."""
    return _load_hardware_path(_resolve(ref, "hardware", "hardware id"))


@cache
def _load_model_path(path: Path) -> ModelArch:
    return load_model_file(path)


def model(ref: str | Path) -> ModelArch:
    """A model architecture by catalog id (``llama3-70b``) or by path (YAML or config.json)."""
    return _load_model_path(_resolve(ref, "models", "model id"))
