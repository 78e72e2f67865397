"""What the Twilio webhooks need to know, declared once and built from the hotline's Config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from audio.build import prompts_dir
from hotline.config import Config
from ivr.recorder import spool_dir

# One of the tracks of Twilio's own default hold-music playlist (twimlets/holdmusic).
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclasses.dataclass(frozen=True)
class TwilioSettings:
    """The Twilio adapter's settings.

    ``public_base_url`` is the URL at which Twilio reaches the web app's root
    (``https://hotline.example.com``); when set, signatures are checked against
    it and TwiML carries absolute URLs. Otherwise, with ``trust_proxy`` on, the
    public URL is rebuilt from the reverse proxy's ``X-Forwarded-Proto``,
    ``X-Forwarded-Host`` and ``X-Forwarded-Port``; with it off, from the request
    as the WSGI server received it.
    """

    auth_token: str = ""
    account_sid: str = ""
    public_base_url: str = ""
    trust_proxy: bool = False
    region: str = "CN"
    spool_dir: Path = Path("spool") / "calls"
    hold_music_url: str = DEFAULT_HOLD_MUSIC
    on_call_ring_seconds: int = 25
    prompts_dir: Path | None = None  # built prompts (hotline prompts build): <Play>; None: <Say>

    @classmethod
    def from_config(cls, config: Config) -> TwilioSettings:
        """The settings a :class:`hotline.config.Config` gives (``twilio_*`` fields)."""
        return cls(
            auth_token=config.twilio_auth_token,
            account_sid=config.twilio_account_sid,
            public_base_url=config.twilio_public_base_url.rstrip("/"),
            trust_proxy=config.twilio_trust_proxy,
            region=config.default_region,
            spool_dir=spool_dir(config),
            hold_music_url=config.twilio_hold_music_url or DEFAULT_HOLD_MUSIC,
            prompts_dir=prompts_dir(config),
        )
