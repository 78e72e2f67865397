"""Free transcription of recordings: messages left after hours, survey comments.

A recording in any format and at any rate (Asterisk's 8 kHz WAV from
``RECORD FILE``, Twilio's recording fetched as WAV) is decoded by ffmpeg to
16-bit mono PCM at the model's own rate, then transcribed by the shared model.
Fetching recordings from where the telephony side keeps them is
:mod:`audio.fetch`'s job; this module starts from the file or its bytes.
The same path, with a grammar, serves menus where Asterisk and Hotline share a
disk but AudioSocket is not available (``RECORD FILE`` then recognition).

Transcription does not hold a caller, so its time bound grows with the
recording: ``timeout_s + seconds * SECONDS_PER_AUDIO_SECOND``.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from audio.speech.exceptions import AudioDecodeError
from audio.speech.recognizer import SpeechService, transcribe_pcm

log = logging.getLogger(__name__)

FFMPEG = "ffmpeg"
DECODE_TIMEOUT_S = 60.0
SECONDS_PER_AUDIO_SECOND = 1.0  # time allowed per second of audio, beyond the service's bound


def decode(source: Path | bytes, rate: int, *, timeout_s: float = DECODE_TIMEOUT_S) -> bytes:
    """``source`` (a file, or a file's bytes) as 16-bit little-endian mono PCM at ``rate`` Hz.

    :raises AudioDecodeError: when ffmpeg is missing, fails, or takes too long.
    """
    command = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error"]
    command += ["-i", "pipe:0" if isinstance(source, bytes) else str(source)]
    command += ["-ac", "1", "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"]
    try:
        done = subprocess.run(
            command,
            input=source if isinstance(source, bytes) else None,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError as exc:
        raise AudioDecodeError("ffmpeg is not installed (make system installs it)") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioDecodeError(f"ffmpeg took longer than {timeout_s:g}s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioDecodeError(f"ffmpeg could not decode the audio: {message[-1:] or '?'}")
    return done.stdout


def transcribe(
    service: SpeechService,
    source: Path | bytes,
    *,
    grammar: list[str] | None = None,
) -> str | None:
    """The text of a recording (free, or limited to ``grammar``); None when off or failed."""
    engine = service.engine
    if engine is None:
        return None
    rate = engine.sample_rate
    try:
        pcm = decode(source, rate)
    except AudioDecodeError as exc:
        log.warning("cannot transcribe %s: %s", _name(source), exc)
        service.record(ok=False, problem=str(exc))
        return None
    seconds = len(pcm) / (2 * rate)
    limit = service.timeout_s + seconds * SECONDS_PER_AUDIO_SECOND

    def work() -> str:
        return transcribe_pcm(engine.recogniser(rate, grammar), pcm, rate)

    return service.bounded(work, limit)


def _name(source: Path | bytes) -> str:
    return f"{len(source)} bytes of audio" if isinstance(source, bytes) else str(source)
