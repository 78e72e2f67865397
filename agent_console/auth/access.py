"""Who is logged in, what their role allows, and which communities they may see.

For the other blueprints::

    @bp.get("/work-orders/<int:order_id>")
    @login_required
    def show(order_id: int) -> str:
        with sessions() as session:
            order = in_scope_or_404(session.get(WorkOrder, order_id))
        ...

    @bp.post("/reports/export")
    @role_required(AgentRole.SUPERVISOR)
    def export() -> Response: ...

An object of a community the agent does not serve is a 404, exactly like an id that
does not exist: another community's data is never shown, nor is its existence confirmed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.estate import Community
from models.staff import Agent, AgentRole

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

READERS = "hotline.auth.readers"  # app.extensions key of the read-only sessions used here
SESSION_AGENT = "agent_id"  # the logged-in agent's id, in the signed session cookie
ROLE_RANK = {AgentRole.AGENT: 0, AgentRole.SUPERVISOR: 1, AgentRole.ADMIN: 2}
_UNSET = object()


def readers() -> Session:
    """A read-only session without a transaction: it never waits for the view's own writes."""
    session: Session = current_app.extensions[READERS]()
    return session


def writer() -> Session:
    """A session that writes (the app's sessions): the view commits what it changed."""
    session: Session = current_app.extensions["hotline.sessions"]()
    return session


def signed_in() -> Agent:
    """The logged-in agent, in a view behind :func:`login_required` or :func:`role_required`."""
    agent = current_agent()
    assert agent is not None  # the decorator ran
    return agent


def current_agent() -> Agent | None:
    """The logged-in agent (communities loaded), or None; an inactive agent is logged out."""
    cached = g.get("hotline_agent", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[no-any-return]
    agent = None
    agent_id = session.get(SESSION_AGENT)
    if isinstance(agent_id, int):
        with readers() as db:
            agent = db.scalars(
                select(Agent)
                .options(selectinload(Agent.communities))
                .where(Agent.id == agent_id, Agent.active.is_(True))
            ).one_or_none()
    g.hotline_agent = agent
    return agent


def has_role(agent: Agent, min_role: AgentRole) -> bool:
    """True when ``agent``'s role is ``min_role`` or above (agent < supervisor < admin)."""
    return ROLE_RANK[agent.role] >= ROLE_RANK[min_role]


def login_required(view: Callable[P, R]) -> Callable[P, Any]:
    """Send a visitor who is not logged in to the login page, coming back here after."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
        if current_agent() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(min_role: AgentRole) -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """Like :func:`login_required`, and 403 for an agent whose role is below ``min_role``."""

    def decorate(view: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
            agent = current_agent()
            if agent is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not has_role(agent, min_role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def community_scope() -> frozenset[int]:
    """The ids of the communities the logged-in agent serves; every community for an admin.

    Empty when nobody is logged in. Filter queries with ``Model.community_id.in_(...)``.
    """
    cached = g.get("hotline_scope")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    agent = current_agent()
    if agent is None:
        scope: frozenset[int] = frozenset()
    elif agent.role is AgentRole.ADMIN:
        with readers() as db:
            scope = frozenset(db.scalars(select(Community.id)))
    else:
        scope = frozenset(c.id for c in agent.communities)
    g.hotline_scope = scope
    return scope


def check_scope(community_id: int | None) -> None:
    """404 unless ``community_id`` is one of the communities the agent serves."""
    if community_id is None or community_id not in community_scope():
        abort(404)


def in_scope_or_404(obj: T | None, community_id: Callable[[T], int | None] | None = None) -> T:
    """``obj`` when it exists and belongs to a community in scope; a 404 otherwise.

    :param community_id: how to find ``obj``'s community (default: its ``community_id``),
        e.g. ``lambda unit: unit.building.community_id``.
    """
    if obj is None:
        abort(404)
    found = community_id(obj) if community_id else getattr(obj, "community_id", None)
    check_scope(found)
    return obj
