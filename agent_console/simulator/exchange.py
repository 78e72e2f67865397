"""Where the simulator's requests become Twilio's: signed, and dispatched in process.

The browser cannot hold an auth token, so the page hands this module a
webhook URL and parameters and it does what Twilio's cloud does: computes
``X-Twilio-Signature`` (HMAC-SHA1 of the URL and the sorted parameters, keyed
by the token) for the exact URL the webhook will rebuild, and posts. The
request runs through the webhooks' own signature check; nothing here
bypasses it.

Which webhooks, and signed with which token:

- **Twilio not configured** (no ``HOTLINE_TWILIO_AUTH_TOKEN``): the public
  ``/twilio`` webhooks refuse every request, as they must. The simulator keeps
  a private copy of the same webhook blueprint, over the same database,
  whose settings hold a token generated for this process (it never leaves
  it), and posts there. Nothing reachable from outside accepts that token.
- **Twilio configured**: the simulator posts to the app's own ``/twilio``
  webhooks signed with the real token, but only for someone who presents
  that token: otherwise the simulator would be a signing service for anyone.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request
from sqlalchemy.orm import Session
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator
from werkzeug.test import Client, EnvironBuilder

from ivr.twilio import http as twilio_http
from ivr.twilio import signature, twiml
from ivr.twilio.settings import TwilioSettings

# The AccountSid the simulator's requests carry when no Twilio account is configured.
SIMULATED_ACCOUNT = "AC" + "5" * 32


class Refused(Exception):
    """The simulator will not sign for this caller or this URL."""


@dataclasses.dataclass(frozen=True)
class Reply:
    """What a webhook answered: status, content type and body (TwiML or nothing)."""

    status: int
    mimetype: str
    body: str


@dataclasses.dataclass
class Exchange:
    """Signs and posts the simulator's webhook requests.

    ``settings`` are the public webhooks' settings; ``private`` the app holding
    the simulator's own copy of the webhooks (None when Twilio is configured).
    """

    settings: TwilioSettings
    private: Flask | None
    private_settings: TwilioSettings | None = None

    @classmethod
    def create(
        cls,
        settings: TwilioSettings,
        *,
        sessions: Callable[[], Session],
        readers: Callable[[], Session] | None = None,
    ) -> Exchange:
        """The exchange for an app whose webhooks answer with ``settings``."""
        if settings.auth_token:
            return cls(settings=settings, private=None)
        private_settings = dataclasses.replace(
            settings,
            auth_token=secrets.token_hex(16),
            account_sid=SIMULATED_ACCOUNT,
            public_base_url="",
            trust_proxy=False,
        )
        private = Flask(__name__)
        private.register_blueprint(
            twilio_http.create_blueprint(private_settings, sessions=sessions, readers=readers)
        )
        return cls(settings=settings, private=private, private_settings=private_settings)

    @property
    def simulated(self) -> bool:
        """True when no Twilio account is configured and calls go to the private webhooks."""
        return self.private is not None

    @property
    def account_sid(self) -> str:
        return SIMULATED_ACCOUNT if self.simulated else self.settings.account_sid

    def authorise(self, presented: str) -> None:
        """Accept anyone on a simulated installation; with Twilio, only the token's holder.

        :raises Refused: when Twilio is configured and ``presented`` is not its token.
        """
        if self.simulated:
            return
        if not presented or not hmac.compare_digest(
            presented.encode(), self.settings.auth_token.encode()
        ):
            raise Refused("Twilio is configured: only the holder of its auth token may simulate")

    def post(self, app: Flask, url: str, params: Mapping[str, str], *, root: str) -> Reply:
        """POST ``params`` to the webhook ``url``, signed as Twilio would sign it.

        :param app: the web app serving the simulator (the target when Twilio is configured).
        :param url: a URL from our TwiML: a path under ``/twilio``, or absolute.
        :param root: the web app's URL root as the browser reached it (``http://host:8080/``).
        :raises Refused: for a URL that is not one of the Twilio webhooks.
        """
        target, settings = (
            (self.private, self.private_settings) if self.private else (app, self.settings)
        )
        assert settings is not None
        if self.private is not None:
            self._share_extensions(app, self.private)
        path = webhook_path(url, root=root, public_base_url=self.settings.public_base_url)
        builder = EnvironBuilder(path=path, base_url=root, method="POST", data=dict(params))
        try:
            signed_url = signature.public_url(Request(builder.get_environ()), settings)
        finally:
            builder.close()
        sign = RequestValidator(settings.auth_token).compute_signature(signed_url, dict(params))
        response = Client(target).post(
            path, base_url=root, data=dict(params), headers={SIGNATURE_HEADER: sign}
        )
        try:
            return Reply(
                response.status_code, response.mimetype or "", response.get_data(as_text=True)
            )
        finally:
            response.close()

    @staticmethod
    def _share_extensions(app: Flask, private: Flask) -> None:
        """The private webhooks see what the web app has (the bus), but keep their own calls."""
        for name, value in app.extensions.items():
            if name != twilio_http.EXTENSION:
                private.extensions[name] = value


def webhook_path(url: str, *, root: str, public_base_url: str = "") -> str:
    """The path (and query) of a Twilio webhook URL, relative to the app's root.

    :raises Refused: when ``url`` is not one of ours under ``/twilio/``.
    """
    for base in filter(None, (public_base_url, root.rstrip("/"))):
        if url.startswith(base + "/"):
            url = url[len(base) :]
            break
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        raise Refused(f"not one of our webhooks: {url}")
    script_root = urlsplit(root).path.rstrip("/")
    path = parts.path
    if script_root and path.startswith(script_root + "/"):
        path = path[len(script_root) :]
    if not path.startswith(twiml.PREFIX + "/") or ".." in path:
        raise Refused(f"not one of our webhooks: {url}")
    return path + (f"?{parts.query}" if parts.query else "")


def describe(exchange: Exchange) -> dict[str, Any]:
    """What the page needs to know about the exchange (never a token)."""
    return {"simulated": exchange.simulated, "account": exchange.account_sid}
