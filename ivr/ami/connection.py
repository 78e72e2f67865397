"""One AMI session over pyst2's ``asterisk.manager.Manager``.

pyst2 stays the protocol layer: the banner, the framing of messages (with
``Response: Follows`` … ``--END COMMAND--``), header parsing, ActionIDs, telling
responses from events, and handing events to callbacks on a thread of its own.
What it gets wrong is worked around here without forking it:

- Channel variables. With ``channelvars=HOTLINE_CALL_ID`` in manager.conf, Asterisk
  writes ``ChanVariable: HOTLINE_CALL_ID=12`` after a channel's fields, and
  ``DestChanVariable: HOTLINE_CALL_ID=`` for the second channel of an event about
  two (the agent's, in the Agent* events); Asterisk 1.8–11 wrote
  ``ChanVariable(PJSIP/trunk-00000065): NAME=value``. pyst2 folds every header whose
  name contains "ChanVariable" into one dict, so the agent's empty value would
  overwrite the caller's; and on Python 3 it crashes on the first one
  (``dict.has_key``), which kills its reader thread. :func:`_parse` takes those
  lines out before pyst2 parses the rest, and keeps one dict per channel prefix.
- ``Thread.setDaemon``, ``Event.isSet`` and ``threading.currentThread`` are
  deprecated since Python 3.10 (errors under ``-W error``). ``__init__``,
  ``message_loop`` and ``close`` are ours; the flags are :class:`_Flag`, which
  still answers ``isSet``.
- ``connect`` has no timeout (an unreachable host blocks for minutes) and reads
  the socket unbuffered, one ``recv`` per byte. :meth:`_Manager.open` connects
  with a timeout, reads through a buffer, and sets a read timeout of a few ping
  intervals, so a peer that went silent (a half-open TCP connection) ends the
  session like a closed one.
- A callback that raises ends pyst2's dispatch thread silently, and no event is
  delivered after it: ours catches everything.
- ``send_action`` waits for "the next response" with no timeout (responses are
  matched by order, not ActionID). If the connection dies just as an action is
  sent, nothing would wake it: when our message loop ends it leaves one more
  ``None`` for such a late caller. Only the listener's thread sends actions.
- ``close`` logs off and waits for Asterisk's ``Goodbye`` without limit, and
  ``__del__`` calls it from whatever thread collects the object. Ours logs off
  with a deadline, then shuts the socket; ``__del__`` does nothing.
- ``send_action(cdict={})``: the default dict is shared between calls and
  mutated; we always pass a fresh one.
- Bytes that are not UTF-8 (a caller name from an old PBX in GBK) are dropped
  by pyst2's decoder, silently.
"""

from __future__ import annotations

import logging
import queue
import re
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from asterisk.manager import Event as PystEvent
from asterisk.manager import Manager, ManagerException, ManagerMsg

from ivr.ami.events import ManagerEvent
from ivr.ami.exceptions import AMILoginRefused, AMIProtocolError, AMIUnreachable
from ivr.ami.settings import AMISettings
from models import utcnow

log = logging.getLogger(__name__)

BANNER = "Asterisk Call Manager"  # the first line: "Asterisk Call Manager/9.0.0"
EVENT_CLASSES = "call,agent"  # Hangup is of class call; Queue* and Agent* of class agent
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 60.0
LOGOFF_GRACE_S = 1.0
JOIN_TIMEOUT_S = 5.0

_CHAN_VARIABLE = re.compile(r"(?P<prefix>[A-Za-z]*?)ChanVariable(\([^)]*\))?")


def _parse(lines: list[str]) -> ManagerMsg:
    """pyst2's parse of one message, with the channel variables kept per channel."""
    variables: dict[str, dict[str, str]] = {}
    rest: list[str] = []
    for n, line in enumerate(lines):
        key, colon, value = line.partition(":")
        if not (colon and line.endswith("\r\n")):  # the headers end here; data follows
            rest.extend(lines[n:])
            break
        if "ChanVariable" not in key:
            rest.append(line)
            continue
        header = _CHAN_VARIABLE.fullmatch(key.strip())  # anything else pyst2 would crash on
        name, equals, setting = value.strip().partition("=")
        if header and equals:
            variables.setdefault(header["prefix"], {})[name.strip()] = setting.strip()
    message = ManagerMsg(rest)
    for prefix, values in variables.items():
        message.headers[f"{prefix}ChanVariable"] = values  # the shape pyst2 meant, per channel
    return message


def _manager_event(event: PystEvent) -> ManagerEvent:
    headers = {k: v for k, v in event.headers.items() if isinstance(v, str)}
    variables = {
        k.removesuffix("ChanVariable"): dict(v)
        for k, v in event.headers.items()
        if isinstance(v, dict)
    }
    return ManagerEvent(name=event.name, headers=headers, variables=variables, received_at=utcnow())


class _Flag(threading.Event):
    """A threading.Event that answers pyst2's ``isSet()`` without a deprecation warning."""

    def isSet(self) -> bool:
        return self.is_set()


class _Manager(Manager):
    """pyst2's Manager with the pitfalls above worked around."""

    def __init__(self, on_end: Callable[[], None]) -> None:  # pyst2's is not called: see above
        self._sock: Any = None
        self._raw: socket.socket | None = None
        self.title: str | None = None
        self.version: str | None = None
        self._connected = _Flag()
        self._running = _Flag()
        self.hostname = socket.gethostname()
        self._message_queue: queue.Queue[list[str] | None] = queue.Queue()
        self._response_queue: queue.Queue[ManagerMsg | None] = queue.Queue()
        self._event_queue: queue.Queue[PystEvent | None] = queue.Queue()
        self._event_callbacks: dict[str, list[Callable[..., Any]]] = {}
        self._reswaiting: list[int] = []
        self._seqlock = threading.Lock()
        self._seq = 0
        self.message_thread = threading.Thread(
            target=self.message_loop, name="ami-messages", daemon=True
        )
        self.event_dispatch_thread = threading.Thread(
            target=self.event_dispatch, name="ami-events", daemon=True
        )
        self._on_end = on_end
        self.ended = threading.Event()  # the session is over: no more events or responses

    def __del__(self) -> None:
        """Nothing: pyst2's would log off from the garbage collector's thread."""

    def open(self, host: str, port: int, *, connect_timeout: float, read_timeout: float) -> None:
        """Connect and read the banner: pyst2's ``connect`` without its pitfalls.

        :raises AMIUnreachable: when the port cannot be reached or closes at once.
        :raises AMIProtocolError: when the peer does not greet as an Asterisk manager.
        """
        try:
            raw = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as exc:
            raise AMIUnreachable(f"cannot connect to {host}:{port}: {exc}") from exc
        raw.settimeout(read_timeout)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._raw = raw
        self._sock = raw.makefile("rwb")
        self._connected.set()
        self._running.set()
        self.message_thread.start()
        self.event_dispatch_thread.start()
        try:
            greeting = self._response_queue.get(timeout=connect_timeout)
        except queue.Empty:
            raise AMIProtocolError(
                f"{host}:{port} sent no banner within {connect_timeout:g} s"
            ) from None
        if greeting is None:
            raise AMIUnreachable(f"{host}:{port} closed the connection before its banner")
        if self.title != BANNER:
            raise AMIProtocolError(f"{host}:{port} is not an Asterisk manager port")

    def message_loop(self) -> None:
        """pyst2's loop sorting messages into responses and events, without ``setDaemon``."""
        reader = threading.Thread(target=self._receive_data, name="ami-reader", daemon=True)
        reader.start()
        try:
            while self._running.is_set():
                lines = self._message_queue.get()
                if not lines:
                    break
                try:
                    message = _parse(lines)
                except Exception:  # one bad message must not end the session
                    log.warning("AMI: could not parse %r; skipped", lines[:3], exc_info=True)
                    continue
                if message.has_header("Event"):
                    self._event_queue.put(PystEvent(message))
                elif message.has_header("Response"):
                    self._response_queue.put(message)
        finally:
            self._connected.clear()
            self._event_queue.put(None)
            for _ in range(len(self._reswaiting) + 1):  # and one for a caller still to wait
                self._response_queue.put(None)
            reader.join()
            self.ended.set()
            self._on_end()

    def abort(self) -> None:
        """End the session now: shut the socket so pyst2's reader sees its end; wait for it."""
        if self._raw is not None:
            try:
                self._raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in (self.message_thread, self.event_dispatch_thread):
            if thread.ident is not None and thread is not threading.current_thread():
                thread.join(JOIN_TIMEOUT_S)
        self._running.clear()
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        if self._raw is not None:
            self._raw.close()

    close = abort


class AMIConnection:
    """One logged-in AMI session; each event named in ``event_names`` goes to ``on_event``.

    ``on_event`` runs on pyst2's dispatch thread, one event at a time in the order
    Asterisk sent them; whatever it raises is logged and the next event still comes.
    ``on_end`` is called once, from pyst2's thread, when the session is over.
    """

    def __init__(
        self,
        settings: AMISettings,
        *,
        event_names: Iterable[str],
        on_event: Callable[[ManagerEvent], None],
        on_end: Callable[[], None] = lambda: None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
        events: str = EVENT_CLASSES,
    ) -> None:
        self.settings = settings
        self._events = events  # the Login's Events: "off" for a session that only acts
        self._on_event = on_event
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._manager = _Manager(on_end)
        for name in event_names:
            self._manager.register_event(name, self._dispatch)

    def open(self) -> None:
        """Connect, check the banner and log in.

        :raises AMIUnreachable: the port cannot be reached, or closed.
        :raises AMIProtocolError: the peer is not an Asterisk manager.
        :raises AMILoginRefused: Asterisk refused the username or secret.
        """
        s = self.settings
        self._manager.open(
            s.host, s.port, connect_timeout=self._connect_timeout, read_timeout=self._read_timeout
        )
        response = self._send(
            {"Action": "Login", "Username": s.username, "Secret": s.secret, "Events": self._events}
        )
        outcome = response.get_header("Response", "")
        if outcome == "Error":
            raise AMILoginRefused(f"{s} refused the login: {response.get_header('Message', '')}")
        if outcome != "Success":
            raise AMIProtocolError(f"{s} answered the login with {outcome!r}")

    @property
    def alive(self) -> bool:
        return self._manager.connected() and not self._manager.ended.is_set()

    def ping(self) -> None:
        """Ask Asterisk for a ``Pong``.

        :raises AMIUnreachable: when the session is gone or went silent.
        """
        response = self._send({"Action": "Ping"})
        if response.get_header("Response") != "Success":
            raise AMIProtocolError(f"{self.settings} answered Ping with {response!r}")

    def queue_pause(self, interface: str, paused: bool, reason: str = "") -> None:
        """Pause or unpause a queue member in every queue (app_queue's ``QueuePause``).

        Asterisk answers ``Interface paused successfully`` (or unpaused), or
        ``Response: Error`` / ``Interface not found`` for a member of no queue.

        :raises AMIProtocolError: when Asterisk refuses.
        :raises AMIUnreachable: when the session is gone.
        """
        action = {"Action": "QueuePause", "Interface": interface, "Paused": str(paused).lower()}
        if reason:
            action["Reason"] = reason
        response = self._send(action)
        if response.get_header("Response", "") != "Success":
            message = response.get_header("Message", "")
            raise AMIProtocolError(f"{self.settings}: QueuePause {interface}: {message}")

    def close(self, *, logoff: bool = True) -> None:
        """Log off (waiting at most a second for ``Goodbye``), then end the session."""
        if logoff and self.alive:
            deadline = threading.Timer(LOGOFF_GRACE_S, self._manager.abort)
            deadline.start()
            try:
                self._send({"Action": "Logoff"})
            except (AMIUnreachable, AMIProtocolError):
                pass
            finally:
                deadline.cancel()
                deadline.join()
        self._manager.abort()

    def abort(self) -> None:
        """End the session at once, without logging off (from any thread)."""
        self._manager.abort()

    def _send(self, action: dict[str, str]) -> ManagerMsg:
        """pyst2's ``send_action``, given a fresh dict each time."""
        try:
            response = self._manager.send_action(dict(action))
        except ManagerException as exc:
            raise AMIUnreachable(f"{self.settings}: {action['Action']}: {exc}") from exc
        except (OSError, ValueError) as exc:  # writing to a file pyst2's reader has closed
            raise AMIUnreachable(f"{self.settings}: {action['Action']}: {exc}") from exc
        return response

    def _dispatch(self, event: PystEvent, manager: Manager) -> None:
        """pyst2's callback; an exception here would end its dispatch thread."""
        try:
            self._on_event(_manager_event(event))
        except Exception:
            log.exception("AMI %s event could not be handled; going on", event.name)
