"""A scripted stand-in for a Vosk model, for what a real model cannot be made to do
on demand: be slow, crash, or hear exactly the words a test wants."""

from __future__ import annotations

import time

from audio.speech.recognizer import rms


class FakeRecogniser:
    """Hears ``words`` once it has been fed loud audio; ends at ``endpoint_after`` bytes."""

    def __init__(self, engine: FakeEngine, rate: int, grammar: list[str] | None) -> None:
        self.engine = engine
        self.rate = rate
        self.grammar = grammar
        self.fed = 0
        self.loud = False

    def accept(self, pcm: bytes) -> bool:
        if self.engine.delay_s:
            time.sleep(self.engine.delay_s)
        if self.engine.crash:
            raise RuntimeError("Failed to process waveform")
        self.fed += len(pcm)
        self.loud = self.loud or rms(pcm) > 1000
        return self.engine.endpoint_after is not None and self.fed >= self.engine.endpoint_after

    def partial(self) -> str:
        return self.engine.words if self.loud else ""

    def result(self) -> str:
        return self.final()

    def final(self) -> str:
        said, self.loud = (self.engine.words if self.loud else ""), False
        return said


class FakeEngine:
    """A model with a chosen vocabulary whose recognisers hear ``words``."""

    name = "fake-model"
    sample_rate = 16000

    def __init__(self, vocabulary: set[str] | None = None, words: str = "漏水") -> None:
        self.vocabulary = vocabulary or set()
        self.words = words
        self.delay_s = 0.0
        self.crash = False
        self.endpoint_after: int | None = None
        self.made: list[FakeRecogniser] = []

    def has_word(self, word: str) -> bool:
        return word in self.vocabulary

    def recogniser(self, rate: int, grammar: list[str] | None = None) -> FakeRecogniser:
        recogniser = FakeRecogniser(self, rate, grammar)
        self.made.append(recogniser)
        return recogniser


def tone(ms: int, rate: int = 8000, level: int = 8000) -> bytes:
    """A loud square wave: "speech" as far as the energy detector is concerned."""
    samples = rate * ms // 1000
    return b"".join(
        (level if (i // 20) % 2 else -level).to_bytes(2, "little", signed=True)
        for i in range(samples)
    )


def silence(ms: int, rate: int = 8000) -> bytes:
    return bytes(rate * ms // 1000 * 2)
