"""Callers' recordings (after-hours voicemail, survey comments), kept with their call.

Layout: ``<data dir>/recordings/<call id>/<kind>.wav`` (8 kHz mono 16-bit, what the
telephone carried) and ``<kind>.mp3`` (for the console's audio player). ``kind``
names the recording within its call: ``voicemail``, ``survey-comment``,
``survey-comment-2`` … Files are written under a temporary name and renamed, so a
half-converted recording is never served.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.exceptions import AudioError, BadRecording
from audio.fetch import RecordingSource
from audio.speech.recognizer import SpeechService
from audio.speech.transcribe import transcribe
from audio.speech.transcripts import TRANSCRIBED, save_transcript
from audio.tools import TELEPHONE_RATE, AudioTools
from models import CallEvent

log = logging.getLogger(__name__)

# The call events that carry a caller's recording (its ``ref``), and the kind it is kept as.
RECORDING_EVENTS = {"call.message": "voicemail", "survey.comment": "survey-comment"}
FOLDER = "recordings"
KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")
MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
WEB_RATE = 16000  # MPEG-2 Layer III: every browser plays it; plenty for telephone speech
WEB_BITRATE = "32k"


@dataclasses.dataclass(frozen=True)
class StoredRecording:
    """One recording as kept: its files and length."""

    call_id: int
    kind: str
    wav: Path
    mp3: Path
    seconds: float


def recording_dir(data_dir: Path, call_id: int) -> Path:
    """The folder of one call's recordings."""
    return data_dir / FOLDER / str(int(call_id))


def recording_path(data_dir: Path, call_id: int, kind: str, fmt: str = "mp3") -> Path:
    """Where a call's recording of ``kind`` is (or would be) kept in ``fmt``.

    :raises BadRecording: for a kind or format this layout does not have.
    """
    if not KIND.fullmatch(kind):
        raise BadRecording(f"not a recording kind: {kind!r}")
    if fmt not in MEDIA_TYPES:
        raise BadRecording(f"recordings are kept as {' or '.join(MEDIA_TYPES)}, not {fmt!r}")
    return recording_dir(data_dir, call_id) / f"{kind}.{fmt}"


def store_recording(
    tools: AudioTools, source: Path, *, data_dir: Path, call_id: int, kind: str
) -> StoredRecording:
    """Convert ``source`` (any format ffmpeg reads) and keep it with call ``call_id``.

    A second recording of the same kind replaces the first.
    """
    wav, mp3 = (recording_path(data_dir, call_id, kind, fmt) for fmt in ("wav", "mp3"))
    wav.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=wav.parent, prefix=".converting-") as tmp:
        new_wav, new_mp3 = Path(tmp) / wav.name, Path(tmp) / mp3.name
        tools.convert(source, new_wav, rate=TELEPHONE_RATE, codec="pcm_s16le")
        tools.convert(source, new_mp3, rate=WEB_RATE, codec="libmp3lame", bitrate=WEB_BITRATE)
        with wave.open(str(new_wav), "rb") as opened:
            seconds = opened.getnframes() / opened.getframerate()
        new_wav.replace(wav)
        new_mp3.replace(mp3)
    return StoredRecording(call_id=call_id, kind=kind, wav=wav, mp3=mp3, seconds=seconds)


def stored_kinds(data_dir: Path, call_id: int) -> list[str]:
    """The kinds of recording kept for a call, for the console to offer."""
    folder = recording_dir(data_dir, call_id)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.mp3") if KIND.fullmatch(p.stem))


@dataclasses.dataclass
class Collected:
    """What :func:`collect_recordings` kept, and what it could not (call id, reason)."""

    stored: list[StoredRecording] = dataclasses.field(default_factory=list)
    failed: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    transcribed: int = 0  # transcripts added (speech on)


def collect_recordings(
    session: Session,
    *,
    tools: AudioTools,
    source: RecordingSource,
    data_dir: Path,
    speech: SpeechService | None = None,
    on_transcript: Callable[[Session, StoredRecording], None] | None = None,
) -> Collected:
    """Fetch, convert and keep every recording the calls' events name and that is not kept yet.

    With ``speech`` on, each recording kept is also transcribed (free text, kept as a
    ``recording.transcribed`` call event the console searches), unless it already
    has a transcript (a survey comment transcribed while the call was on Twilio);
    ``on_transcript(session, kept)`` then hears of it (e.g. to copy a survey comment's
    text onto the survey's answers).
    """
    done = Collected()
    events = session.execute(
        select(CallEvent.call_id, CallEvent.kind, CallEvent.data)
        .where(CallEvent.kind.in_(RECORDING_EVENTS))
        .order_by(CallEvent.id)
    )
    for call_id, event_kind, data in events:
        kind, ref = RECORDING_EVENTS[event_kind], str((data or {}).get("ref") or "")
        if not ref or kind in stored_kinds(data_dir, call_id):
            continue
        try:
            with tempfile.TemporaryDirectory(prefix="hotline-recording-") as tmp:
                fetched = Path(tmp) / "source"
                source.fetch(ref, fetched)
                kept = store_recording(
                    tools, fetched, data_dir=data_dir, call_id=call_id, kind=kind
                )
        except AudioError as exc:
            log.warning("call %s: recording %s not kept: %s", call_id, ref, exc)
            done.failed.append((call_id, str(exc)))
        else:
            done.stored.append(kept)
            if speech is not None and speech.enabled and transcribe_kept(session, speech, kept):
                done.transcribed += 1
                if on_transcript is not None:
                    on_transcript(session, kept)
    return done


def transcribe_kept(session: Session, speech: SpeechService, kept: StoredRecording) -> bool:
    """Transcribe a kept recording and keep the text with its call (committed); False when it
    already had a transcript or recognition failed (health and the log say why)."""
    earlier = session.scalars(
        select(CallEvent.data).where(
            CallEvent.call_id == kept.call_id, CallEvent.kind == TRANSCRIBED
        )
    )
    if any((data or {}).get("recording") == kept.kind for data in earlier):
        return False
    text = transcribe(speech, kept.wav)
    if text is None:
        return False
    model = speech.engine.name if speech.engine is not None else ""
    save_transcript(session, call_id=kept.call_id, recording=kept.kind, text=text, model=model)
    session.commit()
    return True
