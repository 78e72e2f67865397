"""The speech service: one shared model, a recogniser per call, a hard time bound.

One :class:`SpeechService` per process holds the loaded model (``HOTLINE_VOSK_MODEL``);
every call gets its own recogniser from it. With no model configured, or one that
cannot be loaded, the service is *off*: ``enabled`` is false, every recognition
answers None, menus take the keypad only, and the log says so once.

A recogniser never holds a call: whole-buffer recognition runs in a small worker
pool and the caller waits at most ``timeout_s``; a recogniser that is slow or
raises answers None, the menu falls back to the keypad for that call, and
``health()`` (shown on ``/healthz``) turns ``degraded``. A worker stuck inside
libvosk cannot be killed, only abandoned; the pool's other workers go on.
"""

from __future__ import annotations

import array
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, TypeVar

from audio.speech import grammar
from audio.speech.engine import UNKNOWN_WORD, Engine, Recogniser, VoskEngine
from audio.speech.exceptions import ModelUnavailable

if TYPE_CHECKING:
    from hotline.config import Config

log = logging.getLogger(__name__)

T = TypeVar("T")

TELEPHONY_RATE = 8000  # Asterisk's slin and Twilio's recordings: 8 kHz, 16-bit, mono
DEFAULT_TIMEOUT_S = 1.5
DEFAULT_END_SILENCE_MS = 300  # quiet after speech that ends a spoken menu answer
DEFAULT_COMPLETE_SILENCE_MS = 160  # enough quiet once the words are a whole menu phrase
DEFAULT_SPEECH_RMS = 300  # 16-bit RMS above which a chunk counts as speech (about -40 dBFS)
HEALTH_WINDOW = 20  # recent recognitions /healthz looks at

_told: set[str] = set()  # "speech is off" reasons already logged in this process
_told_lock = threading.Lock()


def _tell_once(reason: str, level: int = logging.WARNING) -> None:
    with _told_lock:
        if reason in _told:
            return
        _told.add(reason)
    log.log(level, "speech recognition is off (%s): menus take the keypad only", reason)


def rms(pcm: bytes) -> float:
    """Root-mean-square level of 16-bit little-endian PCM."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class Utterance:
    """One caller's answer to one menu: audio in, end of speech detected, text out.

    Speech ends at Vosk's own endpoint, or after ``end_silence_ms`` of quiet once
    the caller has said something, whichever comes first; sooner, after only
    ``complete_silence_ms``, when the words so far are already a whole phrase of
    the menu's grammar (a menu answer is one phrase: nothing more is coming).
    Not thread-safe: one connection feeds it.
    """

    def __init__(
        self,
        recogniser: Recogniser,
        *,
        rate: int = TELEPHONY_RATE,
        end_silence_ms: int = DEFAULT_END_SILENCE_MS,
        complete_silence_ms: int = DEFAULT_COMPLETE_SILENCE_MS,
        speech_rms: float = DEFAULT_SPEECH_RMS,
        grammar: list[str] | None = None,
    ) -> None:
        self._recogniser = recogniser
        self._phrases = frozenset(grammar or ()) - {UNKNOWN_WORD}
        self._complete_silence_ms = complete_silence_ms
        self._bytes_per_ms = rate * 2 / 1000
        self._end_silence_ms = end_silence_ms
        self._speech_rms = speech_rms
        self._texts: list[str] = []
        self._quiet_ms = 0.0
        self._text: str | None = None
        self.heard_speech = False  # the caller's voice rose above the speech level
        self.ended = False
        self.ended_at = 0.0  # time.monotonic() when the end of speech was decided

    def feed(self, pcm: bytes) -> bool:
        """Feed audio; true once the caller has finished speaking."""
        if self.ended:
            return True
        if self._recogniser.accept(pcm):
            said = self._recogniser.result()
            if said:
                self._texts.append(said)
                return self._end()
        loud = rms(pcm) >= self._speech_rms
        self.heard_speech = self.heard_speech or loud
        self._quiet_ms = 0.0 if loud else self._quiet_ms + len(pcm) / self._bytes_per_ms
        if self.heard_speech and self._quiet_ms >= self._end_silence_ms:
            return self._end()
        if self.heard_speech and self._phrases and self._quiet_ms >= self._complete_silence_ms:
            if self._recogniser.partial() in self._phrases:
                return self._end()
        return False

    def _end(self) -> bool:
        self.ended = True
        self.ended_at = time.monotonic()
        return True

    def text(self) -> str:
        """Everything recognised, flushing the utterance still open (once)."""
        if self._text is None:
            tail = self._recogniser.final()
            self._text = " ".join(t for t in [*self._texts, tail] if t)
        return self._text


class SpeechService:
    """The process's speech recognition: a shared model, bounded work, health."""

    def __init__(
        self,
        engine: Engine | None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        workers: int = 4,
        end_silence_ms: int = DEFAULT_END_SILENCE_MS,
        off_reason: str = "",
    ) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.end_silence_ms = end_silence_ms
        self.off_reason = off_reason if engine is None else ""
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="speech")
            if engine is not None
            else None
        )
        self._grammars: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._lock = threading.Lock()
        self._recent: deque[bool] = deque(maxlen=HEALTH_WINDOW)
        self._counts = {"recognitions": 0, "timeouts": 0, "failures": 0}
        self._last_problem = ""
        self.parts: dict[str, Callable[[], dict[str, Any]]] = {}  # e.g. the AudioSocket server

    @classmethod
    def from_config(cls, config: Config, *, workers: int = 4) -> SpeechService:
        """The service for ``config.vosk_model``; off (and logged once) without a usable model."""
        timeout_s = config.speech_timeout_s
        if not config.vosk_model:
            reason = "HOTLINE_VOSK_MODEL is not set"
            _tell_once(reason, logging.INFO)
            return cls(None, timeout_s=timeout_s, off_reason=reason)
        try:
            engine = VoskEngine(config.vosk_model)
        except ModelUnavailable as exc:
            _tell_once(str(exc), logging.ERROR)
            return cls(None, timeout_s=timeout_s, off_reason=str(exc))
        log.info("speech recognition on: model %s at %d Hz", engine.name, engine.sample_rate)
        return cls(engine, timeout_s=timeout_s, workers=workers)

    @property
    def enabled(self) -> bool:
        return self.engine is not None

    def grammar(self, language: str, hints: Iterable[str] = ()) -> list[str] | None:
        """The menu grammar for ``language`` and a gather's ``hints``; None when off."""
        if self.engine is None:
            return None
        key = (language, tuple(hints))
        with self._lock:
            found = self._grammars.get(key)
        if found is None:
            found = grammar.grammar_for(self.engine, language, key[1])
            with self._lock:
                self._grammars[key] = found
        return found

    def utterance(
        self, *, rate: int = TELEPHONY_RATE, grammar: list[str] | None = None
    ) -> Utterance | None:
        """A new per-call recogniser for live audio at ``rate``; None when off."""
        if self.engine is None:
            return None
        recogniser = self.engine.recogniser(rate, grammar)
        return Utterance(recogniser, rate=rate, end_silence_ms=self.end_silence_ms, grammar=grammar)

    def recognise(
        self,
        pcm: bytes,
        *,
        rate: int = TELEPHONY_RATE,
        grammar: list[str] | None = None,
        timeout_s: float | None = None,
    ) -> str | None:
        """Text of ``pcm`` (free, or limited to ``grammar``) within the time bound, else None."""
        engine = self.engine
        if engine is None:
            return None

        def work() -> str:
            return transcribe_pcm(engine.recogniser(rate, grammar), pcm, rate)

        return self.bounded(work, timeout_s)

    def bounded(self, work: Callable[[], T], timeout_s: float | None = None) -> T | None:
        """``work()`` on a worker, waited for at most ``timeout_s``; None if late or failed."""
        if self._pool is None:
            return None
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            future: Future[T] = self._pool.submit(work)
        except RuntimeError as exc:  # the pool was shut down
            self.record(ok=False, problem=f"worker pool closed: {exc}")
            return None
        try:
            value = future.result(timeout=limit)
        except FutureTimeout:
            future.cancel()
            self.record(ok=False, problem=f"recognition took longer than {limit:g}s", late=True)
            return None
        except Exception as exc:
            log.warning("speech recognition failed: %s", exc, exc_info=True)
            self.record(ok=False, problem=f"recogniser failed: {exc}")
            return None
        self.record(ok=True)
        return value

    def record(self, *, ok: bool, problem: str = "", late: bool = False) -> None:
        """Count one recognition's outcome for ``health()``."""
        with self._lock:
            self._counts["recognitions"] += 1
            if not ok:
                self._counts["timeouts" if late else "failures"] += 1
                self._last_problem = problem
            self._recent.append(ok)
        if not ok:
            log.warning("speech: %s; this call falls back to the keypad", problem)

    def health(self) -> dict[str, Any]:
        """For ``/healthz``: off, ok, or degraded when a recent recognition was late or failed."""
        if self.engine is None:
            return {"status": "off", "reason": self.off_reason}
        with self._lock:
            body: dict[str, Any] = {
                "status": "ok" if all(self._recent) else "degraded",
                "model": self.engine.name,
                "model_rate": self.engine.sample_rate,
                "timeout_s": self.timeout_s,
                **self._counts,
            }
            if self._last_problem:
                body["last_problem"] = self._last_problem
        for name, part in self.parts.items():
            body[name] = part()
        return body

    def close(self) -> None:
        """Stop taking work; running recognitions are abandoned, not waited for."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


CHUNK_S = 0.2  # audio fed to Vosk at once when transcribing a buffer


def transcribe_pcm(recogniser: Recogniser, pcm: bytes, rate: int) -> str:
    """All the text in ``pcm``, utterance by utterance."""
    step = int(rate * CHUNK_S) * 2
    texts = []
    for start in range(0, len(pcm), step):
        if recogniser.accept(pcm[start : start + step]):
            texts.append(recogniser.result())
    texts.append(recogniser.final())
    return " ".join(t for t in texts if t)
