"""The speech service around any model: off without one, time-bounded, healthy, endpointing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from audio.speech import SpeechService
from audio.speech import recognizer as recognizer_module
from hotline.config import Config, load_config
from tests.speech.fakes import FakeEngine, silence, tone


@pytest.fixture(autouse=True)
def fresh_log_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in a process that has not yet said speech is off."""
    monkeypatch.setattr(recognizer_module, "_told", set())


def _config(tmp_path: Path, **env: str) -> Config:
    return load_config(env={"HOTLINE_DATA_DIR": str(tmp_path), **env})


def test_given_no_model_configured_when_built_then_speech_is_off_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="audio.speech")
    first = SpeechService.from_config(_config(tmp_path))
    second = SpeechService.from_config(_config(tmp_path))
    assert not first.enabled and not second.enabled
    assert first.recognise(tone(200)) is None
    assert first.utterance() is None
    assert first.grammar("zh-CN", ["漏水"]) is None
    assert first.health() == {"status": "off", "reason": "HOTLINE_VOSK_MODEL is not set"}
    told = [r for r in caplog.records if "speech recognition is off" in r.getMessage()]
    assert len(told) == 1
    assert "keypad" in told[0].getMessage()


def test_given_a_model_path_that_is_no_model_when_built_then_off_with_the_reason_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="audio.speech")
    service = SpeechService.from_config(_config(tmp_path, HOTLINE_VOSK_MODEL=str(tmp_path)))
    assert not service.enabled
    assert "not a Vosk model directory" in service.health()["reason"]
    assert [r.levelno for r in caplog.records if "is off" in r.getMessage()] == [logging.ERROR]


def test_given_settings_in_the_environment_when_loaded_then_speech_fields_are_typed(
    tmp_path: Path,
) -> None:
    config = _config(
        tmp_path,
        HOTLINE_VOSK_MODEL="/opt/vosk-model-small-cn-0.22",
        HOTLINE_SPEECH_TIMEOUT_S="0.8",
        HOTLINE_AUDIOSOCKET_PORT="0",
    )
    assert (config.vosk_model, config.speech_timeout_s) == ("/opt/vosk-model-small-cn-0.22", 0.8)
    assert (config.audiosocket_host, config.audiosocket_port) == ("127.0.0.1", 0)


def test_given_a_slow_recogniser_when_recognising_then_none_within_the_bound() -> None:
    engine = FakeEngine()
    engine.delay_s = 10.0
    service = SpeechService(engine, timeout_s=0.2)
    started = time.monotonic()
    assert service.recognise(tone(200)) is None
    assert time.monotonic() - started < 8  # the bound (0.2 s), not the recogniser's 10 s
    health = service.health()
    assert (health["status"], health["timeouts"], health["failures"]) == ("degraded", 1, 0)
    assert "longer than 0.2s" in health["last_problem"]
    service.close()


def test_given_a_crashing_recogniser_when_recognising_then_none_and_counted() -> None:
    engine = FakeEngine()
    engine.crash = True
    service = SpeechService(engine, timeout_s=1.0)
    assert service.recognise(tone(200)) is None
    assert (service.health()["status"], service.health()["failures"]) == ("degraded", 1)
    engine.crash = False
    for _ in range(recognizer_module.HEALTH_WINDOW):
        assert service.recognise(tone(200)) == "漏水"
    assert service.health()["status"] == "ok"  # the window has moved past the failure
    service.close()


def test_given_every_worker_stuck_when_another_call_asks_then_it_still_gets_none_in_time() -> None:
    engine = FakeEngine()
    engine.delay_s = 1.5
    service = SpeechService(engine, timeout_s=0.1, workers=1)
    assert service.recognise(tone(200)) is None  # the one worker is now stuck for a while
    started = time.monotonic()
    assert service.recognise(tone(200)) is None
    assert time.monotonic() - started < 1.0  # the bound, not the stuck worker's 1.5 s
    service.close()


@pytest.mark.parametrize(
    ("grammar", "quiet_frames"),
    [
        (None, 300 // 20),  # free speech: 300 ms of quiet
        (["投诉", "[unk]"], 300 // 20),  # heard 报修, not a whole phrase of this grammar
        (["报修", "[unk]"], 160 // 20),  # a whole menu phrase: 160 ms is enough
    ],
)
def test_given_an_utterance_when_quiet_follows_speech_then_it_ends_after_the_silence(
    grammar: list[str] | None, quiet_frames: int
) -> None:
    service = SpeechService(FakeEngine(words="报修"), end_silence_ms=300)
    utterance = service.utterance(grammar=grammar)
    assert utterance is not None
    assert not any(utterance.feed(silence(20)) for _ in range(50))  # silence alone never ends
    assert not any(utterance.feed(tone(20)) for _ in range(20))
    quiet = [utterance.feed(silence(20)) for _ in range(20)]
    assert quiet.index(True) == quiet_frames - 1
    assert utterance.text() == "报修"
    assert utterance.text() == "报修"  # flushed once, then kept
    service.close()


def test_given_vosk_finds_an_endpoint_when_feeding_then_the_utterance_ends_there() -> None:
    engine = FakeEngine(words="投诉")
    engine.endpoint_after = 320 * 10
    utterance = SpeechService(engine).utterance()
    assert utterance is not None
    ends = [utterance.feed(tone(20)) for _ in range(12)]
    assert ends.index(True) == 9
    assert utterance.text() == "投诉"


def test_given_a_speech_service_on_the_app_when_healthz_then_speech_is_reported(
    make_app: Callable[[Config], Flask], config: Config
) -> None:
    app = make_app(config)
    engine = FakeEngine()
    app.extensions["hotline.speech"] = service = SpeechService(engine, timeout_s=0.1)
    service.parts["audiosocket"] = lambda: {"listening": "127.0.0.1:9092"}
    body = app.test_client().get("/healthz").get_json()
    assert body["speech"]["status"] == "ok"
    assert body["speech"]["audiosocket"] == {"listening": "127.0.0.1:9092"}
    assert body["status"] == "ok"
    engine.delay_s = 0.5
    assert service.recognise(tone(100)) is None
    body = app.test_client().get("/healthz").get_json()
    assert (body["status"], body["speech"]["status"], body["speech"]["timeouts"]) == (
        "degraded",
        "degraded",
        1,
    )
    service.close()


def test_given_no_model_on_the_app_when_healthz_then_speech_off_is_not_degraded(
    make_app: Callable[[Config], Flask], config: Config
) -> None:
    app = make_app(config)
    app.extensions["hotline.speech"] = SpeechService.from_config(config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["speech"]["status"]) == ("ok", "off")
