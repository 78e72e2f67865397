"""Is this request from Twilio? ``X-Twilio-Signature`` checked against the public URL.

Twilio signs the exact URL it requested (scheme, host, port if any, path and
query string as sent) followed by every POST parameter, sorted by name, name
then value, with HMAC-SHA1 keyed by the account's Auth Token, base64-encoded.
Behind a reverse proxy the URL this process sees is not the one Twilio
requested, so it is rebuilt from the configured public base URL, or from the
proxy's ``X-Forwarded-*`` headers when the proxy is trusted. Twilio signs
some URLs with the port (``:443``) and some without; the validator tries both.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from urllib.parse import quote

from flask import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.datastructures import MultiDict

from ivr.twilio.exceptions import NotFromTwilio
from ivr.twilio.settings import TwilioSettings

DEFAULT_PORTS = {"http": "80", "https": "443"}
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def check(request: Request, settings: TwilioSettings) -> None:
    """Accept the request only if Twilio signed it for our account.

    :raises NotFromTwilio: saying why not (never the signature or the token).
    """
    if not settings.auth_token:
        raise NotFromTwilio("no Twilio auth token is configured (HOTLINE_TWILIO_AUTH_TOKEN)")
    request = unproxied(request)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise NotFromTwilio(f"no {SIGNATURE_HEADER} header")
    url = public_url(request, settings)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER, ""))
    validator = RequestValidator(settings.auth_token)
    params = _Params(request.form)
    if not _signed_as_requested(validator, url, params, signature, algorithm):
        if not validator.validate(url, params, signature, algorithm):
            raise NotFromTwilio(f"signature does not match {url}")
    account = request.form.get("AccountSid", "")
    if settings.account_sid and account != settings.account_sid:
        raise NotFromTwilio(f"request for another account {account!r}")


def unproxied(request: Request) -> Request:
    """The request behind Flask's ``request`` proxy (each attribute read through the proxy
    costs a failed lookup first, an exception made and dropped); others as given."""
    unwrap = getattr(request, "_get_current_object", None)
    return unwrap() if unwrap is not None else request


class _Params:
    """The form as twilio's validator reads it: names, then every value of a name by
    ``getall`` (without it, it tries ``getall`` and ``getlist`` in turn, and each miss
    raises: a dozen exceptions per webhook)."""

    def __init__(self, form: MultiDict[str, str]) -> None:
        self._form = form

    def __iter__(self) -> Iterator[str]:
        return iter(self._form)

    def __bool__(self) -> bool:
        return bool(self._form)

    def getall(self, name: str) -> list[str]:
        return self._form.getlist(name)


def _signed_as_requested(
    validator: RequestValidator, url: str, params: _Params, signature: str, algorithm: str
) -> bool:
    """The signature of the URL exactly as requested: what Twilio signs, found at the cost
    of one HMAC (``validate`` always computes two, with and without the port, each after
    re-parsing the URL); only when it differs is ``validate`` asked."""
    try:
        expected = validator.compute_signature(url, params, algorithm)
    except ValueError:  # an algorithm twilio does not know: validate says so
        return False
    return hmac.compare_digest(expected.encode(), signature.encode())


def public_url(request: Request, settings: TwilioSettings) -> str:
    """The URL Twilio requested, as it signed it."""
    query = request.query_string.decode("latin-1")
    tail = quote(request.path, safe=_PATH_SAFE) + (f"?{query}" if query else "")
    if settings.public_base_url:
        return settings.public_base_url + tail
    scheme, host, prefix = request.scheme, request.host, ""
    if settings.trust_proxy:
        scheme = _forwarded(request, "X-Forwarded-Proto") or scheme
        host = _forwarded(request, "X-Forwarded-Host") or host
        port = _forwarded(request, "X-Forwarded-Port")
        if port and not _has_port(host) and port != DEFAULT_PORTS.get(scheme):
            host = f"{host}:{port}"
        prefix = _forwarded(request, "X-Forwarded-Prefix").rstrip("/")
    root = quote(prefix or request.root_path, safe=_PATH_SAFE)
    return f"{scheme}://{host}{root}{tail}"


def _forwarded(request: Request, header: str) -> str:
    """The value our own proxy added: the last of a comma-separated list."""
    values = request.headers.get(header, "")
    return values.split(",")[-1].strip() if values else ""


def _has_port(host: str) -> bool:
    return host.rsplit("]", 1)[-1].count(":") == 1
