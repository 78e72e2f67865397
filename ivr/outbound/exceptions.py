"""What can go wrong placing an outbound call.

OutboundError
├── CallRejected         the provider refused this call (Twilio's 4xx): do not retry as is
└── ProviderUnavailable  the provider could not be asked or failed (5xx, 429, network): retry later
"""

from __future__ import annotations


class OutboundError(Exception):
    """Base of the outbound adapters' errors."""


class CallRejected(OutboundError):
    """The provider refused the call; ``code`` is its own error code (Twilio's, e.g. 21603).

    :param status: the HTTP status of the refusal (400, 401, 404 …), 0 when not over HTTP.
    """

    def __init__(self, message: str, *, code: int | None = None, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        code = f" (code {self.code})" if self.code is not None else ""
        return f"call rejected{code}: {self.message}"


class ProviderUnavailable(OutboundError):
    """The provider could not be reached or failed on its side; the same call may be retried."""
