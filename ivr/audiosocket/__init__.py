"""Asterisk's AudioSocket: the caller's audio streamed live to Hotline's recogniser."""

from ivr.audiosocket.server import AudioSocketServer, Heard, Listening

__all__ = ["AudioSocketServer", "Heard", "Listening"]
