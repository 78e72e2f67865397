"""An Asterisk manager port that speaks AMI byte for byte as Asterisk 20's manager.c does.

- On connect: the banner ``Asterisk Call Manager/9.0.0`` on a line of its own.
- ``Action: Login``: ``Response: Success`` / ``Message: Authentication accepted``,
  then ``Event: FullyBooted``; with a wrong secret Asterisk waits a second,
  answers ``Response: Error`` / ``Message: Authentication failed`` and closes
  the connection (``login_delay`` sets the wait).
- ``Action: Ping``: ``Response: Success``, ``Ping: Pong``, ``Timestamp: …``.
- ``Action: Logoff``: ``Response: Goodbye`` / ``Message: Thanks for all the fish.``,
  then the connection is closed.
- ``Action: QueuePause``: ``Response: Success`` / ``Message: Interface paused successfully``
  (or ``unpaused``) for a member of ``queue_members``, else ``Response: Error`` /
  ``Message: Interface not found`` (app_queue's manager_queue_member_pause).
- ``Action: Originate``: without ``Channel``, ``Response: Error`` / ``Message: Channel not
  specified``; with ``Async: true``, ``Response: Success`` / ``Message: Originate
  successfully queued``, then the event ``OriginateResponse`` (class ``call``, to every
  logged-in session, as manager_event does) with the action's ``ActionID``, ``Response``
  ``Success`` or ``Failure`` and ``Reason`` (``AST_CONTROL_*``: 4 answered, 0 not reached,
  3 rang out, 5 busy, 8 congestion) from ``originate_results`` by dial string (default
  answered).
- Any action before logging in: ``Response: Error`` / ``Message: Authentication Required``.
- Every response echoes the action's ``ActionID``; every message ends with an empty line.

Tests drive it with :meth:`FakeAsterisk.emit` (an event to every logged-in
session), :meth:`drop` (every session cut, as when Asterisk restarts) and
``mute`` (answer nothing, as a hung Asterisk or a half-open connection).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Sequence

BANNER = "Asterisk Call Manager/9.0.0\r\n"
Fields = Sequence[tuple[str, str]]


def message(fields: Fields) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode("utf-8")


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.lock = threading.Lock()
        self.logged_in = False

    def send(self, data: bytes) -> None:
        with self.lock:
            self.wfile.write(data)
            self.wfile.flush()

    def handle(self) -> None:
        fake = self.server.fake
        fake._opened(self)
        try:
            self.send(BANNER.encode())
            while True:
                action = self._read_action()
                if action is None:
                    return
                if not self._answer(fake, action):
                    return
        except OSError:
            return
        finally:
            fake._closed(self)

    def _read_action(self) -> dict[str, str] | None:
        fields: dict[str, str] = {}
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            text = line.decode("utf-8").rstrip("\r\n")
            if not text:
                if fields:
                    return fields
                continue
            key, _, value = text.partition(":")
            fields[key.strip()] = value.strip()

    def _answer(self, fake: FakeAsterisk, action: dict[str, str]) -> bool:
        """Answer one action; False to close the connection."""
        name = action.get("Action", "")
        fake.actions.append(action)
        if fake.mute:
            return True
        echo = [("ActionID", action["ActionID"])] if "ActionID" in action else []
        if name.lower() == "login":
            if action.get("Username") == fake.username and action.get("Secret") == fake.secret:
                self.logged_in = True  # as manager.c: authenticated, then the answer
                fake._logged_in(self)
                self.send(
                    message(
                        [("Response", "Success"), *echo, ("Message", "Authentication accepted")]
                    )
                )
                self.send(
                    message(
                        [
                            ("Event", "FullyBooted"),
                            ("Privilege", "system,all"),
                            ("Uptime", "152"),
                            ("LastReload", "152"),
                            ("Status", "Fully Booted"),
                        ]
                    )
                )
                return True
            fake._login_failed()
            fake._closing.wait(fake.login_delay)
            self.send(message([("Response", "Error"), *echo, ("Message", "Authentication failed")]))
            return False
        if not self.logged_in:
            self.send(
                message([("Response", "Error"), *echo, ("Message", "Authentication Required")])
            )
            return True
        if name.lower() == "ping":
            self.send(
                message(
                    [
                        ("Response", "Success"),
                        *echo,
                        ("Ping", "Pong"),
                        ("Timestamp", f"{time.time():.6f}"),
                    ]
                )
            )
            return True
        if name.lower() == "queuepause":
            interface = action.get("Interface", "")
            if interface not in fake.queue_members:
                self.send(
                    message([("Response", "Error"), *echo, ("Message", "Interface not found")])
                )
                return True
            done = (
                "paused" if action.get("Paused", "").lower() in ("true", "yes", "1") else "unpaused"
            )
            self.send(
                message(
                    [("Response", "Success"), *echo, ("Message", f"Interface {done} successfully")]
                )
            )
            return True
        if name.lower() == "originate":
            self._originate(fake, action, echo)
            return True
        if name.lower() == "logoff":
            self.send(
                message([("Response", "Goodbye"), *echo, ("Message", "Thanks for all the fish.")])
            )
            return False
        self.send(message([("Response", "Error"), *echo, ("Message", "Invalid/unknown command")]))
        return True

    def _originate(
        self, fake: FakeAsterisk, action: dict[str, str], echo: list[tuple[str, str]]
    ) -> None:
        channel = action.get("Channel", "")
        if not channel:
            self.send(message([("Response", "Error"), *echo, ("Message", "Channel not specified")]))
            return
        self.send(
            message([("Response", "Success"), *echo, ("Message", "Originate successfully queued")])
        )
        response, reason = fake.originate_results.get(channel, ("Success", 4))
        fake.emit(
            [
                ("Event", "OriginateResponse"),
                ("Privilege", "call,all"),
                *echo,
                ("Response", response),
                ("Channel", channel),
                ("Context", action.get("Context", "")),
                ("Exten", action.get("Exten", "")),
                ("Reason", str(reason)),
                (
                    "Uniqueid",
                    action.get("ChannelId", "<null>") if response == "Success" else "<null>",
                ),
                ("CallerIDNum", "<unknown>"),
                ("CallerIDName", "<unknown>"),
            ]
        )


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False  # server_close() waits for every session to end
    fake: FakeAsterisk


class FakeAsterisk:
    """The manager port of an Asterisk 20 on 127.0.0.1, on a free port."""

    def __init__(
        self, *, username: str = "hotline", secret: str = "s3cret", login_delay: float = 0.0
    ) -> None:
        self.username = username
        self.secret = secret
        self.login_delay = login_delay
        self.mute = False
        self.actions: list[dict[str, str]] = []
        self.queue_members: set[str] = set()  # interfaces in some queue: QueuePause finds them
        # Originate's outcome per dial string: (Response, Reason) of its OriginateResponse.
        self.originate_results: dict[str, tuple[str, int]] = {}
        self.logins = 0
        self.failed_logins = 0
        self.login_times: list[float] = []  # time.monotonic() of each Login, accepted or not
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._sessions: list[_Session] = []
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-ami"
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"ami://{self.username}:{self.secret}@127.0.0.1:{self.port}"

    def emit(self, fields: Fields) -> None:
        """Send one event to every logged-in session."""
        data = message(fields)
        with self._cond:
            sessions = [s for s in self._sessions if s.logged_in]
        assert sessions, "no AMI session is logged in"
        for session in sessions:
            session.send(data)

    def drop(self) -> None:
        """Cut every session, as Asterisk does when it restarts."""
        with self._cond:
            sessions = list(self._sessions)
        for session in sessions:
            try:
                session.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait(self, condition: Callable[[FakeAsterisk], bool], timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: condition(self), timeout):
                raise AssertionError(f"the fake Asterisk waited {timeout} s in vain")

    def sessions(self) -> int:
        with self._cond:
            return len(self._sessions)

    def close(self) -> None:
        self._closing.set()
        self.drop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeAsterisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _opened(self, session: _Session) -> None:
        with self._cond:
            self._sessions.append(session)
            self._cond.notify_all()

    def _closed(self, session: _Session) -> None:
        with self._cond:
            self._sessions.remove(session)
            self._cond.notify_all()

    def _logged_in(self, session: _Session) -> None:
        with self._cond:
            self.logins += 1
            self.login_times.append(time.monotonic())
            self._cond.notify_all()

    def _login_failed(self) -> None:
        with self._cond:
            self.failed_logins += 1
            self.login_times.append(time.monotonic())
            self._cond.notify_all()
