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

from pathlib import Path

from sqlalchemy.orm import Session

from models.audit import audit
from models.importer.checking import (
    BUILDING_SUFFIX,
    ENTRANCE_SUFFIX,
    LANGUAGES,
    PHONE_SEPARATORS,
    ROLES,
    ROOM_SUFFIX,
    CheckedRows,
    Progress,
    ResidentRow,
    _check,
)
from models.importer.reading import COLUMNS, OPTIONAL_COLUMNS, _Source
from models.importer.writing import ImportReport, _write

__all__ = [
    "BUILDING_SUFFIX",
    "CHUNK_ROWS",
    "COLUMNS",
    "ENTRANCE_SUFFIX",
    "LANGUAGES",
    "OPTIONAL_COLUMNS",
    "PHONE_SEPARATORS",
    "ROLES",
    "ROOM_SUFFIX",
    "CheckedRows",
    "ImportReport",
    "Progress",
    "ResidentRow",
    "import_residents",
]

CHUNK_ROWS = 1_000  # rows per chunk written; read at each import and handed to both passes


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
        report.rows = _check(session, source, region, progress, chunk_rows=CHUNK_ROWS)
        _write(session, source, region, report, progress, chunk_rows=CHUNK_ROWS)
        audit(session, action="import", subject_type="residents", file=path.name, **report.counts())
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expire_all()  # rows were written by statements, not through loaded objects
    return report
