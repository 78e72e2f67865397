"""Twilio plays the prompts `hotline prompts build` made (`<Play>`), and speaks the rest (`<Say>`).

The prompts are built for real (espeak-ng, ffmpeg) with the CLI, a few of them;
every document is parsed and checked against tests/twilio/twiml_rules.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine

from audio.build import MANIFEST, WebPrompts
from hotline.cli import cli
from hotline.config import Config
from ivr import flow
from ivr.flow.context import EN, ZH
from ivr.twilio import twiml
from tests.surveys.outbound_estate import RESIDENT, placed_call
from tests.twilio import twiml_rules
from tests.twilio.conftest import twilio_config
from tests.twilio.peer import HOTLINE, KNOWN, Twilio, call_sid, incoming_form

ROUTES = {"/twilio/step", "/twilio/recording", "/twilio/wait", "/twilio/queue-result"}


def build(root: Path, name: str, language: str) -> None:
    """``hotline prompts build --only NAME --language L`` into ``root``."""
    env = {"HOTLINE_DATA_DIR": str(root.parent), "HOTLINE_PROMPTS_DIR": str(root)}
    done = CliRunner().invoke(
        cli, ["prompts", "build", "--only", name, "--language", language], env=env
    )
    assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``menu.main`` built in Mandarin only, ``menu.invalid`` in English only."""
    root = tmp_path_factory.mktemp("built") / "prompts"
    build(root, "menu.main", ZH)
    build(root, "menu.invalid", EN)
    return root


def _menu(language: str) -> list[flow.Action]:
    return [
        flow.Say("menu.invalid", {}, language),
        flow.Gather(prompts=[flow.Say("menu.main", {}, language)], language=language),
    ]


def _check(xml: str, base: str = "") -> Any:
    return twiml_rules.check(xml, route_exists=ROUTES.__contains__, base=base)


def test_a_built_prompt_is_played_and_one_not_built_is_spoken(prompts: Path) -> None:
    xml = twiml.render(_menu(ZH), twiml.Links(), language=ZH, recordings=WebPrompts(prompts).urls)
    root = _check(xml)
    said, gather = list(root)
    assert (said.tag, said.attrib["language"]) == ("Say", "cmn-CN")  # zh menu.invalid: not built
    assert [(v.tag, v.text) for v in gather] == [("Play", "/prompts/zh-CN/menu-main.mp3")]

    english = _check(
        twiml.render(_menu(EN), twiml.Links(), language=EN, recordings=WebPrompts(prompts).urls)
    )
    played, gather = list(english)
    assert (played.tag, played.text) == ("Play", "/prompts/en/menu-invalid.mp3")
    assert [(v.tag, v.attrib.get("language")) for v in gather] == [("Say", "en-US")]


def test_without_built_prompts_every_prompt_is_spoken_as_before(prompts: Path) -> None:
    spoken = twiml.render(_menu(ZH), twiml.Links(), language=ZH)
    assert spoken == twiml.render(
        _menu(ZH), twiml.Links(), language=ZH, recordings=WebPrompts(prompts / "none").urls
    )
    assert "<Play>" not in spoken


def test_a_prompt_with_a_value_is_played_only_when_every_piece_is_built(prompts: Path) -> None:
    greeting = flow.Say("greeting.morning", {}, ZH)  # greeting, community.SH01, part 2
    xml = twiml.render([greeting, flow.actions.Hangup()], twiml.Links(), language=ZH,
                       recordings=WebPrompts(prompts).urls, community="SH01")  # fmt: skip
    assert [v.tag for v in _check(xml)] == ["Say", "Hangup"]


def test_with_a_public_base_url_the_prompts_are_absolute_urls(prompts: Path) -> None:
    base = "https://hotline.example.com"
    xml = twiml.render(_menu(ZH), twiml.Links(base=base), language=ZH,
                       recordings=WebPrompts(prompts).urls)  # fmt: skip
    gather = _check(xml, base=base)[1]
    assert gather[0].text == f"{base}/prompts/zh-CN/menu-main.mp3"


def test_a_build_while_running_is_picked_up(tmp_path: Path, prompts: Path) -> None:
    root = tmp_path / "prompts"
    web = WebPrompts(root, recheck_s=0.0)
    say = flow.Say("menu.main", {}, ZH)
    assert web.urls(say) is None
    root.mkdir()
    manifest = json.loads((prompts / MANIFEST).read_text())
    (root / MANIFEST).write_text(json.dumps(manifest))
    time.sleep(0.01)
    assert web.urls(say) == ["/prompts/zh-CN/menu-main.mp3"]


@pytest.fixture
def app_with_prompts(make_app: Any, config: Config, prompts: Path) -> Flask:
    return make_app(twilio_config(config, prompts_dir=str(prompts)))


def test_a_call_hears_the_built_menu_and_twilio_can_fetch_it(
    app_with_prompts: Flask, estate: dict[str, int]
) -> None:
    twilio = Twilio(app_with_prompts, app_with_prompts.test_client())
    phone = twilio.call(KNOWN)
    gather = phone.doc.find("Gather")
    assert gather is not None
    played = [v.text for v in gather if v.tag == "Play"]
    assert played == ["/prompts/zh-CN/menu-main.mp3"]
    assert any(v.tag == "Say" for v in phone.doc)  # the greeting is not built: spoken
    with twilio.client.get(played[0]) as fetched:
        assert (fetched.status_code, fetched.mimetype) == (200, "audio/mpeg")
        data = fetched.get_data()
    assert data[:3] == b"ID3" or data[0] == 0xFF  # an MP3 stream


def test_the_hotlines_own_calls_play_the_built_prompts_too(
    app_with_prompts: Flask, engine: Engine, prompts: Path
) -> None:
    """A survey call reaching an answering machine: its built goodbye is played."""
    build(prompts, "outbound.machine", ZH)
    twilio = Twilio(app_with_prompts, app_with_prompts.test_client())
    placed = placed_call(engine)
    form = incoming_form(call_sid(), HOTLINE, RESIDENT) | {
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
        "AnsweredBy": "machine_start",
    }
    query = f"correlation_id={placed.correlation_id}&purpose=survey"
    doc = twilio.twiml(f"/twilio/outbound/answer?{query}", form)
    assert [(v.tag, v.text) for v in doc] == [
        ("Play", "/prompts/zh-CN/outbound-machine.mp3"),
        ("Hangup", None),
    ]
