"""The console's wallboard area: the live board for a wall screen, and the audit log viewer.

Both are for supervisors and administrators (``min_role`` SUPERVISOR): the board
shows every agent's state and the centre's figures, the audit log who viewed
or changed what. An agent opening either gets 403.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console import audit
from agent_console.layout import add_nav
from agent_console.wallboard.http import bp
from models.staff import AgentRole


def init_app(app: Flask) -> None:
    """Register the wallboard and the audit log, with their navigation links."""
    app.register_blueprint(bp)
    add_nav(
        app, "wallboard.index", lazy_gettext("Wallboard"), min_role=AgentRole.SUPERVISOR, order=80
    )
    audit.init_app(app)
