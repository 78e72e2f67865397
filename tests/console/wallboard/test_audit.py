"""The audit log viewer: who sees which entries, filters, pages, masked numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Agent,
    AgentRole,
    AuditLog,
    Community,
    ResidentRole,
    audit,
)
from tests import factories
from tests.console.wallboard.builders import NOW, asterisk_call, at, work_order

AsAgent = Callable[[str], FlaskClient]


def entry(
    s: Session,
    when: dt.datetime,
    agent: Agent | None,
    action: str,
    kind: str,
    subject: object,
    **detail: object,
) -> AuditLog:
    row = audit(
        s,
        action=action,
        subject_type=kind,
        subject_id=subject,
        agent_id=agent.id if agent else None,
        **detail,
    )
    row.at = when
    s.flush()
    return row


@pytest.fixture
def log(db: Session, estate: dict[str, int]) -> dict[str, int]:
    """Entries about SH01, SH02 and SH03 subjects, and some about no community."""
    agents = {a.login: a for a in db.scalars(select(Agent))}
    sh03_agent = Agent(login="agent9", name="Agent9", role=AgentRole.AGENT, password_hash="x")
    sh03_agent.communities = [db.get_one(Community, estate["SH03"])]
    db.add(sh03_agent)
    c1, c2, c3 = (db.get_one(Community, estate[code]) for code in ("SH01", "SH02", "SH03"))
    r1 = factories.resident(
        db, "王一", units=[(factories.unit(db, c1, "1", "101"), ResidentRole.OWNER)]
    )
    r3 = factories.resident(
        db, "张三", units=[(factories.unit(db, c3, "3", "301"), ResidentRole.OWNER)]
    )
    both = factories.resident(
        db,
        "李双",
        units=[
            (factories.unit(db, c1, "2", "202"), ResidentRole.OWNER),
            (factories.unit(db, c3, "4", "404"), ResidentRole.OWNER),
        ],
    )
    o2, o3 = work_order(db, c2, at(3600)), work_order(db, c3, at(3600))
    call3 = asterisk_call(db, c3.id, "repair", at(-100))
    ids = {
        "r1": entry(db, at(-500), agents["agent1"], "view", "resident", r1.id).id,
        "unmask": entry(
            db,
            at(-400),
            agents["supervisor1"],
            "unmask",
            "resident",
            r1.id,
            number="+8613800138000",
        ).id,
        "o2": entry(db, at(-300), agents["agent3"], "update", "work_order", o2).id,
        "both": entry(db, at(-200), sh03_agent, "view", "resident", both.id).id,
        "r3": entry(db, at(-150), sh03_agent, "view", "resident", r3.id).id,
        "o3": entry(db, at(-140), agents["agent1"], "view", "work_order", o3).id,
        "call3": entry(db, at(-130), agents["agent1"], "view", "call", call3.id).id,
        "login1": entry(db, at(-120), agents["agent1"], "export", "report", None).id,
        "login9": entry(db, at(-110), sh03_agent, "export", "report", None).id,
        "system": entry(db, at(-100), None, "import", "residents", None).id,
        "sh02": entry(db, at(-90), agents["admin"], "update", "community", c2.id).id,
    }
    db.commit()
    return ids


def shown(client: FlaskClient, query: str = "") -> list[int]:
    page = client.get(f"/console/audit/{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return [int(part.split('"')[0]) for part in text.split('data-entry="')[1:]]


def test_a_supervisor_sees_entries_about_their_communities_newest_first(
    as_agent: AsAgent, log: dict[str, int]
) -> None:
    seen = shown(as_agent("supervisor1"))
    assert seen == [log[k] for k in ("sh02", "login1", "both", "o2", "unmask", "r1")]


def test_an_admin_sees_every_entry(as_agent: AsAgent, log: dict[str, int]) -> None:
    assert sorted(shown(as_agent("admin"))) == sorted(log.values())


def test_an_agent_may_not_read_the_audit_log(as_agent: AsAgent) -> None:
    assert as_agent("agent1").get("/console/audit/").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?action=unmask", ["unmask"]),
        ("?subject_type=work_order", ["o2"]),
        ("?subject_type=resident&subject_id={r1}", ["unmask", "r1"]),
        ("?agent={agent1}", ["login1", "r1"]),
        ("?action=view&agent={agent1}", ["r1"]),
    ],
)
def test_filters(
    as_agent: AsAgent, log: dict[str, int], db: Session, query: str, expected: list[str]
) -> None:
    r1 = db.scalars(select(AuditLog.subject_id).where(AuditLog.id == log["r1"])).one()
    agent1 = db.scalars(select(Agent.id).where(Agent.login == "agent1")).one()
    assert shown(as_agent("supervisor1"), query.format(r1=r1, agent1=agent1)) == [
        log[k] for k in expected
    ]


def test_dates_are_the_communitys_calendar_days(
    as_agent: AsAgent, db: Session, estate: dict[str, int]
) -> None:
    agent1 = db.scalars(select(Agent).where(Agent.login == "agent1")).one()
    # 01:00 on 2 December in Shanghai is still 1 December in UTC.
    early = entry(
        db, dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC), agent1, "export", "report", None
    ).id
    before = entry(
        db, dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC), agent1, "export", "report", None
    ).id
    db.commit()
    client = as_agent("supervisor1")

    assert shown(client, "?from=2026-12-02&to=2026-12-02") == [early]
    assert shown(client, "?to=2026-12-01") == [before]
    assert shown(client, "?from=2026-12-01") == [early, before]
    assert shown(client, "?from=not-a-date") == [early, before]  # ignored, not an error


def test_numbers_in_details_are_masked(as_agent: AsAgent, log: dict[str, int]) -> None:
    page = as_agent("supervisor1").get("/console/audit/?action=unmask").get_data(as_text=True)
    assert "+86 138****8000" in page
    assert "13800138000" not in page


def test_pages_of_fifty_newest_first(as_agent: AsAgent, db: Session) -> None:
    agent1 = db.scalars(select(Agent).where(Agent.login == "agent1")).one()
    ids = [entry(db, at(i), agent1, "export", "report", None).id for i in range(120)]
    db.commit()
    client = as_agent("supervisor1")

    first, third = shown(client), shown(client, "?page=3")

    assert first == ids[::-1][:50]
    assert third == ids[::-1][100:]
    assert shown(client, "?page=99") == third  # past the end: the last page
    page = client.get("/console/audit/?page=2&action=export").get_data(as_text=True)
    assert "page=3&amp;action=export" in page and "page=1&amp;action=export" in page


def test_reading_the_audit_log_is_not_audited(
    as_agent: AsAgent, log: dict[str, int], db: Session
) -> None:
    before = db.scalar(select(func.count()).select_from(AuditLog))
    as_agent("supervisor1").get("/console/audit/")
    assert db.scalar(select(func.count()).select_from(AuditLog)) == before


@pytest.mark.parametrize(("language", "word"), [("zh_CN", "审计日志"), ("en", "Audit log")])
def test_the_audit_log_reads_in_both_languages(
    as_agent: AsAgent, log: dict[str, int], language: str, word: str
) -> None:
    client = as_agent("supervisor1")
    client.get(f"/language/{language}")
    page = client.get("/console/audit/").get_data(as_text=True)
    assert word in page
    assert ("查看完整号码" if language == "zh_CN" else "unmasked a number") in page
    assert NOW.year == 2026


def test_a_work_order_entry_links_to_the_order(
    as_agent: AsAgent, log: dict[str, int], db: Session
) -> None:
    order_id = db.scalars(select(AuditLog.subject_id).where(AuditLog.id == log["o2"])).one()
    page = as_agent("supervisor1").get("/console/audit/").get_data(as_text=True)
    assert f'<a href="/console/work-orders/{order_id}">work_order {order_id}</a>' in page
