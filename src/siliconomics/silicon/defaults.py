"""Sourced defaults of the silicon model (``silicon/data/*.yaml``), loaded once.

Node-dependent defaults live in the process-node catalog; this module serves the rest:
memory kinds, packaging, test and board, NRE and schedule, and the fitted area and power
coefficients. Every value is a :class:`~siliconomics.catalog.sourced.Sourced` entry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from siliconomics.catalog.sourced import Range, Sourced, read_yaml, validation_message
from siliconomics.errors import CatalogError, UnknownIdError
from siliconomics.registry import unknown_id_message

DATA = Path(__file__).parent / "data"
DEFAULTS_PATH = DATA / "silicon_defaults.yaml"
AREA_MODEL_PATH = DATA / "area_model.yaml"
POWER_MODEL_PATH = DATA / "power_model.yaml"


def _parse(tree: Any, path: Path, where: str) -> Any:
    """Turn every ``{value|low/central/high, source}`` leaf into a :class:`Sourced`."""
    if isinstance(tree, dict) and "source" in tree:
        try:
            return Sourced.model_validate(tree)
        except ValidationError as exc:
            raise CatalogError(validation_message(f"{path} ({where})", exc)) from None
    if isinstance(tree, dict):
        return {k: _parse(v, path, f"{where}.{k}" if where else str(k)) for k, v in tree.items()}
    raise CatalogError(f"{path}: '{where}' must be a mapping with a 'source', got {tree!r}")


@cache
def _tree(path: Path) -> dict[str, Any]:
    parsed = _parse(read_yaml(path), path, "")
    assert isinstance(parsed, dict)  # read_yaml returns a mapping
    return parsed


def _entry(path: Path, *keys: str) -> Sourced:
    node: Any = _tree(path)
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            valid = list(node) if isinstance(node, dict) else []
            what = ".".join(keys[: i + 1])
            raise UnknownIdError(unknown_id_message(f"silicon default '{what}' in {path.name}:", key, valid))
        node = node[key]
    if not isinstance(node, Sourced):
        raise CatalogError(f"{path}: '{'.'.join(keys)}' is a group, not a value")
    return node


def rng(*keys: str, path: Path = DEFAULTS_PATH) -> Range:
    """A default as a range, e.g. ``rng("nre", "respin_probability")``."""
    return _entry(path, *keys).as_range()


def num(*keys: str, path: Path = DEFAULTS_PATH) -> float:
    """A default's single (central) value."""
    return _entry(path, *keys).number()


def flag(*keys: str, path: Path = DEFAULTS_PATH) -> bool:
    return bool(_entry(path, *keys).value)


def source(*keys: str, path: Path = DEFAULTS_PATH) -> str:
    return _entry(path, *keys).source


def names(*keys: str, path: Path = DEFAULTS_PATH) -> list[str]:
    """The member names of a group, e.g. ``names("memory_kinds")``."""
    node: Any = _tree(path)
    for key in keys:
        node = node[key]
    return list(node)


def member(group: str, name: str, path: Path = DEFAULTS_PATH) -> None:
    """Raise :class:`UnknownIdError` unless ``name`` is a member of ``group``."""
    valid = names(group, path=path)
    if name not in valid:
        raise UnknownIdError(unknown_id_message(group.rstrip("s").replace("_", " "), name, valid))
