"""FastAGI in several processes: one listening socket, N workers, a parent watching them.

A FastAGI call is CPU-bound Python (the flow, pyst2, SQLAlchemy) and Python runs
one thread at a time per process, so one process uses one core however many
calls it holds. ``hotline agi --workers N`` listens once and hands the socket
to N worker processes (started fresh, not forked from a parent with threads),
each a :class:`~ivr.agi.server.FastAGIServer` with its own database engine. The
listening socket is non-blocking: the kernel wakes the workers waiting on it,
one accepts the call, the others find nothing and go back to waiting.

The parent serves no call. It replaces a worker that dies and spools the calls
that worker was in the middle of (:func:`ivr.recorder.recover_journals`: their
callers were queued by the dialplan's fallback). On stop, each worker stops
accepting and finishes its calls in progress for up to ``grace`` seconds.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from hotline.process import settle
from ivr.agi.server import FastAGIServer

log = logging.getLogger(__name__)

BuildServer = Callable[[socket.socket], FastAGIServer]  # picklable: a module-level function
GRACE_S = 30.0
BACKLOG = 512


def listen(host: str, port: int) -> socket.socket:
    """The listening socket the workers share (port 0: any free port).

    :raises OSError: when the address cannot be listened on (e.g. in use).
    """
    sock = socket.create_server((host, port), backlog=BACKLOG)
    sock.setblocking(False)  # several workers wait on it; those that lose the race move on
    return sock


def default_workers() -> int:
    """One worker per CPU the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerPool:
    """N worker processes serving FastAGI on one socket; a dead worker is replaced."""

    def __init__(
        self,
        listener: socket.socket,
        build: BuildServer,
        *,
        workers: int,
        on_worker_exit: Callable[[], object] | None = None,
        grace: float = GRACE_S,
    ) -> None:
        """:param build: makes a worker's server on the shared socket, in the worker.
        :param on_worker_exit: runs in the parent after a worker died (and was replaced)."""
        self.listener = listener
        self.build = build
        self.size = workers
        self.on_worker_exit = on_worker_exit
        self.grace = grace
        self.processes: list[BaseProcess] = []
        self.replaced = 0
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._stopping = False

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def start(self) -> None:
        """Start the workers (returns once they are started, not once they listen)."""
        with self._lock:
            while len(self.processes) < self.size:
                self.processes.append(self._spawn())

    def _spawn(self) -> BaseProcess:
        process = self._ctx.Process(
            target=run_worker,
            args=(self.listener, self.build, os.getpid(), self.grace),
            name="fastagi-worker",
            daemon=False,
        )
        process.start()
        return process

    def check(self) -> int:
        """Replace the workers that have died; how many were."""
        with self._lock:
            if self._stopping:
                return 0
            dead = [p for p in self.processes if not p.is_alive()]
            for process in dead:
                process.join()
                log.error(
                    "FastAGI worker %s exited with %s; starting another",
                    process.pid,
                    process.exitcode,
                )
                self.processes[self.processes.index(process)] = self._spawn()
            self.replaced += len(dead)
        if dead and self.on_worker_exit is not None:
            self.on_worker_exit()
        return len(dead)

    def supervise(self, stop: threading.Event, interval: float = 1.0) -> threading.Thread:
        """Check the workers every ``interval`` seconds until ``stop`` is set."""

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.check()
                except Exception:
                    log.exception("FastAGI worker check failed; will try again")

        thread = threading.Thread(target=loop, name="fastagi-workers", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask every worker to stop (they finish their calls), then wait; kill the stragglers."""
        with self._lock:
            self._stopping = True
            for process in self.processes:
                if process.is_alive() and process.pid is not None:
                    os.kill(process.pid, signal.SIGTERM)
            for process in self.processes:
                process.join(self.grace + 5)
                if process.is_alive():
                    process.kill()
                    process.join()
        self.listener.close()


def run_worker(listener: socket.socket, build: BuildServer, parent: int, grace: float) -> None:
    """A worker process: serve until SIGTERM (or the parent is gone), then finish the calls."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    _worker_logging()
    server = build(listener)
    settle()
    thread = threading.Thread(target=server.serve_forever, name="fastagi", daemon=True)
    thread.start()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.error("FastAGI worker %s: the parent process is gone; stopping", os.getpid())
            break
    server.shutdown()
    if not server.wait_idle(grace):
        log.warning("FastAGI worker %s: stopping with calls in progress", os.getpid())


def _worker_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            format=f"%(asctime)s %(levelname)s %(name)s[{os.getpid()}] %(message)s",
        )
