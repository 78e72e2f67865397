"""What can go wrong talking to Asterisk's manager port.

AMIError
├── AMIUnreachable      the port cannot be reached, or the session dropped or went silent
├── AMILoginRefused     Asterisk refused our username and secret (manager.conf)
└── AMIProtocolError    the peer is not an Asterisk manager, or answered what AMI does not
"""


class AMIError(Exception):
    """Base of the AMI adapter's errors."""


class AMIUnreachable(AMIError):
    """No session: the port is closed or unreachable, or the connection dropped."""


class AMILoginRefused(AMIError):
    """``Action: Login`` was answered ``Response: Error`` (wrong user or secret)."""


class AMIProtocolError(AMIError):
    """The peer did not greet as ``Asterisk Call Manager/x.y.z`` or answered out of protocol."""
