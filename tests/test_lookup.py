"""Caller lookup: from the number a call comes from, to residents and their units."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from hotline.cli import cli
from models import ResidentRole
from models.lookup import lookup_caller
from tests import factories


@pytest.fixture
def estate(session: Session) -> dict[str, int]:
    c = factories.community(session)
    u1 = factories.unit(session, c, "3", "1502", entrance="2")
    u2 = factories.unit(session, c, "5", "0801")
    landline = "+862162345678"
    owner = factories.resident(
        session,
        "王建国",
        units=[(u1, ResidentRole.OWNER), (u2, ResidentRole.OWNER)],
        phones=[("+8613800138000", True), (landline, False)],
    )
    wife = factories.resident(
        session,
        "李秀英",
        units=[(u1, ResidentRole.FAMILY)],
        phones=[(landline, True)],
        senior_care=True,
    )
    tenant = factories.resident(
        session,
        "Tom Baker",
        units=[(u2, ResidentRole.TENANT)],
        phones=[("+14155550100", True)],
        language="en",
    )
    session.commit()
    return {"owner": owner.id, "wife": wife.id, "tenant": tenant.id}


@pytest.mark.parametrize(
    "written", ["138 0013 8000", "+86 138-0013-8000", "008613800138000", "13800138000"]
)
def test_given_any_written_form_then_the_resident_is_found(
    session: Session, estate: dict[str, int], written: str
) -> None:
    matches = lookup_caller(session, written)
    assert [m.resident_id for m in matches] == [estate["owner"]]
    assert [u.address for u in matches[0].units] == ["3栋2单元1502", "5栋0801"]
    assert {u.role for u in matches[0].units} == {ResidentRole.OWNER}
    assert matches[0].units[0].community_code == "SH01"


def test_given_shared_landline_then_every_resident_returns_primary_contact_first(
    session: Session, estate: dict[str, int]
) -> None:
    matches = lookup_caller(session, "021-6234 5678")
    assert [m.resident_id for m in matches] == [estate["wife"], estate["owner"]]
    assert matches[0].primary and not matches[1].primary
    assert matches[0].senior_care
    assert [(u.address, u.role) for u in matches[0].units] == [
        ("3栋2单元1502", ResidentRole.FAMILY)
    ]


def test_given_foreign_number_then_found_with_its_language(
    session: Session, estate: dict[str, int]
) -> None:
    matches = lookup_caller(session, "+1 415 555 0100")
    assert [(m.resident_id, m.language) for m in matches] == [(estate["tenant"], "en")]


@pytest.mark.parametrize("raw", ["anonymous", "unknown", "", None, "+266696687", "garbage"])
def test_given_withheld_caller_id_then_nothing_and_no_error(
    session: Session, estate: dict[str, int], raw: str | None
) -> None:
    assert lookup_caller(session, raw) == []


def test_given_unknown_number_then_nothing(session: Session, estate: dict[str, int]) -> None:
    assert lookup_caller(session, "139 0000 0000") == []


def test_cli_lookup_prints_matches_and_exits_0(
    session: Session, estate: dict[str, int], db_url: str
) -> None:
    result = CliRunner().invoke(cli, ["--database-url", db_url, "lookup", "021-6234 5678"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("李秀英") and "primary" in lines[0] and "senior-care" in lines[0]
    assert "family" in lines[1] and "3栋2单元1502" in lines[1] and "阳光花园" in lines[1]
    assert any(line.startswith("王建国") for line in lines)


def test_cli_lookup_exits_1_when_nobody_has_the_number(
    session: Session, estate: dict[str, int], db_url: str
) -> None:
    result = CliRunner().invoke(cli, ["--database-url", db_url, "lookup", "139 0000 0000"])
    assert result.exit_code == 1
    assert "no resident" in result.output


def test_units_are_in_the_order_people_count_buildings(session: Session) -> None:
    c = factories.community(session)
    u12 = factories.unit(session, c, "12", "0101")
    u3 = factories.unit(session, c, "3", "0101")
    factories.resident(
        session,
        "陈明",
        units=[(u12, ResidentRole.OWNER), (u3, ResidentRole.OWNER)],
        phones=[("+8613900139000", True)],
    )
    session.commit()
    [match] = lookup_caller(session, "13900139000")
    assert [u.address for u in match.units] == ["3栋0101", "12栋0101"]


def test_resident_without_a_unit_is_still_found(session: Session) -> None:
    factories.resident(session, "刘洋", phones=[("+8613700137000", True)])
    session.commit()
    [match] = lookup_caller(session, "13700137000")
    assert match.name == "刘洋" and match.units == ()
