"""Transcripts of callers' recordings, kept with the call and searchable.

A transcript is a call event ``recording.transcribed`` whose ``note`` holds the
text (a Text column, so the console can search it with LIKE on SQLite and
PostgreSQL alike) and whose ``data`` names the recording (``voicemail``,
``survey-comment`` …, as in ``audio/recordings.py``) and the model that heard it.

Transcription happens off the call: a :class:`TranscriptionQueue` takes a
recording (a file, its bytes, or a function that fetches it, e.g. a Twilio
recording URL) and works through them on its own thread. A full queue or speech
being off never blocks the caller of :meth:`TranscriptionQueue.submit`.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from audio.speech.exceptions import SpeechError
from audio.speech.recognizer import SpeechService
from audio.speech.transcribe import transcribe
from models import Call, CallEvent

log = logging.getLogger(__name__)

TRANSCRIBED = "recording.transcribed"  # the call event kind
QUEUE_SIZE = 200

Source = Path | bytes | Callable[[], bytes]


def save_transcript(
    session: Session, *, call_id: int, recording: str, text: str, model: str
) -> CallEvent:
    """Add the transcript of one of the call's recordings (the caller commits)."""
    event = CallEvent(
        call_id=call_id, kind=TRANSCRIBED, data={"recording": recording, "model": model}, note=text
    )
    session.add(event)
    return event


def search_transcripts(
    words: str, *, community_ids: Collection[int] | None = None, limit: int = 50
) -> Select[CallEvent, Call]:
    """Transcripts containing ``words`` (any case), newest first, optionally in some communities."""
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        select(CallEvent, Call)
        .join(Call, Call.id == CallEvent.call_id)
        .where(CallEvent.kind == TRANSCRIBED, CallEvent.note.ilike(pattern, escape="\\"))
        .order_by(CallEvent.at.desc(), CallEvent.id.desc())
        .limit(limit)
    )
    if community_ids is not None:
        query = query.where(Call.community_id.in_(list(community_ids)))
    return query


@dataclasses.dataclass(frozen=True)
class _Job:
    call_id: int
    recording: str
    source: Source


class TranscriptionQueue:
    """Transcribes recordings in the background and keeps the text with the call."""

    def __init__(
        self,
        speech: SpeechService,
        sessions: Callable[[], Session],
        *,
        size: int = QUEUE_SIZE,
    ) -> None:
        self.speech = speech
        self.sessions = sessions
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=size)
        self._thread: threading.Thread | None = None
        self.counts = {"transcribed": 0, "empty": 0, "failed": 0, "dropped": 0}

    def start(self) -> threading.Thread:
        """Work through the queue on a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="transcription", daemon=True)
        self._thread.start()
        return self._thread

    def submit(self, *, call_id: int, recording: str, source: Source) -> bool:
        """Queue a recording; False (and nothing queued) when speech is off or the queue is full."""
        if not self.speech.enabled:
            return False
        try:
            self._jobs.put_nowait(_Job(call_id, recording, source))
        except queue.Full:
            self.counts["dropped"] += 1
            log.warning(
                "transcription queue full: call %s's %s not transcribed", call_id, recording
            )
            return False
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the queued work (within ``timeout``), then stop."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._transcribe(job)
            except Exception:  # one bad recording must not stop the others
                self.counts["failed"] += 1
                log.exception("transcribing call %s's %s failed", job.call_id, job.recording)

    def _transcribe(self, job: _Job) -> None:
        source = job.source
        if callable(source):
            try:
                source = source()
            except SpeechError as exc:
                self.counts["failed"] += 1
                log.warning("call %s's %s: %s", job.call_id, job.recording, exc)
                return
        text = transcribe(self.speech, source)
        if text is None:
            self.counts["failed"] += 1
            return
        if not text:
            self.counts["empty"] += 1
        model = self.speech.engine.name if self.speech.engine is not None else ""
        with self.sessions() as session:
            save_transcript(
                session, call_id=job.call_id, recording=job.recording, text=text, model=model
            )
            session.commit()
        self.counts["transcribed"] += 1
