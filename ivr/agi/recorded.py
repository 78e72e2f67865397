"""Speech for a gather without AudioSocket: ``RECORD FILE`` the answer, then recognise it.

The fallback where Asterisk and Hotline share a disk (``HOTLINE_SPEECH_RECORD_DIR``,
the same path on both machines, or one machine). After the prompt, Asterisk
records the caller until a key, ``silence_s`` seconds of quiet, or the gather's
timeout plus time to speak; Hotline reads the 8 kHz WAV Asterisk wrote and
recognises it against the menu's grammar within the speech service's hard
bound. A key ends the recording and counts as the caller's choice.

``RECORD FILE`` replies ``200 result=<ascii> (dtmf) endpos=N`` when a key ended
it, ``200 result=0 (timeout) endpos=N`` on silence or the timeout, and
``200 result=-1 (hangup)`` when the caller hangs up (res_agi's handle_recordfile).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import wave
from pathlib import Path
from typing import Any, Protocol

from audio.speech.engine import UNKNOWN_WORD
from audio.speech.exceptions import SpeechError
from audio.speech.recognizer import SpeechService
from audio.speech.transcribe import decode
from ivr.audiosocket.gather import MAX_SPEAKING_S
from ivr.audiosocket.server import Heard
from ivr.flow import Gather

log = logging.getLogger(__name__)

ESCAPE_DIGITS = "0123456789*#"
SILENCE_S = 2  # RECORD FILE's silence detection counts whole seconds


class AGIChannel(Protocol):
    """What this needs of ``ivr.agi.channel.Channel``."""

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]: ...


@dataclasses.dataclass
class RecordedSpeech:
    """Records a spoken menu answer into the shared directory and recognises it."""

    speech: SpeechService
    directory: Path
    silence_s: int = SILENCE_S

    def grammar(self, gather: Gather) -> list[str] | None:
        """The menu's grammar, or None when this gather is keypad only here."""
        if not gather.speech or not self.speech.enabled:
            return None
        grammar = self.speech.grammar(gather.language, gather.hints)
        if not grammar or grammar == [UNKNOWN_WORD]:
            return None  # the model knows none of the menu's words
        return grammar

    def takes(self, gather: Gather) -> bool:
        return self.grammar(gather) is not None

    def listen(self, channel: AGIChannel, gather: Gather, name: str) -> tuple[Heard | None, str]:
        """Record and recognise one answer: (what was heard or None, why speech failed or '').

        A failure (the file unreadable, the recogniser late or crashed) is the
        second element; the caller's script then takes the keypad for the call.
        """
        grammar = self.grammar(gather)
        path = self.directory / name
        limit_ms = int(math.ceil(gather.timeout_s + MAX_SPEAKING_S) * 1000)
        result = channel.execute(
            "RECORD FILE", f'"{path}"', "wav", f'"{ESCAPE_DIGITS}"', limit_ms, 0,
            f"s={self.silence_s}",
        )  # fmt: skip
        wav = path.parent / f"{path.name}.wav"  # Asterisk adds the format's extension
        try:
            code, how = result["result"]
            if how == "dtmf" and code not in ("", "0"):
                return Heard(digits=chr(int(code))), ""
            if int(result.get("endpos", ("0", ""))[0] or 0) == 0:
                return None, ""  # nothing recorded: no input
            try:
                pcm = _slin(wav)
            except (SpeechError, OSError) as exc:
                log.warning("recorded answer %s unreadable: %s", wav, exc)
                self.speech.record(ok=False, problem=f"recorded answer unreadable: {exc}")
                return None, f"recorded answer unreadable: {exc}"
            text = self.speech.recognise(pcm, rate=8000, grammar=grammar)
            if text is None:
                return None, "recognition failed or was late"
            return (Heard(text=text) if text else None), ""
        finally:
            wav.unlink(missing_ok=True)


def _slin(wav: Path) -> bytes:
    """The 8 kHz 16-bit mono samples of Asterisk's ``wav`` format (ffmpeg for anything else)."""
    try:
        with wave.open(str(wav), "rb") as reader:
            shape = (reader.getframerate(), reader.getsampwidth(), reader.getnchannels())
            if shape == (8000, 2, 1):
                return reader.readframes(reader.getnframes())
    except wave.Error:
        pass
    return decode(wav, 8000)
