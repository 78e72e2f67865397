"""Spoken menus on FastAGI: the AGI peer as Asterisk, an AudioSocket peer as its listening leg.

Both peers speak the real wire formats over TCP: AGI lines (tests/agi/peer.py) and
AudioSocket frames (kind, 2-byte length, payload: 0x01 uuid, 0x10 slin, 0x00
hangup; tests/speech/peer.py). The recogniser is the scripted fake engine: these
tests are about the call, not about Vosk (tests/speech has the real model).
"""

from __future__ import annotations

import threading
import time
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from audio.speech import SpeechService
from ivr.agi.inbound import InboundScript
from ivr.agi.recorded import RecordedSpeech
from ivr.agi.server import FastAGIServer
from ivr.agi.service import queue_for_inquiry
from ivr.audiosocket import AudioSocketServer
from ivr.audiosocket.gather import SpeechGather
from ivr.flow import menu
from models.db import session_factory
from tests.agi.peer import CallScript, Transcript, call
from tests.agi.test_fastagi import OPEN_HOURS, _calls, _env, _events, estate  # noqa: F401
from tests.speech.fakes import FakeEngine, silence, tone
from tests.speech.peer import AsteriskLeg

MENU_S = 1.0  # the menus' keypad timeout in these tests (6 s in the flow)


@pytest.fixture(autouse=True)
def short_menus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(menu, "MENU_TIMEOUT_S", MENU_S)


@pytest.fixture
def fake() -> FakeEngine:
    return FakeEngine(vocabulary={"报修", "漏水", "投诉", "[unk]"}, words="报修")


@pytest.fixture
def speech(fake: FakeEngine) -> Iterator[SpeechService]:
    service = SpeechService(fake, timeout_s=0.4)
    yield service
    service.close()


@pytest.fixture
def audiosocket(speech: SpeechService) -> Iterator[AudioSocketServer]:
    server = AudioSocketServer(("127.0.0.1", 0), speech=speech)
    server.start()
    yield server
    server.shutdown()
    server.server_close()


def _serve(engine: Engine, tmp_path: Path, **speech: object) -> FastAGIServer:
    script = InboundScript(
        sessions=session_factory(engine),
        spool_dir=tmp_path / "spool",
        clock=lambda: OPEN_HOURS,
        **speech,  # type: ignore[arg-type]
    )
    server = FastAGIServer(
        ("127.0.0.1", 0), scripts={"hotline": script}, unknown_script=queue_for_inquiry
    )
    server.start()
    return server


@pytest.fixture
def live(
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
    tmp_path: Path,
    speech: SpeechService,
    audiosocket: AudioSocketServer,
) -> Iterator[FastAGIServer]:
    server = _serve(engine, tmp_path, speech=SpeechGather(audiosocket, speech, poll_ms=20))
    yield server
    server.shutdown()
    server.server_close()


class Leg:
    """What Asterisk does on ``EXEC Originate Local/<hex>@hotline-audiosocket,…``: the
    AudioSocket leg connects with that UUID and streams the caller's voice in real time."""

    def __init__(self, port: int, voice: bytes, *, connect: bool = True) -> None:
        self.port = port
        self.voice = voice
        self.connect = connect
        self.originated: list[str] = []
        self.received: list[bytes] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, words: list[str]) -> None:
        if words[1] != "Originate":
            return
        self.originated.append(words[2])
        group = words[2].split("/", 1)[1].split("@", 1)[0]
        if self.connect:
            thread = threading.Thread(target=self._stream, args=(uuid.UUID(hex=group),))
            thread.start()
            self.threads.append(thread)

    def _stream(self, call: uuid.UUID) -> None:
        leg = AsteriskLeg(self.port, call)
        leg.send_uuid()
        try:
            for start in range(0, len(self.voice), 320):
                leg.send_audio(self.voice[start : start + 320])
                time.sleep(0.02)
            self.received.append(leg.received())
        except OSError:
            self.received.append(b"")
        leg.close()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


def _verbs(t: Transcript) -> list[str]:
    return [" ".join(c.split()[:2]) for c in t.commands]


def test_given_speech_when_the_caller_says_a_menu_word_then_queued_by_it_without_get_data(
    live: FastAGIServer,
    engine: Engine,
    audiosocket: AudioSocketServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(menu, "MENU_TIMEOUT_S", 8.0)  # words take well under a second
    leg = Leg(audiosocket.port, tone(400) + silence(1500))
    started = time.monotonic()
    t = call(live.port, CallScript(on_exec=leg), _env(live.port))
    took = time.monotonic() - started
    leg.join()
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    group = t.variables["SPYGROUP"]
    assert leg.originated == [f"Local/{group}@hotline-audiosocket,exten,hotline-spy,{group},1,,a"]
    verbs = _verbs(t)
    assert "GET DATA" not in verbs  # the menu waited for words and keys, not GET DATA
    opened = verbs.index("EXEC Originate")  # listening before the menu's prompt plays
    assert t.commands[opened - 1] == f"SET VARIABLE SPYGROUP {group}"
    after = verbs[opened + 1 :]
    assert set(after[: after.index("WAIT FOR")]) == {"STREAM FILE"}  # the menu, then waiting
    assert leg.received == [b"\x00\x00\x00"]  # the server ended the leg with a hangup frame
    assert took < 8.0  # moved on at the end of speech, not at the keypad timeout
    [record] = _calls(engine)
    assert (record.disposition, record.queue) == ("queued", "repair")


def test_given_speech_when_the_caller_presses_a_key_instead_then_the_key_counts(
    live: FastAGIServer, engine: Engine, audiosocket: AudioSocketServer
) -> None:
    leg = Leg(audiosocket.port, silence(2000))
    script = CallScript(on_exec=leg, wait_keys=[None, None, "4"])
    t = call(live.port, script, _env(live.port))
    leg.join()
    assert t.variables["HOTLINE_QUEUE"] == "complaint"
    assert leg.received == [b"\x00\x00\x00"]  # the leg is hung up when the key wins
    assert "GET DATA" not in _verbs(t)


def test_given_a_crashing_recogniser_then_keys_still_count_and_the_call_keeps_the_keypad(
    live: FastAGIServer, engine: Engine, audiosocket: AudioSocketServer, fake: FakeEngine
) -> None:
    fake.crash = True
    leg = Leg(audiosocket.port, tone(400) + silence(1500))
    # Nothing pressed in the first menu: no input, the menu again, by keypad this time.
    t = call(live.port, CallScript(keys=["3"], on_exec=leg), _env(live.port))
    leg.join()
    assert t.variables["HOTLINE_QUEUE"] == "inquiry"
    assert len(leg.originated) == 1  # no second leg: this call has the keypad from now on
    assert _verbs(t).count("GET DATA") == 1
    [record] = _calls(engine)
    assert "speech.keypad" in _events(engine, record.id)
    assert audiosocket.speech.health()["status"] == "degraded"


def test_given_a_recogniser_too_slow_for_live_audio_then_given_up_within_its_bound(
    live: FastAGIServer, engine: Engine, audiosocket: AudioSocketServer, fake: FakeEngine
) -> None:
    fake.delay_s = 0.06  # 60 ms of work for every 20 ms of audio: ever further behind
    leg = Leg(audiosocket.port, tone(3000))
    t = call(live.port, CallScript(keys=["2"], on_exec=leg), _env(live.port))
    leg.join()
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    assert len(leg.originated) == 1 and _verbs(t).count("GET DATA") == 1
    health = audiosocket.speech.health()
    assert health["timeouts"] >= 1 and "behind" in health["last_problem"]


def test_given_asterisk_never_opens_the_leg_then_the_keypad_until_the_timeout_and_after(
    live: FastAGIServer, engine: Engine, audiosocket: AudioSocketServer
) -> None:
    leg = Leg(audiosocket.port, b"", connect=False)  # AudioSocket unreachable from Asterisk
    started = time.monotonic()
    t = call(live.port, CallScript(keys=["1"], on_exec=leg), _env(live.port))
    assert t.variables["HOTLINE_QUEUE"] == "emergency"
    assert time.monotonic() - started < 2 * MENU_S + 5.0  # not held: the keypad, then on
    # The main menu, then the emergency's kind (keypad only, timed out): no more listening.
    assert len(leg.originated) == 1 and _verbs(t).count("GET DATA") == 2
    assert "never connected" in audiosocket.speech.health()["last_problem"]


def test_given_the_caller_hangs_up_while_listened_to_then_abandoned_and_the_leg_ended(
    live: FastAGIServer, engine: Engine, audiosocket: AudioSocketServer
) -> None:
    leg = Leg(audiosocket.port, silence(3000))
    t = call(live.port, CallScript(on_exec=leg, hangup_on="WAIT FOR DIGIT"), _env(live.port))
    leg.join()
    assert t.closed_cleanly
    [record] = _calls(engine)
    assert record.disposition == "abandoned"
    assert leg.received == [b"\x00\x00\x00"]
    assert audiosocket.health()["waiting"] == 0


def test_given_speech_off_then_the_menu_is_keys_only_as_before(
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
    tmp_path: Path,
    audiosocket: AudioSocketServer,
) -> None:
    off = SpeechService(None)
    server = _serve(engine, tmp_path, speech=SpeechGather(audiosocket, off))
    try:
        leg = Leg(audiosocket.port, b"")
        t = call(server.port, CallScript(keys=["2"], on_exec=leg), _env(server.port))
    finally:
        server.shutdown()
        server.server_close()
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    assert leg.originated == [] and "SPYGROUP" not in t.variables


# RECORD FILE, then recognition: where Asterisk and Hotline share a disk.


def _recorder(pcm: bytes, key: str = "") -> tuple[list[list[str]], object]:
    """``on_record``: write the file as Asterisk would (8 kHz 16-bit mono WAV), reply as it does."""
    seen: list[list[str]] = []

    def record(words: list[str]) -> str:
        seen.append(words)
        if key:
            return f"200 result={ord(key)} (dtmf) endpos=0\n"
        with wave.open(words[2] + "." + words[3], "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(pcm)
        return f"200 result=0 (timeout) endpos={len(pcm) // 2}\n"

    return seen, record


@pytest.fixture
def recorded(
    engine: Engine,
    estate: dict[str, int],  # noqa: F811
    tmp_path: Path,
    speech: SpeechService,
) -> Iterator[FastAGIServer]:
    shared = tmp_path / "shared"
    shared.mkdir()
    server = _serve(engine, tmp_path, recorded=RecordedSpeech(speech, shared))
    yield server
    server.shutdown()
    server.server_close()


def test_given_a_shared_disk_when_the_answer_is_recorded_then_recognised_and_queued(
    recorded: FastAGIServer, engine: Engine, tmp_path: Path
) -> None:
    seen, on_record = _recorder(tone(400) + silence(2000))
    t = call(recorded.port, CallScript(on_record=on_record), _env(recorded.port))  # type: ignore[arg-type]
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    [words] = seen
    assert words[:2] == ["RECORD", "FILE"]
    assert words[2] == str(tmp_path / "shared" / "1763877600.101-1")
    assert words[3:] == ["wav", "0123456789*#", str(int((MENU_S + 8) * 1000)), "0", "s=2"]
    assert list((tmp_path / "shared").iterdir()) == []  # the recording is removed once heard
    assert "GET DATA" not in _verbs(t)


def test_given_a_shared_disk_when_a_key_ends_the_recording_then_the_key_counts(
    recorded: FastAGIServer,
) -> None:
    _, on_record = _recorder(b"", key="3")
    t = call(recorded.port, CallScript(on_record=on_record), _env(recorded.port))  # type: ignore[arg-type]
    assert t.variables["HOTLINE_QUEUE"] == "inquiry"


def test_given_a_shared_disk_and_a_slow_recogniser_then_the_keypad_for_the_rest_of_the_call(
    recorded: FastAGIServer, engine: Engine, fake: FakeEngine
) -> None:
    fake.delay_s = 0.05  # 2.4 s of audio in 0.2 s chunks: 12 × 50 ms, past the 0.4 s bound
    seen, on_record = _recorder(tone(400) + silence(2000))
    started = time.monotonic()
    script = CallScript(keys=["2"], on_record=on_record)  # type: ignore[arg-type]
    t = call(recorded.port, script, _env(recorded.port))
    assert t.variables["HOTLINE_QUEUE"] == "repair"
    assert len(seen) == 1 and _verbs(t).count("GET DATA") == 1
    assert time.monotonic() - started < 0.4 + MENU_S + 5.0  # not held past the bound
    [record] = _calls(engine)
    assert "speech.keypad" in _events(engine, record.id)
