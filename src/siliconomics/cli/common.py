"""Shared pieces of the command line: the console, JSON output, and tables."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf become null (never a silent NaN in output)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def print_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    print(json.dumps(_clean(obj), indent=2, allow_nan=False))
