"""Economic defaults from ``catalog/data/economics_defaults.yaml``: every number sourced.

The file maps a name to ``{value, source}`` or ``{low, central, high, source}``; this module
loads it into :class:`EconomicsDefaults`, a mapping name -> (range, source) that the TCO
functions take their central values from and the Monte Carlo samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from siliconomics.catalog.index import DATA_DIR
from siliconomics.catalog.sourced import Range, Sourced, read_yaml, validation_message
from siliconomics.errors import CatalogError
from siliconomics.registry import unknown_id_message

DEFAULTS_PATH = DATA_DIR / "economics_defaults.yaml"

#: Names every defaults file must define (the TCO model uses each one).
REQUIRED: tuple[str, ...] = (
    "pue",
    "electricity_usd_per_kwh",
    "draw_frac",
    "server_power_multiplier",
    "server_cost_multiplier",
    "networking_frac",
    "dc_capex_usd_per_w",
    "dc_life_years",
    "depreciation_years",
    "cost_of_capital_frac",
    "ops_frac_per_year",
    "committed_discount_frac",
    "output_input_cost_ratio",
    "hours_per_year",
)


@dataclass(frozen=True)
class SourcedRange:
    """A range with the source it came from."""

    range: Range
    source: str

    @property
    def central(self) -> float:
        return self.range.central


@dataclass(frozen=True)
class EconomicsDefaults:
    """Economic parameters by name, each a sourced range (units in the names)."""

    values: dict[str, SourcedRange]
    path: str

    def __getitem__(self, name: str) -> SourcedRange:
        if name not in self.values:
            raise CatalogError(
                f"{self.path}: " + unknown_id_message("economic parameter", name, self.values)
            )
        return self.values[name]

    def central(self, name: str) -> float:
        return self[name].central

    def with_overrides(self, overrides: dict[str, SourcedRange]) -> EconomicsDefaults:
        """A copy with some parameters replaced (e.g. by a scenario's own values)."""
        for name in overrides:
            _ = self[name]  # raises for an unknown name
        return EconomicsDefaults(values=self.values | overrides, path=self.path)


def parse_sourced_ranges(data: dict[str, object], where: str) -> dict[str, SourcedRange]:
    """Turn a mapping of name -> sourced YAML leaf into sourced ranges (one-line errors)."""
    out: dict[str, SourcedRange] = {}
    for name, leaf in data.items():
        if not isinstance(leaf, dict):
            raise CatalogError(
                f"{where}: field '{name}' must be {{value, source}} or "
                f"{{low, central, high, source}}, got {leaf!r}"
            )
        try:
            sourced = Sourced.model_validate(leaf)
            rng = sourced.as_range()
        except ValidationError as exc:
            raise CatalogError(validation_message(f"{where} (field '{name}')", exc)) from None
        except ValueError as exc:
            raise CatalogError(f"{where}: field '{name}': {exc}") from None
        out[name] = SourcedRange(range=rng, source=sourced.source)
    return out


def load_defaults(path: Path = DEFAULTS_PATH) -> EconomicsDefaults:
    """Load and validate an economics defaults file."""
    data = read_yaml(path)
    values = parse_sourced_ranges(data, str(path))
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise CatalogError(f"{path}: missing required field(s) {', '.join(missing)}")
    return EconomicsDefaults(values=values, path=str(path))


@cache
def default_economics() -> EconomicsDefaults:
    """The shipped defaults (cached)."""
    return load_defaults()
