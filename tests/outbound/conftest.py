"""Twilio's REST API as a local stand-in, and providers aimed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.outbound.calls import OutboundCall, Purpose
from ivr.outbound.twilio_rest import TwilioProvider
from tests.conftest import IN_CI
from tests.outbound.twilio_rest import TwilioRestStandIn, load_spec, spec_path
from tests.twilio.peer import ACCOUNT, KNOWN, TOKEN

PUBLIC = "https://hotline.example.com"
CALLER_ID = "+862160000001"  # 阳光花园's hotline number, a Twilio number of the account


def require_spec(path: Path, *, in_ci: bool) -> Path:
    """``path`` if Twilio's description is there; otherwise fail under CI=true, else skip."""
    if not path.is_file():
        reason = f"Twilio's OpenAPI description is not at {path} (shared/ beside the repository)"
        if in_ci:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def twilio_spec() -> dict[str, Any]:
    """Twilio's OpenAPI description, which every request to the stand-in is held to."""
    return load_spec(require_spec(spec_path(), in_ci=IN_CI))


@pytest.fixture
def standin(twilio_spec: dict[str, Any]) -> Iterator[TwilioRestStandIn]:
    with TwilioRestStandIn(twilio_spec, account_sid=ACCOUNT, auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def provider(standin: TwilioRestStandIn) -> Iterator[TwilioProvider]:
    """The account's provider, calling from the hotline number, aimed at the stand-in."""
    twilio = TwilioProvider(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        public_base_url=PUBLIC,
        caller_id=CALLER_ID,
        api_base_url=standin.base_url,
    )
    yield twilio
    twilio.close()


def callback(**changes: Any) -> OutboundCall:
    """A callback to 王建国 after his work order, as the survey issue will ask for it."""
    values: dict[str, Any] = {
        "to": KNOWN,
        "purpose": Purpose.CALLBACK,
        "answer_path": "/twilio/outbound",
        "correlation_id": "wo-2026-000123-1",
    }
    return OutboundCall(**(values | changes))
