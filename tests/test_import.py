"""``hotline import residents``: every row of a resident file, or none of them."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import models.importer  # with ``models``, every model: the metadata knows every table
from hotline.cli import cli
from hotline.exceptions import ImportRejected, RowProblem
from models import AuditLog, Base, Community, Language, PhoneNumber, Resident, ResidentRole
from models.importer import ImportReport, import_residents
from models.lookup import lookup_caller
from tests import factories

HEADER_ZH = ["小区", "楼栋", "单元", "房号", "姓名", "电话", "身份", "语言"]
HEADER_EN = ["Community", "Building", "Entrance", "Room", "Name", "Phone", "Role", "Language"]
WANG = ["阳光花园", "3栋", "2单元", "1502室", "王伟", "13912345678;13812345678", "业主", "中文"]
LI = ["阳光花园", "3栋", "2单元", "1502室", "李娜", "13987654321", "家属", ""]
WANG_E164 = ["+8613912345678", "+8613812345678"]


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER_ZH, **kw: str
) -> Path:
    with path.open("w", newline="", encoding=kw.get("encoding", "utf-8")) as fh:
        writer = csv.writer(fh, delimiter=kw.get("delimiter", ","))
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER_ZH
) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    wb.save(path)
    return path


def dump(session: Session, *, with_audit: bool = False) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (timestamps included), in primary-key order."""
    return {
        table.name: [
            tuple(row)
            for row in session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in Base.metadata.sorted_tables
        if with_audit or table.name != "audit_log"
    }


def residents(session: Session) -> dict[str, Resident]:
    session.expire_all()
    return {r.name: r for r in session.scalars(select(Resident).order_by(Resident.id))}


def phones(resident: Resident) -> list[tuple[str, bool]]:
    return [(p.e164, p.is_primary) for p in resident.phones]


def units(resident: Resident) -> list[tuple[str, ResidentRole]]:
    return sorted((o.unit.address, o.role) for o in resident.occupancies)


# Reading the file -----------------------------------------------------------------------


def test_given_chinese_headers_then_creates_community_building_unit_and_residents(
    session: Session, tmp_path: Path
) -> None:
    report = import_residents(session, write_csv(tmp_path / "r.csv", [WANG, LI]))

    assert report == ImportReport(
        "r.csv",
        rows=2,
        communities_created=1,
        buildings_created=1,
        units_created=1,
        residents_created=2,
        phones_added=3,
    )
    people = residents(session)
    assert phones(people["王伟"]) == [(WANG_E164[0], True), (WANG_E164[1], False)]
    assert units(people["王伟"]) == [("3栋2单元1502", ResidentRole.OWNER)]
    assert units(people["李娜"]) == [("3栋2单元1502", ResidentRole.FAMILY)]
    assert people["王伟"].language == people["李娜"].language == Language.ZH_CN
    community = session.scalars(select(Community)).one()
    assert (community.code, community.name) == ("C001", "阳光花园")
    assert report.summary() == (
        "r.csv: 2 rows: 2 residents created, 0 updated, 0 unchanged; "
        "new 1 community, 1 building, 1 unit; 3 phone numbers added, 0 removed"
    )


def test_given_english_headers_in_any_case_and_spacing_then_reads_them_alike(
    session: Session, tmp_path: Path
) -> None:
    header = [" COMMUNITY", "building ", "Entrance", "ROOM", "Name", "phone", " Role ", "language"]
    rows = [["阳光花园", "3", "2", "1502", "Wang Wei", "139 1234 5678", "owner", "English"]]

    import_residents(session, write_csv(tmp_path / "r.csv", rows, header))

    wang = residents(session)["Wang Wei"]
    assert units(wang) == [("3栋2单元1502", ResidentRole.OWNER)]
    assert (phones(wang), wang.language) == ([("+8613912345678", True)], Language.EN)


@pytest.mark.parametrize("separator", [";", "；", "、", ",", "，", " ; "])
def test_several_numbers_in_one_cell_the_first_being_primary(
    session: Session, tmp_path: Path, separator: str
) -> None:
    row = [*WANG[:5], separator.join(["13912345678", "021-6234 5678", "13812345678"]), "业主", ""]

    import_residents(session, write_csv(tmp_path / "r.csv", [row]))

    assert phones(residents(session)["王伟"]) == [
        ("+8613912345678", True),
        ("+862162345678", False),
        ("+8613812345678", False),
    ]


@pytest.mark.parametrize(
    ("text", "role"), list(models.importer.ROLES.items()) + [("Owner", ResidentRole.OWNER)]
)
def test_every_role_is_understood(
    session: Session, tmp_path: Path, text: str, role: ResidentRole
) -> None:
    import_residents(session, write_csv(tmp_path / "r.csv", [[*WANG[:6], text, ""]]))

    assert units(residents(session)["王伟"]) == [("3栋2单元1502", role)]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("中文", Language.ZH_CN),
        ("zh", Language.ZH_CN),
        ("zh-CN", Language.ZH_CN),
        ("zh_cn", Language.ZH_CN),
        ("Mandarin", Language.ZH_CN),
        ("英文", Language.EN),
        ("en", Language.EN),
        ("English", Language.EN),
        ("", Language.ZH_CN),
    ],
)
def test_every_language_is_understood_and_none_means_chinese(
    session: Session, tmp_path: Path, text: str, language: Language
) -> None:
    import_residents(session, write_csv(tmp_path / "r.csv", [[*WANG[:7], text]]))

    assert residents(session)["王伟"].language == language


def test_entrance_and_language_columns_may_be_left_out(session: Session, tmp_path: Path) -> None:
    header = ["小区", "楼栋", "房号", "姓名", "电话", "身份"]

    import_residents(
        session,
        write_csv(
            tmp_path / "r.csv", [["阳光花园", "5幢", "101", "王伟", "13912345678", "租户"]], header
        ),
    )

    wang = residents(session)["王伟"]
    assert units(wang) == [("5栋101", ResidentRole.TENANT)]
    assert wang.language == Language.ZH_CN


@pytest.mark.parametrize("building", ["3", "3栋", "3号楼", "3幢", "３栋", " 3 栋"])
@pytest.mark.parametrize(("entrance", "room"), [("2", "1502"), ("2单元", "1502室")])
def test_address_parts_are_written_without_their_suffixes(
    session: Session, tmp_path: Path, building: str, entrance: str, room: str
) -> None:
    row = ["阳光花园", building, entrance, room, "王伟", "13912345678", "业主", ""]

    import_residents(session, write_csv(tmp_path / "r.csv", [row]))

    assert units(residents(session)["王伟"]) == [("3栋2单元1502", ResidentRole.OWNER)]


def test_unknown_columns_are_ignored_and_empty_rows_skipped(
    session: Session, tmp_path: Path
) -> None:
    header = ["备注", *HEADER_ZH, "Notes"]
    rows = [["VIP", *WANG, "x"], [], ["", "", "", "", "", "", "", "", "", ""], ["", *LI, ""]]

    report = import_residents(session, write_csv(tmp_path / "r.csv", rows, header))

    assert report.rows == 2
    assert set(residents(session)) == {"王伟", "李娜"}


def test_a_tab_separated_file_is_read(session: Session, tmp_path: Path) -> None:
    import_residents(session, write_csv(tmp_path / "r.txt", [WANG], delimiter="\t"))

    assert phones(residents(session)["王伟"])[0] == (WANG_E164[0], True)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-16"])
def test_files_excel_writes_are_decoded(session: Session, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "r.csv", [WANG, LI], encoding=encoding)
    assert encoding != "gb18030" or "阳光花园".encode("gb18030") in path.read_bytes()

    import_residents(session, path)

    assert set(residents(session)) == {"王伟", "李娜"}
    assert session.scalars(select(Community.name)).one() == "阳光花园"


def test_a_file_in_neither_utf8_nor_gb18030_is_rejected_at_the_bad_line(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(
        ",".join(HEADER_ZH).encode() + b"\n" + ",".join(WANG).encode() + b"\n\xff\xff\n"
    )

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, path)

    [problem] = rejected.value.problems
    assert (problem.line, problem.column) == (3, "")
    assert "neither UTF-8 nor GB18030" in problem.reason


def test_xlsx_with_numbers_typed_as_numbers(session: Session, tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        ["阳光花园", 3, 2, 1502, "王伟", 13912345678, "业主", None],
        [None] * 8,
        ["阳光花园", "3栋", None, 1503.0, "李娜", "13987654321、13812345678", "住户", "英文"],
    ]

    report = import_residents(session, write_xlsx(tmp_path / "r.xlsx", rows))

    assert report.rows == 2
    people = residents(session)
    assert units(people["王伟"]) == [("3栋2单元1502", ResidentRole.OWNER)]
    assert phones(people["王伟"]) == [("+8613912345678", True)]
    assert units(people["李娜"]) == [("3栋1503", ResidentRole.OCCUPANT)]
    assert people["李娜"].language == Language.EN


def test_xlsx_problems_name_the_rows_a_spreadsheet_shows(session: Session, tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        WANG,
        [None] * 8,
        [None] * 8,
        ["阳光花园", "3", "", "", "李娜", "13987654321", "业主", ""],
    ]

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, write_xlsx(tmp_path / "r.xlsx", rows))

    assert rejected.value.problems == [RowProblem(5, "房号", "no room given")]


@pytest.mark.parametrize("name", ["r.xls", "r.pdf", "r.xlsx"])
def test_a_file_that_is_no_spreadsheet_is_rejected(
    session: Session, tmp_path: Path, name: str
) -> None:
    (path := tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0 not a workbook")

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, path)

    assert [p.line for p in rejected.value.problems] == [1]


# Rejecting bad files --------------------------------------------------------------------


def test_given_several_bad_rows_then_lists_each_and_writes_nothing(
    session: Session, tmp_path: Path
) -> None:
    before = dump(session, with_audit=True)
    rows = [
        WANG,
        ["阳光花园", "3栋", "2", "1503", "张强", "13912345678、abc", "业主", ""],
        ["阳光花园", "3栋", "2", "1504", "赵敏", "13912345670", "房东", ""],
        ["阳光花园", "3栋", "2", "", "周杰", "13912345671", "业主", ""],
        ["阳光花园", "3栋", "2", "1506", "  ", "13912345672", "业主", "Klingon"],
        ["", "", "", "1507", "x" * 101, "", "", ""],
    ]

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert [(p.line, p.column) for p in rejected.value.problems] == [
        (3, "电话"),
        (4, "身份"),
        (5, "房号"),
        (6, "姓名"),
        (6, "语言"),
        (7, "小区"),
        (7, "楼栋"),
        (7, "姓名"),
        (7, "电话"),
        (7, "身份"),
    ]
    reasons = [p.reason for p in rejected.value.problems]
    assert reasons[0] == "'abc' has no digits"
    assert (
        reasons[1]
        == "role '房东' is not one of 业主, 住户, 租户, 家属 (owner, occupant, tenant, family)"
    )
    assert reasons[2:4] == ["no room given", "no name given"]
    assert reasons[4] == "language 'Klingon' is not one of 中文, 英文"
    assert "longer than 100 characters" in reasons[7]
    assert str(rejected.value) == "10 problem(s) found; nothing was imported"
    assert dump(session, with_audit=True) == before


def test_a_missing_required_column_is_one_problem_on_line_1(
    session: Session, tmp_path: Path
) -> None:
    header = ["小区", "楼栋", "姓名", "电话", "身份"]

    with pytest.raises(ImportRejected) as rejected:
        import_residents(
            session,
            write_csv(
                tmp_path / "r.csv", [["阳光花园", "3", "王伟", "13912345678", "业主"]], header
            ),
        )

    assert rejected.value.problems == [
        RowProblem(1, "", "the required column 房号/room is missing")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "the file is empty"), (b"\n" + ",".join(WANG).encode(), "line 1 is blank")],
)
def test_a_file_without_a_header_is_rejected(
    session: Session, tmp_path: Path, content: bytes, reason: str
) -> None:
    (path := tmp_path / "r.csv").write_bytes(content)

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, path)

    [problem] = rejected.value.problems
    assert (problem.line, problem.column) == (1, "")
    example = "小区,楼栋,单元,房号,姓名,电话,身份,语言"
    assert problem.reason == f"{reason}: the first line must name the columns, e.g. {example}"


def test_given_rows_that_contradict_each_other_then_the_later_is_a_problem(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        WANG,
        ["阳光花园", "3", "2", "1502", "王伟", "13912345678;13812345678", "租户", ""],  # role
        ["阳光花园", "5", "1", "101", "王伟", "13912345678", "业主", ""],  # same person, phones
        LI,
        ["阳光花园", "3", "2", "1502", "李娜", "13987654321", "家属", "英文"],  # language: fine
        ["阳光花园", "3", "2", "1502", "李娜", "13987654321", "家属", "中文"],  # contradicts it
    ]

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert rejected.value.problems == [
        RowProblem(3, "", "repeats line 2 (same unit and name) with different role"),
        RowProblem(
            4,
            "电话",
            "the same person as line 2 (same name, a number in common) is given different phones",
        ),
        RowProblem(7, "", "repeats line 6 (same unit and name) with different language"),
    ]
    assert session.scalar(select(func.count()).select_from(Resident)) == 0


def test_identical_repeated_rows_are_harmless(session: Session, tmp_path: Path) -> None:
    report = import_residents(session, write_csv(tmp_path / "r.csv", [WANG, WANG, LI, WANG]))

    assert (report.residents_created, report.residents_unchanged) == (2, 2)
    assert len(residents(session)) == 2


# Matching what is on file ---------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_at_all(session: Session, tmp_path: Path) -> None:
    rows = [
        WANG,
        LI,
        ["翠湖苑", "A座", "", "801", "Tom Smith", "+44 20 7946 0958", "租户", "en"],
        ["阳光花园", "5号楼", "1", "101", "王伟", "13912345678;13812345678", "业主", ""],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    import_residents(session, path)
    before = dump(session)

    report = import_residents(session, path)

    assert dump(session) == before
    assert report == ImportReport("r.csv", rows=4, residents_unchanged=4)
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 2


def test_a_changed_row_updates_the_resident_rather_than_adding_a_twin(
    session: Session, tmp_path: Path
) -> None:
    import_residents(session, write_csv(tmp_path / "r.csv", [WANG, LI]))
    wang = residents(session)["王伟"]
    wang_id, li_before = wang.id, dump(session)["residents"][1]
    changed = [*WANG[:5], "13700000000;13912345678", "租户", "英文"]

    report = import_residents(session, write_csv(tmp_path / "r2.csv", [changed, LI]))

    assert (report.residents_updated, report.residents_unchanged) == (1, 1)
    assert (report.phones_added, report.phones_removed, report.residents_created) == (1, 1, 0)
    wang = residents(session)["王伟"]
    assert wang.id == wang_id
    assert phones(wang) == [("+8613912345678", False), ("+8613700000000", True)]
    assert units(wang) == [("3栋2单元1502", ResidentRole.TENANT)]
    assert wang.language == Language.EN
    assert wang.updated_at > wang.created_at
    assert dump(session)["residents"][1] == li_before
    assert len(residents(session)) == 2


def test_one_person_with_two_units_is_one_resident_on_two_rows(
    session: Session, tmp_path: Path
) -> None:
    rows = [WANG, ["阳光花园", "5", "1", "101", "王伟", WANG[5], "业主", ""]]

    report = import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert (report.residents_created, report.residents_updated, report.units_created) == (1, 1, 2)
    [wang] = residents(session).values()
    assert units(wang) == [
        ("3栋2单元1502", ResidentRole.OWNER),
        ("5栋1单元101", ResidentRole.OWNER),
    ]
    assert [e164 for e164, _ in phones(wang)] == WANG_E164


def test_a_namesake_in_another_community_or_without_the_number_is_another_person(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        WANG,
        ["翠湖苑", "1", "", "101", "王伟", WANG[5], "业主", ""],
        ["阳光花园", "5", "", "101", "王伟", "13700000000", "业主", ""],
    ]

    report = import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert report.residents_created == 3


def test_rows_across_chunks_meet_the_residents_written_before(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.importer, "CHUNK_ROWS", 2)
    second_home = ["阳光花园", "5", "1", "101", "王伟", WANG[5], "业主", ""]
    rows = [
        WANG,
        LI,
        ["翠湖苑", "1", "", "1", "张强", "13600000000", "业主", ""],
        second_home,
        WANG,
    ]
    path = write_csv(tmp_path / "r.csv", rows)

    first = import_residents(session, path)
    before = dump(session)
    again = import_residents(session, path)

    assert (first.residents_created, first.residents_updated, first.residents_unchanged) == (
        3,
        1,
        1,
    )
    assert again.residents_unchanged == 5
    assert dump(session) == before
    assert units(residents(session)["王伟"]) == [
        ("3栋2单元1502", ResidentRole.OWNER),
        ("5栋1单元101", ResidentRole.OWNER),
    ]


def test_existing_communities_are_named_by_code_or_name_and_new_ones_coded(
    session: Session, tmp_path: Path
) -> None:
    sunshine = factories.community(session, code="SH01", name="阳光花园")
    factories.community(session, code="C001", name="翠湖苑")
    rows = [["sh01", *WANG[1:]], LI, ["金桂园", "1", "", "101", "张强", "13600000000", "业主", ""]]

    report = import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert report.communities_created == 1
    codes = dict(session.execute(select(Community.name, Community.code)).all())
    assert codes == {"阳光花园": "SH01", "翠湖苑": "C001", "金桂园": "C002"}
    assert {
        m.community_id
        for p in ("+8613912345678", "+8613987654321")
        for match in lookup_caller(session, p)
        for m in match.units
    } == {sunshine.id}


def test_a_name_two_communities_share_must_be_written_as_a_code(
    session: Session, tmp_path: Path
) -> None:
    factories.community(session, code="SH01", name="阳光花园")
    factories.community(session, code="SH02", name="阳光花园")

    with pytest.raises(ImportRejected) as rejected:
        import_residents(session, write_csv(tmp_path / "r.csv", [WANG]))

    assert rejected.value.problems == [
        RowProblem(2, "小区", "'阳光花园' names 2 communities (SH01, SH02): write the code")
    ]


def test_a_resident_on_file_is_found_by_unit_or_by_name_and_number(
    session: Session, tmp_path: Path
) -> None:
    sunshine = factories.community(session, code="SH01", name="阳光花园")
    home = factories.unit(session, sunshine, "3", "1502", entrance="2")
    wang = factories.resident(
        session,
        "王伟",
        units=[(home, ResidentRole.OWNER)],
        phones=[("+8613912345678", True)],
        senior_care=True,
    )
    session.commit()
    rows = [WANG, ["阳光花园", "3", "", "808", "王伟", WANG[5], "租户", ""]]

    report = import_residents(session, write_csv(tmp_path / "r.csv", rows))

    assert (report.residents_created, report.residents_updated) == (0, 2)
    assert (report.units_created, report.buildings_created) == (1, 0)
    [found] = residents(session).values()
    assert (found.id, found.senior_care) == (wang.id, True)
    assert units(found) == [("3栋2单元1502", ResidentRole.OWNER), ("3栋808", ResidentRole.TENANT)]
    assert phones(found) == [(WANG_E164[0], True), (WANG_E164[1], False)]


def test_the_import_is_audited_with_its_counts(session: Session, tmp_path: Path) -> None:
    report = import_residents(session, write_csv(tmp_path / "r.csv", [WANG]))

    entry = session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.subject_type) == ("import", "residents")
    assert entry.detail == {"file": "r.csv", **report.counts()}


def test_progress_is_reported_for_both_passes(session: Session, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []

    class Bar:
        def __init__(self, total: int, label: str) -> None:
            self.total, self.label, self.done = total, label, 0

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            seen.append((self.label, self.total, self.done))

        def update(self, n: int) -> None:
            self.done += n

    import_residents(session, write_csv(tmp_path / "r.csv", [WANG, LI]), progress=Bar)

    assert seen == [("checking r.csv", 2, 2), ("importing r.csv", 2, 2)]


# The command line ------------------------------------------------------------------------


Run = Callable[..., Result]


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Run:
    def invoke(*args: str) -> Result:
        runner = CliRunner()
        env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CONFIG": ""}
        return runner.invoke(cli, ["--database-url", db_url, *args], env=env)

    return invoke


def test_cli_imports_a_file_then_looks_up_a_resident_by_number(
    run: Run, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "residents.csv", [WANG, LI])

    imported = run("import", "residents", str(path))
    found = run("lookup", "139 1234 5678")
    unknown = run("lookup", "13600000000")

    assert imported.exit_code == 0, imported.output
    assert "2 residents created" in imported.stdout
    assert found.exit_code == 0
    assert "王伟" in found.stdout and "3栋2单元1502" in found.stdout and "C001" in found.stdout
    assert unknown.exit_code == 1
    assert "no resident has the number 13600000000" in unknown.stderr


def test_cli_prints_each_problem_of_a_bad_file_and_fails(
    run: Run, engine: Engine, tmp_path: Path
) -> None:
    rows = [
        ["阳光花园", "3", "", "1502", "王伟", "139", "业主", ""],
        ["阳光花园", "3", "", "1503", "", "13912345678", "boss", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)

    result = run("import", "residents", str(path))

    assert result.exit_code != 0
    assert [line for line in result.stderr.splitlines() if line.startswith("bad.csv:")] == [
        "bad.csv: line 2, column 电话: '139' has the wrong number of digits for its country",
        "bad.csv: line 3, column 姓名: no name given",
        "bad.csv: line 3, column 身份: role 'boss' is not one of 业主, 住户, 租户, 家属 "
        "(owner, occupant, tenant, family)",
    ]
    assert "3 problem(s) found; nothing was imported" in result.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(PhoneNumber)) == 0
