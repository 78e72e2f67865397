"""`hotline serve` and `hotline agi`: the speech model and AudioSocket, then FastAGI with them."""

from __future__ import annotations

import socket
import time
import wave
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio.recordings import stored_kinds
from audio.speech import SpeechService
from audio.speech.transcripts import search_transcripts
from hotline.cli import cli
from hotline.config import load_config
from hotline.daemons import Daemons
from ivr.agi.inbound import InboundScript
from ivr.agi.recorded import RecordedSpeech
from ivr.audiosocket.gather import SpeechGather
from models import Call, CallEvent, Direction
from tests import factories
from tests.speech.fakes import FakeEngine, silence, tone

INBOUND = Direction.INBOUND


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _inbound(daemons: Daemons) -> InboundScript:
    assert daemons.agi is not None
    script = daemons.agi.scripts["hotline"]
    assert isinstance(script, InboundScript)
    return script


@pytest.mark.parametrize(
    ("model", "port", "record_dir", "heard_by"),
    [
        (True, True, False, "audiosocket"),
        (True, True, True, "audiosocket"),  # live audio is preferred to recordings
        (True, False, True, "recorded"),
        (True, False, False, "keys"),
        (False, True, True, "keys"),  # no model: keys only, whatever else is set
    ],
)
def test_given_the_settings_when_fastagi_starts_then_menus_are_heard_as_they_allow(
    engine: Engine, tmp_path: Path, model: bool, port: bool, record_dir: bool, heard_by: str
) -> None:
    env = {
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_AUDIOSOCKET_PORT": str(_free_port() if port else 0),
        "HOTLINE_SPEECH_RECORD_DIR": str(tmp_path / "shared") if record_dir else "",
    }
    with Daemons(load_config(env=env), engine) as daemons:
        daemons.speech = SpeechService(FakeEngine({"报修"}) if model else None)  # the loaded model
        daemons.start_audiosocket()
        daemons.start_agi(port=0)
        script = _inbound(daemons)
        if heard_by == "audiosocket":
            assert isinstance(script.speech, SpeechGather) and script.recorded is None
            assert script.speech.server is daemons.audiosocket
            assert script.speech.speech is daemons.speech
        elif heard_by == "recorded":
            assert script.speech is None and isinstance(script.recorded, RecordedSpeech)
            assert script.recorded.directory == tmp_path / "shared"
        else:
            assert script.speech is None and script.recorded is None


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    assert CliRunner().invoke(cli, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    return url


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order in which the commands start the daemons' parts (wait() returns at once)."""
    order: list[str] = []
    for name in ("start_audiosocket", "start_agi", "start_agi_workers"):
        real = getattr(Daemons, name)

        def spy(self: Daemons, *args: Any, _real: Any = real, _name: str = name) -> Any:
            order.append(_name)
            return _real(self, *args)

        monkeypatch.setattr(Daemons, name, spy)
    monkeypatch.setattr(Daemons, "wait", lambda self: None)
    return order


def test_hotline_agi_starts_speech_before_fastagi(
    database: str, started: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AGI_PORT", str(_free_port()))
    result = CliRunner().invoke(cli, ["--database-url", database, "agi", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert started == ["start_audiosocket", "start_agi"]


def test_hotline_agi_with_a_model_and_several_workers_says_the_workers_take_keys(
    database: str, started: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AGI_PORT", str(_free_port()))
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(tmp_path / "no-model"))
    monkeypatch.setattr(Daemons, "start_agi_workers", lambda self, *a: _Served())
    result = CliRunner().invoke(cli, ["--database-url", database, "agi", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "--workers 1" in result.output and "keypad only" in result.output
    assert started == []  # no model loaded for processes that cannot use it


class _Served:
    port = 4573


def test_hotline_serve_starts_speech_before_fastagi_and_gives_the_app_the_service(
    database: str, started: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps: list[Flask] = []
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AGI_PORT", str(_free_port()))
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **kw: apps.append(a[2]))
    result = CliRunner().invoke(cli, ["--database-url", database, "serve", "--no-demo"])
    assert result.exit_code == 0, result.output
    assert started == ["start_audiosocket", "start_agi"]
    [app] = apps
    speech = app.extensions["hotline.speech"]
    assert isinstance(speech, SpeechService)
    assert speech.health()["status"] == "off"  # no model configured here
    with app.test_client() as client:
        assert client.get("/healthz").get_json()["speech"]["status"] == "off"


def test_the_daemons_keep_and_transcribe_recordings_every_interval(
    engine: Engine, tmp_path: Path
) -> None:
    messages = tmp_path / "sounds" / "hotline" / "messages"
    messages.mkdir(parents=True)
    with wave.open(str(messages / "1700000000.7.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(tone(600) + silence(300))
    with Session(engine) as s:
        community = factories.community(s)
        call = Call(provider="asterisk", provider_call_id="1700000000.7", direction=INBOUND)
        call.community_id = community.id
        s.add(call)
        s.flush()
        ref = "asterisk:hotline/messages/1700000000.7.wav"
        s.add(CallEvent(call_id=call.id, kind="call.message", data={"ref": ref, "seconds": 1}))
        s.commit()
        call_id = call.id
    env = {
        "HOTLINE_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE_ASTERISK_SOUNDS_DIR": str(tmp_path / "sounds"),
        "HOTLINE_RECORDINGS_COLLECT_S": "1",
    }
    with Daemons(load_config(env=env), engine) as daemons:
        daemons.speech = SpeechService(FakeEngine(words="门锁 坏了"), timeout_s=5)
        assert daemons.start_recordings() is not None
        deadline = time.monotonic() + 30
        found: list[Any] = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.2)
            with Session(engine) as s:
                found = list(s.execute(search_transcripts("门锁")).all())
    assert [(event.call_id, event.data["recording"]) for event, _ in found] == [
        (call_id, "voicemail")
    ]
    assert stored_kinds(tmp_path / "data", call_id) == ["voicemail"]


def test_without_an_interval_the_daemons_leave_recordings_to_the_command(
    engine: Engine, tmp_path: Path
) -> None:
    with Daemons(load_config(env={"HOTLINE_DATA_DIR": str(tmp_path)}), engine) as daemons:
        assert daemons.start_recordings() is None
