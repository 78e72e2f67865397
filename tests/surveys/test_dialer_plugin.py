"""Which provider the dialer uses, from the configuration; the dialer in the daemons."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from hotline.config import Config, load_config
from hotline.daemons import Daemons
from hotline.exceptions import ConfigError
from ivr.dialer.asterisk import AsteriskProvider
from ivr.dialer.plugin import build_dialer, provider_kind
from ivr.outbound.pacing import Pacer, SharedPacer
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.twilio_rest import TwilioProvider
from models import utcnow
from models.db import session_factory
from tests.surveys.dialing import add_jobs, community

TWILIO = {
    "HOTLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "HOTLINE_TWILIO_AUTH_TOKEN": "token",
    "HOTLINE_TWILIO_PUBLIC_BASE_URL": "https://hotline.example.com",
}
AMI = {"HOTLINE_AMI_URL": "ami://hotline:s3cret@127.0.0.1:5038"}


def _config(tmp_path: Path, db_url: str = "sqlite://", **env: str) -> Config:
    return load_config(
        env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": db_url, **env}
    )


@pytest.mark.parametrize(
    ("env", "kind", "cls"),
    [
        ({}, "simulator", RecordingProvider),
        (TWILIO, "twilio", TwilioProvider),
        (AMI, "asterisk", AsteriskProvider),
        (TWILIO | AMI, "twilio", TwilioProvider),
        (TWILIO | AMI | {"HOTLINE_DIALER_PROVIDER": "asterisk"}, "asterisk", AsteriskProvider),
        (TWILIO | {"HOTLINE_DIALER_PROVIDER": "simulator"}, "simulator", RecordingProvider),
    ],
)
def test_the_provider_follows_what_is_configured(
    tmp_path: Path, env: dict[str, str], kind: str, cls: type
) -> None:
    config = _config(tmp_path, **env)
    assert provider_kind(config) == kind
    dialer = build_dialer(config, create_engine("sqlite://"))
    assert isinstance(dialer.provider, cls)
    assert dialer.pacer.interval == 1.0 and dialer.max_calls == 10


@pytest.mark.parametrize(
    ("env", "key"),
    [
        (TWILIO, "hotline:pace:AC" + "0" * 32),  # the account's rate, whoever calls
        (AMI, "hotline:pace:ami-127.0.0.1"),
        ({}, "hotline:pace:simulator"),
    ],
)
def test_with_redis_every_dialer_paces_on_one_shared_bucket(
    tmp_path: Path, redis_url: str, env: dict[str, str], key: str
) -> None:
    config = _config(tmp_path, HOTLINE_REDIS_URL=redis_url, **env)
    dialer = build_dialer(config, create_engine("sqlite://"))
    assert isinstance(dialer.pacer, SharedPacer) and dialer.pacer.key == key
    alone = build_dialer(_config(tmp_path, **env), create_engine("sqlite://"))
    assert type(alone.pacer) is Pacer  # no Redis: this process's own


@pytest.mark.parametrize(
    "env",
    [
        {"HOTLINE_DIALER_PROVIDER": "sip"},
        {"HOTLINE_DIALER_PROVIDER": "asterisk"},
        {"HOTLINE_DIALER_PROVIDER": "twilio"},
    ],
)
def test_a_provider_without_its_settings_stops_the_command(
    tmp_path: Path, env: dict[str, str]
) -> None:
    with pytest.raises(ConfigError):
        build_dialer(_config(tmp_path, **env), create_engine("sqlite://"))


def test_the_daemons_dialer_rings_the_simulator_until_stopped(
    tmp_path: Path, engine: Engine, db_url: str
) -> None:
    with session_factory(engine)() as session:
        add_jobs(session, community(session, always=True), 2, now=utcnow())
    config = _config(tmp_path, db_url, HOTLINE_DIALER_CALLS_PER_SECOND="50")
    with Daemons(config, engine) as daemons:
        thread = daemons.start_dialer()
        rings = thread.dialer.provider
        assert isinstance(rings, RecordingProvider)
        deadline = time.monotonic() + 10
        while len(rings.placed) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(rings.placed) == 2
    thread.join(3)
    assert not thread.is_alive()  # closing the daemons stopped it


def test_hotline_dialer_runs_the_dialer_until_interrupted(
    tmp_path: Path, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from click.testing import CliRunner

    from hotline.cli import cli

    with session_factory(engine)() as session:
        add_jobs(session, community(session, always=True), 1, now=utcnow())
    placed: list[int] = []

    def wait(daemons: Daemons) -> None:  # Ctrl-C once the dialer has placed its call
        assert daemons.dialer is not None
        rings = daemons.dialer.dialer.provider
        assert isinstance(rings, RecordingProvider)
        deadline = time.monotonic() + 10
        while not rings.placed and time.monotonic() < deadline:
            time.sleep(0.05)
        placed.append(len(rings.placed))

    monkeypatch.setattr(Daemons, "wait", wait)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        result = CliRunner().invoke(
            cli, ["dialer"], env={"HOTLINE_DATABASE_URL": db_url, "HOTLINE_DATA_DIR": str(tmp_path)}
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert "through simulator" in result.output and placed == [1]
