"""The FastAGI server: where Asterisk's calls come in (``agi://host:4573/script``).

One thread per call; each call's AGI session runs its script synchronously and
returns to the dialplan, which queues the call with ``Queue()``. Several
processes can serve one listening socket (:mod:`ivr.agi.workers`).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ivr.agi.channel import Channel
from ivr.agi.exceptions import AGIChannelError

log = logging.getLogger(__name__)

Script = Callable[[Channel], None]

# How long to wait for Asterisk's reply to one command. GET DATA and RECORD FILE
# block for as long as the caller takes, within the timeouts the flow sets.
READ_TIMEOUT_S = 300.0


class FastAGIServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server that hands each FastAGI session to the script it names."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        scripts: Mapping[str, Script],
        unknown_script: Script,
        read_timeout: float = READ_TIMEOUT_S,
        listener: socket.socket | None = None,
    ) -> None:
        """:param unknown_script: runs for a script name we do not serve, so the call
        still reaches a queue.
        :param listener: a socket already listening (shared by worker processes);
        ``address`` is then ignored."""
        self.scripts = dict(scripts)
        self.unknown_script = unknown_script
        self.read_timeout = read_timeout
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(address, _Session, bind_and_activate=listener is None)
        if listener is not None:
            self.socket.close()
            self.socket = listener
            self.server_address = listener.getsockname()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._active += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no call is in progress (after ``shutdown``); False on the timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active <= 0, timeout)

    def start(self) -> threading.Thread:
        """Serve in a background thread (for ``hotline serve`` and tests)."""
        thread = threading.Thread(target=self.serve_forever, name="fastagi", daemon=True)
        thread.start()
        return thread


class _Session(socketserver.BaseRequestHandler):
    """One FastAGI connection: read the environment, run the script, close."""

    server: FastAGIServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self.server.read_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            channel = Channel(sock)
        except AGIChannelError as exc:
            log.warning("FastAGI from %s: no usable environment: %s", self.client_address, exc)
            return
        script = self.server.scripts.get(channel.script)
        if script is None:
            log.error("FastAGI script %r is not served here; using the fallback", channel.script)
            script = self.server.unknown_script
        try:
            script(channel)
        except AGIChannelError as exc:
            log.info("FastAGI %s ended: %s", channel.env.get("agi_uniqueid"), exc)
        except Exception:  # a script's own fault must not take the server down
            log.exception("FastAGI script %r failed", channel.script)
        finally:
            channel.close()
