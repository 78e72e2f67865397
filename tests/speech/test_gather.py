"""A speech gather on a FastAGI session: the commands sent to Asterisk, keys or words first."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from audio.speech import SpeechService
from ivr.audiosocket import AudioSocketServer, Heard
from ivr.audiosocket.gather import SpeechGather
from ivr.flow import Gather, Say
from tests.speech.fakes import FakeEngine, silence, tone
from tests.speech.peer import AsteriskLeg

MENU = Gather(prompts=[Say("menu.main")], hints=["漏水", "报修"], language="zh-CN")


class FakeAsterisk:
    """An AGI channel: answers WAIT FOR DIGIT; Originate opens an AudioSocket leg."""

    def __init__(self, port: int, speak: bytes = b"", key_after_s: float | None = None) -> None:
        self.port = port
        self.speak = speak
        self.key_after_s = key_after_s
        self.commands: list[tuple[str, ...]] = []
        self.started = time.monotonic()
        self.legs: list[AsteriskLeg] = []

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]:
        self.commands.append((command, *map(str, args)))
        if command == "EXEC" and args[0] == "Originate":
            group = str(args[1]).split("/")[1].split("@")[0]
            threading.Thread(target=self._leg, args=(uuid.UUID(hex=group),), daemon=True).start()
        if command == "WAIT FOR DIGIT":
            time.sleep(int(args[0]) / 1000)
            if self.key_after_s is not None and time.monotonic() - self.started > self.key_after_s:
                return {"result": (str(ord("2")), "")}
            return {"result": ("0", "")}
        return {"result": ("1", "")}

    def _leg(self, call: uuid.UUID) -> None:
        leg = AsteriskLeg(self.port, call)
        self.legs.append(leg)
        leg.send_uuid()
        try:
            for start in range(0, len(self.speak), 320):  # in real time, 20 ms a frame
                leg.send_audio(self.speak[start : start + 320])
                time.sleep(0.02)
            leg.received()
        except OSError:
            pass
        leg.close()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(vocabulary={"漏水", "报修"}, words="漏水")


@pytest.fixture
def gather(engine: FakeEngine) -> Iterator[SpeechGather]:
    speech = SpeechService(engine, timeout_s=0.5)
    server = AudioSocketServer(("127.0.0.1", 0), speech=speech)
    server.start()
    yield SpeechGather(server=server, speech=speech, poll_ms=20)
    server.shutdown()
    server.server_close()
    speech.close()


def test_given_a_speech_menu_when_started_then_asterisk_opens_a_spy_leg_to_the_server(
    gather: SpeechGather,
) -> None:
    asterisk = FakeAsterisk(gather.server.port, speak=tone(300) + silence(600))
    listening = gather.start(asterisk, MENU)
    assert listening is not None
    assert listening.grammar == ["漏水", "报修"]
    group = listening.uuid.hex
    assert asterisk.commands == [
        ("SET VARIABLE", "SPYGROUP", group),
        ("EXEC", "Originate", f"Local/{group}@hotline-audiosocket,exten,hotline-spy,{group},1,,a"),
    ]
    started = time.monotonic()
    assert gather.wait(asterisk, listening, timeout_s=5) == Heard(text="漏水")
    assert time.monotonic() - started < 2.5  # 0.3 s of words, 0.16 s of quiet, not 5 s
    assert all(c[0] == "WAIT FOR DIGIT" for c in asterisk.commands[2:])


def test_given_a_key_before_any_words_when_waiting_then_the_key_wins_and_the_leg_ends(
    gather: SpeechGather,
) -> None:
    asterisk = FakeAsterisk(gather.server.port, speak=silence(3000), key_after_s=0.2)
    listening = gather.start(asterisk, MENU)
    assert listening is not None
    assert gather.wait(asterisk, listening, timeout_s=5) == Heard(digits="2")
    assert listening.cancelled


def test_given_silence_when_the_timeout_passes_then_none(gather: SpeechGather) -> None:
    asterisk = FakeAsterisk(gather.server.port, speak=silence(3000))
    listening = gather.start(asterisk, MENU)
    assert listening is not None
    started = time.monotonic()
    assert gather.wait(asterisk, listening, timeout_s=0.4) is None
    assert 0.35 < time.monotonic() - started < 2.0


def test_given_asterisk_never_connects_when_waiting_then_keypad_only_within_the_timeout(
    gather: SpeechGather,
) -> None:
    listening = gather.server.expect(grammar=["漏水"])  # announced, but no leg ever comes
    asterisk = FakeAsterisk(gather.server.port)
    started = time.monotonic()
    assert gather.wait(asterisk, listening, timeout_s=0.3) is None
    assert time.monotonic() - started < 2.0


def test_given_a_slow_recogniser_when_speech_has_ended_then_given_up_within_the_bound(
    engine: FakeEngine, gather: SpeechGather
) -> None:
    listening = gather.server.expect(grammar=["漏水"])
    listening.heard_speech = True
    listening.ended_at = time.monotonic()  # the words are due, and never come
    asterisk = FakeAsterisk(gather.server.port)
    started = time.monotonic()
    assert gather.wait(asterisk, listening, timeout_s=5) is None
    assert time.monotonic() - started < gather.speech.timeout_s + 1.0  # not the 5 s timeout
    assert gather.speech.health()["timeouts"] == 1


@pytest.mark.parametrize("speech_on", [False, True])
def test_given_keys_only_or_speech_off_when_started_then_nothing_is_sent(
    engine: FakeEngine, gather: SpeechGather, speech_on: bool
) -> None:
    asterisk = FakeAsterisk(gather.server.port)
    keys_only = Gather(prompts=[], speech=False)
    if not speech_on:
        gather.speech = SpeechService(None)
    assert gather.start(asterisk, keys_only if speech_on else MENU) is None
    assert asterisk.commands == []


def test_given_a_model_that_knows_none_of_the_menus_words_when_started_then_keypad_only(
    engine: FakeEngine, gather: SpeechGather
) -> None:
    engine.vocabulary = {"[unk]"}  # e.g. an English model on a Mandarin call
    asterisk = FakeAsterisk(gather.server.port)
    assert gather.start(asterisk, MENU) is None
    assert asterisk.commands == []


def test_given_speech_with_no_words_when_the_leg_ends_then_keys_still_count_until_the_timeout(
    engine: FakeEngine, gather: SpeechGather
) -> None:
    engine.words = ""  # a cough: loud, but no word of the grammar
    asterisk = FakeAsterisk(gather.server.port, speak=tone(200) + silence(400), key_after_s=1.5)
    listening = gather.start(asterisk, MENU)
    assert listening is not None
    assert gather.wait(asterisk, listening, timeout_s=4) == Heard(digits="2")
    assert listening.reason == "no words recognised"
    assert gather.speech.health()["timeouts"] == 0
