"""The wallboard page and its figures over HTTP: roles, communities, languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agent, AgentRole, Community, PresenceState
from tests.console.conftest import csrf_token, log_in
from tests.console.wallboard.builders import (
    NOW,
    asterisk_call,
    at,
    presence,
    twilio_call,
    work_order,
)

AsAgent = Callable[[str], FlaskClient]


@pytest.fixture
def traffic(db: Session, estate: dict[str, int]) -> None:
    """SH01: two waiting, SL 1/3 today, agent1 paused, one overdue order. SH02: one waiting."""
    sh01 = estate["SH01"]
    asterisk_call(db, sh01, "repair", at(-600), answered_after=10)
    twilio_call(db, sh01, "repair", at(-500), answered_after=30)
    asterisk_call(db, sh01, "inquiry", at(-400), abandoned_after=5)
    twilio_call(db, sh01, "repair", at(-300), abandoned_after=40)
    asterisk_call(db, sh01, "emergency", at(-65))
    twilio_call(db, sh01, "repair", at(-30))
    asterisk_call(db, estate["SH02"], "complaint", at(-200))
    agent1 = db.scalars(select(Agent).where(Agent.login == "agent1")).one()
    presence(db, agent1.id, PresenceState.PAUSED, at(-125), reason="培训")
    work_order(db, db.get_one(Community, sh01), at(-7200))
    db.commit()


def test_the_supervisor_sees_the_figures_of_their_communities(
    as_agent: AsAgent, traffic: None
) -> None:
    data = as_agent("supervisor1").get("/console/wallboard/data.json").get_json()

    queues = {q["queue"]: q for q in data["queues"]}
    assert (queues["emergency"]["waiting"], queues["emergency"]["longest_wait_text"]) == (1, "1:05")
    assert (queues["repair"]["waiting"], queues["repair"]["longest_wait"]) == (1, 30.0)
    assert queues["complaint"]["waiting"] == 1  # SH02's caller: the supervisor serves both
    assert (data["today"]["offered"], data["today"]["service_level_text"]) == (7, "33%")
    assert data["today"]["service_level"] == pytest.approx(1 / 3)  # SH02's caller still waits
    assert (data["today"]["answered"], data["today"]["abandoned"], data["today"]["waiting"]) == (
        2,
        2,
        3,
    )
    assert data["agents"] == [
        {
            "name": "Agent1",
            "state": "paused",
            "label": "暂停",
            "since": "09:57",
            "for_text": "2:05",
            "reason": "培训",
        }
    ]
    assert data["overdue_count"] == 1 and data["overdue"][0]["overdue_text"] == "2:00:00"
    assert data["updated"] == "10:00:00" and data["timezone"] == "Asia/Shanghai"
    assert data["now"] == NOW.isoformat()


def test_one_community_can_be_chosen(
    as_agent: AsAgent, traffic: None, estate: dict[str, int]
) -> None:
    client = as_agent("supervisor1")

    sh02 = client.get(f"/console/wallboard/data.json?community={estate['SH02']}").get_json()

    assert [c["code"] for c in sh02["communities"]] == ["SH02"]
    assert {q["queue"]: q["waiting"] for q in sh02["queues"]} == {
        "emergency": 0,
        "repair": 0,
        "inquiry": 0,
        "complaint": 1,
    }
    assert sh02["today"]["offered"] == 1 and sh02["overdue_count"] == 0 and sh02["agents"] == []


@pytest.mark.parametrize("path", ["/console/wallboard/", "/console/wallboard/data.json"])
def test_a_community_out_of_scope_is_a_404(
    as_agent: AsAgent, estate: dict[str, int], path: str
) -> None:
    client = as_agent("supervisor1")
    assert client.get(f"{path}?community={estate['SH03']}").status_code == 404
    assert client.get(f"{path}?community={max(estate.values()) + 1}").status_code == 404
    assert client.get(f"{path}?community=SH01").status_code == 404
    admin = as_agent("admin")
    assert admin.get(f"{path}?community={estate['SH03']}").status_code == 200


@pytest.mark.parametrize("path", ["/console/wallboard/", "/console/wallboard/data.json"])
def test_an_agent_may_not_open_the_wallboard(as_agent: AsAgent, path: str) -> None:
    assert as_agent("agent1").get(path).status_code == 403


def test_the_data_is_never_cached(as_agent: AsAgent) -> None:
    response = as_agent("supervisor1").get("/console/wallboard/data.json")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh_CN",
            [
                "大屏监控",
                "紧急",
                "报修",
                "最长等待",
                "服务水平",
                "超时工单",
                "33%",
                "SH01 阳光花园",
            ],
        ),
        (
            "en",
            [
                "Wallboard",
                "Emergency",
                "Longest wait",
                "Service level",
                "33%",
                "SH01 Sunshine Garden",
            ],
        ),
    ],
)
def test_the_board_reads_in_both_languages(
    as_agent: AsAgent, traffic: None, language: str, words: list[str]
) -> None:
    client = as_agent("supervisor1")
    client.get(f"/language/{language}")

    page = client.get("/console/wallboard/").get_data(as_text=True)

    for word in words:
        assert word in page
    assert 'src="/static/wallboard.js"' in page and "data-refresh=" in page
    assert "{time}" in page  # the stale warning's text, for the script to fill in


def test_the_board_and_audit_log_are_in_the_navigation_of_supervisors_only(
    as_agent: AsAgent,
) -> None:
    supervisor = as_agent("supervisor1").get("/console/").get_data(as_text=True)
    agent = as_agent("agent1").get("/console/").get_data(as_text=True)
    for link in ('href="/console/wallboard/"', 'href="/console/audit/"'):
        assert link in supervisor
        assert link not in agent


def test_screens_polling_together_share_the_figures_of_the_last_seconds(
    as_agent: AsAgent, db: Session, estate: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = as_agent("supervisor1"), as_agent("supervisor1")
    assert first.get("/console/wallboard/data.json").get_json()["today"]["waiting"] == 0
    twilio_call(db, estate["SH01"], "repair", at(-30))
    db.commit()

    assert second.get("/console/wallboard/data.json").get_json()["today"]["waiting"] == 0
    monkeypatch.setattr("agent_console.wallboard.http.CACHE_SECONDS", 0.0)
    assert second.get("/console/wallboard/data.json").get_json()["today"]["waiting"] == 1


def test_a_supervisor_serving_no_community_sees_an_empty_board(
    as_agent: AsAgent, db: Session
) -> None:
    lonely = Agent(login="supervisor9", name="Supervisor9", role=AgentRole.SUPERVISOR)
    lonely.set_password("supervisor9-demo")
    db.add(lonely)
    db.commit()
    client = as_agent("supervisor1")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    log_in(client, "supervisor9", "supervisor9-demo")

    data = client.get("/console/wallboard/data.json").get_json()

    assert data["communities"] == [] and data["agents"] == []
    assert data["today"]["offered"] == 0 and data["today"]["service_level_text"] == "—"
    assert client.get("/console/wallboard/").status_code == 200
