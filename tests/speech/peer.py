"""A peer that speaks AudioSocket as Asterisk's app_audiosocket does, byte for byte:
``01 00 10`` + the 16 uuid bytes, then ``10 01 40`` + 320 bytes of slin every 20 ms,
and ``00 00 00`` (or just closing the socket) at hangup."""

from __future__ import annotations

import socket
import uuid

FRAME = 320  # 20 ms at 8 kHz, 16-bit


class AsteriskLeg:
    """One AudioSocket() connection from Asterisk's side."""

    def __init__(self, port: int, call: uuid.UUID | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.call = call

    def send_uuid(self) -> None:
        assert self.call is not None
        self.sock.sendall(b"\x01\x00\x10" + self.call.bytes)

    def send_audio(self, pcm: bytes) -> None:
        """``pcm`` cut into 320-byte frames, as Asterisk sends it (the last may be short)."""
        for start in range(0, len(pcm), FRAME):
            chunk = pcm[start : start + FRAME]
            try:
                self.sock.sendall(bytes([0x10]) + len(chunk).to_bytes(2, "big") + chunk)
            except (BrokenPipeError, ConnectionResetError):
                return  # the server ended the leg (it has heard enough), as Asterisk would see

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def hang_up(self) -> None:
        self.sock.sendall(b"\x00\x00\x00")

    def received(self) -> bytes:
        """Everything the server sent until it closed the connection."""
        data = b""
        try:
            while chunk := self.sock.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass  # the server closed with our bytes unread: the kernel resets
        return data

    def close(self) -> None:
        self.sock.close()
