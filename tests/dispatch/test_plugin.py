"""Wiring the dispatcher into the web app, and its thread."""

from __future__ import annotations

import threading

from flask import Flask

from hotline.config import Config
from ivr.dispatch.connect import SimulatorConnector, TwilioConnector
from ivr.dispatch.plugin import install
from ivr.dispatch.services import Dispatcher, DispatcherThread
from ivr.dispatch.webhooks import EXTENSION
from ivr.outbound.recording import RecordingProvider
from tests.twilio.conftest import twilio_config


def test_without_a_twilio_account_dispatch_uses_the_simulator(
    make_app: object, config: Config
) -> None:
    app: Flask = make_app(config)  # type: ignore[operator]
    thread = install(app, config)
    assert isinstance(thread.dispatcher.connector, SimulatorConnector)
    assert isinstance(app.extensions["hotline.outbound"].inner, RecordingProvider)
    assert EXTENSION in app.extensions and not thread.is_alive()


def test_with_a_twilio_account_dispatch_uses_the_rest_api(make_app: object, config: Config) -> None:
    configured = twilio_config(config, twilio_public_base_url="https://hotline.example.com")
    app: Flask = make_app(configured)  # type: ignore[operator]
    thread = install(app, configured, provider=RecordingProvider())
    assert isinstance(thread.dispatcher.connector, TwilioConnector)
    assert thread.dispatcher.base_url == "https://hotline.example.com"
    thread.dispatcher.connector.close()


def test_the_thread_runs_rounds_until_stopped() -> None:
    rounds = threading.Semaphore(0)

    class Counting(Dispatcher):
        def run_once(self) -> list:  # type: ignore[type-arg]
            rounds.release()
            raise RuntimeError("a bad round")  # logged; the next round still comes

    thread = DispatcherThread(
        Counting(sessions=None, connector=None, provider=None),  # type: ignore[arg-type]
        interval=0.01,
    )
    thread.start()
    assert rounds.acquire(timeout=5) and rounds.acquire(timeout=5)
    thread.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
