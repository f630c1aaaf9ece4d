"""HTML building blocks of the report: a table of formatted strings, an embedded chart."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import plotly.io as pio

from siliconomics.report.figures import themed


def table(headers: list[str], rows: list[list[str]], *, text_cols: tuple[int, ...] = (),
          aside_cols: tuple[int, ...] = (), highlight: int | None = None) -> str:
    """An HTML table of already formatted strings; column 0 is the row's label."""
    def cls(j: int) -> str:
        if j == 0:
            return "label"
        if j in text_cols:
            return "text"
        return "aside" if j in aside_cols else ""

    head = "".join(f"<th class='{cls(j)}'>{html.escape(h)}</th>"
                   for j, h in enumerate(headers))
    body = "".join(
        f"<tr{' class=best' if i == highlight else ''}>"
        + "".join(f"<td class='{cls(j)}'>{html.escape(v)}</td>" for j, v in enumerate(row))
        + "</tr>" for i, row in enumerate(rows))
    return (f"<div class='tablewrap'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def chart(fig: go.Figure, name: str) -> str:
    """The figure with the charts' template (:func:`~siliconomics.report.figures.themed`)
    as an HTML div (plotly.js is in the page's head)."""
    body = pio.to_html(themed(fig), validate=False, full_html=False, include_plotlyjs=False,
                       div_id=f"chart-{name}",
                       config={"displayModeBar": False, "responsive": True})
    return f"<div class='chart' data-chart='{name}'>{body}</div>"
