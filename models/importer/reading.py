"""Reading an import file: its format (.xlsx or .csv), its text encoding, and its header."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from hotline.exceptions import ImportRejected, RowProblem

# Headers as estates write them, matched ignoring case, spaces and full-width forms.
COLUMNS: dict[str, tuple[str, ...]] = {
    "community": ("小区", "community"),
    "building": ("楼栋", "building"),
    "entrance": ("单元", "entrance"),
    "room": ("房号", "room"),
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "role": ("身份", "role"),
    "language": ("语言", "language"),
}
OPTIONAL_COLUMNS = frozenset({"entrance", "language"})


class _Source:
    """An import file as numbered rows of cell texts, to be read from the start each time."""

    def __init__(self, path: Path) -> None:
        self.path, suffix = path, path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self.encoding = ""
            with closing(_workbook(path)) as wb:
                self.lines = wb.active.max_row or 0
        elif suffix in (".csv", ".tsv", ".txt"):
            self.encoding, self.lines = _text_encoding(path)
        else:
            raise _file_problem(
                f"cannot read {suffix or 'files without extension'}: save the file as .xlsx or .csv"
            )

    def records(self) -> Generator[tuple[int, list[str]]]:
        """(line, cells) for every row, numbered as a spreadsheet does: the header is line 1."""
        return self._csv_records() if self.encoding else self._xlsx_records()

    def _csv_records(self) -> Generator[tuple[int, list[str]]]:
        with self.path.open(encoding=self.encoding, newline="") as fh:
            if not (header := fh.readline().lstrip("\ufeff")):
                return
            # The header decides the delimiter: data cells may hold ";" between numbers.
            delimiter = max(",\t;", key=header.count)
            rows = csv.reader(itertools.chain([header], fh), delimiter=delimiter)
            for line, cells in enumerate(rows, start=1):
                yield line, [cell.strip() for cell in cells]

    def _xlsx_records(self) -> Generator[tuple[int, list[str]]]:
        with closing(_workbook(self.path)) as wb:
            # A read-only sheet streams its rows, empty ones included, so numbers hold.
            for line, values in enumerate(wb.active.iter_rows(values_only=True), start=1):
                yield line, [_cell_text(value) for value in values]


def _workbook(path: Path) -> Any:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():  # files from WPS and others lack openpyxl's default style
            warnings.filterwarnings("ignore", "Workbook contains no default style")
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _file_problem(f"not a readable .xlsx workbook: {exc}") from exc


def _cell_text(value: object) -> str:
    """A cell's text; numbers typed as numbers (13912345678, 1502.0) lose the ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 (with a BOM or not), else GB18030 (Excel's "CSV" in China); and the line count.

    :raises ImportRejected: when the file decodes as neither.
    """
    with path.open("rb") as fh:
        bom = fh.read(2)
    utf16 = ["utf-16"] if bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else []
    failed_at: dict[str, int] = {}
    for encoding in [*utf16, "utf-8-sig", "gb18030"]:
        decoder, lines = codecs.getincrementaldecoder(encoding)(), 0
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
            decoder.decode(b"", final=True)
            return encoding, lines
        except UnicodeDecodeError as exc:
            failed_at[encoding] = lines + exc.object[: exc.start].count(b"\n") + 1
    # The encoding that read further is most likely the one meant: point there.
    reason = 'the file is neither UTF-8 nor GB18030 text: save it as "CSV UTF-8" or .xlsx'
    raise ImportRejected([RowProblem(max(failed_at.values()), "", reason)])


def _file_problem(reason: str) -> ImportRejected:
    return ImportRejected([RowProblem(1, "", reason)])


def _fold(text: str) -> str:
    """Text as compared: full-width forms folded, spaces dropped, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


@dataclasses.dataclass(frozen=True)
class _Columns:
    """Where each known column is, and its header as written in the file."""

    index: dict[str, int]
    header: dict[str, str]

    @classmethod
    def from_header(cls, cells: list[str]) -> _Columns:
        """:raises ImportRejected: for a required column missing, or a column given twice."""
        aliases = {_fold(alias): field for field, names in COLUMNS.items() for alias in names}
        index: dict[str, int] = {}
        header: dict[str, str] = {}
        problems = []
        for i, text in enumerate(cells):
            field = aliases.get(_fold(text))
            if field in index:
                problems.append(RowProblem(1, text, f"repeats column {header[field]}"))
            elif field:
                index[field], header[field] = i, text
        problems += [
            RowProblem(1, "", f"the required column {'/'.join(names)} is missing")
            for field, names in COLUMNS.items()
            if field not in index and field not in OPTIONAL_COLUMNS
        ]
        if problems:
            raise ImportRejected(problems)
        return cls(index, header)

    def values(self, cells: list[str]) -> dict[str, str]:
        return {f: cells[i] if i < len(cells) else "" for f, i in self.index.items()}


def _read_header(records: Iterator[tuple[int, list[str]]]) -> _Columns:
    """The columns line 1 names.

    :raises ImportRejected: for an empty file or a header without a required column.
    """
    if (first := next(records, None)) is None or not any(first[1]):
        example = ",".join(names[0] for names in COLUMNS.values())
        blank = "the file is empty" if first is None else "line 1 is blank"
        raise _file_problem(f"{blank}: the first line must name the columns, e.g. {example}")
    return _Columns.from_header(first[1])
