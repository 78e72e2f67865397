"""AudioSocket frames, as Asterisk's ``res_audiosocket.c`` reads and writes them.

Every message is a 3-byte header — kind (1 byte), payload length (2 bytes,
big-endian) — then the payload:

====  ==========  =========================================================
kind  name        payload
====  ==========  =========================================================
0x00  hangup      none; either side ends the session (Asterisk also ends it
                  by closing the socket)
0x01  uuid        16 raw bytes, the UUID given to ``AudioSocket(uuid,host:port)``;
                  always the first frame Asterisk sends
0x03  dtmf        1 byte, the key's ASCII character (newer Asterisk releases only)
0x10  audio       signed linear 16-bit little-endian mono at 8 kHz; Asterisk
                  sends one 20 ms frame (320 bytes) at a time
0xff  error       optional 1-byte code: 0x01 caller hung up, 0x02 frame
                  forwarding error, 0x04 memory error
====  ==========  =========================================================

Asterisk accepts only audio and hangup frames from the server; anything else
makes it drop the session.
"""

from __future__ import annotations

import dataclasses
import struct
import uuid
from collections.abc import Callable
from enum import IntEnum

from ivr.audiosocket.exceptions import ProtocolError

HEADER = struct.Struct(">BH")
SLIN_RATE = 8000
FRAME_BYTES = 320  # 20 ms of 8 kHz 16-bit audio, Asterisk's frame size


class Kind(IntEnum):
    """The message kinds of the AudioSocket protocol."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


@dataclasses.dataclass(frozen=True)
class Frame:
    """One AudioSocket message."""

    kind: Kind
    payload: bytes = b""

    def uuid(self) -> uuid.UUID:
        """The call's UUID carried by a uuid frame."""
        return uuid.UUID(bytes=self.payload)


def encode(kind: Kind, payload: bytes = b"") -> bytes:
    """The bytes of one frame."""
    if len(payload) > 0xFFFF:
        raise ValueError(f"an AudioSocket payload holds at most 65535 bytes, not {len(payload)}")
    return HEADER.pack(kind, len(payload)) + payload


def uuid_frame(call: uuid.UUID) -> bytes:
    """The first frame Asterisk sends: the UUID as 16 raw bytes."""
    return encode(Kind.UUID, call.bytes)


def read_frame(read_exactly: Callable[[int], bytes]) -> Frame | None:
    """The next frame, or None when the peer closed the socket between frames.

    ``read_exactly(n)`` returns exactly ``n`` bytes, or fewer at end of stream.

    :raises ProtocolError: on an unknown kind, a payload of the wrong size or a
        stream that ends inside a frame.
    """
    header = read_exactly(HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise ProtocolError("the stream ended inside a frame header")
    code, length = HEADER.unpack(header)
    try:
        kind = Kind(code)
    except ValueError:
        raise ProtocolError(f"unknown frame kind 0x{code:02x}") from None
    payload = read_exactly(length) if length else b""
    if len(payload) < length:
        raise ProtocolError(f"the stream ended inside a {kind.name} payload")
    _check(kind, payload)
    return Frame(kind, payload)


def _check(kind: Kind, payload: bytes) -> None:
    """Payload sizes the protocol fixes."""
    if kind is Kind.UUID and len(payload) != 16:
        raise ProtocolError(f"a uuid frame carries 16 bytes, not {len(payload)}")
    if kind is Kind.DTMF and len(payload) != 1:
        raise ProtocolError(f"a dtmf frame carries 1 byte, not {len(payload)}")
    if kind is Kind.AUDIO and (not payload or len(payload) % 2):
        raise ProtocolError(f"audio is whole 16-bit samples, not {len(payload)} bytes")
