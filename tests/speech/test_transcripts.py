"""Transcripts kept with the call and found again by their words, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import wave
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from audio.speech import AudioDecodeError, SpeechService
from audio.speech.transcripts import (
    TRANSCRIBED,
    TranscriptionQueue,
    save_transcript,
    search_transcripts,
)
from models import Call, CallEvent, Direction
from models.db import session_factory
from tests import factories
from tests.speech.fakes import FakeEngine, tone


def _call(session: Session, community_id: int | None, sid: str = "1700000000.1") -> Call:
    call = Call(
        provider="asterisk",
        provider_call_id=sid,
        direction=Direction.INBOUND,
        community_id=community_id,
    )
    session.add(call)
    session.flush()
    return call


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(tone(300))
    return path


def test_given_transcripts_when_searched_then_found_by_words_within_the_communities(
    session: Session,
) -> None:
    sh01 = factories.community(session, "SH01")
    sh02 = factories.community(session, "SH02", name="碧水湾")
    leak = _call(session, sh01.id, "a")
    fees = _call(session, sh02.id, "b")
    save_transcript(
        session, call_id=leak.id, recording="voicemail", text="厨房 漏水 了 请 尽快", model="m"
    )
    save_transcript(
        session, call_id=fees.id, recording="voicemail", text="Water 100% off", model="m"
    )
    session.commit()
    found = session.execute(search_transcripts("漏水")).all()
    assert [(event.note, call.id) for event, call in found] == [("厨房 漏水 了 请 尽快", leak.id)]
    assert found[0][0].data == {"recording": "voicemail", "model": "m"}
    assert session.execute(search_transcripts("water")).all()[0][1].id == fees.id  # any case
    assert session.execute(search_transcripts("漏水", community_ids=[sh02.id])).all() == []
    assert session.execute(search_transcripts("0%")).all()[0][1].id == fees.id
    assert session.execute(search_transcripts("_")).all() == []  # LIKE wildcards are literal


def test_given_a_queue_when_recordings_arrive_then_each_is_transcribed_and_kept(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    call = _call(session, factories.community(session).id)
    session.commit()
    speech = SpeechService(FakeEngine(words="电梯 坏 了"), timeout_s=5)
    worker = TranscriptionQueue(speech, session_factory(engine))
    worker.start()
    wav = _wav(tmp_path / "voicemail.wav")
    assert worker.submit(call_id=call.id, recording="voicemail", source=wav)
    assert worker.submit(call_id=call.id, recording="survey-comment", source=wav.read_bytes)
    worker.stop()
    assert worker.counts == {"transcribed": 2, "empty": 0, "failed": 0, "dropped": 0}
    events = session.scalars(
        select(CallEvent).where(CallEvent.kind == TRANSCRIBED).order_by(CallEvent.id)
    ).all()
    assert [(e.data["recording"], e.note) for e in events] == [
        ("voicemail", "电梯 坏 了"),
        ("survey-comment", "电梯 坏 了"),
    ]
    speech.close()


def test_given_a_fetch_that_fails_when_queued_then_counted_and_the_next_one_still_done(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    call = _call(session, None)
    session.commit()
    speech = SpeechService(FakeEngine(), timeout_s=5)
    worker = TranscriptionQueue(speech, session_factory(engine))
    worker.start()

    def unreachable() -> bytes:
        raise AudioDecodeError("cannot fetch the recording")

    worker.submit(call_id=call.id, recording="voicemail", source=unreachable)
    worker.submit(call_id=call.id, recording="voicemail", source=tmp_path / "missing.wav")
    worker.submit(call_id=call.id, recording="voicemail", source=_wav(tmp_path / "ok.wav"))
    worker.stop()
    assert worker.counts == {"transcribed": 1, "empty": 0, "failed": 2, "dropped": 0}
    speech.close()


def test_given_speech_off_or_a_full_queue_when_submitting_then_refused_at_once(
    tmp_path: Path,
) -> None:
    off = TranscriptionQueue(SpeechService(None), sessions=lambda: None)  # type: ignore[arg-type,return-value]
    assert not off.submit(call_id=1, recording="voicemail", source=b"")
    speech = SpeechService(FakeEngine())
    full = TranscriptionQueue(speech, sessions=lambda: None, size=1)  # type: ignore[arg-type,return-value]
    started = time.monotonic()
    assert full.submit(call_id=1, recording="voicemail", source=b"")
    assert not full.submit(call_id=1, recording="voicemail", source=b"")  # not started: full
    assert time.monotonic() - started < 0.5
    assert full.counts["dropped"] == 1
    speech.close()
