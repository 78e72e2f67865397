"""The console's common page: the navigation every area adds itself to.

Each blueprint registers its entries with :func:`add_nav` when it is set up;
``console/base.html`` shows those the logged-in agent's role may open.
"""

from __future__ import annotations

import dataclasses

from flask import Flask, request, url_for
from flask_babel import lazy_gettext

from agent_console.auth.access import current_agent, has_role
from models.staff import AgentRole

NAV = "hotline.nav"  # app.extensions key: the list of NavEntry


@dataclasses.dataclass(frozen=True)
class NavEntry:
    """One link of the navigation bar."""

    endpoint: str
    label: object  # a lazy_gettext string, translated when the page is drawn
    min_role: AgentRole = AgentRole.AGENT
    order: int = 50


def add_nav(
    app: Flask,
    endpoint: str,
    label: object,
    *,
    min_role: AgentRole = AgentRole.AGENT,
    order: int = 50,
) -> None:
    """Show a link to ``endpoint`` in the navigation to agents of ``min_role`` and above."""
    entries: list[NavEntry] = app.extensions.setdefault(NAV, [])
    entries.append(NavEntry(endpoint, label, min_role, order))
    entries.sort(key=lambda e: (e.order, e.endpoint))


def init_app(app: Flask) -> None:
    """The ``nav`` context every console page draws its navigation from."""
    add_nav(app, "auth.console", lazy_gettext("Home"), order=0)

    @app.context_processor
    def navigation() -> dict[str, object]:
        agent = current_agent()
        if agent is None:
            return {"nav": []}
        links = [
            {
                "href": url_for(e.endpoint),
                "label": e.label,
                "current": request.endpoint == e.endpoint,
            }
            for e in app.extensions.get(NAV, [])
            if has_role(agent, e.min_role)
        ]
        return {"nav": links, "agent": agent}
