"""The AMI listener: keeps one session with Asterisk up, in a thread of its own.

Asterisk restarts, networks drop, secrets get changed: the listener logs in
again with exponential backoff (with jitter, so that several listeners do not
knock together), pings Asterisk so that a silent peer is noticed, and reports
its state for health checks. Events go to ``on_event`` on pyst2's dispatch
thread, one at a time, in Asterisk's order.

What Asterisk sends while we are not logged in is lost: AMI keeps no history.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ivr.ami.connection import CONNECT_TIMEOUT_S, LOGOFF_GRACE_S, AMIConnection
from ivr.ami.events import ManagerEvent
from ivr.ami.exceptions import AMIError, AMILoginRefused
from ivr.ami.settings import AMISettings
from models import utcnow

log = logging.getLogger(__name__)

PING_INTERVAL_S = 15.0
SILENCE_PINGS = 3  # a peer silent for this many ping intervals is gone
BACKOFF_INITIAL_S = 1.0
BACKOFF_MAX_S = 60.0
JITTER = 0.2


class AMIListener:
    """Logs in to Asterisk's manager port and hands each followed event to ``on_event``."""

    def __init__(
        self,
        *,
        settings: AMISettings,
        event_names: Iterable[str],
        on_event: Callable[[ManagerEvent], None],
        ping_interval: float = PING_INTERVAL_S,
        backoff_initial: float = BACKOFF_INITIAL_S,
        backoff_max: float = BACKOFF_MAX_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.settings = settings
        self.event_names = tuple(event_names)
        self.on_event = on_event
        self.ping_interval = ping_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.connect_timeout = connect_timeout
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._current: AMIConnection | None = None
        self._thread: threading.Thread | None = None
        self.connected = False
        self.connected_since: dt.datetime | None = None
        self.last_error = ""
        self.failures = 0  # consecutive failed attempts to log in

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def start(self) -> None:
        """Start the listener's thread (once)."""
        if self._thread is not None:
            raise RuntimeError("the AMI listener was already started")
        self._thread = threading.Thread(target=self._run, name="ami-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Log off and end the thread, within about a second (at most ``timeout``)."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            current, logged_in = self._current, self.connected
        if current is not None and not logged_in:  # a login under way: Asterisk delays a refusal
            current.abort()
        if self._thread is None or self._thread is threading.current_thread():
            return
        self._thread.join(min(timeout, LOGOFF_GRACE_S + 0.5))
        if self._thread.is_alive():  # Asterisk answers neither Ping nor Logoff: do not wait
            with self._lock:
                current = self._current
            if current is not None:
                current.abort()
            self._thread.join(max(timeout - LOGOFF_GRACE_S - 0.5, 0.1))

    def health(self) -> dict[str, Any]:
        """The listener's state for ``/healthz`` and logs."""
        return {
            "server": str(self.settings),
            "running": self.running,
            "connected": self.connected,
            "connected_since": self.connected_since.isoformat() if self.connected_since else None,
            "failures": self.failures,
            "last_error": self.last_error,
        }

    def _run(self) -> None:
        log.info("AMI listener for %s started", self.settings)
        while not self._stopping.is_set():
            self._wake.clear()
            connection = AMIConnection(
                self.settings,
                event_names=self.event_names,
                on_event=self.on_event,
                on_end=self._wake.set,
                connect_timeout=self.connect_timeout,
                read_timeout=self.ping_interval * SILENCE_PINGS,
            )
            with self._lock:
                if self._stopping.is_set():
                    break
                self._current = connection
            try:
                if self._open(connection):
                    self._serve(connection)
                    connection.close(logoff=self._stopping.is_set())
                else:
                    connection.close(logoff=False)
            except Exception:  # our bug must not end the listening: start over
                log.exception("AMI listener: unexpected error; starting over")
                self.last_error = "unexpected error (see the log)"
                connection.abort()
            finally:
                with self._lock:
                    self._current = None
            if not self._stopping.is_set():
                self._stopping.wait(self._delay())
        log.info("AMI listener for %s stopped", self.settings)

    def _open(self, connection: AMIConnection) -> bool:
        try:
            connection.open()
        except AMIError as exc:
            if self._stopping.is_set():
                return False
            self.failures += 1
            self.last_error = str(exc)
            level = logging.ERROR if isinstance(exc, AMILoginRefused) else logging.WARNING
            log.log(level, "AMI: %s (attempt %d; trying again)", exc, self.failures)
            return False
        self.failures = 0
        with self._lock:
            self.connected, self.connected_since = True, utcnow()
        log.info("AMI: logged in to %s", self.settings)
        return True

    def _serve(self, connection: AMIConnection) -> None:
        """Ping every ``ping_interval`` until the session ends or the listener stops."""
        reason = (
            f"the session ended (closed by Asterisk, or silent for "
            f"{self.ping_interval * SILENCE_PINGS:g} s)"
        )
        try:
            while not self._stopping.is_set():
                if self._wake.wait(self.ping_interval):
                    self._wake.clear()
                    if self._stopping.is_set() or not connection.alive:
                        break
                    continue
                connection.ping()
        except AMIError as exc:
            reason = str(exc)
        finally:
            with self._lock:
                self.connected, self.connected_since = False, None
        if not self._stopping.is_set():
            self.last_error = reason
            log.warning("AMI: %s: %s; logging in again", self.settings, reason)

    def _delay(self) -> float:
        """Seconds before the next attempt: short after a drop, doubling while attempts fail."""
        base = self.backoff_initial * 2 ** max(self.failures - 1, 0)
        return min(base, self.backoff_max) * random.uniform(1 - JITTER, 1 + JITTER)
