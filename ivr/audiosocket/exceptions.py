"""What can go wrong on an AudioSocket connection.

AudioSocketError
├── ProtocolError   not AudioSocket frames (bad kind or length, audio before the uuid)
└── PeerError       Asterisk sent an error frame (kind 0xff), e.g. the caller hung up
"""


class AudioSocketError(Exception):
    """Base of the AudioSocket adapter's errors."""


class ProtocolError(AudioSocketError):
    """The peer sent something the AudioSocket protocol does not allow."""


class PeerError(AudioSocketError):
    """Asterisk reported an error on the channel (an error frame)."""
