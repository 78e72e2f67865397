"""The AudioSocket server against a peer speaking Asterisk's frame format exactly."""

from __future__ import annotations

import io
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from audio.speech import SpeechService, VoskEngine
from ivr.audiosocket import AudioSocketServer, Heard
from ivr.audiosocket.exceptions import ProtocolError
from ivr.audiosocket.protocol import Frame, Kind, encode, read_frame, uuid_frame
from tests.speech.conftest import say_ko
from tests.speech.fakes import FakeEngine, silence, tone
from tests.speech.peer import AsteriskLeg

HANGUP = b"\x00\x00\x00"
CALL = uuid.UUID("3b241101-e2bb-4255-8caf-4136c566a962")


def _serve(speech: SpeechService, **options: float) -> Iterator[AudioSocketServer]:
    server = AudioSocketServer(("127.0.0.1", 0), speech=speech, **options)
    server.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(words="漏水")


@pytest.fixture
def server(engine: FakeEngine) -> Iterator[AudioSocketServer]:
    speech = SpeechService(engine, timeout_s=0.5)
    yield from _serve(speech, read_timeout=1.0)
    speech.close()


def test_given_exact_frames_when_read_then_kinds_lengths_and_payloads_are_asterisks() -> None:
    stream = io.BytesIO(
        b"\x01\x00\x10" + CALL.bytes + b"\x10\x01\x40" + bytes(320) + b"\x03\x00\x01" + b"5"
        b"\xff\x00\x01\x01" + HANGUP
    )
    frames = []
    while (frame := read_frame(stream.read)) is not None:
        frames.append(frame)
    assert frames == [
        Frame(Kind.UUID, CALL.bytes),
        Frame(Kind.AUDIO, bytes(320)),
        Frame(Kind.DTMF, b"5"),
        Frame(Kind.ERROR, b"\x01"),
        Frame(Kind.HANGUP, b""),
    ]
    assert frames[0].uuid() == CALL
    assert uuid_frame(CALL) == b"\x01\x00\x10" + CALL.bytes
    assert encode(Kind.HANGUP) == HANGUP


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x02\x00\x00", "unknown frame kind 0x02"),
        (b"\x01\x00\x04abcd", "uuid frame carries 16 bytes"),
        (b"\x10\x00\x03abc", "whole 16-bit samples"),
        (b"\x10\x00\x00", "whole 16-bit samples"),
        (b"\x10\x01", "inside a frame header"),
        (b"\x10\x01\x40" + bytes(100), "inside a AUDIO payload"),
        (b"\x03\x00\x02ab", "dtmf frame carries 1 byte"),
    ],
)
def test_given_malformed_bytes_when_read_then_protocol_error(data: bytes, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        read_frame(io.BytesIO(data).read)


def test_given_a_caller_who_speaks_when_silence_follows_then_the_waiter_gets_the_words(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL, grammar=["漏水", "[unk]"])
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(tone(400) + silence(600))
    assert listening.wait(5) == Heard(text="漏水")
    assert listening.connected.is_set()
    assert leg.received() == HANGUP  # the server ends the AudioSocket leg, then closes
    leg.close()
    assert server.speech.health()["recognitions"] == 1


def test_given_the_real_korean_model_when_a_word_streams_in_then_it_is_recognised(
    ko_engine: VoskEngine,
) -> None:
    speech = SpeechService(ko_engine, timeout_s=10.0)
    for server in _serve(speech):
        listening = server.expect(grammar=["물", "화재", "엘리베이터", "상담원"])
        leg = AsteriskLeg(server.port, listening.uuid)
        leg.send_uuid()
        leg.send_audio(say_ko("화재") + silence(1000))
        assert listening.wait(10) == Heard(text="화재")
        assert leg.received() == HANGUP
        leg.close()
    speech.close()


def test_given_a_key_on_the_leg_when_received_then_the_waiter_gets_the_digit(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(silence(100))
    leg.send_raw(b"\x03\x00\x01" + b"2")
    assert listening.wait(5) == Heard(digits="2")
    leg.close()


def test_given_the_caller_hangs_up_mid_word_when_the_leg_ends_then_the_words_so_far(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(tone(200))
    leg.hang_up()
    assert listening.wait(5) == Heard(text="漏水")
    leg.close()


def test_given_silence_only_when_the_leg_closes_then_nothing_was_heard(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(silence(500))
    leg.close()
    assert listening.wait(5) is None
    assert listening.reason == "caller gone"


@pytest.mark.parametrize(
    ("after_uuid", "first"),
    [
        (b"\x02\x00\x00", True),  # unknown kind
        (b"\x10\x00\x03abc", True),  # half a sample
        (b"\xff\x00\x01\x01", True),  # Asterisk's error frame: the caller hung up
        (b"\x10\x01\x40" + bytes(10), True),  # a frame cut short, then the socket closes
        (b"\x10\x01\x40" + bytes(320), False),  # audio before the uuid
    ],
)
def test_given_malformed_frames_when_received_then_closed_and_the_server_goes_on(
    server: AudioSocketServer, after_uuid: bytes, first: bool
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_raw((uuid_frame(CALL) if first else b"") + after_uuid)  # one write, as Asterisk
    try:
        leg.sock.shutdown(socket.SHUT_WR)  # nothing more from "Asterisk"
    except OSError:
        pass  # the server has already closed its end
    assert leg.received() == HANGUP
    leg.close()
    if first:
        assert listening.wait(5) is None
        assert listening.reason.startswith("error")
    else:
        assert not listening.connected.is_set()
    again = server.expect(uuid.uuid4())
    leg = AsteriskLeg(server.port, again.uuid)
    leg.send_uuid()
    leg.send_audio(tone(300) + silence(500))
    assert again.wait(5) == Heard(text="漏水")
    leg.close()


def test_given_a_uuid_nobody_announced_when_it_connects_then_hung_up_at_once(
    server: AudioSocketServer,
) -> None:
    leg = AsteriskLeg(server.port, uuid.uuid4())
    leg.send_uuid()
    assert leg.received() == HANGUP
    leg.close()


def test_given_a_leg_that_goes_quiet_when_the_read_timeout_passes_then_closed(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    started = time.monotonic()
    assert leg.received() == HANGUP
    assert 0.8 < time.monotonic() - started < 3
    assert listening.wait(1) is None
    leg.close()


def test_given_the_waiter_moves_on_when_cancelled_then_the_leg_is_hung_up(
    server: AudioSocketServer,
) -> None:
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(silence(100))
    listening.connected.wait(5)
    listening.cancel()
    leg.send_audio(silence(40))  # the next frame lets the server notice
    assert leg.received() == HANGUP
    assert listening.wait(0) is None and listening.reason == "cancelled"
    leg.close()


def test_given_a_slow_recogniser_when_the_waiter_has_a_deadline_then_it_is_kept(
    engine: FakeEngine, server: AudioSocketServer
) -> None:
    engine.delay_s = 0.5  # each 20 ms frame takes half a second to recognise
    listening = server.expect(CALL)
    leg = AsteriskLeg(server.port, CALL)
    leg.send_uuid()
    leg.send_audio(tone(200) + silence(400))
    started = time.monotonic()
    assert listening.wait(0.3) is None  # the menu goes on with the keypad
    assert time.monotonic() - started < 1.0
    listening.cancel()
    leg.close()


def test_given_twenty_calls_at_once_when_they_speak_then_each_gets_its_own_result(
    server: AudioSocketServer,
) -> None:
    results: dict[int, Heard | None] = {}

    def call(n: int) -> None:
        listening = server.expect()
        leg = AsteriskLeg(server.port, listening.uuid)
        leg.send_uuid()
        leg.send_audio(tone(200) + silence(400))
        results[n] = listening.wait(10)
        leg.close()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == {n: Heard(text="漏水") for n in range(20)}
