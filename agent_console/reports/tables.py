"""A report as tables: what the CLI prints, the CSV and XLSX files hold, and the pages show."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


class Rate(float):
    """A share between 0 and 1, shown as a percentage."""


class Seconds(float):
    """A duration in seconds, shown with one decimal."""


Cell = str | int | float | bool | None


@dataclasses.dataclass(frozen=True)
class Table:
    """A titled table: ``key`` names it in files (a CSV's section, an XLSX sheet)."""

    key: str
    title: object  # a lazy_gettext string
    columns: Sequence[object]
    rows: list[list[Cell]]


def rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


def seconds(value: float | None) -> Seconds | None:
    return None if value is None else Seconds(value)


def text(value: Cell) -> str:
    """A cell as the CLI, the CSV and the pages write it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    if isinstance(value, Seconds | float):
        return f"{value:.1f}"
    return str(value)


def plain(tables: Sequence[Table]) -> str:
    """The tables as aligned text, for a terminal."""
    out: list[str] = []
    for table in tables:
        head = [str(c) for c in table.columns]
        body = [[text(v) for v in row] for row in table.rows]
        widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(head)]
        out.append(f"== {table.title} ==")
        out.append("  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip())
        for row in body:
            out.append("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        if not body:
            out.append("(none)")
        out.append("")
    return "\n".join(out)


def _width(value: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in value)


def _pad(value: str, width: int) -> str:
    return value + " " * (width - _width(value))
