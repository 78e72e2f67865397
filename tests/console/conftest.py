"""The web app with agents of every role in two communities, and a browser-like client.

阳光花园 (SH01) is served by agent1 and the supervisor, 翠湖苑 (SH02) by agent3 and the
supervisor; 绿地 (SH03) by nobody, so only the admin sees it. ``retired`` is an agent
who may no longer log in. Passwords are ``<login>-demo``, as in the demo estate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask, current_app, jsonify
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from agent_console import create_app
from agent_console.auth import community_scope, in_scope_or_404, login_required, role_required
from hotline.config import Config
from models import Community
from models.staff import Agent, AgentRole
from tests import factories

# login → (role, communities served, active)
AGENTS = {
    "agent1": (AgentRole.AGENT, ("SH01",), True),
    "agent3": (AgentRole.AGENT, ("SH02",), True),
    "supervisor1": (AgentRole.SUPERVISOR, ("SH01", "SH02"), True),
    "admin": (AgentRole.ADMIN, (), True),
    "retired": (AgentRole.AGENT, ("SH01",), False),
}


def password(login: str) -> str:
    return f"{login}-demo"


def probes() -> Blueprint:
    """Small views behind each guard, standing in for the other blueprints."""
    bp = Blueprint("probe", __name__, url_prefix="/probe")

    @bp.get("/agent")
    @login_required
    def for_agents() -> str:
        return "agent ok"

    @bp.get("/supervisor")
    @role_required(AgentRole.SUPERVISOR)
    def for_supervisors() -> str:
        return "supervisor ok"

    @bp.get("/admin")
    @role_required(AgentRole.ADMIN)
    def for_admins() -> str:
        return "admin ok"

    @bp.get("/scope")
    @login_required
    def scope() -> Response:
        with current_app.extensions["hotline.sessions"]() as db:
            codes = sorted(db.get(Community, cid).code for cid in community_scope())
        return jsonify(codes)

    @bp.get("/communities/<int:community_id>")
    @login_required
    def community(community_id: int) -> str:
        with current_app.extensions["hotline.sessions"]() as db:
            return in_scope_or_404(db.get(Community, community_id), lambda c: c.id).name

    return bp


@pytest.fixture
def estate(engine: Engine) -> dict[str, int]:
    """Community code → id, with the agents above."""
    with Session(engine) as s:
        communities = {
            code: factories.community(s, code=code, name=name)
            for code, name in (("SH01", "阳光花园"), ("SH02", "翠湖苑"), ("SH03", "绿地"))
        }
        for login, (role, codes, active) in AGENTS.items():
            agent = Agent(login=login, name=login.title(), role=role, active=active)
            agent.set_password(password(login))
            agent.communities = [communities[code] for code in codes]
            s.add(agent)
        s.commit()
        return {code: c.id for code, c in communities.items()}


@pytest.fixture
def app(config: Config, estate: dict[str, int]) -> Iterator[Flask]:
    app = create_app({"TESTING": True}, config=config)
    app.register_blueprint(probes())
    yield app
    app.extensions["hotline.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, url: str = "/auth/login") -> str:
    """The CSRF token of the form on ``url``, as a browser would read it."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: FlaskClient, login: str, secret: str | None = None, **form: str) -> TestResponse:
    """Fill in and send the login form."""
    data = {
        "csrf_token": csrf_token(client),
        "login": login,
        "password": password(login) if secret is None else secret,
    }
    return client.post("/auth/login", data=data | form)
