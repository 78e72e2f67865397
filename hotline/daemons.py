"""The long-running parts, started and stopped together: FastAGI, AMI, the call spool.

``hotline serve`` runs them all beside the web app in one process; ``hotline agi``
and ``hotline ami`` run one part each when scaled out.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import Engine

from audio.speech import SpeechService
from hotline.bus import EventBus, make_bus
from hotline.config import Config
from hotline.exceptions import ConfigError
from hotline.process import settle
from ivr.agi.server import FastAGIServer
from ivr.agi.service import build_server, spool_dir, start_spool_replayer, start_workers
from ivr.agi.workers import WorkerPool
from ivr.ami.listener import AMIListener
from ivr.ami.pause import PauseSync
from ivr.ami.service import build_listener, build_pause_sync
from ivr.audiosocket import AudioSocketServer
from ivr.dispatch.plugin import install
from ivr.dispatch.services import DispatcherThread

if TYPE_CHECKING:
    from ivr.dialer.services import DialerThread

log = logging.getLogger(__name__)


class Daemons:
    """The background parts of one process; a context manager that stops them all."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.bus: EventBus = make_bus(config)
        self.agi: FastAGIServer | None = None
        self.agi_workers: WorkerPool | None = None
        self.ami: AMIListener | None = None
        self.pauses: PauseSync | None = None
        self.dispatcher: DispatcherThread | None = None
        self.dialer: DialerThread | None = None
        self.speech: SpeechService | None = None
        self.audiosocket: AudioSocketServer | None = None
        self._stop = threading.Event()

    def start_spool(self) -> None:
        """Write call records spooled during a database outage, every few seconds."""
        start_spool_replayer(self.engine, spool_dir(self.config), self._stop)

    def start_agi(self, host: str | None = None, port: int | None = None) -> FastAGIServer:
        """Serve FastAGI in a background thread, hearing spoken menus when
        :meth:`start_audiosocket` ran first (its model and server).

        :raises ConfigError: when the address cannot be listened on (e.g. in use).
        """
        try:
            self.agi = build_server(
                self.config,
                self.engine,
                host=host,
                port=port,
                speech=self.speech,
                audiosocket=self.audiosocket,
                bus=self.bus,
            )
        except OSError as exc:
            raise self._cannot_listen(host, port, exc) from exc
        self.agi.start()
        return self.agi

    def start_agi_workers(
        self, workers: int, host: str | None = None, port: int | None = None
    ) -> WorkerPool:
        """Serve FastAGI in ``workers`` processes on one socket, replacing any that dies.

        :raises ConfigError: when the address cannot be listened on (e.g. in use).
        """
        try:
            self.agi_workers = start_workers(self.config, workers, host=host, port=port)
        except OSError as exc:
            raise self._cannot_listen(host, port, exc) from exc
        self.agi_workers.supervise(self._stop)
        return self.agi_workers

    def _cannot_listen(self, host: str | None, port: int | None, exc: OSError) -> ConfigError:
        where = f"{host or self.config.agi_host}:{self.config.agi_port if port is None else port}"
        return ConfigError(
            f"cannot listen for FastAGI on {where}: {exc.strerror or exc}; "
            "set HOTLINE_AGI_PORT (or --port) to a free port"
        )

    def start_ami(self) -> AMIListener | None:
        """Listen to Asterisk's manager interface when ``HOTLINE_AMI_URL`` is set, and carry
        agents' pauses to app_queue (``QueuePause``)."""
        self.ami = build_listener(self.config, self.engine, self.bus)
        if self.ami is not None:
            self.ami.start()
            self.pauses = build_pause_sync(self.config, self.engine, self.bus)
            if self.pauses is not None:
                self.pauses.start()
        return self.ami

    def start_audiosocket(self) -> AudioSocketServer | None:
        """Load the speech model once; serve AudioSocket when a model and a port are set.

        :raises ConfigError: when the AudioSocket address cannot be listened on.
        """
        if self.speech is None:
            self.speech = SpeechService.from_config(self.config)
        port = self.config.audiosocket_port
        if not self.speech.enabled or not port:
            return None
        try:
            server = AudioSocketServer((self.config.audiosocket_host, port), speech=self.speech)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen for AudioSocket on {self.config.audiosocket_host}:{port}: "
                f"{exc.strerror or exc}; set HOTLINE_AUDIOSOCKET_PORT to a free port (0: off)"
            ) from exc
        self.speech.parts["audiosocket"] = server.health
        self.audiosocket = server
        server.start()
        return server

    def start_recordings(self) -> threading.Thread | None:
        """Every ``HOTLINE_RECORDINGS_COLLECT_S`` seconds, keep the recordings calls left and,
        with the speech model (:meth:`start_audiosocket` loads it), transcribe them."""
        interval = self.config.recordings_collect_s
        if interval <= 0:
            return None
        from audio.commands import collect
        from models.db import session_factory

        sessions = session_factory(self.engine)

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    with sessions() as session:
                        done = collect(session, self.config, self.speech)
                    if done.stored or done.failed:
                        log.info(
                            "recordings: %d kept, %d transcribed, %d not kept",
                            len(done.stored),
                            done.transcribed,
                            len(done.failed),
                        )
                except Exception:
                    log.exception("collecting recordings failed; will try again")

        thread = threading.Thread(target=loop, name="recordings", daemon=True)
        thread.start()
        return thread

    def start_dispatcher(self, app: Flask) -> DispatcherThread:
        """Offer waiting callers and callbacks to available agents, in priority order."""
        self.dispatcher = install(app, self.config)
        self.dispatcher.start()
        return self.dispatcher

    def start_dialer(self, app: Flask | None = None) -> DialerThread:
        """Place the calls of due surveys and campaigns (``app``: the simulator's rings).

        :raises ConfigError: the chosen provider lacks its settings.
        """
        from ivr.dialer.plugin import build_thread

        self.dialer = build_thread(self.config, self.engine, app=app, bus=self.bus)
        self.dialer.start()
        return self.dialer

    def wait(self) -> None:
        """Block until interrupted (Ctrl-C or SIGTERM turned into KeyboardInterrupt).

        Everything is started by now: the process settles (:func:`hotline.process.settle`).
        """
        settle()
        try:
            self._stop.wait()
        except KeyboardInterrupt:
            pass

    def close(self) -> None:
        """Stop every part that was started."""
        self._stop.set()
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self.dialer is not None:
            self.dialer.stop()
        if self.ami is not None:
            self.ami.stop()
        if self.pauses is not None:
            self.pauses.stop()
        if self.agi is not None:
            self.agi.shutdown()
            self.agi.server_close()
        if self.agi_workers is not None:
            self.agi_workers.stop()
        if self.audiosocket is not None:
            self.audiosocket.shutdown()
            self.audiosocket.server_close()
        if self.speech is not None:
            self.speech.close()
        self.bus.close()

    def __enter__(self) -> Daemons:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
