"""One FastAGI session over a TCP socket, with pyst2's ``AGI`` as the protocol layer.

pyst2 is written for an AGI script on stdin/stdout; this module adapts it to a
FastAGI socket without forking it:

- ``AGI.__init__`` installs a SIGHUP handler, which Python refuses off the main
  thread, and writes debug text to stderr: :class:`Channel` skips it.
- In FastAGI there is no SIGHUP: Asterisk writes ``HANGUP`` on a line of its own
  when the caller hangs up (before the result of the command then running).
  pyst2 does not parse it (``int('')`` fails), so :class:`SocketLines` takes it
  out of the stream and remembers it.
- pyst2 writes ``str``; a socket takes bytes: :class:`SocketLines` encodes.
- pyst2 formats a debug dump of every result (``pprint``) even when nobody
  reads it: :meth:`Channel.get_result` parses the common ``200`` reply itself,
  with pyst2's own patterns and rules, and hands any other reply to pyst2.
- After a hang-up Asterisk answers every command with ``511 Command Not
  Permitted on a dead channel or intercept routine``; pyst2 raises a generic
  error for it, turned here into :class:`ChannelHungUp`.
"""

from __future__ import annotations

import socket
from typing import Any, cast

from asterisk.agi import AGI, AGIAppError, AGIError, AGIHangup, AGIResultHangup, re_code, re_kv

from ivr.agi.exceptions import ChannelHungUp, ProtocolError

MAX_LINE = 8192  # an AGI line is far shorter; a longer one is not Asterisk
DEAD_CHANNEL = 511


class SocketLines:
    """The socket as pyst2 wants it: ``readline() -> str``, ``write(str)``, ``flush()``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self.hung_up = False
        self._back: list[str] = []

    def unread(self, line: str) -> None:
        """Give a line back: the next ``readline`` returns it."""
        self._back.append(line)

    def readline(self) -> str:
        """The next line from Asterisk that is not a ``HANGUP`` notice.

        :raises ChannelHungUp: when the connection is closed.
        :raises ProtocolError: for a line too long or not text.
        """
        if self._back:
            return self._back.pop()
        while True:
            try:
                raw = self._reader.readline(MAX_LINE + 1)
            except (TimeoutError, OSError) as exc:
                raise ChannelHungUp(f"socket: {exc}") from exc
            if not raw:
                raise ChannelHungUp("Asterisk closed the connection")
            if len(raw) > MAX_LINE:
                raise ProtocolError("line longer than any AGI line")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError(f"line is not UTF-8: {raw[:40]!r}") from exc
            if line.strip() == "HANGUP":
                self.hung_up = True
                continue
            return line

    def write(self, text: str) -> None:
        try:
            self._sock.sendall(text.encode("utf-8"))
        except OSError as exc:
            raise ChannelHungUp(f"socket: {exc}") from exc

    def flush(self) -> None:
        """Nothing is buffered: ``write`` sends at once."""

    def close(self) -> None:
        self._reader.close()


class _Quiet:
    """Where pyst2's debug writes go."""

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


class Channel(AGI):
    """pyst2's AGI bound to a FastAGI socket; hang-ups of every kind raise ChannelHungUp."""

    def __init__(self, sock: socket.socket) -> None:  # pyst2's __init__ is not called: see above
        self.lines = SocketLines(sock)
        self.stdin = self.lines
        self.stdout = self.lines
        self.stderr = _Quiet()
        self._got_sighup = False
        self.env: dict[str, str] = {}
        self._read_environment()

    def _read_environment(self) -> None:
        """The ``agi_*: value`` block Asterisk sends first, ended by an empty line."""
        while True:
            line = self.lines.readline().strip()
            if not line:
                break
            key, sep, value = line.partition(":")
            if not sep or not key.startswith("agi_"):
                raise ProtocolError(f"not an AGI environment line: {line[:60]!r}")
            self.env[key.strip()] = value.strip()

    @property
    def script(self) -> str:
        """The path of ``agi://host:port/script`` that Asterisk asked for."""
        return self.env.get("agi_network_script", "").strip("/")

    def test_hangup(self) -> None:
        if self.lines.hung_up:
            raise ChannelHungUp("Asterisk sent HANGUP")

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]:
        """Send one command; its parsed result, or ChannelHungUp / ProtocolError."""
        self.test_hangup()
        try:
            result = super().execute(command, *args)
        except AGIHangup as exc:
            raise ChannelHungUp(str(exc)) from exc
        except AGIAppError as exc:  # result=-1: the application failed, the channel is gone
            raise ChannelHungUp(f"{command}: result=-1") from exc
        except AGIError as exc:
            if exc.args and exc.args[0] == DEAD_CHANNEL:
                raise ChannelHungUp(f"{command}: 511 dead channel") from exc
            raise ProtocolError(f"{command}: {exc}") from exc
        except ValueError as exc:  # pyst2's int() of a line that is not "NNN ..."
            raise ProtocolError(f"{command}: unparsable reply") from exc
        self.test_hangup()
        return result

    def get_result(self, stdin: Any = None) -> dict[str, tuple[str, str]]:
        """pyst2's ``get_result`` for a ``200`` reply, without its debug dump; pyst2's otherwise."""
        line = self.lines.readline()
        code, response = re_code.search(line.strip()).groups()  # type: ignore[union-attr]
        if code != "200":
            self.lines.unread(line)
            return cast(dict[str, tuple[str, str]], super().get_result())
        result = {"result": ("", "")}
        for key, value, data in re_kv.findall(response):
            result[key] = (value, data)
            if data == "hangup":
                raise AGIResultHangup("User hungup during execution")
            if key == "result" and value == "-1":
                raise AGIAppError("Error executing application, or hangup")
        return result

    def close(self) -> None:
        self.lines.close()
