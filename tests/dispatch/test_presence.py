"""Agent presence: set it, find who is available, reserve one agent once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from models import Agent, AgentPresence, PresenceState
from models.presence import available_agents, release, reserve, set_presence
from tests import factories


@pytest.fixture
def two_communities(session: Session) -> tuple[int, int]:
    sun = factories.community(session, code="SH01")
    moon = factories.community(session, code="SH02", name="明月小区")
    session.commit()
    return sun.id, moon.id


def add_agent(session: Session, login: str, *community_ids: int) -> Agent:
    from models import Community

    agent = Agent(login=login, name=login, password_hash="-")
    agent.communities = [session.get_one(Community, c) for c in community_ids]
    session.add(agent)
    session.flush()
    return agent


def at(minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 23, 9, minute, tzinfo=dt.UTC)


def test_set_presence_creates_then_updates_one_row(session: Session) -> None:
    agent = add_agent(session, "wang")
    set_presence(session, agent, "available", now=at(0))
    row = set_presence(session, agent, PresenceState.PAUSED, " lunch ", now=at(5))
    assert (row.state, row.reason, row.since) == (PresenceState.PAUSED, "lunch", at(5))
    row = set_presence(session, agent, PresenceState.WRAP_UP, "ignored")
    assert (row.state, row.reason) == (PresenceState.WRAP_UP, None)
    session.commit()
    assert session.query(AgentPresence).count() == 1


@pytest.mark.parametrize(("state", "reason"), [("paused", None), ("paused", "  "), ("away", "x")])
def test_set_presence_refuses_a_pause_without_reason_or_an_unknown_state(
    session: Session, state: str, reason: str | None
) -> None:
    with pytest.raises(ValueError):
        set_presence(session, add_agent(session, "wang"), state, reason)


def test_available_agents_longest_available_first_and_by_community(
    session: Session, two_communities: tuple[int, int]
) -> None:
    sun, moon = two_communities
    wang, li, zhao, qian = (
        add_agent(session, "wang", sun),
        add_agent(session, "li", sun, moon),
        add_agent(session, "zhao", moon),
        add_agent(session, "qian", sun),
    )
    set_presence(session, wang, "available", now=at(10))
    set_presence(session, li, "available", now=at(2))
    set_presence(session, zhao, "available", now=at(5))
    set_presence(session, qian, "paused", "training", now=at(1))
    session.commit()
    assert [a.login for a in available_agents(session, None)] == ["li", "zhao", "wang"]
    assert [a.login for a in available_agents(session, [sun])] == ["li", "wang"]
    assert [a.login for a in available_agents(session, [moon])] == ["li", "zhao"]
    qian.active = False
    set_presence(session, qian, "available", now=at(0))
    assert "qian" not in [a.login for a in available_agents(session, [sun])]


def test_an_agent_is_reserved_once_then_released(
    session: Session, two_communities: tuple[int, int]
) -> None:
    wang = add_agent(session, "wang", two_communities[0])
    set_presence(session, wang, "available")
    session.commit()
    assert reserve(session, wang.id, now=at(3))
    assert not reserve(session, wang.id)  # already offered a call
    session.commit()
    assert available_agents(session) == []
    release(session, wang.id, PresenceState.WRAP_UP)
    session.commit()
    session.expire_all()
    row = session.query(AgentPresence).one()
    assert (row.state, row.call_id, row.callback_id) == (PresenceState.WRAP_UP, None, None)
