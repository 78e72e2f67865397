"""A report's tables as files: CSV (one section per table) and XLSX (one sheet per table)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from agent_console.reports.tables import Rate, Seconds, Table, text


def to_csv(tables: Sequence[Table]) -> str:
    """UTF-8 text: per table its title on a line, its header, its rows, then a blank line.

    Rates are written as percentages (``98.0%``), missing values as empty cells.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for table in tables:
        writer.writerow([str(table.title)])
        writer.writerow([str(c) for c in table.columns])
        for row in table.rows:
            writer.writerow(["" if v is None else text(v) for v in row])
        writer.writerow([])
    return out.getvalue()


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with a sheet per table (named by its key): header, then rows.

    Numbers stay numbers: rates as fractions formatted ``0.0%``, seconds with one decimal.
    """
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([str(table.title)])
        sheet.append([str(c) for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Rate):
                    cell.number_format = "0.0%"
                elif isinstance(value, Seconds):
                    cell.number_format = "0.0"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return float(value) if isinstance(value, Rate | Seconds) else value
    return str(value)
