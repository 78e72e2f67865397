"""Choosing and pacing the provider that places the hotline's outbound calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hotline.config import Config
from hotline.exceptions import ConfigError
from ivr.outbound.calls import OutboundCall, PlacedCall, Provider
from ivr.outbound.pacing import Pacer, account_pacer
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.settings import OutboundSettings
from ivr.outbound.twilio_rest import TwilioProvider

log = logging.getLogger(__name__)


class PacedProvider:
    """A provider whose every ``place`` waits for the pacer: the rate and the calls in flight."""

    def __init__(self, inner: Provider, pacer: Pacer) -> None:
        self.inner = inner
        self.pacer = pacer

    def place(self, call: OutboundCall) -> PlacedCall:
        with self.pacer.slot():
            return self.inner.place(call)


def make_provider(
    config: Config,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PacedProvider:
    """Twilio when the account's SID and token are set; otherwise the simulator's rings.

    :raises ConfigError: only one of SID and token is set, or Twilio is configured
        without the public URL it would fetch the call's TwiML from.
    """
    settings = OutboundSettings.from_config(config)
    pacer: Pacer
    if config.redis_url and settings.account_sid:  # the account's rate, with the dialers'
        pacer = account_pacer(
            config.redis_url,
            settings.account_sid,
            settings.calls_per_second,
            max_concurrent=settings.max_concurrent,
        )
    else:
        pacer = Pacer(
            settings.calls_per_second,
            max_concurrent=settings.max_concurrent,
            clock=clock,
            sleep=sleep,
        )
    return PacedProvider(_provider(settings), pacer)


def _provider(settings: OutboundSettings) -> Provider:
    if not settings.account_sid and not settings.auth_token:
        log.info("no Twilio account configured: outbound calls ring the simulator")
        return RecordingProvider()
    if not (settings.account_sid and settings.auth_token):
        raise ConfigError(
            "set both HOTLINE_TWILIO_ACCOUNT_SID and HOTLINE_TWILIO_AUTH_TOKEN, or neither"
        )
    if not settings.public_base_url:
        raise ConfigError(
            "outbound calls through Twilio need HOTLINE_TWILIO_PUBLIC_BASE_URL: "
            "the URL at which Twilio reaches this hotline's webhooks"
        )
    return TwilioProvider(
        account_sid=settings.account_sid,
        auth_token=settings.auth_token,
        public_base_url=settings.public_base_url,
        caller_id=settings.caller_id,
        api_base_url=settings.api_base_url,
    )
