"""Process nodes: the catalog of semiconductor nodes and what changes from one to the next.

The performance layer uses a node's relative switching energy to transfer a matrix-unit
energy per FLOP fitted on one chip to chips on other nodes; the silicon layer adds density,
wafer price, defect density and NRE per node.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siliconomics.catalog.index import DATA_DIR
from siliconomics.catalog.sourced import Range, Sourced, read_yaml, validation_message
from siliconomics.errors import CatalogError, UnknownIdError
from siliconomics.registry import unknown_id_message


class ProcessNode(BaseModel):
    """One process node. Extra per-node fields (the silicon layer's) are kept in ``extra``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    aliases: tuple[str, ...] = ()
    energy_per_op_rel_n7: float = Field(gt=0, description="Switching energy relative to N7 [-].")
    sources: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Sourced] = Field(default_factory=dict)

    def value(self, key: str) -> float:
        """A per-node number (central value of a range) from the catalog, e.g.
        ``logic_density_mtr_mm2``; a missing key is a :class:`CatalogError` naming node and key."""
        return self.range(key).central

    def range(self, key: str) -> Range:
        """A per-node quantity as a low/central/high range (a point range for one value)."""
        entry = self.extra.get(key)
        if entry is None:
            raise CatalogError(
                f"process_nodes.yaml: node '{self.name}' has no '{key}' "
                f"(it has: {', '.join(sorted(self.extra)) or 'none'})"
            )
        try:
            return entry.as_range()
        except ValueError as exc:
            raise CatalogError(
                f"process_nodes.yaml: node '{self.name}' field '{key}': {exc}"
            ) from None


@cache
def _nodes() -> dict[str, ProcessNode]:
    path = DATA_DIR / "process_nodes.yaml"
    data = read_yaml(path, what="process node catalog")
    raw = data.get("nodes")
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: expected a 'nodes' mapping")
    nodes: dict[str, ProcessNode] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise CatalogError(f"{path}: node '{name}' must be a mapping")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise CatalogError(f"{path}: node '{name}' field 'aliases': must be a list of names, "
                               f"got {aliases!r}")
        fields: dict[str, Any] = {"name": name, "aliases": tuple(aliases)}
        extra: dict[str, Sourced] = {}
        sources: dict[str, str] = {}
        try:
            for key, value in entry.items():
                if key == "aliases":
                    continue
                sourced = Sourced.model_validate(value)
                sources[key] = sourced.source
                if key == "energy_per_op_rel_n7":
                    fields[key] = sourced.number()
                else:
                    extra[key] = sourced
            nodes[name] = ProcessNode(**fields, sources=sources, extra=extra)
        except ValidationError as exc:
            raise CatalogError(validation_message(f"{path} (node {name})", exc)) from None
    return nodes


def node_names() -> list[str]:
    return list(_nodes())


UNPUBLISHED_NODES = ("unpublished", "unknown", "")
"""Accelerator ``process_node`` values meaning the vendor does not publish it (TPUs,
Trainium2); the models then use node-free defaults."""


def process_node(name: str) -> ProcessNode:
    """A node by name or alias (case-insensitive): ``N7``, ``7nm``, ``4N``..."""
    wanted = name.strip().lower()
    for node in _nodes().values():
        if wanted == node.name.lower() or wanted in (a.lower() for a in node.aliases):
            return node
    nodes = _nodes().values()
    all_names = [n.name for n in nodes] + [a for n in nodes for a in n.aliases]
    raise UnknownIdError(unknown_id_message("process node", name, all_names))
