"""What can go wrong on a FastAGI session.

AGIChannelError
├── ChannelHungUp      the caller hung up (HANGUP line, result=-1, 511, or the socket closed)
└── ProtocolError      Asterisk (or something pretending to be it) sent what AGI does not allow
"""


class AGIChannelError(Exception):
    """Base of the FastAGI adapter's errors."""


class ChannelHungUp(AGIChannelError):
    """The caller is gone: no command will reach the channel any more."""


class ProtocolError(AGIChannelError):
    """A line from the peer that the AGI protocol does not allow."""
