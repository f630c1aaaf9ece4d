"""Shared pieces of the command line: the consoles, JSON output, tables and number formats.

Both consoles have Rich markup *off*: units are written in brackets throughout (``[s]``,
``[req/s]``, ``[mm2]``) and Rich would read them as style tags and drop them. Styling is
done with :class:`rich.text.Text` (see :func:`warn`), or with ``markup=True`` on one call.

Tables go through :func:`print_table`: id and number columns never wrap or truncate (their
minimum width is their longest cell), only text columns such as names wrap. When even the
minimum widths do not fit the terminal (or the 80 columns Rich assumes for a pipe), the
table is printed wider rather than cut.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

GB = 1e9
"""Memory sizes are shown in GB = 1e9 bytes everywhere (bandwidths are GB/s and TB/s too)."""


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


def warn(message: str) -> None:
    """One warning line on stderr."""
    err_console.print(Text("warning: ", style="yellow") + Text(message), soft_wrap=True,
                      highlight=False)


ColumnKind = Literal["id", "number", "value", "text"]


@dataclass(frozen=True)
class Column:
    """A table column. ``id`` and ``number`` cells are never wrapped or cut; ``value`` cells
    wrap only between words and never cut one (a number or a name); ``text`` wraps anywhere.

    A header may carry its unit on a second line (``"memory\\nGB"``).
    """

    header: str
    kind: ColumnKind = "number"


_TEXT_MIN_WIDTH = 8
_GAP = 2  # characters between two columns


def _cell_width(cell: str) -> int:
    return max((len(line) for line in cell.splitlines()), default=0)


def _min_width(column: Column, cells: list[str]) -> int:
    header = max((len(word) for word in column.header.split()), default=0)
    longest_word = max((len(w) for c in cells for w in c.split()), default=0)
    if column.kind == "text":
        return max(header, min(longest_word, _TEXT_MIN_WIDTH))
    if column.kind == "value":
        return max(header, longest_word)
    return max([header, *(_cell_width(c) for c in cells)])


def build_table(title: str | None, columns: Sequence[Column],
                rows: Iterable[Sequence[str]]) -> tuple[Table, int]:
    """A Rich table whose id and number columns cannot be truncated, and the narrowest
    width [characters] that shows every such cell whole."""
    body = [[str(c) for c in row] for row in rows]
    for row in body:
        if len(row) != len(columns):
            raise ValueError(f"row has {len(row)} cells for {len(columns)} columns: {row}")
    table = Table(title=Text(title, overflow="fold") if title else None, box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True)
    widths = []
    for i, column in enumerate(columns):
        width = _min_width(column, [r[i] for r in body])
        widths.append(width)
        # An id or number column never wraps, and Rich applies that to its header too: break
        # the header between words into lines no wider than the column instead.
        header = column.header if column.kind in ("text", "value") else "\n".join(
            textwrap.wrap(column.header, width, break_long_words=False) or [""])
        table.add_column(Text(header), min_width=width,
                         no_wrap=column.kind in ("id", "number"), overflow="fold",
                         justify="right" if column.kind == "number" else "left")
    for row in body:
        table.add_row(*(Text(c) for c in row))
    return table, sum(widths) + _GAP * (len(columns) - 1)


def print_table(title: str | None, columns: Sequence[Column],
                rows: Iterable[Sequence[str]]) -> None:
    """Print a table at the console's width, or wider if its ids and numbers need it."""
    table, needed = build_table(title, columns, rows)
    if needed <= console.width:
        console.print(table)
        return
    # Rich never prints wider than its console: render on a wider one sharing the output.
    wide = Console(file=console.file, width=needed, markup=False,
                   force_terminal=console.is_terminal, no_color=console.no_color)
    wide.print(table)


def print_pairs(title: str | None, pairs: Iterable[tuple[str, str]],
                headers: tuple[str, str] = ("quantity", "value")) -> None:
    """A two-column table of labels (wrapping) and values (never cut)."""
    print_table(title, [Column(headers[0], "text"), Column(headers[1])], pairs)


def fmt(value: float | None, scale: float = 1.0, digits: int = 0) -> str:
    """``value / scale`` with thousands separators; ``-`` for a missing value."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value / scale:,.{digits}f}"
