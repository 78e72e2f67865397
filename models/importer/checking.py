"""Checking rows: each cell read into its value, and rows that contradict one another."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hotline.exceptions import ImportRejected, RowProblem
from models.estate import Community, Language, ResidentRole
from models.importer.reading import _Columns, _fold, _read_header, _Source
from models.phones import to_e164

if TYPE_CHECKING:
    from models.importer.writing import ImportReport

ROLES = {
    "业主": ResidentRole.OWNER,
    "owner": ResidentRole.OWNER,
    "住户": ResidentRole.OCCUPANT,
    "occupant": ResidentRole.OCCUPANT,
    "租户": ResidentRole.TENANT,
    "tenant": ResidentRole.TENANT,
    "家属": ResidentRole.FAMILY,
    "family": ResidentRole.FAMILY,
}
LANGUAGES = {
    "中文": Language.ZH_CN,
    "zh": Language.ZH_CN,
    "zh-cn": Language.ZH_CN,
    "mandarin": Language.ZH_CN,
    "普通话": Language.ZH_CN,
    "英文": Language.EN,
    "en": Language.EN,
    "english": Language.EN,
}
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
        columns = _read_header(records)

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
        packed = (
            row.line << 32
            | (_digest(row.phones) & 0xFF_FFFF) << 8
            | _ROLE_CODES[row.role] << 4
            | _LANGUAGE_CODES[row.language]
        )
        self.unit_keys.append(
            _digest(row.community, row.building, row.entrance, row.room, row.name)
        )
        self.unit_rows.append(packed)
        for number in row.phones:
            self.number_keys.append(_digest(row.community, row.name, number))
            self.number_rows.append(packed)

    def problems(self, phone_column: str) -> list[RowProblem]:
        """One problem for each row that contradicts an earlier row about the same person."""
        found: dict[int, RowProblem] = {}
        unit_fields, number_fields = ("phones", "role", "language"), ("phones", "language")
        for earlier, later, differ in _repeats(self.unit_keys, self.unit_rows, unit_fields):
            found[later >> 32] = RowProblem(
                later >> 32,
                "",
                f"repeats line {earlier >> 32} (same unit and name) with different {differ}",
            )
        for earlier, later, differ in _repeats(self.number_keys, self.number_rows, number_fields):
            found.setdefault(
                later >> 32,
                RowProblem(
                    later >> 32,
                    phone_column,
                    f"the same person as line {earlier >> 32} (same name, "
                    f"a number in common) is given different {differ}",
                ),
            )
        return list(found.values())


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


Progress = Callable[[int, str], AbstractContextManager[Any]]


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _bar(progress: Progress | None, total: int, label: str) -> AbstractContextManager[Any]:
    return progress(total, label) if progress else nullcontext(_NoBar())


def _check(
    session: Session, source: _Source, region: str, progress: Progress | None, *, chunk_rows: int
) -> int:
    """First pass: check every row; the number of rows to import.

    :raises ImportRejected: listing every problem of every row.
    """
    fresh = not (session.in_transaction() or session.new or session.dirty or session.deleted)
    communities = _Communities(session)
    if fresh:  # end our own read, so that SQLite's write lock is held only while writing
        session.rollback()
    problems: list[RowProblem] = []
    repeats, count, shown = _Repeats(), 0, 1
    with (
        _bar(progress, max(source.lines - 1, 1), f"checking {source.path.name}") as bar,
        _rows(source, region, communities) as (columns, rows),
    ):
        for row, row_problems in rows:
            count += 1
            problems += row_problems
            if row is not None:
                repeats.add(row)
            if (line := row.line if row else row_problems[0].line) - shown >= chunk_rows:
                bar.update(line - shown)
                shown = line
        bar.update(max(source.lines - shown, 0))
    problems += repeats.problems(columns.header["phone"])
    if problems:
        raise ImportRejected(sorted(problems, key=lambda problem: problem.line))
    return count
