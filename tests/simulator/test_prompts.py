"""The simulator plays what a caller on Twilio hears: built prompts as `<Play>` of our MP3s."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from hotline.config import Config
from tests.simulator.conftest import HOTLINE, Page
from tests.twilio.test_play_prompts import prompts  # noqa: F401  (built once per module)


def test_given_built_prompts_the_simulated_call_plays_them_and_the_page_can_fetch_them(
    make_app: Any,
    config: Config,
    estate: dict[str, int],
    prompts: Path,  # noqa: F811
) -> None:
    app = make_app(dataclasses.replace(config, prompts_dir=str(prompts)))
    page = Page(app.test_client())
    placed = page.place(phone_id=estate["phone"], to=HOTLINE)
    assert placed.status_code == 200, placed.get_data(as_text=True)
    greeting, gather = list(ET.fromstring(placed.get_json()["twiml"]))
    assert greeting.tag == "Say"  # not built: spoken (the page reads it or shows it)
    assert [(v.tag, v.text) for v in gather] == [("Play", "/prompts/zh-CN/menu-main.mp3")]
    with page.get("/prompts/zh-CN/menu-main.mp3") as fetched:  # what the page's Audio() loads
        assert (fetched.status_code, fetched.mimetype) == (200, "audio/mpeg")
