"""Wiring: the dialer and its provider, built from the configuration; nothing runs at import.

``hotline dialer`` runs it alone (several of them, on several machines, share one
PostgreSQL); ``hotline serve`` runs it beside the web app, where the simulator's
phone picks up the rings of the app's own outbound provider.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from hotline.bus import EventBus
from hotline.config import Config
from hotline.exceptions import ConfigError
from ivr.ami.settings import parse_ami_url
from ivr.dialer.asterisk import AsteriskProvider
from ivr.dialer.services import Dialer, DialerThread
from ivr.outbound.calls import Provider
from ivr.outbound.pacing import account_pacer
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.services import PacedProvider, make_provider
from models.db import session_factory
from models.survey_rules import configure, settings_from_config

WAKE_TOPIC = "oncall.started"  # an emergency's first call is due now
OUTBOUND = "hotline.outbound"  # the web app's outbound provider (ivr.dispatch.plugin)
KINDS = ("twilio", "asterisk", "simulator")


def provider_kind(config: Config) -> str:
    """``dialer_provider``, or what is configured: a Twilio account, then AMI, else the simulator.

    :raises ConfigError: for a name that is none of :data:`KINDS`.
    """
    kind = config.dialer_provider.strip().lower()
    if kind and kind not in KINDS:
        raise ConfigError(f"dialer_provider {kind!r} is not one of {', '.join(KINDS)}")
    if kind:
        return kind
    if config.twilio_account_sid or config.twilio_auth_token:
        return "twilio"
    return "asterisk" if config.ami_url else "simulator"


def build_dialer(
    config: Config, engine: Engine, *, app: Flask | None = None, bus: EventBus | None = None
) -> Dialer:
    """The dialer for ``config``.

    :raises ConfigError: a provider is chosen without what it needs (an account, an AMI URL).
    """
    dialer = Dialer(
        sessions=session_factory(engine),
        provider=RecordingProvider(),
        pacer=account_pacer(config.redis_url, _account(config), config.dialer_calls_per_second),
        max_calls=config.dialer_max_calls,
        claim_seconds=config.dialer_claim_seconds,
        call_seconds=config.dialer_call_seconds,
        publish=bus.publish if bus is not None else None,
    )
    dialer.provider = _provider(config, dialer, app)
    return dialer


def _account(config: Config) -> str:
    """Whose rate the dialer's calls count against: the Twilio account, or Asterisk's."""
    kind = provider_kind(config)
    if kind == "twilio":
        return config.twilio_account_sid
    return f"ami-{parse_ami_url(config.ami_url).host}" if kind == "asterisk" else "simulator"


def _provider(config: Config, dialer: Dialer, app: Flask | None) -> Provider:
    kind = provider_kind(config)
    if kind == "asterisk":
        if not config.ami_url:
            raise ConfigError("dialer_provider asterisk needs HOTLINE_AMI_URL")
        return AsteriskProvider(
            parse_ami_url(config.ami_url),
            channel=config.dialer_channel,
            context=config.dialer_context,
            caller_id=config.outbound_caller_id,
            on_outcome=dialer.finish,
        )
    shared = app.extensions.get(OUTBOUND) if app is not None else None
    outbound: Provider = shared or make_provider(config)
    if isinstance(outbound, PacedProvider):
        outbound = outbound.inner  # the dialer paces by its own settings
    if kind == "simulator" and not isinstance(outbound, RecordingProvider):
        outbound = RecordingProvider()  # chosen by name, though an account is set
    if kind == "twilio" and isinstance(outbound, RecordingProvider):
        raise ConfigError(
            "dialer_provider twilio needs HOTLINE_TWILIO_ACCOUNT_SID and HOTLINE_TWILIO_AUTH_TOKEN"
        )
    if app is not None:
        app.extensions.setdefault(OUTBOUND, outbound)
    return outbound


def build_thread(
    config: Config,
    engine: Engine,
    *,
    app: Flask | None = None,
    interval: float = 1.0,
    bus: EventBus | None = None,
) -> DialerThread:
    """The dialer's thread, not yet started; the survey rules from ``config``. With ``bus``
    it is woken by ``oncall.started`` (an emergency is not left waiting for the next poll)
    and publishes the ladder's moves."""
    configure(settings_from_config(config))
    wake = bus.subscribe(WAKE_TOPIC) if bus is not None else None
    return DialerThread(build_dialer(config, engine, app=app, bus=bus), interval, wake=wake)
