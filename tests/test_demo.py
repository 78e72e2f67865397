"""The demo estate: realistic households, every role, and the same estate for the same seed."""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hotline.cli import cli
from models import (
    Agent,
    AgentRole,
    Building,
    Community,
    Language,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
    format_address,
)
from models.db import make_engine, session_factory
from models.demo import DEMO_PASSWORDS, DemoConflict, DemoSummary, build_demo, has_data
from models.lookup import lookup_caller


@pytest.fixture
def demo(session: Session) -> DemoSummary:
    summary = build_demo(session)
    session.commit()
    return summary


@pytest.fixture
def fresh_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    """Opens sessions on new, migrated SQLite databases: ``with fresh_sqlite("a") as s:``."""
    engines = []

    def open_session(name: str) -> Session:
        target = tmp_path / f"{name}.db"
        shutil.copy(sqlite_template, target)
        engines.append(make_engine(f"sqlite:///{target}"))
        return session_factory(engines[-1])()

    yield open_session
    for engine in engines:
        engine.dispose()


def dump(session: Session) -> dict[str, list[Any]]:
    """Everything the demo writes, by natural keys, in insertion order; no ids, clocks or hashes."""
    addresses = {
        uid: (code, format_address(building, entrance, room))
        for uid, code, building, entrance, room in session.execute(
            select(Unit.id, Community.code, Building.name, Unit.entrance, Unit.room)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Building.community_id)
            .order_by(Unit.id)
        )
    }
    residents = session.scalars(
        select(Resident)
        .options(selectinload(Resident.phones), selectinload(Resident.occupancies))
        .order_by(Resident.id)
    )
    agents = session.scalars(
        select(Agent).options(selectinload(Agent.communities)).order_by(Agent.id)
    )
    communities = session.scalars(
        select(Community).options(selectinload(Community.numbers)).order_by(Community.id)
    )
    return {
        "communities": [
            (
                c.code,
                c.name,
                c.name_en,
                c.timezone,
                c.opens_at,
                c.closes_at,
                c.business_days,
                c.on_call_number,
                [n.e164 for n in c.numbers],
            )
            for c in communities
        ],
        "units": list(addresses.values()),
        "residents": [
            (
                r.name,
                str(r.language),
                r.senior_care,
                r.do_not_call,
                [(p.e164, p.label, p.is_primary) for p in r.phones],
                sorted((addresses[o.unit_id], str(o.role)) for o in r.occupancies),
            )
            for r in residents
        ],
        "agents": [
            (
                a.login,
                a.name,
                str(a.role),
                a.extension,
                a.identity,
                a.active,
                sorted(c.code for c in a.communities),
            )
            for a in agents
        ],
    }


def test_given_empty_database_when_demo_built_then_it_has_data(session: Session) -> None:
    assert not has_data(session)
    build_demo(session)
    session.commit()
    assert has_data(session)


def test_demo_communities_have_their_hotline_numbers_hours_and_on_call_numbers(
    session: Session, demo: DemoSummary
) -> None:
    by_code = {
        c.code: c
        for c in session.scalars(select(Community).options(selectinload(Community.numbers)))
    }
    assert set(by_code) == {"SH01", "SH02"}
    sunshine = by_code["SH01"]
    assert (sunshine.name, sunshine.name_en, sunshine.timezone) == (
        "阳光花园",
        "Sunshine Garden",
        "Asia/Shanghai",
    )
    assert (str(sunshine.opens_at), str(sunshine.closes_at), sunshine.business_days) == (
        "08:30:00",
        "18:00:00",
        "1234567",
    )
    assert [n.e164 for n in sunshine.numbers] == ["+862160000001"]
    assert [n.e164 for n in by_code["SH02"].numbers] == ["+862160000002"]
    assert all(c.on_call_number for c in by_code.values())


def test_demo_has_two_thousand_units_in_one_community_and_about_five_thousand_residents(
    session: Session, demo: DemoSummary
) -> None:
    units = dict(
        session.execute(
            select(Community.code, func.count(Unit.id))
            .join(Building, Building.community_id == Community.id)
            .join(Unit, Unit.building_id == Building.id)
            .group_by(Community.code)
        ).all()
    )
    assert units["SH01"] >= 2_000
    assert 100 <= units["SH02"] < 1_000
    residents = session.scalar(select(func.count(Resident.id)))
    assert 4_500 <= residents <= 5_500
    assert (demo.units, demo.residents) == (sum(units.values()), residents)
    assert demo.phones == session.scalar(select(func.count(PhoneNumber.id)))
    assert f"{residents:,} residents" in str(demo) and "+862160000001" in str(demo)


def test_demo_households_hold_every_role_seniors_and_english_speakers(
    session: Session, demo: DemoSummary
) -> None:
    roles = Counter(session.scalars(select(Occupancy.role)))
    assert set(roles) == set(ResidentRole)
    owners_per_unit = Counter(
        session.scalars(select(Occupancy.unit_id).where(Occupancy.role == ResidentRole.OWNER))
    )
    assert len(owners_per_unit) == demo.units and set(owners_per_unit.values()) == {1}
    assert 0.10 <= roles[ResidentRole.TENANT] / demo.units <= 0.20
    residents = demo.residents
    seniors = session.scalar(select(func.count(Resident.id)).where(Resident.senior_care))
    assert 0.02 <= seniors / residents <= 0.04
    assert 0 < session.scalar(select(func.count(Resident.id)).where(Resident.do_not_call)) < 100
    assert (
        0
        < session.scalar(select(func.count(Resident.id)).where(Resident.language == Language.EN))
        < 100
    )


def test_every_demo_phone_is_valid_e164_and_a_mobile_belongs_to_one_resident(
    session: Session, demo: DemoSummary
) -> None:
    phones = session.execute(
        select(PhoneNumber.resident_id, PhoneNumber.e164, PhoneNumber.label, PhoneNumber.is_primary)
    ).all()
    for _, e164, _, _ in phones:
        parsed = phonenumbers.parse(e164)
        assert phonenumbers.is_valid_number(parsed), e164
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164
        assert e164.startswith("+86")
    assert len({(rid, e164) for rid, e164, _, _ in phones}) == len(phones)
    mobiles = Counter(e164 for _, e164, label, _ in phones if label == "mobile")
    assert mobiles.most_common(1)[0][1] == 1
    primaries = Counter(rid for rid, _, _, primary in phones if primary)
    assert set(primaries.values()) == {1}


# login, role, communities served: agent3 sees only 翠湖苑, so that scoping can be tried.
DEMO_AGENTS = [
    ("agent1", AgentRole.AGENT, ["SH01"]),
    ("agent2", AgentRole.AGENT, ["SH01"]),
    ("agent3", AgentRole.AGENT, ["SH02"]),
    ("supervisor1", AgentRole.SUPERVISOR, ["SH01", "SH02"]),
    ("admin", AgentRole.ADMIN, ["SH01", "SH02"]),
]


def test_every_demo_login_has_its_role_its_communities_and_its_documented_password(
    session: Session, demo: DemoSummary
) -> None:
    # One test for all five logins: each build hashes five passwords (werkzeug's scrypt).
    agents = {a.login: a for a in session.scalars(select(Agent))}
    assert sorted(agents) == sorted(DEMO_PASSWORDS) == sorted(login for login, _, _ in DEMO_AGENTS)
    for login, role, serves in DEMO_AGENTS:
        agent = agents[login]
        assert agent.check_password(DEMO_PASSWORDS[login]), login
        assert not agent.check_password("wrong")
        assert agent.role == role and agent.active and agent.name
        assert agent.extension and agent.extension.isdigit() and agent.identity == login
        assert sorted(c.code for c in agent.communities) == serves, login
    assert len({a.extension for a in agents.values()}) == len(agents)


def test_given_same_seed_then_two_fresh_databases_hold_identical_estates(
    session: Session, demo: DemoSummary, fresh_sqlite: Any
) -> None:
    with fresh_sqlite("again") as again, fresh_sqlite("other_seed") as other:
        build_demo(again)
        build_demo(other, seed=7)
        first = dump(session)
        assert dump(again) == first
        assert dump(other)["residents"] != first["residents"]


def test_given_national_format_then_lookup_finds_the_demo_resident(
    session: Session, demo: DemoSummary
) -> None:
    resident_id, e164 = session.execute(
        select(PhoneNumber.resident_id, PhoneNumber.e164)
        .where(PhoneNumber.label == "mobile", PhoneNumber.is_primary)
        .order_by(PhoneNumber.id)
        .offset(1234)
        .limit(1)
    ).one()
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    assert len(national) == 13 and national[3] == national[8] == " "  # "138 0013 8000"
    matches = lookup_caller(session, national)
    assert [m.resident_id for m in matches] == [resident_id]
    assert matches[0].primary and matches[0].units


def test_given_shared_landline_then_lookup_returns_the_household_primary_contact_first(
    session: Session, demo: DemoSummary
) -> None:
    sharers: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for rid, e164, primary in session.execute(
        select(PhoneNumber.resident_id, PhoneNumber.e164, PhoneNumber.is_primary).where(
            PhoneNumber.label == "home"
        )
    ):
        sharers[e164].append((rid, primary))
    landline, people = next(
        (e164, people)
        for e164, people in sharers.items()
        if len(people) >= 3 and sum(primary for _, primary in people) == 1
    )
    matches = lookup_caller(session, "021-" + landline[5:9] + " " + landline[9:])
    assert {m.resident_id for m in matches} == {rid for rid, _ in people}
    assert [m.primary for m in matches] == [True] + [False] * (len(people) - 1)
    assert len({u.unit_id for m in matches for u in m.units}) == 1


def test_given_owner_of_two_units_then_lookup_returns_both_units(
    session: Session, demo: DemoSummary
) -> None:
    owner_id = session.scalars(
        select(Occupancy.resident_id)
        .where(Occupancy.role == ResidentRole.OWNER)
        .group_by(Occupancy.resident_id)
        .having(func.count() == 2)
        .order_by(Occupancy.resident_id)
    ).first()
    assert owner_id is not None
    mobile = session.scalars(
        select(PhoneNumber.e164).where(PhoneNumber.resident_id == owner_id, PhoneNumber.is_primary)
    ).one()
    (match,) = lookup_caller(session, mobile)
    assert match.resident_id == owner_id
    assert [u.role for u in match.units] == [ResidentRole.OWNER, ResidentRole.OWNER]
    tenants = session.scalars(
        select(Occupancy.role).where(Occupancy.unit_id.in_([u.unit_id for u in match.units]))
    ).all()
    assert ResidentRole.TENANT in tenants  # the second home is let


def test_given_demo_loaded_when_built_again_then_refused_and_nothing_added(
    session: Session, demo: DemoSummary
) -> None:
    with pytest.raises(DemoConflict, match="SH01"):
        build_demo(session)
    session.rollback()
    assert session.scalar(select(func.count(Resident.id))) == demo.residents


def test_cli_demo_fills_an_empty_database_once(db_url: str) -> None:
    first = CliRunner().invoke(cli, ["--database-url", db_url, "demo"])
    assert first.exit_code == 0, first.output
    assert "阳光花园" in first.output and "agent1 / agent1-demo" in first.output
    again = CliRunner().invoke(cli, ["--database-url", db_url, "demo"])
    assert again.exit_code != 0 and "already has communities" in again.output
