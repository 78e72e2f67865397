"""What outbound calling needs to know, declared once and built from the hotline's Config."""

from __future__ import annotations

import dataclasses

from hotline.config import Config
from ivr.outbound.pacing import TWILIO_DEFAULT_CPS


@dataclasses.dataclass(frozen=True)
class OutboundSettings:
    """The outbound adapters' settings.

    ``calls_per_second`` defaults to Twilio's own limit for an account (1); raise
    it only after Twilio has raised the account's CPS.
    """

    account_sid: str = ""
    auth_token: str = ""
    public_base_url: str = ""  # where Twilio fetches the answer TwiML and posts status
    caller_id: str = ""  # From of calls that name none: a number of the Twilio account
    api_base_url: str = ""  # empty: https://api.twilio.com
    calls_per_second: float = TWILIO_DEFAULT_CPS
    max_concurrent: int = 4  # calls being placed at once (REST requests in flight)

    @classmethod
    def from_config(cls, config: Config) -> OutboundSettings:
        """The settings a :class:`hotline.config.Config` gives (``twilio_*``, ``outbound_*``)."""
        return cls(
            account_sid=config.twilio_account_sid,
            auth_token=config.twilio_auth_token,
            public_base_url=config.twilio_public_base_url.rstrip("/"),
            caller_id=config.outbound_caller_id,
            api_base_url=config.twilio_api_base_url,
            calls_per_second=config.outbound_calls_per_second,
            max_concurrent=config.outbound_max_concurrent,
        )
