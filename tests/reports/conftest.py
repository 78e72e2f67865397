"""Hand-built records whose report figures are known.

Two communities: 阳光花园 (SH01, Asia/Shanghai, UTC+8) and Harbour View (NY01,
America/New_York, UTC−5 in winter), so month and day boundaries fall at different
UTC instants. Times are written as UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import Community
from models.staff import Agent, AgentRole
from tests import factories


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def places(db: Session) -> dict[str, Community]:
    """SH01 and NY01, and an agent who serves both (work orders need one)."""
    sh01 = factories.community(db, code="SH01", name="阳光花园")
    ny01 = factories.community(db, code="NY01", name="Harbour View", timezone="America/New_York")
    agent = Agent(login="clerk", name="Clerk", role=AgentRole.AGENT)
    agent.set_password("clerk-demo")
    agent.communities = [sh01, ny01]
    db.add(agent)
    db.commit()
    return {"SH01": sh01, "NY01": ny01}


@pytest.fixture
def clerk(db: Session, places: dict[str, Community]) -> int:
    return db.query(Agent).filter_by(login="clerk").one().id
