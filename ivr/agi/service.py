"""Wiring: the FastAGI server with its scripts, built from the configuration."""

from __future__ import annotations

import functools
import logging
import socket
import threading
from pathlib import Path

from sqlalchemy import Engine

from audio.speech import SpeechService
from hotline.bus import EventBus
from hotline.config import Config
from ivr.agi.channel import Channel
from ivr.agi.inbound import InboundScript
from ivr.agi.recorded import RecordedSpeech
from ivr.agi.server import FastAGIServer
from ivr.agi.survey import SurveyScript
from ivr.agi.workers import WorkerPool, listen
from ivr.audiosocket import AudioSocketServer
from ivr.audiosocket.gather import SpeechGather
from ivr.recorder import recover_journals, replay_spool, spool_dir
from models.db import (
    checkpoint_in_background,
    make_engine,
    read_session_factory,
    session_factory,
)

log = logging.getLogger(__name__)

SPOOL_REPLAY_INTERVAL_S = 10.0


def queue_for_inquiry(channel: Channel) -> None:
    """For a script name we do not serve: the caller still reaches an agent."""
    channel.set_variable("HOTLINE_QUEUE", "inquiry")
    channel.set_variable("HOTLINE_PRIORITY", "10")


def build_server(
    config: Config,
    engine: Engine,
    *,
    host: str | None = None,
    port: int | None = None,
    listener: socket.socket | None = None,
    speech: SpeechService | None = None,
    audiosocket: AudioSocketServer | None = None,
    bus: EventBus | None = None,
) -> FastAGIServer:
    """The FastAGI server for ``/hotline`` and ``/survey`` (the hotline's own calls), not
    yet serving.

    Spoken menus: live over ``audiosocket`` when it serves (it shares ``speech``, the
    process's model); else, with ``HOTLINE_SPEECH_RECORD_DIR``, recorded and then
    recognised; else keys only. See :func:`speech_for`.

    On SQLite the WAL is checkpointed by a thread of its own, so that no caller's
    write waits for a disk sync (:func:`models.db.checkpoint_in_background`).

    :param listener: a socket already listening (a worker's); else it listens itself.
    :param bus: where an on-call acceptance on ``/survey`` is published.
    """
    checkpoint_in_background(engine)
    inbound = InboundScript(
        sessions=session_factory(engine),
        readers=read_session_factory(engine),
        spool_dir=spool_dir(config),
        region=config.default_region,
    )
    inbound.speech, inbound.recorded = speech_for(config, speech, audiosocket)
    address = (host or config.agi_host, config.agi_port if port is None else port)
    survey = SurveyScript(
        sessions=session_factory(engine),
        region=config.default_region,
        publish=bus.publish if bus is not None else None,
    )
    return FastAGIServer(
        address,
        scripts={"hotline": inbound, "survey": survey},
        unknown_script=queue_for_inquiry,
        listener=listener,
    )


def speech_for(
    config: Config, speech: SpeechService | None, audiosocket: AudioSocketServer | None
) -> tuple[SpeechGather | None, RecordedSpeech | None]:
    """How the inbound script hears spoken menus: live, recorded, or not at all (keys)."""
    if speech is None or not speech.enabled:
        return None, None
    if audiosocket is not None:
        return SpeechGather(server=audiosocket, speech=speech), None
    if config.speech_record_dir:
        log.info("spoken menus: RECORD FILE into %s, then recognition", config.speech_record_dir)
        return None, RecordedSpeech(speech, Path(config.speech_record_dir))
    log.warning(
        "a speech model is loaded but neither AudioSocket (HOTLINE_AUDIOSOCKET_PORT) nor "
        "HOTLINE_SPEECH_RECORD_DIR is set: menus take the keypad only"
    )
    return None, None


def build_worker_server(config: Config, listener: socket.socket) -> FastAGIServer:
    """In a worker process: its own engine, and the server on the shared socket."""
    return build_server(config, make_engine(config.effective_database_url), listener=listener)


def start_workers(
    config: Config, workers: int, *, host: str | None = None, port: int | None = None
) -> WorkerPool:
    """``workers`` processes serving FastAGI on one socket, watched from this one.

    A worker that dies is replaced, and the calls it was in the middle of are
    spooled to be written (their callers were queued by the dialplan's fallback).

    :raises OSError: when the address cannot be listened on.
    """
    listener = listen(host or config.agi_host, config.agi_port if port is None else port)
    directory = spool_dir(config)

    def recover() -> None:
        found = recover_journals(directory)
        if found:
            log.warning("%d call(s) were in progress in a worker that stopped; spooled", found)

    pool = WorkerPool(
        listener,
        functools.partial(build_worker_server, config),
        workers=workers,
        on_worker_exit=recover,
    )
    pool.start()
    return pool


def start_spool_replayer(
    engine: Engine,
    directory: Path,
    stop: threading.Event,
    interval: float = SPOOL_REPLAY_INTERVAL_S,
) -> threading.Thread:
    """Every ``interval`` seconds, write spooled call records to the database.

    First, the journals of calls a previous process did not finish join the spool.
    """
    sessions = session_factory(engine)
    recovered = recover_journals(directory)
    if recovered:
        log.warning("%d call(s) were in progress when a process stopped; spooled", recovered)

    def loop() -> None:
        while not stop.wait(interval):
            try:
                written = replay_spool(sessions, directory)
                if written:
                    log.info("wrote %d spooled call record(s) to the database", written)
            except Exception:
                log.exception("spool replay failed; will try again")

    thread = threading.Thread(target=loop, name="spool-replay", daemon=True)
    thread.start()
    return thread
