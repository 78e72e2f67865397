"""``hotline report daily|monthly``: the text, and the CSV and XLSX files read back."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cli import cli
from models import AuditLog, Community
from tests.console.wallboard.builders import asterisk_call
from tests.reports import builders
from tests.reports.conftest import utc


def _run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database-url", db_url, "report", *args])
    return result.exit_code, result.output


def _traffic(db: Session, places: dict[str, Community], clerk: int) -> int:
    sh01 = places["SH01"]
    call = asterisk_call(db, sh01.id, "repair", utc(2026, 11, 30, 17), abandoned_after=30)
    call.caller_e164 = "+8613800138000"
    asterisk_call(db, sh01.id, "repair", utc(2026, 11, 30, 18), answered_after=12)
    order = builders.complaint(db, sh01, clerk, utc(2026, 12, 1, 1))
    builders.finish(db, order, clerk, utc(2026, 12, 1, 3))
    db.commit()
    return call.id


def test_the_daily_review_in_a_terminal_masks_numbers_unless_asked(
    db: Session, db_url: str, places: dict[str, Community], clerk: int
) -> None:
    call_id = _traffic(db, places, clerk)

    code, out = _run(db_url, "daily", "--date", "2026-12-01", "--community", "SH01")

    assert code == 0, out
    assert "Morning review 2026-12-01 (SH01)" in out
    assert "+86 138****8000" in out and "+8613800138000" not in out
    assert "SH01-2026-000001" in out  # the complaint received
    code, out = _run(db_url, "daily", "--date", "2026-12-01", "--unmask")
    assert code == 0 and "+8613800138000" in out
    audits = db.scalars(select(AuditLog).where(AuditLog.action == "unmask")).all()
    assert [(a.subject_type, a.subject_id) for a in audits] == [("call", str(call_id))]


def test_the_monthly_analysis_as_csv_and_xlsx_reads_back(
    db: Session, db_url: str, places: dict[str, Community], clerk: int, tmp_path: Path
) -> None:
    _traffic(db, places, clerk)
    csv_file, xlsx_file = tmp_path / "m.csv", tmp_path / "m.xlsx"

    code, out = _run(db_url, "monthly", "--month", "2026-12", "--format", "csv",
                     "--output", str(csv_file))  # fmt: skip
    assert code == 0, out
    code, out = _run(db_url, "monthly", "--month", "2026-12", "--format", "xlsx",
                     "--output", str(xlsx_file))  # fmt: skip
    assert code == 0, out

    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Targets"]
    assert rows[1] == ["Figure", "This month", "Month before", "Target", "Met"]
    targets = {r[0]: r[1:] for r in rows[2:14]}
    assert targets["Calls offered"] == ["2", "0", "", ""]
    assert targets["Service level (20 s)"] == ["50.0%", "", "≥ 80%", "✗"]
    assert targets["Complaints handled on time"] == ["100.0%", "", "≥ 98%", "✓"]
    sheet = load_workbook(xlsx_file)["targets"]
    values = {r[0]: r[1:] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert values["Service level (20 s)"] == (0.5, None, "≥ 80%", False)
    assert sheet.cell(row=7, column=2).number_format == "0.0%"
    requests = load_workbook(xlsx_file)["requests"]
    assert list(requests.iter_rows(min_row=3, values_only=True)) == [
        ("SH01", "Complaint", "Staff attitude", 1)
    ]


def test_bad_months_dates_and_communities_are_refused_clearly(
    db_url: str, places: dict[str, Community]
) -> None:
    code, out = _run(db_url, "monthly", "--month", "2026-13")
    assert code == 2 and "not a month: write YYYY-MM" in out
    code, out = _run(db_url, "daily", "--date", "1.12.2026")
    assert code == 2 and "not a date: write YYYY-MM-DD" in out
    code, out = _run(db_url, "daily", "--community", "XX99")
    assert code == 1 and "no community 'XX99'" in out
    code, out = _run(db_url, "monthly", "--month", "2026-12", "--format", "csv")
    assert code == 1 and "needs --output" in out
