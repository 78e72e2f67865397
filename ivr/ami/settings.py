"""Where Asterisk's manager port is and how we log in: ``HOTLINE_AMI_URL`` parsed."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import unquote, urlsplit

from hotline.exceptions import ConfigError

DEFAULT_PORT = 5038  # manager.conf [general] port
USAGE = (
    "expected ami://USER:SECRET@HOST:5038 (the [USER] section of manager.conf and its "
    "secret; percent-encode @ : / # ? in the secret)"
)


@dataclasses.dataclass(frozen=True)
class AMISettings:
    """The manager port and the credentials of one ``[user]`` of manager.conf."""

    host: str
    port: int
    username: str
    secret: str = dataclasses.field(repr=False)

    def __str__(self) -> str:
        """The URL without the secret, for logs and health checks."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ami://{self.username}@{host}:{self.port}"


def _redact(url: str) -> str:
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def parse_ami_url(url: str) -> AMISettings:
    """Parse ``ami://user:secret@host[:port]``.

    :raises ConfigError: naming what is wrong, without repeating the secret.
    """

    def bad(reason: str) -> ConfigError:
        return ConfigError(f"HOTLINE_AMI_URL {_redact(url)!r} is not valid: {reason}; {USAGE}")

    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise bad(str(exc)) from None
    if port == 0:
        raise bad("port 0")
    if parts.scheme != "ami":
        raise bad(f"the scheme is {parts.scheme or 'missing'!r}, not 'ami'")
    if not parts.hostname:
        raise bad("no host")
    if not parts.username:
        raise bad("no user")
    if parts.password is None or parts.password == "":
        raise bad("no secret")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad(
            "a path, query or fragment is not allowed (was a character of the secret "
            "left unencoded?)"
        )
    return AMISettings(
        host=parts.hostname,
        port=port or DEFAULT_PORT,
        username=unquote(parts.username),
        secret=unquote(parts.password),
    )
