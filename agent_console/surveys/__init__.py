"""Callback surveys (回访) and campaigns in the console: follow-up tasks, surveys by job and
by technician, campaigns started and watched from here.

Endpoints other areas use: ``surveys.tasks``, ``surveys.technician`` (``technician_id``);
:func:`agent_console.surveys.services.order_surveys` for a work order's page and
:func:`agent_console.surveys.services.last_survey` for the caller's card.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.layout import add_nav
from models.staff import AgentRole


def init_app(app: Flask) -> None:
    """Register this area's blueprint and its navigation entries."""
    from agent_console.surveys.http import bp

    app.register_blueprint(bp)
    add_nav(app, "surveys.tasks", lazy_gettext("Follow-up tasks"), order=22)
    add_nav(app, "surveys.index", lazy_gettext("Surveys"), order=23)
    add_nav(app, "surveys.campaigns", lazy_gettext("Campaigns"),
            min_role=AgentRole.SUPERVISOR, order=24)  # fmt: skip
