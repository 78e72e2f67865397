"""``Daemons.start_audiosocket``: the model loaded once per process, the server only with one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from audio.speech import recognizer as recognizer_module
from hotline.config import load_config
from hotline.daemons import Daemons
from hotline.exceptions import ConfigError
from ivr.audiosocket import Heard
from tests.speech.conftest import ko_model_path, say_ko
from tests.speech.fakes import silence
from tests.speech.peer import AsteriskLeg


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _daemons(tmp_path: Path, **env: str) -> Daemons:
    config = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path), **env})
    return Daemons(config, engine=None)  # type: ignore[arg-type]  # no database needed here


def test_given_no_model_when_started_then_no_server_and_speech_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recognizer_module, "_told", set())
    with _daemons(tmp_path) as daemons:
        assert daemons.start_audiosocket() is None
        assert daemons.speech is not None and daemons.speech.health()["status"] == "off"


def test_given_the_model_and_a_port_when_started_then_asterisk_legs_are_recognised(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {"HOTLINE_VOSK_MODEL": str(ko_model_path()), "HOTLINE_AUDIOSOCKET_PORT": str(port)}
    with _daemons(tmp_path, **env) as daemons:
        server = daemons.start_audiosocket()
        assert server is not None and server.port == port
        speech = daemons.speech
        assert speech is not None
        health = speech.health()
        assert (health["status"], health["model_rate"]) == ("ok", 16000)
        assert health["audiosocket"]["listening"] == f"127.0.0.1:{port}"
        listening = server.expect(grammar=["물", "상담원"])
        leg = AsteriskLeg(port, listening.uuid)
        leg.send_uuid()
        leg.send_audio(say_ko("상담원") + silence(800))
        assert listening.wait(10) == Heard(text="상담원")
        leg.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)  # closed with the daemons


def test_given_the_port_in_use_when_started_then_one_clear_config_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"HOTLINE_VOSK_MODEL": str(ko_model_path()), "HOTLINE_AUDIOSOCKET_PORT": str(port)}
        with _daemons(tmp_path, **env) as daemons, pytest.raises(ConfigError, match="AudioSocket"):
            daemons.start_audiosocket()
