"""Login, logout, the language switch, and the logged-in agent's landing page."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.wrappers import Response

from agent_console.auth.access import (
    SESSION_AGENT,
    community_scope,
    current_agent,
    login_required,
    readers,
)
from agent_console.auth.exceptions import AgentInactive, LoginRefused, TooManyAttempts
from agent_console.auth.i18n import LANGUAGES, SESSION_LANGUAGE
from agent_console.auth.services import LoginThrottle, authenticate
from models.estate import Community

THROTTLE = "hotline.auth.throttle"  # app.extensions key of the LoginThrottle
SESSION_ID = "sid"  # a fresh random value per login: a session from before login is not reused

bp = Blueprint("auth", __name__)


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions[THROTTLE]
    return throttle


@bp.route("/auth/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """The login form; on success a new session, and on to ``next`` or the console."""
    target = _local(request.values.get("next")) or url_for("auth.console")
    if request.method == "GET":
        if current_agent() is not None:
            return redirect(target)
        return render_template("auth/login.html", next=target)
    name = request.form.get("login", "")
    address = request.remote_addr or ""
    try:
        _throttle().check(name, address)
        with readers() as db:
            agent = authenticate(db, name, request.form.get("password", ""))
    except TooManyAttempts:
        error = gettext("Too many failed attempts. Please wait a few minutes and try again.")
        return render_template("auth/login.html", next=target, error=error, login=name), 429
    except AgentInactive:
        error = gettext("This account is disabled. Please ask an administrator.")
        return render_template("auth/login.html", next=target, error=error, login=name), 403
    except LoginRefused:
        _throttle().failed(name, address)
        error = gettext("Wrong login or password.")
        return render_template("auth/login.html", next=target, error=error, login=name), 401
    _throttle().succeeded(name)
    language = session.get(SESSION_LANGUAGE)
    session.clear()  # against session fixation: nothing from before the login survives
    if language:
        session[SESSION_LANGUAGE] = language
    session[SESSION_AGENT] = agent.id
    session[SESSION_ID] = secrets.token_urlsafe(16)
    current_app.logger.info("agent %s logged in from %s", agent.login, address)
    return redirect(target)


@bp.post("/auth/logout")
def logout() -> Response:
    """End the session (keeping the chosen language) and go back to the login page."""
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    if language:
        session[SESSION_LANGUAGE] = language
    return redirect(url_for("auth.login"))


@bp.get("/language/<code>")
def switch_language(code: str) -> Response:
    """Remember the chosen language in the session and go back where the link was."""
    if code in LANGUAGES:
        session[SESSION_LANGUAGE] = code
    return redirect(_local(request.args.get("next")) or url_for("auth.console"))


@bp.get("/console/")
@login_required
def console() -> str:
    """Who is logged in, their role and the communities they serve."""
    agent = current_agent()
    with readers() as db:
        communities = db.scalars(
            select(Community).where(Community.id.in_(community_scope())).order_by(Community.code)
        ).all()
    return render_template("auth/console.html", agent=agent, communities=communities)


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token: most often a page left open across a login."""
    current_app.logger.info("CSRF check failed for %s: %s", request.path, error.description)
    return render_template("auth/refused.html"), 400


def _local(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no redirects elsewhere)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
