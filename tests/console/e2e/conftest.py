"""The whole centre live for issue 5's end-to-end test: the app on a real threaded server
(the simulator's ``server`` fixture: SQLite, 阳光花园 with 王建国 at 3栋2单元1502), the
dispatcher's thread (started by the test, then a round every 0.2 s), two agents and a
supervisor serving 阳光花园, and a plumbing team.

Agents: ``agent1`` (A) and ``agent2`` (B); ``supervisor1``; passwords ``<login>-demo``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from hotline.config import Config
from ivr.dispatch.plugin import install
from ivr.dispatch.services import DispatcherThread
from models import Community
from models.staff import Agent, AgentRole
from models.work_orders import Team
from tests.browser import Pages
from tests.simulator.test_browser import server  # noqa: F401  (fixture)

AGENTS = {  # login → (name, role)
    "agent1": ("Agent A", AgentRole.AGENT),
    "agent2": ("Agent B", AgentRole.AGENT),
    "supervisor1": ("Supervisor", AgentRole.SUPERVISOR),
}
TEAM = "工程部水电组"
DISPATCH_INTERVAL_S = 0.2


@dataclasses.dataclass
class Centre:
    """The served app, its dispatcher thread (the test starts it), and the ids the test needs."""

    base_url: str
    app: Flask
    dispatcher: DispatcherThread
    community_id: int
    team_id: int


def staff(app: Flask) -> tuple[int, int]:
    """The agents above and a plumbing team, all of the one community; its id and the team's."""
    with app.extensions["hotline.sessions"]() as session:
        community = session.query(Community).one()
        for login, (name, role) in AGENTS.items():
            agent = Agent(login=login, name=name, role=role, extension=None)
            agent.set_password(f"{login}-demo")
            agent.communities = [community]
            session.add(agent)
        team = Team(community_id=community.id, name=TEAM, trade="plumbing")
        session.add(team)
        session.commit()
        return community.id, team.id


@pytest.fixture
def centre(server: tuple[str, Flask]) -> Iterator[Centre]:  # noqa: F811
    base_url, app = server
    config: Config = dataclasses.replace(app.config["HOTLINE"], wrap_up_seconds="0")
    app.config["HOTLINE"] = config
    community_id, team_id = staff(app)
    thread = install(app, config, interval=DISPATCH_INTERVAL_S)
    try:
        yield Centre(base_url, app, thread, community_id, team_id)
    finally:
        thread.stop()
        if thread.is_alive():
            thread.join(timeout=10)


@pytest.fixture
def pages(centre: Centre, pages: Pages) -> Pages:
    """The shared pages (tests/browser.py: each kept in test-artifacts/ on failure), on the
    centre's server."""
    pages.base_url = centre.base_url
    return pages
