"""Incidents (突发事件) in the console: declared by an agent or a supervisor, heard by the
affected callers before the menu, closed with an optional notice to the households.

Endpoints: ``incidents.index``, ``incidents.new``, ``incidents.show`` (``incident_id``),
``incidents.close`` (``incident_id``).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext


def init_app(app: Flask) -> None:
    """Register this area's blueprint and its navigation entry."""
    from agent_console.incidents.http import bp
    from agent_console.layout import add_nav

    app.register_blueprint(bp)
    add_nav(app, "incidents.index", lazy_gettext("Incidents"), order=21)
