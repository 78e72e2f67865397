"""Voicemail left on Asterisk or Twilio is fetched, converted and kept with its call."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio.exceptions import BadRecording
from audio.fetch import RecordingSource
from audio.recordings import collect_recordings, recording_path, stored_kinds
from audio.speech import SpeechService
from audio.speech.transcripts import save_transcript, search_transcripts
from audio.tools import AudioTools
from hotline.cli import cli
from models import Call, CallEvent, Direction
from tests import factories
from tests.audio.conftest import media_server, tone
from tests.speech.fakes import FakeEngine

SID, TOKEN = "AC" + "0" * 32, "secret-token"
RECORDING = f"/2010-04-01/Accounts/{SID}/Recordings/RE0123"


@pytest.fixture
def twilio(tmp_path: Path) -> Iterator[str]:
    """A stand-in for Twilio's media URL: the WAV to callers with the account's credentials."""
    body = tone(tmp_path / "twilio.wav", hz=600, rate=8000, seconds=2.0).read_bytes()
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    with media_server(RECORDING, body, authorization=expected) as origin:
        yield origin


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    """Asterisk's sounds directory with one message RECORD FILE left."""
    folder = tmp_path / "sounds" / "hotline" / "messages"
    folder.mkdir(parents=True)
    tone(folder / "1700000000.1.wav", hz=440, rate=8000, seconds=1.0)
    return tmp_path / "sounds"


def add_call(session: Session, community_id: int, ref: str) -> int:
    call = Call(provider="x", provider_call_id=ref[-60:], direction=Direction.INBOUND)
    call.community_id = community_id
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, kind="call.message", data={"ref": ref, "seconds": 1}))
    session.commit()
    return call.id


def test_messages_from_asterisk_and_twilio_are_kept_once(
    session: Session, tools: AudioTools, tmp_path: Path, sounds: Path, twilio: str
) -> None:
    community = factories.community(session)
    session.commit()
    by_asterisk = add_call(session, community.id, "asterisk:hotline/messages/1700000000.1.wav")
    by_twilio = add_call(session, community.id, twilio + RECORDING)
    lost = add_call(session, community.id, "asterisk:hotline/messages/gone.wav")
    add_call(session, community.id, "")  # hung up before a word: nothing to keep
    source = RecordingSource(
        asterisk_sounds_dir=sounds, twilio_account_sid=SID, twilio_auth_token=TOKEN
    )
    data = tmp_path / "data"

    done = collect_recordings(session, tools=tools, source=source, data_dir=data)
    assert sorted((r.call_id, r.kind, round(r.seconds, 1)) for r in done.stored) == [
        (by_asterisk, "voicemail", 1.0),
        (by_twilio, "voicemail", 2.0),
    ]
    assert [call_id for call_id, _ in done.failed] == [lost]
    assert recording_path(data, by_twilio, "voicemail").is_file()
    assert stored_kinds(data, lost) == []

    again = collect_recordings(session, tools=tools, source=source, data_dir=data)
    assert again.stored == [] and len(again.failed) == 1


def test_twilio_without_the_right_credentials_is_a_failure(twilio: str, tmp_path: Path) -> None:
    source = RecordingSource(
        asterisk_sounds_dir=tmp_path, twilio_account_sid=SID, twilio_auth_token="wrong"
    )
    with pytest.raises(BadRecording, match="401"):
        source.fetch(twilio + RECORDING, tmp_path / "out.wav")


@pytest.mark.parametrize(
    "ref", ["asterisk:../outside.wav", "asterisk:/etc/passwd", "file:///etc/passwd", "RE0123"]
)
def test_references_outside_the_sources_are_refused(sounds: Path, ref: str) -> None:
    (sounds.parent / "outside.wav").write_bytes(b"RIFF")
    source = RecordingSource(asterisk_sounds_dir=sounds)
    with pytest.raises(BadRecording):
        source.fetch(ref, sounds.parent / "copy.wav")


def test_cli_collects(engine: Engine, db_url: str, tmp_path: Path, sounds: Path) -> None:
    with Session(engine) as s:
        community = factories.community(s)
        s.commit()
        call_id = add_call(s, community.id, "asterisk:hotline/messages/1700000000.1.wav")
    env = {
        "HOTLINE_DATABASE_URL": db_url,
        "HOTLINE_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE_ASTERISK_SOUNDS_DIR": str(sounds),
    }
    result = CliRunner().invoke(cli, ["recordings", "collect"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 recording(s) kept, 0 not" in result.output
    assert stored_kinds(tmp_path / "data", call_id) == ["voicemail"]


def test_with_speech_on_each_kept_recording_is_transcribed_once_and_searchable(
    session: Session, tools: AudioTools, tmp_path: Path, sounds: Path
) -> None:
    community = factories.community(session)
    session.commit()
    folder = sounds / "hotline" / "messages"
    (folder / "1700000000.2.wav").write_bytes((folder / "1700000000.1.wav").read_bytes())
    message = add_call(session, community.id, "asterisk:hotline/messages/1700000000.1.wav")
    commented = add_call(session, community.id, "asterisk:hotline/messages/1700000000.2.wav")
    save_transcript(session, call_id=commented, recording="voicemail", text="已有", model="m")
    session.commit()  # transcribed before it was collected (Twilio's comment queue)
    speech = SpeechService(FakeEngine(words="漏水"), timeout_s=5.0)
    source = RecordingSource(asterisk_sounds_dir=sounds)
    try:
        done = collect_recordings(
            session, tools=tools, source=source, data_dir=tmp_path / "data", speech=speech
        )
    finally:
        speech.close()
    assert len(done.stored) == 2 and done.transcribed == 1
    found = session.execute(search_transcripts("漏水", community_ids=[community.id])).all()
    assert [(event.call_id, event.data["recording"]) for event, _ in found] == [
        (message, "voicemail")
    ]
    assert [e.note for e, _ in session.execute(search_transcripts("已有")).all()] == ["已有"]
