"""Server-rendered SVG column charts for the reports: geometry only, drawn by the
template `reports/_column_chart.html` (a `<title>`, a `<desc>` and a `<title>` per
column; the page puts the same figures in a table beside it for screen readers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, AXIS = 720.0, 160.0, 20.0


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    text: str


@dataclass(frozen=True)
class ColumnChart:
    id: str
    title: str
    desc: str
    columns: list[Column]
    first: str
    last: str
    top: str
    width: float = WIDTH
    height: float = HEIGHT
    axis: float = AXIS

    @property
    def baseline(self) -> float:
        return self.height + 0.5

    @property
    def view_height(self) -> float:
        return self.height + self.axis


def column_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float | None]],
    *,
    unit: str = "",
    top: float | None = None,
) -> ColumnChart:
    """Columns for (label, value) points, scaled to `top` (the largest value if None);
    a missing value draws no column but keeps its place."""
    values = [value for _, value in points if value is not None]
    scale = top if top is not None else max(values, default=0) or 1
    step = WIDTH / max(len(points), 1)
    columns = []
    for index, (label, value) in enumerate(points):
        height = 0.0 if value is None else HEIGHT * min(value, scale) / scale
        shown = "no data" if value is None else f"{value:g}{unit}"
        columns.append(
            Column(index * step + 1, HEIGHT - height, max(step - 2, 1), height, f"{label}: {shown}")
        )
    if values:
        desc = (
            f"{len(points)} columns from {points[0][0]} to {points[-1][0]}; lowest "
            f"{min(values):g}{unit}, highest {max(values):g}{unit}. The table below gives "
            "every value."
        )
    else:
        desc = "No data in this range."
    return ColumnChart(
        chart_id,
        title,
        desc,
        columns,
        points[0][0] if points else "",
        points[-1][0] if points else "",
        f"{scale:g}{unit}",
    )
