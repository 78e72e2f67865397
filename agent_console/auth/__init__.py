"""Agents' accounts: login and logout, roles, communities served, CSRF and languages.

Other blueprints protect their views with :func:`login_required` or
:func:`role_required`, read :func:`current_agent`, filter queries by
:func:`community_scope` and fetch single objects through :func:`in_scope_or_404`.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from agent_console.auth import i18n
from agent_console.auth.access import (
    READERS,
    check_scope,
    community_scope,
    current_agent,
    has_role,
    in_scope_or_404,
    login_required,
    role_required,
    signed_in,
    writer,
)
from agent_console.auth.http import THROTTLE, bp
from agent_console.auth.keys import load_secret_key
from agent_console.auth.services import LoginThrottle
from agent_console.auth.sessions import HotlineSessionInterface
from hotline.config import Config
from models.db import read_session_factory

__all__ = [
    "check_scope",
    "community_scope",
    "current_agent",
    "has_role",
    "in_scope_or_404",
    "init_app",
    "login_required",
    "role_required",
    "signed_in",
    "writer",
]

# Exempt from CSRF: Twilio signs its webhooks instead; the simulator's JSON API answers
# only this machine and carries its own token header when Twilio is configured.
CSRF_EXEMPT = ("twilio", "simulator")


def init_app(app: Flask, config: Config, *, csrf_exempt: Iterable[str] = CSRF_EXEMPT) -> None:
    """Sessions, CSRF on every form, languages and the login pages, for ``app``.

    Call it after registering the blueprints named in ``csrf_exempt``.
    """
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(config.data_dir)
    app.session_interface = HotlineSessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = (
        app.config.get("SESSION_COOKIE_SECURE") or config.session_cookie_secure
    )
    # The token lives as long as the session (renewed at each login), not an hour.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf = CSRFProtect(app)
    for name in csrf_exempt:
        csrf.exempt(app.blueprints[name])
    i18n.init_app(app, config.data_dir)
    app.extensions[THROTTLE] = LoginThrottle()
    app.extensions[READERS] = read_session_factory(app.extensions["hotline.engine"])
    app.register_blueprint(bp)
