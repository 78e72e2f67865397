"""Incident scoping: which callers hear an incident's status, through the context builder."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ivr import calls, flow
from models import Building, Incident, IncidentScope, IncidentStatus, ResidentRole
from models.incidents import affected_units
from tests import factories

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@dataclasses.dataclass
class Estate:
    community: object
    other: object
    a: object  # 3栋1502
    b: object  # 3栋0801
    c: object  # 5栋0101


@pytest.fixture
def estate(session: Session) -> Estate:
    sh01 = factories.community(session, code="SH01")
    sh02 = factories.community(session, code="SH02", name="翠湖苑")
    a = factories.unit(session, sh01, "3", "1502")
    b = factories.unit(session, sh01, "3", "0801")
    c = factories.unit(session, sh01, "5", "0101")
    factories.unit(session, sh02, "3", "1502")
    for name, unit, phone in (("甲", a, "+8613800000001"), ("乙", b, "+8613800000002"),
                              ("丙", c, "+8613800000003")):  # fmt: skip
        factories.resident(
            session, name, units=[(unit, ResidentRole.OWNER)], phones=[(phone, True)]
        )
    session.commit()
    return Estate(sh01, sh02, a, b, c)


def declare(session: Session, community, scope: IncidentScope, **places: list) -> Incident:
    incident = Incident(
        community_id=community.id, scope=scope, title="停水", message="3栋停水，预计18点恢复。",
        message_en="No water in building 3 until 18:00.", declared_at=NOW, **places,
    )  # fmt: skip
    session.add(incident)
    session.commit()
    return incident


def heard(session: Session, caller: str, community) -> list[int]:
    ctx = calls.build_context(
        session, call_id="c1", caller=caller, community=community, region="CN", now=NOW
    )
    assert flow.CallContext.from_json(ctx.to_json()) == ctx
    return [i.incident_id for i in ctx.incidents]


A, B, C, STRANGER = "13800000001", "13800000002", "13800000003", "13900000009"


def test_given_a_unit_incident_then_only_callers_from_those_units_hear_it(session, estate):
    incident = declare(session, estate.community, IncidentScope.UNITS, units=[estate.a])
    assert heard(session, A, estate.community) == [incident.id]
    assert heard(session, B, estate.community) == []
    assert heard(session, STRANGER, estate.community) == []


def test_given_a_building_incident_then_every_unit_of_the_building_hears_it(session, estate):
    building = session.get(Building, estate.a.building_id)
    incident = declare(session, estate.community, IncidentScope.BUILDINGS, buildings=[building])
    assert heard(session, A, estate.community) == [incident.id]
    assert heard(session, B, estate.community) == [incident.id]
    assert heard(session, C, estate.community) == []
    assert sorted(affected_units(session, incident)) == sorted([estate.a.id, estate.b.id])


def test_given_a_community_incident_then_every_caller_hears_it_even_unknown(session, estate):
    incident = declare(session, estate.community, IncidentScope.COMMUNITY)
    for caller in (A, C, STRANGER):
        assert heard(session, caller, estate.community) == [incident.id]
    assert heard(session, A, estate.other) == []  # another community's hotline
    assert len(affected_units(session, incident)) == 3


def test_given_a_closed_incident_then_nobody_hears_it(session, estate):
    incident = declare(session, estate.community, IncidentScope.COMMUNITY)
    incident.status = IncidentStatus.CLOSED
    session.commit()
    assert heard(session, A, estate.community) == []


def test_given_several_incidents_then_newest_first_with_their_words(session, estate):
    older = declare(session, estate.community, IncidentScope.UNITS, units=[estate.a])
    newer = declare(session, estate.community, IncidentScope.COMMUNITY)
    newer.declared_at = NOW + dt.timedelta(minutes=5)
    session.commit()
    ctx = calls.build_context(
        session, call_id="c1", caller=A, community=estate.community, region="CN", now=NOW
    )
    assert [i.incident_id for i in ctx.incidents] == [newer.id, older.id]
    assert ctx.incidents[0] == flow.IncidentRef(
        newer.id, "3栋停水，预计18点恢复。", "No water in building 3 until 18:00."
    )


@pytest.mark.parametrize(
    ("country", "overrides", "numbers"),
    [
        ("CN", {}, ("119", "120", "110")),
        ("HK", {}, ("999", "999", "999")),
        ("CN", {"ambulance_number": "0755-120"}, ("119", "0755-120", "110")),
        ("ZZ", {}, ("119", "120", "110")),
    ],
)
def test_the_context_carries_the_communitys_emergency_numbers(
    session: Session, country: str, overrides: dict[str, str], numbers: tuple[str, ...]
) -> None:
    community = factories.community(session, code="HK01", country=country, **overrides)
    session.commit()
    ctx = calls.build_context(
        session, call_id="c1", caller=A, community=community, region="CN", now=NOW
    )
    assert ctx.emergency_numbers == flow.EmergencyNumbers(*numbers)
