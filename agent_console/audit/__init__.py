"""The audit log viewer (审计日志), registered by the wallboard area (see its init_app)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.audit.http import bp
from agent_console.layout import add_nav
from models.staff import AgentRole


def init_app(app: Flask) -> None:
    """Register the viewer and its link (supervisors and administrators)."""
    app.register_blueprint(bp)
    add_nav(app, "audit.index", lazy_gettext("Audit log"), min_role=AgentRole.SUPERVISOR, order=90)
