"""Writing checked rows a chunk at a time, and which community, unit and resident each means."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Select, Table, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from hotline.exceptions import ImportRejected
from models.base import Base, utcnow
from models.estate import Building, Language, Occupancy, PhoneNumber, Resident, ResidentRole, Unit
from models.importer.checking import (
    BUILDING_SUFFIX,
    Progress,
    ResidentRow,
    _bar,
    _Communities,
    _rows,
    _text,
)
from models.importer.reading import _Source


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
            self.ids[(community_id, name)] = self.session.scalars(stmt.returning(Building.id)).one()
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
    return [
        row
        for batch in _in_batches(values)
        for row in session.execute(stmt.where(column.in_(batch)))
    ]


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
        phones = select(
            PhoneNumber.id, PhoneNumber.resident_id, PhoneNumber.e164, PhoneNumber.is_primary
        ).order_by(PhoneNumber.is_primary.desc(), PhoneNumber.id)
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
            select(
                Occupancy.id,
                Occupancy.resident_id,
                Occupancy.unit_id,
                Occupancy.role,
                Building.community_id,
            )
            .join(Unit, Unit.id == Occupancy.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .order_by(Occupancy.resident_id)
        )
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
            same = (
                occupancy is not None
                and occupancy.role == row.role
                and row.language in (None, person.language)
                and person.phones[:1] == list(row.phones[:1])  # the same primary,
                and set(person.phones) == set(row.phones)  # the others in any order
            )
            outcome = "unchanged" if same else "updated"
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
        params = [
            {"name": p.name, "language": p.language, "created_at": now, "updated_at": now}
            for p in new
        ]
        for person, id_ in zip(new, _insert_ids(self.session, Resident, params), strict=True):
            person.id = id_
        changed = self._save_occupancies() | self._save_phones(report)
        updates = [
            {"id": p.id, "language": p.language, "updated_at": now}
            for p in self.touched
            if p.saved_language is not None and (p in changed or p.language != p.saved_language)
        ]
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
            new = [
                {"resident_id": person.id, "e164": n, "is_primary": primary}
                for n, primary in wanted.items()
                if n not in saved
            ]
            flips = [
                {"id": saved[n][0], "is_primary": primary}
                for n, primary in wanted.items()
                if n in saved and saved[n][1] != primary
            ]
            if gone or new or flips:
                people.add(person)
                removed += gone
                added += new
                flipped += flips
        for batch in _in_batches(removed):
            self.session.execute(
                delete(PhoneNumber).where(PhoneNumber.id.in_(batch)),
                execution_options={"synchronize_session": False},
            )
        if added:
            self.session.execute(insert(PhoneNumber), added)
        if flipped:
            self.session.execute(update(PhoneNumber), flipped)
        report.phones_added += len(added)
        report.phones_removed += len(removed)
        return people


def _write(
    session: Session,
    source: _Source,
    region: str,
    report: ImportReport,
    progress: Progress | None,
    *,
    chunk_rows: int,
) -> None:
    """Second pass: apply the rows a chunk at a time, all in the session's one transaction."""
    communities, buildings = _Communities(session), _Buildings(session, report)
    with (
        _bar(progress, report.rows, f"importing {source.path.name}") as bar,
        _rows(source, region, communities) as (_, rows),
    ):
        chunk: list[ResidentRow] = []
        for row, problems in itertools.chain(rows, [(None, [])]):
            if problems:
                raise ImportRejected(problems)  # the file changed since it was checked
            if row is not None:
                chunk.append(row)
            if chunk and (row is None or len(chunk) == chunk_rows):
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
    units = [
        (buildings.id_for(c, r.building), r.entrance, r.room)
        for c, r in zip(community_ids, rows, strict=True)
    ]
    unit_ids = _unit_ids(session, units, report)
    chunk = _Chunk(session)
    chunk.load(rows, unit_ids)
    for row, unit_id, community_id in zip(rows, unit_ids, community_ids, strict=True):
        outcome = f"residents_{chunk.apply(row, unit_id, community_id)}"
        setattr(report, outcome, getattr(report, outcome) + 1)
    chunk.save(report)
