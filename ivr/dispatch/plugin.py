"""Wiring: the dispatcher for a web app, its webhooks' callback offer, and its thread.

``hotline serve`` (or a ``hotline dispatch`` daemon) calls :func:`install`
after ``create_app`` and starts the thread it returns; nothing runs at import.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask

from hotline.config import Config
from ivr.dispatch.connect import Connector, SimulatorConnector, TwilioConnector
from ivr.dispatch.services import Dispatcher, DispatcherThread
from ivr.dispatch.webhooks import EXTENSION, DispatchWebhooks
from ivr.outbound.calls import Provider
from ivr.outbound.services import make_provider

SESSIONS = "hotline.sessions"  # app.extensions keys set by agent_console.create_app
OUTBOUND = "hotline.outbound"
SIMULATED_CALLS = "hotline.simulator.calls"
BUS = "hotline.bus"


def install(
    app: Flask, config: Config, *, provider: Provider | None = None, interval: float = 1.0
) -> DispatcherThread:
    """Dispatch for ``app``: Twilio's REST API when the account is configured, else the
    simulator; the wait URL then offers callbacks. Returns the thread, not yet started."""
    sessions = app.extensions[SESSIONS]
    outbound: Provider = provider or app.extensions.get(OUTBOUND) or make_provider(config)
    app.extensions.setdefault(OUTBOUND, outbound)
    connector: Connector
    if config.twilio_account_sid and config.twilio_auth_token:
        connector = TwilioConnector(
            account_sid=config.twilio_account_sid,
            auth_token=config.twilio_auth_token,
            api_base_url=config.twilio_api_base_url,
            region=config.default_region,
        )
    else:
        connector = SimulatorConnector(app.extensions[SIMULATED_CALLS])
    bus = app.extensions.get(BUS)
    dispatcher = Dispatcher(
        sessions=sessions,
        connector=connector,
        provider=outbound,
        base_url=config.twilio_public_base_url.rstrip("/"),
        bus=bus,
        offer_timeout=dt.timedelta(seconds=config.offer_timeout_seconds),
        wrap_up_for=config.wrap_up_for,
    )
    app.extensions[EXTENSION] = DispatchWebhooks(sessions, region=config.default_region, bus=bus)
    return DispatcherThread(dispatcher, interval)
