"""Importing residents (业主档案) from the spreadsheets estates keep: every row, or none.

The file is read twice and never held in memory. The first pass checks every row
and collects every problem; only a clean file gets the second pass, which writes
:data:`CHUNK_ROWS` rows at a time in one transaction, committed at the end.

The rules the import applies:

- Every row needs a community, building, room, name (100 characters at most), at
  least one phone number and a role; entrance and language may be left empty
  (a new resident then speaks Chinese). Building ``3栋``/``3号楼``/``3幢``, entrance
  ``2单元`` and room ``1502室`` are kept as ``3``, ``2`` and ``1502``.
- A community is named by its code (any case) or its name. A name no community
  has creates one, coded with the first free ``C001``, ``C002``, … in the order
  the file names them. Buildings and units the file names are created too.
- The resident a row speaks of is, in order: the one already linked to the row's
  unit under the row's name; else one of that name, living in the same community,
  who has one of the row's numbers (so one person with two units is two rows);
  else a new resident. The row sets that person's role on the unit, their language
  when given, and their phones: the row's numbers replace theirs, the first being
  the primary.
- Two rows that say different things about one person are a problem on the later
  row, so that importing a file again changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import itertools
import re
import unicodedata
import warnings
import zipfile
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, Table, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from hotline.exceptions import ImportRejected, RowProblem
from models.audit import audit
from models.base import Base, utcnow
from models.estate import (
    Building,
    Community,
    Language,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
)
from models.phones import to_e164

CHUNK_ROWS = 1_000
Progress = Callable[[int, str], AbstractContextManager[Any]]

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
ROLES = {
    "业主": ResidentRole.OWNER, "owner": ResidentRole.OWNER,
    "住户": ResidentRole.OCCUPANT, "occupant": ResidentRole.OCCUPANT,
    "租户": ResidentRole.TENANT, "tenant": ResidentRole.TENANT,
    "家属": ResidentRole.FAMILY, "family": ResidentRole.FAMILY,
}  # fmt: skip
LANGUAGES = {
    "中文": Language.ZH_CN, "zh": Language.ZH_CN, "zh-cn": Language.ZH_CN,
    "mandarin": Language.ZH_CN, "普通话": Language.ZH_CN,
    "英文": Language.EN, "en": Language.EN, "english": Language.EN,
}  # fmt: skip
PHONE_SEPARATORS = re.compile(r"[;；、,，]")
BUILDING_SUFFIX = re.compile(r"(号楼|栋|幢|座|楼)$")  # 3栋, 3号楼, 3幢, A座
ENTRANCE_SUFFIX = re.compile(r"单元$")
ROOM_SUFFIX = re.compile(r"[室号]$")


@dataclasses.dataclass(frozen=True, slots=True)
class ResidentRow:
    """One checked row. ``community`` is an existing one's id, or the name of one to create."""

    line: int
    community: int | str
    building: str
    entrance: str
    room: str
    name: str
    phones: tuple[str, ...]  # E.164, the primary first
    role: ResidentRole
    language: Language | None  # None: not given, so the resident's is kept


@dataclasses.dataclass
class ImportReport:
    """What an import did. Each row counts once: as created, updated or unchanged."""

    file: str
    rows: int = 0
    communities_created: int = 0
    buildings_created: int = 0
    units_created: int = 0
    residents_created: int = 0
    residents_updated: int = 0  # rows that changed a resident on file or met earlier in it
    residents_unchanged: int = 0
    phones_added: int = 0
    phones_removed: int = 0

    def counts(self) -> dict[str, int]:
        """The counts by name, as the audit log keeps them."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "file"}

    def summary(self) -> str:
        """One line for the operator."""
        return (
            f"{self.file}: {_n(self.rows, 'row')}: {_n(self.residents_created, 'resident')} "
            f"created, {self.residents_updated} updated, {self.residents_unchanged} unchanged; "
            f"new {_n(self.communities_created, 'community', 'communities')}, "
            f"{_n(self.buildings_created, 'building')}, {_n(self.units_created, 'unit')}; "
            f"{_n(self.phones_added, 'phone number')} added, {self.phones_removed} removed"
        )


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def import_residents(
    session: Session, path: Path, *, region: str = "CN", progress: Progress | None = None
) -> ImportReport:
    """Import the residents of a .csv (UTF-8 or GB18030) or .xlsx file, and commit.

    :param region: the country of numbers written without a country code.
    :param progress: ``progress(total, label)`` giving a context manager whose value
        has ``update(n)``, such as ``click.progressbar``; called once for each pass.
    :raises ImportRejected: listing every bad row; nothing is written.
    """
    path = Path(path)
    try:
        source = _Source(path)
        report = ImportReport(path.name)
        report.rows = _check(session, source, region, progress)
        _write(session, source, region, report, progress)
        audit(session, action="import", subject_type="residents", file=path.name,
              **report.counts())  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expire_all()  # rows were written by statements, not through loaded objects
    return report


# Reading ------------------------------------------------------------------------------


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
            raise _file_problem(f"cannot read {suffix or 'files without extension'}: "
                                "save the file as .xlsx or .csv")  # fmt: skip

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
    reason = "the file is neither UTF-8 nor GB18030 text: save it as \"CSV UTF-8\" or .xlsx"
    raise ImportRejected([RowProblem(max(failed_at.values()), "", reason)])


def _file_problem(reason: str) -> ImportRejected:
    return ImportRejected([RowProblem(1, "", reason)])


# Checking -----------------------------------------------------------------------------


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


def _text(text: str, limit: int, what: str, suffix: re.Pattern[str] | None = None) -> str:
    """A required text; for an address part, folded (``３号楼`` → ``3``, ``a座`` → ``A``)."""
    if suffix:
        text = suffix.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper())
    else:
        text = " ".join(text.split())
    if not text:
        raise ValueError(f"no {what} given")
    if len(text) > limit:
        raise ValueError(f"{what} {text!r} is longer than {limit} characters")
    return text


def _phones(text: str, region: str) -> tuple[str, ...]:
    """The numbers of a cell in E.164, without repeats; the first is the primary."""
    numbers: dict[str, None] = {}
    for raw in filter(None, (part.strip() for part in PHONE_SEPARATORS.split(text))):
        e164 = to_e164(raw, region, strict=True)  # InvalidPhoneNumber is a ValueError
        if e164 is None:
            raise ValueError(f"{raw!r} is not a phone number")
        numbers[e164] = None
    if not numbers:
        raise ValueError("no phone number given")
    return tuple(numbers)


def _choice(text: str, choices: dict[str, Any], what: str, hint: str) -> Any:
    if (found := choices.get(_fold(text).replace("_", "-"))) is None:
        raise ValueError(f"{what} {text!r} is not one of {hint}" if text else f"no {what} given")
    return found


def _parsers(region: str, communities: _Communities) -> dict[str, Callable[[str], Any]]:
    """For each column, from a cell's text to its value; a ValueError says what is wrong."""
    roles, languages = "业主, 住户, 租户, 家属 (owner, occupant, tenant, family)", "中文, 英文"
    return {
        "community": communities.key,
        "building": lambda t: _text(t, 20, "building", BUILDING_SUFFIX),
        "entrance": lambda t: _text(t, 10, "entrance", ENTRANCE_SUFFIX) if t else "",
        "room": lambda t: _text(t, 20, "room", ROOM_SUFFIX),
        "name": lambda t: _text(t, 100, "name"),
        "phone": lambda t: _phones(t, region),
        "role": lambda t: _choice(t, ROLES, "role", roles),
        "language": lambda t: _choice(t, LANGUAGES, "language", languages) if t else None,
    }


CheckedRows = Iterator[tuple[ResidentRow | None, list[RowProblem]]]


@contextmanager
def _rows(
    source: _Source, region: str, communities: _Communities
) -> Iterator[tuple[_Columns, CheckedRows]]:
    """The columns, and each non-empty row checked: a row, or None and its problems.

    :raises ImportRejected: for an empty file or a header without a required column.
    """
    parsers = _parsers(region, communities)
    with closing(source.records()) as records:
        if (first := next(records, None)) is None or not any(first[1]):
            example = ",".join(names[0] for names in COLUMNS.values())
            blank = "the file is empty" if first is None else "line 1 is blank"
            raise _file_problem(f"{blank}: the first line must name the columns, e.g. {example}")
        columns = _Columns.from_header(first[1])

        def checked() -> CheckedRows:
            for line, cells in records:
                if any((values := columns.values(cells)).values()):
                    yield _parse(line, values, columns, parsers)

        yield columns, checked()


def _parse(
    line: int, values: dict[str, str], columns: _Columns, parsers: dict[str, Callable[[str], Any]]
) -> tuple[ResidentRow | None, list[RowProblem]]:
    parsed: dict[str, Any] = {"entrance": "", "language": None}
    problems = []
    for field, text in values.items():
        try:
            parsed[field] = parsers[field](text)
        except ValueError as exc:
            problems.append(RowProblem(line, columns.header[field], str(exc)))
    if problems:
        return None, problems
    parsed["phones"] = parsed.pop("phone")
    return ResidentRow(line=line, **parsed), []


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


_ROLE_CODES = {role: i for i, role in enumerate(ResidentRole, start=1)}
_LANGUAGE_CODES: dict[Language | None, int] = {None: 0}
_LANGUAGE_CODES.update({language: i for i, language in enumerate(Language, start=1)})
_PACKED = (("phones", 8, 0xFF_FFFF), ("role", 4, 0xF), ("language", 0, 0xF))


class _Repeats:
    """Rows that say different things about one resident, found once the file is read.

    A row leaves 16 bytes per key: the key's digest, and its line, numbers (digested),
    role and language packed in 64 bits. So 100,000 rows cost a few MB, not a copy.
    """

    def __init__(self) -> None:
        self.unit_keys, self.unit_rows = array("Q"), array("Q")  # community, unit, name
        self.number_keys, self.number_rows = array("Q"), array("Q")  # community, name, number

    def add(self, row: ResidentRow) -> None:
        packed = (row.line << 32 | (_digest(row.phones) & 0xFF_FFFF) << 8
                  | _ROLE_CODES[row.role] << 4 | _LANGUAGE_CODES[row.language])  # fmt: skip
        self.unit_keys.append(_digest(row.community, row.building, row.entrance, row.room,
                                      row.name))  # fmt: skip
        self.unit_rows.append(packed)
        for number in row.phones:
            self.number_keys.append(_digest(row.community, row.name, number))
            self.number_rows.append(packed)

    def problems(self, phone_column: str) -> list[RowProblem]:
        """One problem for each row that contradicts an earlier row about the same person."""
        found: dict[int, RowProblem] = {}
        unit_fields, number_fields = ("phones", "role", "language"), ("phones", "language")
        for earlier, later, differ in _repeats(self.unit_keys, self.unit_rows, unit_fields):
            found[later >> 32] = RowProblem(later >> 32, "", f"repeats line {earlier >> 32} "
                                            f"(same unit and name) with different {differ}")
        for earlier, later, differ in _repeats(self.number_keys, self.number_rows, number_fields):
            found.setdefault(later >> 32, RowProblem(
                later >> 32, phone_column, f"the same person as line {earlier >> 32} (same name, "
                f"a number in common) is given different {differ}"))
        return list(found.values())  # fmt: skip


def _repeats(
    keys: array[int], rows: array[int], fields: tuple[str, ...]
) -> Iterator[tuple[int, int, str]]:
    """(earlier row, later row, what differs) for each contradiction, in file order.

    The earlier row is the first with the key, or the first after it to add a language.
    """
    ordered = sorted(keys)
    again = {key for key, following in itertools.pairwise(ordered) if key == following}
    del ordered
    first: dict[int, int] = {}
    for key, row in zip(keys, rows, strict=True):
        if key not in again:
            continue
        if (earlier := first.setdefault(key, row)) == row:
            continue
        if differ := _differences(earlier, row, fields):
            yield earlier, row, differ
        elif not earlier & 0xF and row & 0xF:  # it says the language the first did not
            first[key] = row


def _differences(earlier: int, later: int, fields: tuple[str, ...]) -> str:
    """What two packed rows disagree on, e.g. "phones and role"; no language agrees with any."""
    found = []
    for field, shift, mask in _PACKED:
        a, b = earlier >> shift & mask, later >> shift & mask
        if field in fields and a != b and not (field == "language" and 0 in (a, b)):
            found.append(field)
    return " and ".join(found)


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _bar(progress: Progress | None, total: int, label: str) -> AbstractContextManager[Any]:
    return progress(total, label) if progress else nullcontext(_NoBar())


def _check(session: Session, source: _Source, region: str, progress: Progress | None) -> int:
    """First pass: check every row; the number of rows to import.

    :raises ImportRejected: listing every problem of every row.
    """
    fresh = not (session.in_transaction() or session.new or session.dirty or session.deleted)
    communities = _Communities(session)
    if fresh:  # end our own read, so that SQLite's write lock is held only while writing
        session.rollback()
    problems: list[RowProblem] = []
    repeats, count, shown = _Repeats(), 0, 1
    with _bar(progress, max(source.lines - 1, 1), f"checking {source.path.name}") as bar, \
            _rows(source, region, communities) as (columns, rows):  # fmt: skip
        for row, row_problems in rows:
            count += 1
            problems += row_problems
            if row is not None:
                repeats.add(row)
            if (line := row.line if row else row_problems[0].line) - shown >= CHUNK_ROWS:
                bar.update(line - shown)
                shown = line
        bar.update(max(source.lines - shown, 0))
    problems += repeats.problems(columns.header["phone"])
    if problems:
        raise ImportRejected(sorted(problems, key=lambda problem: problem.line))
    return count


# Writing ------------------------------------------------------------------------------


class _Communities:
    """Communities by code (any case) or name; a new name gets the first free code C001, …"""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[tuple[str, int]]] = {}
        for id_, code, name in session.execute(
            select(Community.id, Community.code, Community.name).order_by(Community.id)
        ):
            self.by_code[code.upper()] = id_
            self.by_name.setdefault(name, []).append((code, id_))
        self.codes_taken = set(self.by_code)
        self.created: dict[str, int] = {}

    def key(self, text: str) -> int | str:
        """The id of the community ``text`` names, or the name of one to create."""
        name = _text(text, 100, "community")
        if (found := self.by_code.get(name.upper())) is not None:
            return found
        named = self.by_name.get(name, [])
        if len(named) > 1:
            codes = ", ".join(code for code, _ in named)
            raise ValueError(f"{name!r} names {len(named)} communities ({codes}): write the code")
        return named[0][1] if named else name

    def id_for(self, key: int | str, report: ImportReport) -> int:
        """The id of a community :meth:`key` gave, created the first time it is needed."""
        if isinstance(key, int):
            return key
        if key not in self.created:
            code = next(c for n in itertools.count(1) if (c := f"C{n:03d}") not in self.codes_taken)
            self.codes_taken.add(code)
            stmt = insert(Community).values(code=code, name=key).returning(Community.id)
            self.created[key] = self.session.execute(stmt).scalar_one()
            report.communities_created += 1
        return self.created[key]


class _Buildings:
    """Buildings by community and name, loaded a community at a time, created when new."""

    def __init__(self, session: Session, report: ImportReport) -> None:
        self.session, self.report = session, report
        self.ids: dict[tuple[int, str], int] = {}
        self.loaded: set[int] = set()

    def id_for(self, community_id: int, name: str) -> int:
        if community_id not in self.loaded:
            self.loaded.add(community_id)
            for id_, existing in self.session.execute(
                select(Building.id, Building.name).where(Building.community_id == community_id)
            ):  # a building entered elsewhere as 3栋 is building 3 here
                self.ids[(community_id, existing)] = id_
                folded = _text(existing, 100, "building", BUILDING_SUFFIX)
                self.ids.setdefault((community_id, folded), id_)
        if (community_id, name) not in self.ids:
            stmt = insert(Building).values(community_id=community_id, name=name)
            self.ids[(community_id, name)] = self.session.scalars(
                stmt.returning(Building.id)).one()  # fmt: skip
            self.report.buildings_created += 1
        return self.ids[(community_id, name)]


# SQLite's driver keeps 128 prepared statements per connection, and an IN list or a
# multi-row INSERT of n values is another statement for every n: batches of a few
# sizes only (powers of two up to _BATCH) keep those statements, and their memory, few.
_BATCH = 512


def _in_batches(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct ``values`` in batches for IN, each padded with repeats to a power of two."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _BATCH):
        batch = ordered[start : start + _BATCH]
        yield batch + batch[-1:] * (max(8, 1 << (len(batch) - 1).bit_length()) - len(batch))


def _select_in(
    session: Session, stmt: Select[*tuple[Any, ...]], column: Any, values: Iterable[Any]
) -> list[Any]:
    """The rows of ``stmt`` where ``column`` is one of ``values``."""
    return [row for batch in _in_batches(values)
            for row in session.execute(stmt.where(column.in_(batch)))]  # fmt: skip


def _insert_ids(session: Session, model: type[Base], params: list[dict[str, Any]]) -> list[int]:
    """Insert rows of ``model``; their ids, in order."""
    table = cast(Table, model.__table__)  # Core: half the time of the ORM's bulk insert
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    while len(ids) < len(params):
        size = min(_BATCH, 1 << (len(params) - len(ids)).bit_length() - 1)
        ids += session.scalars(stmt, params[len(ids) : len(ids) + size])
    return ids


def _unit_ids(session: Session, keys: list[tuple[int, str, str]], report: ImportReport) -> list:
    """The id of each (building, entrance, room), creating the units that are new."""
    stmt = select(Unit.id, Unit.building_id, Unit.entrance, Unit.room)
    key = tuple_(Unit.building_id, Unit.entrance, Unit.room)
    found = {(b, e, r): id_ for id_, b, e, r in _select_in(session, stmt, key, keys)}
    if missing := sorted(set(keys) - found.keys()):
        params = [{"building_id": b, "entrance": e, "room": r} for b, e, r in missing]
        found.update(zip(missing, _insert_ids(session, Unit, params), strict=True))
        report.units_created += len(missing)
    return [found[k] for k in keys]


@dataclasses.dataclass(eq=False, slots=True)
class _Person:
    """A resident as the chunk leaves them; ``saved_*`` is what the database holds."""

    id: int | None  # None until inserted
    name: str
    language: Language
    phones: list[str]  # the primary first
    communities: set[int]
    saved_language: Language | None = None  # None for a new resident
    saved_phones: dict[str, tuple[int, bool]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class _Occupancy:
    id: int | None
    role: ResidentRole
    saved_role: ResidentRole | None


class _Chunk:
    """Rows applied in file order to what the database holds for them, then saved at once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.at_unit: dict[tuple[int, str], _Person] = {}  # unit, name
        self.by_number: dict[tuple[str, str], list[_Person]] = {}  # name, number
        self.occupancies: dict[tuple[_Person, int], _Occupancy] = {}
        self.touched: dict[_Person, None] = {}  # an ordered set

    def load(self, rows: list[ResidentRow], unit_ids: list[int]) -> None:
        """Load the residents these rows may speak of: a few queries for the whole chunk."""
        names, numbers = {r.name for r in rows}, {n for r in rows for n in r.phones}
        on_units = select(Occupancy.resident_id, Resident.name).join(Resident)
        with_numbers = select(PhoneNumber.resident_id, Resident.name).join(Resident)
        found = _select_in(self.session, on_units, Occupancy.unit_id, unit_ids)
        found += _select_in(self.session, with_numbers, PhoneNumber.e164, numbers)
        ids = sorted({id_ for id_, name in found if name in names})
        residents = select(Resident.id, Resident.name, Resident.language)
        people = {
            id_: _Person(id_, name, language, [], set(), saved_language=language)
            for id_, name, language in _select_in(self.session, residents, Resident.id, ids)
        }
        phones = select(PhoneNumber.id, PhoneNumber.resident_id, PhoneNumber.e164,
                        PhoneNumber.is_primary).order_by(PhoneNumber.is_primary.desc(),
                                                         PhoneNumber.id)  # fmt: skip
        for id_, resident_id, e164, primary in _select_in(
            self.session, phones, PhoneNumber.resident_id, ids
        ):
            people[resident_id].phones.append(e164)
            people[resident_id].saved_phones[e164] = (id_, primary)
        self._load_occupancies(people)
        for id_ in ids:
            self._index(people[id_])

    def _load_occupancies(self, people: dict[int, _Person]) -> None:
        stmt = (
            select(Occupancy.id, Occupancy.resident_id, Occupancy.unit_id, Occupancy.role,
                   Building.community_id)
            .join(Unit, Unit.id == Occupancy.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .order_by(Occupancy.resident_id)
        )  # fmt: skip
        for id_, resident_id, unit_id, role, community_id in _select_in(
            self.session, stmt, Occupancy.resident_id, people
        ):
            person = people[resident_id]
            person.communities.add(community_id)
            self.occupancies[(person, unit_id)] = _Occupancy(id_, role, role)
            self.at_unit.setdefault((unit_id, person.name), person)

    def _index(self, person: _Person) -> None:
        for number in person.phones:
            if person not in (found := self.by_number.setdefault((person.name, number), [])):
                found.append(person)

    def _resolve(self, row: ResidentRow, unit_id: int, community_id: int) -> _Person | None:
        """The resident the row speaks of (the module's rules say how), or None for a new one."""
        if person := self.at_unit.get((unit_id, row.name)):
            return person
        for number in row.phones:
            for person in self.by_number.get((row.name, number), ()):
                if community_id in person.communities and number in person.phones:
                    return person
        return None

    def apply(self, row: ResidentRow, unit_id: int, community_id: int) -> str:
        """Apply one row: whether it ``created``, ``updated`` or left ``unchanged`` a resident."""
        person = self._resolve(row, unit_id, community_id)
        if person is None:
            person = _Person(None, row.name, row.language or Language.ZH_CN, [], set())
            outcome = "created"
        else:
            occupancy = self.occupancies.get((person, unit_id))
            same = (occupancy is not None and occupancy.role == row.role
                    and row.language in (None, person.language)
                    and person.phones[:1] == list(row.phones[:1])  # the same primary,
                    and set(person.phones) == set(row.phones))  # the others in any order
            outcome = "unchanged" if same else "updated"  # fmt: skip
        person.language = row.language or person.language
        person.phones = list(row.phones)
        person.communities.add(community_id)
        self.occupancies.setdefault((person, unit_id), _Occupancy(None, row.role, None))
        self.occupancies[(person, unit_id)].role = row.role
        self.at_unit.setdefault((unit_id, row.name), person)
        self._index(person)
        self.touched[person] = None
        return outcome

    def save(self, report: ImportReport) -> None:
        """Write what the rows changed: a few statements for the whole chunk."""
        now = utcnow()
        new = [p for p in self.touched if p.id is None]
        params = [{"name": p.name, "language": p.language, "created_at": now, "updated_at": now}
                  for p in new]  # fmt: skip
        for person, id_ in zip(new, _insert_ids(self.session, Resident, params), strict=True):
            person.id = id_
        changed = self._save_occupancies() | self._save_phones(report)
        updates = [{"id": p.id, "language": p.language, "updated_at": now}
                   for p in self.touched if p.saved_language is not None
                   and (p in changed or p.language != p.saved_language)]  # fmt: skip
        if updates:
            self.session.execute(update(Resident), updates)

    def _save_occupancies(self) -> set[_Person]:
        """Insert the new occupancies, update changed roles; the residents concerned."""
        added, changed, people = [], [], set()
        for (person, unit_id), occupancy in self.occupancies.items():
            if occupancy.id is None:
                added.append({"resident_id": person.id, "unit_id": unit_id, "role": occupancy.role})
            elif occupancy.role != occupancy.saved_role:
                changed.append({"id": occupancy.id, "role": occupancy.role})
            else:
                continue
            people.add(person)
        if added:
            self.session.execute(insert(Occupancy), added)
        if changed:
            self.session.execute(update(Occupancy), changed)
        return people

    def _save_phones(self, report: ImportReport) -> set[_Person]:
        """Give each resident the row's numbers, the first as primary; the residents changed."""
        removed: list[int] = []
        added: list[dict[str, Any]] = []
        flipped: list[dict[str, Any]] = []
        people = set()
        for person in self.touched:
            wanted = {number: i == 0 for i, number in enumerate(person.phones)}
            saved = person.saved_phones
            gone = [id_ for number, (id_, _) in saved.items() if number not in wanted]
            new = [{"resident_id": person.id, "e164": n, "is_primary": primary}
                   for n, primary in wanted.items() if n not in saved]
            flips = [{"id": saved[n][0], "is_primary": primary}
                     for n, primary in wanted.items() if n in saved and saved[n][1] != primary]
            if gone or new or flips:
                people.add(person)
                removed += gone
                added += new
                flipped += flips
        for batch in _in_batches(removed):
            self.session.execute(delete(PhoneNumber).where(PhoneNumber.id.in_(batch)),
                                 execution_options={"synchronize_session": False})  # fmt: skip
        if added:
            self.session.execute(insert(PhoneNumber), added)
        if flipped:
            self.session.execute(update(PhoneNumber), flipped)
        report.phones_added += len(added)
        report.phones_removed += len(removed)
        return people


def _write(
    session: Session, source: _Source, region: str, report: ImportReport, progress: Progress | None
) -> None:
    """Second pass: apply the rows a chunk at a time, all in the session's one transaction."""
    communities, buildings = _Communities(session), _Buildings(session, report)
    with _bar(progress, report.rows, f"importing {source.path.name}") as bar, \
            _rows(source, region, communities) as (_, rows):  # fmt: skip
        chunk: list[ResidentRow] = []
        for row, problems in itertools.chain(rows, [(None, [])]):
            if problems:
                raise ImportRejected(problems)  # the file changed since it was checked
            if row is not None:
                chunk.append(row)
            if chunk and (row is None or len(chunk) == CHUNK_ROWS):
                _write_chunk(session, chunk, communities, buildings, report)
                bar.update(len(chunk))
                chunk = []


def _write_chunk(
    session: Session,
    rows: list[ResidentRow],
    communities: _Communities,
    buildings: _Buildings,
    report: ImportReport,
) -> None:
    community_ids = [communities.id_for(row.community, report) for row in rows]
    units = [(buildings.id_for(c, r.building), r.entrance, r.room)
             for c, r in zip(community_ids, rows, strict=True)]  # fmt: skip
    unit_ids = _unit_ids(session, units, report)
    chunk = _Chunk(session)
    chunk.load(rows, unit_ids)
    for row, unit_id, community_id in zip(rows, unit_ids, community_ids, strict=True):
        outcome = f"residents_{chunk.apply(row, unit_id, community_id)}"
        setattr(report, outcome, getattr(report, outcome) + 1)
    chunk.save(report)
