"""Session cookies: HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS."""

from __future__ import annotations

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

# Paths that never have a login session: Twilio's webhooks (signed instead). Skipping the
# cookie there saves the signed-cookie work on every webhook of every call.
NO_SESSION_PREFIXES = ("/twilio/",)


class HotlineSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure per request rather than once per app.

    ``SESSION_COOKIE_SECURE`` (the ``session_cookie_secure`` setting) forces the flag on;
    without it the flag follows the request, so http://127.0.0.1 development still works.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(NO_SESSION_PREFIXES):
            return self.make_null_session(app)
        return super().open_session(app, request)
