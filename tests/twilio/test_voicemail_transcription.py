"""A message left on Twilio is fetched and transcribed while the app runs, when a model is set."""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio.speech import SpeechService
from audio.speech.transcripts import search_transcripts
from ivr.twilio.outbound import SPEECH, TRANSCRIPTION
from tests.audio.conftest import media_server
from tests.speech.fakes import FakeEngine, silence, tone
from tests.twilio.conftest import call_row, close_the_centre
from tests.twilio.peer import KNOWN, Twilio

MEDIA = "/2010-04-01/Accounts/AC3b6f0a2c7d9e4f1a8b5c2d9e6f3a0b7c/Recordings/RE0001"


@pytest.fixture
def media(tmp_path: Path) -> Iterator[str]:
    """Twilio's media URL, stood in for: the message as a WAV."""
    wav = tmp_path / "message.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(silence(200) + tone(800) + silence(300))
    with media_server(MEDIA, wav.read_bytes()) as origin:
        yield origin + MEDIA


def _leave_message(twilio: Twilio, engine: Engine, url: str) -> int:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("3").press("1")
    callback = phone.verb("Record").attrib["recordingStatusCallback"]
    phone.leave_message(seconds="2")
    params = {
        "AccountSid": phone.form["AccountSid"],
        "CallSid": phone.sid,
        "RecordingSid": "RE0001",
        "RecordingUrl": url,
        "RecordingStatus": "completed",
        "RecordingDuration": "2",
    }
    assert twilio.post(callback, params).status_code == 204
    return call_row(engine, phone.sid).id


@pytest.mark.usefixtures("estate")
def test_with_a_model_the_message_is_transcribed_and_searchable(
    app: Flask, twilio: Twilio, engine: Engine, media: str
) -> None:
    app.extensions[SPEECH] = speech = SpeechService(FakeEngine(words="水管 漏水"), timeout_s=5)
    try:
        call_id = _leave_message(twilio, engine, media)
        found: list[object] = []
        deadline = time.monotonic() + 20
        while not found and time.monotonic() < deadline:
            with Session(engine) as s:
                found = list(s.execute(search_transcripts("漏水")).all())
            time.sleep(0.1)
    finally:
        app.extensions[TRANSCRIPTION].stop()
        speech.close()
    [(event, call)] = found  # type: ignore[misc]
    assert call.id == call_id
    assert (event.note, event.data["recording"]) == ("水管 漏水", "voicemail")


@pytest.mark.usefixtures("estate")
def test_without_a_model_nothing_is_queued(
    app: Flask, twilio: Twilio, engine: Engine, media: str
) -> None:
    _leave_message(twilio, engine, media)
    assert TRANSCRIPTION not in app.extensions
