"""Values with a source, and ranges where sources disagree.

A catalog file stores every number as a mapping with its ``source`` (and ``as_of`` where it
changes with time): either ``{value: X, source: ...}`` or, where sources disagree,
``{low: L, central: C, high: H, source: ...}``. The loader refuses a number without a
source. Ranges are kept as ranges so the economics layer can sample them; the performance
layer uses the central value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from siliconomics.inputs import load_yaml, validation_error_message


class Range(BaseModel):
    """A quantity known only within bounds: low <= central <= high (same unit as the field)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    low: float
    central: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (self.low <= self.central <= self.high):
            raise ValueError(
                f"range must satisfy low <= central <= high, got "
                f"low={self.low}, central={self.central}, high={self.high}"
            )
        return self

    @classmethod
    def point(cls, value: float) -> Range:
        return cls(low=value, central=value, high=value)

    def scaled(self, factor: float) -> Range:
        """The same range in another unit (factor > 0)."""
        return Range(low=self.low * factor, central=self.central * factor, high=self.high * factor)

    @property
    def is_point(self) -> bool:
        return self.low == self.high


def sourced_range(value: object, low: float | None, central: float | None,
                  high: float | None) -> Range | None:
    """The range a sourced entry gives: ``value`` as a point, or ``low``/``central``/``high``
    (central defaults to the midpoint); ``None`` for a value that is not a number. Raises
    ValueError unless exactly one of the two forms is given, and a range has both ends."""
    has_range = any(v is not None for v in (low, central, high))
    if value is None and not has_range:
        raise ValueError("needs either 'value' or 'low'/'central'/'high'")
    if value is not None and has_range:
        raise ValueError("give either 'value' or 'low'/'central'/'high', not both")
    if has_range:
        if low is None or high is None:
            raise ValueError("a range needs both 'low' and 'high'")
        return Range(low=low, central=central if central is not None else 0.5 * (low + high),
                     high=high)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Range.point(float(value))


class Sourced(BaseModel):
    """One catalog entry: a value or a low/central/high range, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | int | str | bool | None = None
    low: float | None = None
    central: float | None = None
    high: float | None = None
    source: str = Field(min_length=3)
    as_of: str | int | None = None
    note: str | None = None

    @field_validator("value", "low", "central", "high", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @model_validator(mode="after")
    def _one_form(self) -> Sourced:
        sourced_range(self.value, self.low, self.central, self.high)
        return self

    def as_range(self) -> Range:
        """The entry as a range (a point range for a single number)."""
        out = sourced_range(self.value, self.low, self.central, self.high)
        if out is None:
            raise ValueError(f"expected a number, got {self.value!r}")
        return out

    def number(self) -> float:
        """The single number (``value``, or the central value of a range)."""
        return self.as_range().central

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise ValueError(f"expected text, got {self.value!r}")
        return self.value


def read_yaml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """Read a YAML mapping through the input boundary (:func:`siliconomics.inputs.load_yaml`):
    size limit, UTF-8, ``safe_load``, file errors as one-line :class:`CatalogError`."""
    data: dict[str, Any] = load_yaml(path, what=what)
    return data


def validation_message(path: Path | str, exc: ValidationError) -> str:
    """Condense a pydantic error to one line: file, field path, rule, value received
    (see :func:`siliconomics.inputs.validation_error_message`)."""
    return validation_error_message(path, exc)
