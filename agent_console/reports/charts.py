"""Charts drawn on the server as inline SVG: no script, no library, prints as it shows.

Each function returns markup for a ``<svg>`` element, with a ``<title>`` per point or
cell so a pointer shows the figure, and a text alternative (``aria-label``).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 720, 240, 40


def line_chart(
    title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]
) -> Markup:
    """Trend lines: one polyline per (name, values) over ``x_labels`` (None: no point)."""
    values = [v for _, points in series for v in points if v is not None]
    top = max(values, default=0) or 1
    n = max(len(x_labels) - 1, 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(i: int) -> float:
        return PAD + inner_w * i / n

    def y(v: float) -> float:
        return HEIGHT - PAD - inner_h * v / top

    parts = [
        f'<svg class="chart line" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - PAD}"/>',
        f'<line class="axis" x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}"/>',
        f'<text class="tick" x="{PAD - 4}" y="{PAD + 4}" text-anchor="end">{_num(top)}</text>',
        f'<text class="tick" x="{PAD - 4}" y="{HEIGHT - PAD + 4}" text-anchor="end">0</text>',
    ]
    step = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0:
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - PAD + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for k, (name, points) in enumerate(series):
        drawn = [(x(i), y(v), v) for i, v in enumerate(points) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in drawn)
        parts.append(f'<g class="series s{k}"><polyline points="{path}"/>')
        for (px, py, v), label in zip(
            drawn, (x_labels[i] for i, v in enumerate(points) if v is not None), strict=True
        ):
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5">'
                f"<title>{escape(name)} {escape(label)}: {_num(v)}</title></circle>"
            )
        parts.append("</g>")
        parts.append(
            f'<text class="legend s{k}" x="{PAD + 10 + 150 * k}" y="{PAD - 12}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_map(title: str, rows: Sequence[str], cells: dict[tuple[int, int], int]) -> Markup:
    """A grid of ``rows`` (1-based, e.g. weekdays) by 24 hours, darker for more calls."""
    top = max(cells.values(), default=0) or 1
    size, left, head = 24, 60, 20
    width, height = left + 24 * size + 4, head + len(rows) * size + 4
    parts = [
        f'<svg class="chart heat" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for hour in range(0, 24, 3):
        parts.append(
            f'<text class="tick" x="{left + hour * size + size / 2}" y="14" '
            f'text-anchor="middle">{hour:02d}</text>'
        )
    for r, label in enumerate(rows, start=1):
        y = head + (r - 1) * size
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 16}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        for hour in range(24):
            n = cells.get((r, hour), 0)
            parts.append(
                f'<rect x="{left + hour * size}" y="{y}" width="{size - 2}" height="{size - 2}" '
                f'fill-opacity="{0.06 + 0.94 * n / top:.2f}"><title>{escape(label)} '
                f"{hour:02d}:00: {n}</title></rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
