"""Configuration: defaults in code, then a TOML file, then ``HOTLINE_*`` variables.

The shape is declared once, in :class:`Config`. The file is the one named by
``HOTLINE_CONFIG``, or ``hotline.toml`` in the data directory when it exists.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hotline.exceptions import ConfigError


def default_data_dir() -> Path:
    """Where the embedded defaults keep their files (the SQLite database among them)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hotline"


DEFAULT_WRAP_UP = "emergency=60,complaint=60,repair=30,inquiry=15"


@dataclasses.dataclass(frozen=True)
class Config:
    """Every setting Hotline reads; the field name in upper case after ``HOTLINE_`` sets it."""

    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    database_url: str = ""  # empty: SQLite file hotline.db in data_dir
    redis_url: str = ""  # empty: in-process event bus
    default_region: str = "CN"  # phonenumbers region for numbers without a country code
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    ami_url: str = ""
    vosk_model: str = ""  # a Vosk model directory; empty: speech off, menus by keypad
    speech_timeout_s: float = 1.5  # hard bound on one recognition, then that call uses the keypad
    audiosocket_host: str = "127.0.0.1"  # where Asterisk's AudioSocket() reaches Hotline
    audiosocket_port: int = 9092  # 0: no AudioSocket server
    # A directory Asterisk and Hotline both see at this path: without AudioSocket, spoken menu
    # answers are recorded there (RECORD FILE) and recognised. Empty: no such fallback.
    speech_record_dir: str = ""
    twilio_public_base_url: str = ""  # where Twilio reaches this app, e.g. https://hotline.example
    twilio_trust_proxy: bool = False  # rebuild the public URL from X-Forwarded-Proto/Host
    twilio_hold_music_url: str = ""  # empty: Twilio's own hold music
    twilio_api_base_url: str = ""  # empty: Twilio's own; a local stand-in in tests
    outbound_calls_per_second: float = 1.0  # Twilio's default limit per account
    outbound_max_concurrent: int = 4  # REST requests in flight
    outbound_caller_id: str = ""  # the number outbound calls come from
    # The dialer of surveys and campaigns (ivr/dialer). Provider: twilio | asterisk | simulator;
    # empty: Twilio when the account is set, else Asterisk when ami_url is set, else the simulator.
    dialer_provider: str = ""
    dialer_calls_per_second: float = 1.0  # calls started per second, all dialers (Redis) together
    dialer_max_calls: int = 10  # calls in progress at once, all dialers together
    dialer_channel: str = "PJSIP/{number}@carrier"  # Originate's Channel ({number}, {digits})
    dialer_context: str = "hotline-survey"  # the dialplan context an answered call enters
    dialer_claim_seconds: int = 60  # a claimed job not placed by then was lost by its dialer
    dialer_call_seconds: int = 1800  # a placed call with no outcome by then is given up
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    session_cookie_secure: bool = False  # Secure session cookies even over plain HTTP (TLS proxy)
    prompts_dir: str = ""  # built prompts; empty: <data_dir>/prompts
    tts_command: str = ""  # e.g. "espeak-ng -v {voice} -w {output} {text}"; empty: that
    prompt_loudness_db: float = -20.0  # RMS target of every built prompt, dBFS at 8 kHz
    asterisk_sounds_dir: str = "/var/lib/asterisk/sounds"  # where RECORD FILE leaves voicemail
    # hotline serve/agi: every this many seconds, keep (and, with a model, transcribe) the
    # recordings calls left, as `hotline recordings collect` does; 0: only that command.
    recordings_collect_s: int = 0
    # After-call work (话后处理) per queue before the next offer, as app_queue's wrapuptime:
    # "emergency=60,complaint=60,repair=30,inquiry=15", or one number for every queue.
    wrap_up_seconds: str = DEFAULT_WRAP_UP
    offer_timeout_seconds: int = 20  # an offered agent who neither answers nor declines
    # A call about the unit and problem of an order opened this recently is linked to it
    # rather than opening a duplicate (0: never).
    repeat_call_window_minutes: int = 24 * 60
    # Callback surveys (回访), models/survey_rules.py; empty strings keep the domain rules.
    survey_max_attempts: int = 3  # calls per survey before it becomes a manual callback
    survey_retry_minutes: int = 120  # between two attempts
    # Hours per rule, e.g. "safety=48,leak=72,repair=48,complaint=48,difficult=24,
    # follow_up=24,home=168"; "inquiry=48" surveys inquiries too (default: not surveyed).
    survey_due_hours: str = ""
    survey_sample_percent: str = ""  # home services: "301=10,100=20,0=30" (households=percent)

    def __post_init__(self) -> None:
        self.wrap_up_by_queue  # noqa: B018  (a malformed setting stops the command)

    @property
    def wrap_up_by_queue(self) -> dict[str, int]:
        """``wrap_up_seconds`` read: queue name (``*`` for any other queue) → seconds.

        :raises ConfigError: for a value that is not ``queue=seconds`` pairs or a number.
        """
        return parse_wrap_up(self.wrap_up_seconds)

    def wrap_up_for(self, queue: str | None) -> int:
        """Seconds of after-call work before an agent who took a call from ``queue`` is free."""
        table = self.wrap_up_by_queue
        return table.get(queue or "", table.get("*", 0))

    @property
    def effective_database_url(self) -> str:
        """The database to use: the configured URL, else the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hotline.db'}"


def parse_wrap_up(text: str) -> dict[str, int]:
    """``"repair=30,inquiry=15"`` (or ``"20"`` for every queue) as a dict; ``*`` is the rest.

    :raises ConfigError: naming what is wrong.
    """
    table: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        queue, equals, seconds = part.rpartition("=")
        queue = queue.strip() if equals else "*"
        if not seconds.strip().isdigit() or not queue:
            raise ConfigError(
                f"wrap_up_seconds {text!r} is not valid: expected e.g. "
                f"{DEFAULT_WRAP_UP!r} or one number of seconds"
            )
        table[queue] = int(seconds)
    return table


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn a value from a file or the environment into the field's type."""
    default = Config.__dataclass_fields__[name]
    kind = default.type
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return _boolean(value)
        if kind == "Path":
            return Path(str(value)).expanduser()
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {name} must be {kind}, got {value!r}") from exc


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


def load_config(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Build the configuration from defaults, the TOML file, the environment, then overrides.

    :raises ConfigError: on an unreadable file, an unknown key or a value of the wrong type.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if "HOTLINE_DATA_DIR" in env:
        values["data_dir"] = _coerce("data_dir", env["HOTLINE_DATA_DIR"], "HOTLINE_DATA_DIR")
    data_dir = values.get("data_dir") or default_data_dir()
    path = Path(env["HOTLINE_CONFIG"]) if env.get("HOTLINE_CONFIG") else data_dir / "hotline.toml"
    if env.get("HOTLINE_CONFIG") or path.exists():
        values.update(_read_file(path))
    for name in _FIELDS:
        key = f"HOTLINE_{name.upper()}"
        if key in env:
            values[name] = _coerce(name, env[key], key)
    for name, value in (overrides or {}).items():
        if name not in _FIELDS:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value, "override")
    return Config(**values)


def _read_file(path: Path) -> dict[str, Any]:
    """Read the ``[hotline]`` table (or the top level) of a TOML file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
    table = data.get("hotline", data)
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return {name: _coerce(name, value, str(path)) for name, value in table.items()}
