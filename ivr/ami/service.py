"""Wiring: the AMI listener and the call tracker it feeds, built from the configuration."""

from __future__ import annotations

from sqlalchemy import Engine

from hotline.bus import EventBus
from hotline.config import Config
from ivr.ami.listener import AMIListener
from ivr.ami.pause import PauseSync
from ivr.ami.settings import parse_ami_url
from ivr.ami.tracker import CallTracker
from models.db import session_factory


def build_listener(config: Config, engine: Engine, bus: EventBus) -> AMIListener | None:
    """The listener for ``HOTLINE_AMI_URL``, not yet started; None when it is not set.

    :raises ConfigError: for a URL that cannot be understood.
    """
    if not config.ami_url:
        return None
    tracker = CallTracker(sessions=session_factory(engine), bus=bus)
    return AMIListener(
        settings=parse_ami_url(config.ami_url),
        event_names=tracker.event_names,
        on_event=tracker.handle,
    )


def build_pause_sync(config: Config, engine: Engine, bus: EventBus) -> PauseSync | None:
    """Agents' pauses to app_queue over ``HOTLINE_AMI_URL``, not yet started; None without it."""
    if not config.ami_url:
        return None
    return PauseSync(
        settings=parse_ami_url(config.ami_url), sessions=session_factory(engine), bus=bus
    )
