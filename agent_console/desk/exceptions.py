"""What the desk refuses, each with the message the agent sees (already translated).

DeskError                 409 unless said otherwise
├── PresenceRefused       this presence cannot be set now (on a call, wrap-up pending)
├── NotOffered            the call is not (or no longer) offered to this agent
├── CallerGone            the caller hung up before the answer
├── WrapUpRefused         400: no disposition, no notes, or not this agent's call
└── Refused               400: a search, attachment or new resident out of scope or incomplete
"""

from __future__ import annotations


class DeskError(Exception):
    """Base of the desk's refusals; ``str(exc)`` is for the agent."""

    status = 409


class PresenceRefused(DeskError):
    """The presence asked for cannot be set now."""


class NotOffered(DeskError):
    """The call is not, or no longer, offered to this agent."""


class CallerGone(DeskError):
    """The caller hung up before the agent answered."""


class WrapUpRefused(DeskError):
    """The wrap-up is incomplete, or not this agent's to give."""

    status = 400


class Refused(DeskError):
    """An attachment or a new resident the desk refuses (out of scope, incomplete)."""

    status = 400
