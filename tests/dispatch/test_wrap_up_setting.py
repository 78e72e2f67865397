"""``HOTLINE_WRAP_UP_SECONDS`` and ``HOTLINE_OFFER_TIMEOUT_SECONDS``: read, defaulted, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import Config
from hotline.config import load_config as load
from hotline.exceptions import ConfigError

HERE = {"HOTLINE_DATA_DIR": str(Path(__file__).parent / "no-such-dir")}  # no hotline.toml


def load_config(env: dict[str, str]) -> Config:
    return load(env=HERE | env)


@pytest.mark.parametrize(
    ("setting", "queue", "seconds"),
    [
        (None, "emergency", 60),
        (None, "repair", 30),
        (None, "inquiry", 15),
        (None, "unknown", 0),
        (None, None, 0),
        ("20", "repair", 20),
        ("20", None, 20),
        ("repair=45, 10", "repair", 45),
        ("repair=45, 10", "complaint", 10),
        ("repair=45,*=5", "inquiry", 5),
    ],
)
def test_wrap_up_seconds_per_queue(setting: str | None, queue: str | None, seconds: int) -> None:
    env = {} if setting is None else {"HOTLINE_WRAP_UP_SECONDS": setting}
    assert load_config(env=env).wrap_up_for(queue) == seconds


@pytest.mark.parametrize("setting", ["repair=x", "repair=-1", "=5", "repair:30"])
def test_a_malformed_wrap_up_setting_stops_the_command(setting: str) -> None:
    with pytest.raises(ConfigError, match="wrap_up_seconds"):
        load_config(env={"HOTLINE_WRAP_UP_SECONDS": setting})


def test_offer_timeout_default_and_setting() -> None:
    assert load_config(env={}).offer_timeout_seconds == 20
    assert load_config(env={"HOTLINE_OFFER_TIMEOUT_SECONDS": "45"}).offer_timeout_seconds == 45
