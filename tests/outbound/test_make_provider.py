"""make_provider: Twilio when the account is configured, the simulator otherwise, always paced."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hotline.config import Config
from hotline.exceptions import ConfigError
from ivr.outbound import make_provider
from ivr.outbound.recording import RecordingProvider
from ivr.outbound.twilio_rest import TwilioProvider
from tests.outbound.conftest import CALLER_ID, PUBLIC, callback
from tests.outbound.twilio_rest import TwilioRestStandIn
from tests.twilio.peer import ACCOUNT, TOKEN


def test_given_no_twilio_account_then_calls_ring_the_simulator(tmp_path: Path) -> None:
    provider = make_provider(Config(data_dir=tmp_path))

    assert isinstance(provider.inner, RecordingProvider)
    assert provider.pacer.interval == 1.0


def test_given_a_twilio_account_then_calls_go_to_twilio_at_the_configured_rate(
    tmp_path: Path, standin: TwilioRestStandIn
) -> None:
    config = Config(
        data_dir=tmp_path,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_public_base_url=PUBLIC + "/",
        outbound_caller_id=CALLER_ID,
        outbound_calls_per_second=2.0,
        twilio_api_base_url=standin.base_url,
    )

    provider = make_provider(config)
    placed = provider.place(callback())

    assert isinstance(provider.inner, TwilioProvider)
    assert provider.pacer.interval == 0.5
    [request] = standin.requests
    assert request.status == 201 and request.form["From"] == [CALLER_ID]
    assert request.form["Url"][0].startswith(f"{PUBLIC}/twilio/outbound?")
    assert placed.provider_call_id == standin.calls[0]["sid"]


@pytest.mark.parametrize(
    "twilio",
    [
        {"twilio_account_sid": ACCOUNT},
        {"twilio_auth_token": TOKEN},
        {"twilio_account_sid": ACCOUNT, "twilio_auth_token": TOKEN},  # no public base URL
    ],
    ids=["sid only", "token only", "no public URL"],
)
def test_given_twilio_half_configured_then_config_error(
    tmp_path: Path, twilio: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError):
        make_provider(dataclasses.replace(Config(data_dir=tmp_path), **twilio))
